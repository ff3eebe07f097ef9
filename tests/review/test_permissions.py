"""Who reaches the review: supervisors everything, agents only their own reviews, partner
managers and anonymous visitors nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from calls.review import services
from calls.review.models import PlaybackEvent, QualityCriterion
from gratisz.roles import Role

from .conftest import add_recording


@pytest.fixture
def call(make_call, firm, make_user):
    return make_call(firm, agent=make_user(Role.AGENT, username="agent-anna"))


def supervisor_urls(call, recording):
    return [
        reverse("review:board"),
        reverse("review:board") + "?partial=1",
        reverse("review:reports"),
        reverse("review:calls"),
        reverse("review:export-csv"),
        reverse("review:export-xlsx"),
        reverse("review:call", args=[call.pk]),
        reverse("review:audio", args=[recording.pk]),
    ]


def supervisor_posts(call, recording):
    return [
        reverse("review:score", args=[call.pk]),
        reverse("review:hold", args=[recording.pk]),
    ]


def test_agent_is_refused_every_supervisor_page(call, make_user, login):
    recording = add_recording(call)
    client = login(make_user(Role.AGENT))
    for url in supervisor_urls(call, recording):
        assert client.get(url).status_code == 403, url
    for url in supervisor_posts(call, recording):
        assert client.post(url, {"reason": "per"}).status_code == 403, url
    assert not PlaybackEvent.objects.exists()


def test_partner_manager_never_reaches_the_review(call, make_user, login):
    recording = add_recording(call)
    client = login(make_user(Role.PARTNER_MANAGER))
    for url in [*supervisor_urls(call, recording), reverse("review:my-reviews")]:
        response = client.get(url)
        assert response.status_code == 403, url
    for url in supervisor_posts(call, recording):
        assert client.post(url, {"reason": "per"}).status_code == 403, url


def test_anonymous_visitor_is_sent_to_login(call):
    recording = add_recording(call)
    client = Client()
    for url in [*supervisor_urls(call, recording), reverse("review:my-reviews")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_supervisor_opens_every_page(call, supervisor, login):
    recording = add_recording(call)
    client = login(supervisor)
    for url in supervisor_urls(call, recording):
        assert client.get(url).status_code == 200, url


def _review(call, supervisor):
    points = {c.pk: (c.max_points, "") for c in QualityCriterion.objects.all()}
    return services.score_card_create(ticket=call, reviewer=supervisor, scores=points)


def test_agent_sees_the_reviews_of_their_own_calls_only(call, supervisor, make_user, login):
    card = _review(call, supervisor)
    anna = call.handling.agent
    other = make_user(Role.AGENT, username="agent-bela")

    anna_client = login(anna)
    page = anna_client.get(reverse("review:my-reviews"))
    assert page.status_code == 200
    assert reverse("review:review", args=[card.pk]) in page.content.decode()
    assert anna_client.get(reverse("review:review", args=[card.pk])).status_code == 200

    bela_client = login(other, Client())
    page = bela_client.get(reverse("review:my-reviews"))
    assert reverse("review:review", args=[card.pk]) not in page.content.decode()
    assert bela_client.get(reverse("review:review", args=[card.pk])).status_code == 403


def test_supervisor_reads_any_review(call, supervisor, login):
    card = _review(call, supervisor)
    client = login(supervisor)
    assert client.get(reverse("review:review", args=[card.pk])).status_code == 200
