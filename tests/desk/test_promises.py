"""Promises are a team's queue: a colleague takes over an overdue one, and who kept it stays."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calls.desk.models import DeskRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(agent, firm, on_call):
    """A callback ``agent`` promised, due an hour ago."""
    handling = on_call(agent, firm)
    return DeskRequest.objects.create(
        handling=handling,
        kind=DeskRequest.Kind.CALLBACK,
        due_at=timezone.now() - datetime.timedelta(hours=1),
        contact="+36301234567",
        subject="Díjhátralék részletei",
        created_at=timezone.now() - datetime.timedelta(hours=3),
    )


def test_a_colleague_takes_over_an_overdue_promise_and_keeps_it(make_user, agent, login, overdue):
    colleague = make_user("agent")
    mine, theirs = login(agent, Client()), login(colleague, Client())
    queue = theirs.get(reverse("desk:queue")).content.decode()
    assert 'id="colleagues-overdue"' in queue and "Díjhátralék részletei" in queue
    # Not theirs to mark done before they take it over.
    theirs.post(reverse("desk:promise-done", args=[overdue.pk]))
    overdue.refresh_from_db()
    assert overdue.done_at is None
    assert theirs.post(reverse("desk:promise-take-over", args=[overdue.pk])).status_code == 302
    # It moved: on the colleague's own list; the agent sees it among colleagues' promises.
    own, colleagues = mine.get(reverse("desk:queue")).content.decode().split("colleagues-overdue")
    assert "Díjhátralék részletei" not in own and colleague.username in colleagues
    queue = theirs.get(reverse("desk:queue")).content.decode()
    assert 'id="colleagues-overdue"' not in queue and "Díjhátralék részletei" in queue
    mine.post(reverse("desk:promise-done", args=[overdue.pk]))  # no longer the agent's
    overdue.refresh_from_db()
    assert overdue.done_at is None
    theirs.post(reverse("desk:promise-done", args=[overdue.pk]))
    overdue.refresh_from_db()
    assert overdue.done_at is not None and overdue.done_by == colleague


def test_a_promise_not_yet_due_is_not_offered_to_colleagues(make_user, agent, login, overdue):
    DeskRequest.objects.filter(pk=overdue.pk).update(
        due_at=timezone.now() + datetime.timedelta(hours=1)
    )
    queue = login(make_user("agent"), Client()).get(reverse("desk:queue")).content.decode()
    assert "Díjhátralék részletei" not in queue


def test_taking_over_needs_the_desk(referent, login, client, overdue):
    login(referent)
    assert client.post(reverse("desk:promise-take-over", args=[overdue.pk])).status_code == 403
    overdue.refresh_from_db()
    assert overdue.assignee is None


def test_a_promise_not_yet_due_cannot_be_taken_over(make_user, agent, login, overdue):
    """Before it is overdue a promise is its keeper's alone: a colleague's take-over (a forged
    POST, the desk does not offer it) changes nothing and says so."""
    DeskRequest.objects.filter(pk=overdue.pk).update(
        due_at=timezone.now() + datetime.timedelta(hours=1)
    )
    colleague = Client()
    login(make_user("agent"), colleague)
    response = colleague.post(reverse("desk:promise-take-over", args=[overdue.pk]), follow=True)
    overdue.refresh_from_db()
    assert overdue.assignee is None
    assert "vehető át" in response.content.decode()
    # Nor mark it done: only its keeper does.
    colleague.post(reverse("desk:promise-done", args=[overdue.pk]))
    overdue.refresh_from_db()
    assert overdue.done_at is None


def test_a_taken_over_promise_cannot_be_taken_back_before_it_is_overdue_again(
    make_user, agent, login, overdue
):
    """The new keeper keeps it; a third agent (or the first keeper) takes it only if overdue."""
    colleague, third = make_user("agent"), make_user("agent")
    login(colleague, Client()).post(reverse("desk:promise-take-over", args=[overdue.pk]))
    overdue.refresh_from_db()
    assert overdue.assignee == colleague
    DeskRequest.objects.filter(pk=overdue.pk).update(
        due_at=timezone.now() + datetime.timedelta(minutes=30)
    )
    for other in (agent, third):
        login(other, Client()).post(reverse("desk:promise-take-over", args=[overdue.pk]))
        overdue.refresh_from_db()
        assert overdue.assignee == colleague


def test_a_kept_promise_cannot_be_taken_over(make_user, agent, login, overdue):
    login(agent, Client()).post(reverse("desk:promise-done", args=[overdue.pk]))
    colleague = make_user("agent")
    login(colleague, Client()).post(reverse("desk:promise-take-over", args=[overdue.pk]))
    overdue.refresh_from_db()
    assert overdue.done_by == agent and overdue.assignee is None
