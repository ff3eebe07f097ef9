"""The house's own pages for refusals and errors (403, 404, 500, CSRF), in the user's language,
with a way back; never a bare English "403 Forbidden"."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from gratisz.views import server_error

pytestmark = pytest.mark.django_db


def way_back(page: str) -> bool:
    return 'id="way-back"' in page and 'href="/"' in page


def test_a_refusal_is_the_houses_page_in_hungarian(client, login, referent):
    login(referent)
    response = client.get(reverse("desk:home"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "Ehhez az oldalhoz nincs hozzáférése" in page and "Forbidden" not in page
    assert '<html lang="hu">' in page and way_back(page)


def test_a_refusal_follows_the_language_the_user_chose(client, login, referent, settings):
    login(referent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("desk:home")).content.decode()
    assert "You have no access to this page" in page and '<html lang="en">' in page


def test_a_missing_page_is_the_houses_page(client, login, agent):
    login(agent)
    response = client.get("/desk/call/999999/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Ez az oldal vagy adat nem található" in page and way_back(page)
    assert "Not Found" not in page


def test_an_expired_form_is_the_houses_page(login, agent):
    strict = login(agent, Client())
    strict.handler.enforce_csrf_checks = True  # a browser's form, without its token
    response = strict.post(reverse("desk:presence"), {"action": "break"})  # no CSRF token
    page = response.content.decode()
    assert response.status_code == 403
    assert "Az űrlap lejárt" in page and way_back(page)
    assert "CSRF" not in page


def test_an_error_is_the_houses_page_in_the_users_language():
    request = RequestFactory().get("/desk/")
    with translation.override("en"):
        try:
            raise ValueError("boom")
        except ValueError:
            response = server_error(request)
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in page and way_back(page) and "boom" not in page
    with translation.override("hu"):
        try:
            raise ValueError("boom")
        except ValueError:
            page = server_error(request).content.decode()
    assert "Vissza a kezdőlapra" in page
