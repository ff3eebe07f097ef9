"""The mailroom: a letter counts as sent only once the batch it is printed in is posted."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from certificates import services
from certificates.models import Delivery, DocumentType, PrintBatch
from certificates.services import certificate_request_create
from gratisz.api.models import OutgoingEvent, WebhookEndpoint, WebhookEvent
from gratisz.roles import Role

pytestmark = pytest.mark.django_db

UNDO_WINDOW = datetime.timedelta(minutes=settings.CERTIFICATES_POSTING_UNDO_MINUTES)


@pytest.fixture
def subscriber(db):
    """A partner system that wants certificate.sent (its URL is never called in these tests)."""
    return WebhookEndpoint.objects.create(
        name="portal",
        url="http://127.0.0.1:9/hooks",
        secret="mailroom-test-secret",
        events=[WebhookEvent.CERTIFICATE_SENT],
    )


@pytest.fixture
def mailroom(make_user):
    """A supervisor: the role that prints the batches and confirms them posted."""
    return make_user(Role.SUPERVISOR)


@pytest.fixture
def batch(celery_eager, gfb_contract, subscriber, django_capture_on_commit_callbacks):
    """Two letters by post (the default), rendered and collected into the day's batch."""
    with django_capture_on_commit_callbacks(execute=True):
        for document_type in (DocumentType.COVERAGE, DocumentType.GREEN_CARD):
            certificate_request_create(
                document_type=document_type, contract=gfb_contract, requested_by=None
            )
    return services.print_batch_build()


def sent_events():
    return OutgoingEvent.objects.filter(type=WebhookEvent.CERTIFICATE_SENT)


def urls(batch):
    return [
        ("get", reverse("certificates:print-batches")),
        ("get", reverse("certificates:print-batch-pdf", args=[batch.pk])),
        ("get", reverse("certificates:print-batch-posted", args=[batch.pk])),
        ("post", reverse("certificates:print-batch-posted", args=[batch.pk])),
        ("post", reverse("certificates:print-batch-build")),
        ("post", reverse("certificates:print-batch-undo", args=[batch.pk])),
    ]


def test_letters_in_a_built_batch_are_not_sent_yet(batch):
    letters = batch.deliveries.all()
    assert batch.letters == 2 and len(letters) == 2
    assert {(d.state, d.sent_at) for d in letters} == {(Delivery.State.BATCHED, None)}
    assert not batch.is_posted
    assert not sent_events().exists()


def test_a_redelivered_task_leaves_a_batched_letter_alone(batch):
    letter = batch.deliveries.first()
    assert services.delivery_process(delivery_id=letter.pk) == "queued_for_print"
    letter.refresh_from_db()
    assert letter.state == Delivery.State.BATCHED and letter.sent_at is None
    assert services.print_batch_build() is None


