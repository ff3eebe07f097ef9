"""Names as each language writes them: "Kovács Anna" in Hungarian, "Anna Kovács" in English."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from gratisz.portal.forms import AcceptInvitationForm
from gratisz.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(make_user):
    user = make_user(Role.AGENT)
    user.first_name, user.last_name = "Anna", "Kovács"
    user.save(update_fields=["first_name", "last_name"])
    return user


def test_top_bar_shows_the_family_name_first_in_hungarian_and_last_in_english(anna, login, client):
    login(anna)
    page = client.get(reverse("home")).content.decode()
    assert '<span class="who">Kovács Anna</span>' in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("home")).content.decode()
    assert '<span class="who">Anna Kovács</span>' in page


def test_a_name_with_one_part_has_no_stray_space(anna):
    anna.last_name = ""
    with translation.override("hu"):
        assert anna.get_full_name() == "Anna"


def test_the_invitation_form_asks_for_the_family_name_first():
    with translation.override("hu"):
        form = str(AcceptInvitationForm())
    assert form.index("Vezetéknév") < form.index("Utónév")
