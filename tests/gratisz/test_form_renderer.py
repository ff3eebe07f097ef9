"""Form fields render through Django's Jinja2 widget templates (gratisz.renderers): the same
HTML as Django's template language gives, faster; the admin's own widgets still render."""

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.urls import get_resolver, reverse

from gratisz.renderers import FormRenderer
from tests.conftest import subclasses

pytestmark = pytest.mark.django_db

APPS = ("calls", "partners", "certificates", "claims", "gratisz", "boundary")


def project_forms() -> list[type[forms.BaseForm]]:
    """Every form class of the project: the admin's are loaded at start-up, the others by the
    views that the URLconf imports."""
    get_resolver().url_patterns  # noqa: B018 (imports every view, and so every form)
    found = {c for c in subclasses(forms.BaseForm) if c.__module__.split(".")[0] in APPS}
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def html(form) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", str(form))).strip()


def test_every_form_of_the_project_renders_as_the_django_template_language_renders_it():
    compared = []
    for cls in project_forms():
        for data in (None, {}):  # empty, and sent empty: with its errors at the fields
            try:
                old = cls(data=data, renderer=DjangoTemplates())
                new = cls(data=data, renderer=FormRenderer())
            except TypeError:  # a form that needs more to be made (a request, an instance)
                continue
            assert html(new) == html(old), cls
            compared.append(cls)
    assert len(set(compared)) > 30


def test_what_the_user_typed_comes_back_as_text_not_markup():
    class Note(forms.Form):
        text = forms.CharField(label="Megjegyzés <b>", max_length=5)
        kind = forms.ChoiceField(choices=[("a", "<i>A</i>")])

    page = str(Note(data={"text": '"><script>alert(1)</script>', "kind": "<x>"}))
    assert "<script>" not in page and "<i>" not in page and "<b>" not in page
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert "&lt;x&gt;" in page  # the refused choice, named in its error


def test_the_admins_own_widgets_still_render(login, administrator):
    page = login(administrator).get(reverse("admin:partners_partnermanager_add"))
    assert page.status_code == 200
    assert 'class="related-widget-wrapper"' in page.content.decode()
