"""The desk's boundary: odd input is refused with a message, never a 500 or a database error."""

import pytest
from django.urls import reverse

from calls.desk.models import ClaimReport

pytestmark = pytest.mark.django_db


def test_a_draft_with_a_nul_character_is_refused_and_nothing_is_stored(
    agent, login, client, firm, contract, on_call
):
    """PostgreSQL cannot store NUL (its jsonb refuses \\u0000): the draft says so instead."""
    handling = on_call(agent, firm)
    login(agent)
    url = reverse("desk:claim-report", args=[handling.ticket_id, contract.policy_number])
    response = client.post(url, {"action": "draft", "place": "Szeged\x00"}, follow=True)
    assert response.status_code == 200
    assert "A szöveg nem megengedett karaktert tartalmaz." in response.content.decode()
    assert all("Szeged" not in str(report.data) for report in ClaimReport.objects.all())


@pytest.mark.parametrize("value", ["1978-03-14²", "１９７８-０３-１４", "0001-01-01", "9999-12-31"])
def test_identification_dates_with_odd_digits_or_calendar_ends_are_refused(
    agent, login, client, firm, contract, on_call, value
):
    handling = on_call(agent, firm)
    login(agent)
    url = reverse("desk:contract", args=[handling.ticket_id, contract.policy_number])
    response = client.post(url, {"action": "identify", "name": "Kovács Éva", "birth_date": value})
    assert response.status_code in (200, 302)


def test_an_id_beyond_64_bits_in_a_url_is_a_404(agent, login, client):
    login(agent)
    assert client.get("/desk/call/99999999999999999999/").status_code == 404
    assert client.get("/desk/call/１２/").status_code == 404