def test_mailroom_downloads_the_batch_pdf(client, login, mailroom, batch):
    login(mailroom)
    response = client.get(reverse("certificates:print-batch-pdf", args=[batch.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    with batch.pdf.open("rb") as f:
        assert b"".join(response.streaming_content) == f.read()


def test_mailroom_confirms_the_batch_posted_once(client, login, make_user, mailroom, batch):
    login(mailroom)
    page = client.get(reverse("certificates:print-batches"))
    posted_url = reverse("certificates:print-batch-posted", args=[batch.pk])
    assert page.status_code == 200 and list(page.context["batches"]) == [batch]
    assert posted_url in page.content.decode()

    response = client.post(posted_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("certificates:print-batches")
    batch.refresh_from_db()
    assert batch.posted_by == mailroom and batch.posted_at is not None
    letters = list(batch.deliveries.all())
    assert {(d.state, d.sent_at) for d in letters} == {(Delivery.State.SENT, batch.posted_at)}
    for letter in letters:
        assert list(letter.attempt_log.values_list("outcome", flat=True)) == ["sent"]
    # Announced (certificate.sent) only once the undo window has passed, and once.
    assert not sent_events().exists()
    assert services.print_batches_announce(now=batch.posted_at + UNDO_WINDOW) == []
    after = batch.posted_at + UNDO_WINDOW + datetime.timedelta(seconds=1)
    assert services.print_batches_announce(now=after) == [batch.pk]
    assert services.print_batches_announce(now=after) == []
    events = list(sent_events())
    assert sorted(e.payload["data"]["channel"] for e in events) == ["post", "post"]
    assert {e.payload["data"]["state"] for e in events} == {"sent"}

    # A second confirmation (double click, another mailroom clerk) changes nothing.
    other = client.__class__()
    login(make_user(Role.SUPERVISOR), other)
    assert other.post(posted_url).status_code == 302
    batch.refresh_from_db()
    assert batch.posted_by == mailroom
    assert {d.sent_at for d in batch.deliveries.all()} == {batch.posted_at}
    assert sent_events().count() == 2
    # The posted batch no longer offers the confirmation.
    assert posted_url not in client.get(reverse("certificates:print-batches")).content.decode()


@pytest.mark.parametrize("role", [Role.AGENT, Role.PARTNER_MANAGER, Role.REFERENT])
def test_other_roles_are_refused_every_mailroom_page(client, login, make_user, batch, role):
    login(make_user(role))
    for method, url in urls(batch):
        assert getattr(client, method)(url).status_code == 403, url
    batch.refresh_from_db()
    assert not batch.is_posted
    assert {d.state for d in batch.deliveries.all()} == {Delivery.State.BATCHED}


def test_anonymous_is_sent_to_the_login(client, batch):
    for method, url in urls(batch):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    batch.refresh_from_db()
    assert not batch.is_posted


def test_confirming_takes_a_second_step(client, login, mailroom, batch):
    login(mailroom)
    url = reverse("certificates:print-batch-posted", args=[batch.pk])
    list_page = client.get(reverse("certificates:print-batches")).content.decode()
    assert f'href="{url}"' in list_page  # a link to the question, not a form that posts
    question = client.get(url)
    assert question.status_code == 200
    assert '<form method="post">' in question.content.decode()
    batch.refresh_from_db()
    assert not batch.is_posted
    assert client.post(url).status_code == 302
    batch.refresh_from_db()
    assert batch.is_posted
    assert list(batch.events.values_list("action", "by")) == [
        ("built", None),
        ("posted", mailroom.pk),
    ]


def test_mailroom_builds_a_batch_now(
    client, login, mailroom, celery_eager, gfb_contract, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        certificate_request_create(
            document_type=DocumentType.COVERAGE, contract=gfb_contract, requested_by=None
        )
    login(mailroom)
    response = client.post(reverse("certificates:print-batch-build"), follow=True)
    batch = PrintBatch.objects.get()
    assert batch.letters == 1
    assert list(batch.events.values_list("action", "by")) == [("built", mailroom.pk)]
    assert list(response.context["batches"]) == [batch]
    # Nothing left to batch: said so, and no empty batch.
    response = client.post(reverse("certificates:print-batch-build"), follow=True)
    assert PrintBatch.objects.count() == 1
    assert [m.level_tag for m in response.context["messages"]] == ["info"]


def test_a_mistaken_confirmation_is_undone_within_the_window_with_a_reason(
    client, login, mailroom, batch, settings
):
    login(mailroom)
    client.post(reverse("certificates:print-batch-posted", args=[batch.pk]))
    undo = reverse("certificates:print-batch-undo", args=[batch.pk])
    page = client.get(reverse("certificates:print-batches")).content.decode()
    assert f'action="{undo}"' in page
    client.post(undo, {"reason": "  "})  # no reason: refused
    batch.refresh_from_db()
    assert batch.is_posted

    client.post(undo, {"reason": "Rossz köteget jelöltem postázottnak."})
    batch.refresh_from_db()
    assert not batch.is_posted and batch.announced_at is None
    letters = list(batch.deliveries.all())
    assert {(d.state, d.sent_at) for d in letters} == {(Delivery.State.BATCHED, None)}
    for letter in letters:
        assert list(letter.attempt_log.values_list("outcome", flat=True)) == ["queued_for_print"]
    assert batch.events.last().reason == "Rossz köteget jelöltem postázottnak."
    assert batch.events.last().by == mailroom
    later = timezone.now() + UNDO_WINDOW * 2
    assert services.print_batches_announce(now=later) == []
    assert not sent_events().exists()


def test_a_confirmation_is_not_undone_after_the_window(client, login, mailroom, batch):
    posted_at = timezone.now() - UNDO_WINDOW - datetime.timedelta(minutes=1)
    services.print_batch_confirm_posted(batch=batch, by=mailroom, now=posted_at)
    login(mailroom)
    undo = reverse("certificates:print-batch-undo", args=[batch.pk])
    assert (
        f'action="{undo}"' not in client.get(reverse("certificates:print-batches")).content.decode()
    )
    client.post(undo, {"reason": "késő"})
    batch.refresh_from_db()
    assert batch.is_posted
    with pytest.raises(services.PostingNotUndoable):
        services.print_batch_posting_undo(batch=batch, by=mailroom, reason="késő")


def test_batch_list_queries_do_not_grow_with_batches(
    client, login, mailroom, batch, django_assert_max_num_queries
):
    assert services.print_batch_confirm_posted(batch=batch, by=mailroom) == 2
    assert services.print_batch_confirm_posted(batch=batch, by=mailroom) is None
    for _ in range(5):
        PrintBatch.objects.create(letters=1, pdf=batch.pdf.name)
    login(mailroom)
    # The batches' histories come in two queries (events, their users), whatever their number.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("certificates:print-batches"))
    assert len(response.context["batches"]) == 6


def test_confirming_without_the_csrf_token_is_refused(client, login, mailroom, batch):
    login(mailroom)
    client.handler.enforce_csrf_checks = True  # as a browser's forged cross-site form would
    url = reverse("certificates:print-batch-posted", args=[batch.pk])
    assert client.post(url).status_code == 403
    batch.refresh_from_db()
    assert not batch.is_posted


def test_the_home_page_leads_the_mailroom_and_only_the_mailroom_there(client, login, make_user):
    tile = f'href="{reverse("certificates:print-batches")}"'
    login(make_user("supervisor"))
    assert tile in client.get(reverse("home")).content.decode()
    login(make_user("agent"))
    assert tile not in client.get(reverse("home")).content.decode()
