"""A web worker starts warm: what a queued caller's first answers need is ready before the first
call (gunicorn --preload runs the warm-up once, before the workers fork)."""

import gc
from unittest import mock

from django.template import engines
from django.template.backends.django import DjangoTemplates
from django.template.base import Parser
from django.urls import URLResolver, clear_url_caches, reverse
from django.utils import translation

from calls import push
from gratisz.warmup import warm_up


def _cold_start() -> None:
    for backend in engines.all():
        if isinstance(backend, DjangoTemplates):
            for loader in backend.engine.template_loaders:
                loader.reset()
    clear_url_caches()


def test_after_the_warm_up_a_queued_callers_first_answers_compile_nothing(firm, make_waiting):
    ticket = make_waiting(firm)
    _cold_start()
    warm_up()
    # What it loaded is out of the garbage collector's sight: a full collection no longer
    # walks it (100 to 400 ms a worker, the IVR's slowest answers before).
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
    with (
        mock.patch.object(Parser, "parse", autospec=True, side_effect=Parser.parse) as parse,
        mock.patch.object(
            URLResolver, "_populate", autospec=True, side_effect=URLResolver._populate
        ) as populate,
    ):
        rows = push.queue_row_html(ticket)  # pushed to the desks when the caller queues
        for code in ("hu", "en"):
            with translation.override(code):
                reverse("ivr-step")  # every IVR answer carries its action URL
    assert firm.name in rows["hu"]
    assert parse.call_count == 0, "a template compiled on the first call"
    assert populate.call_count == 0, "the URL resolver's reverse table built on the first call"


def test_after_the_warm_up_the_call_screens_forms_compile_no_widget_template():
    import jinja2
    from django.forms.renderers import get_default_renderer

    from calls.desk.forms import CloseForm, PromiseForm, RemarkForm

    widgets = get_default_renderer().jinja2.engine.env
    widgets.cache.clear()  # a cold start
    warm_up()
    gc.unfreeze()
    with mock.patch.object(
        jinja2.Environment, "compile", autospec=True, side_effect=jinja2.Environment.compile
    ) as compile_:
        pages = [str(CloseForm()), str(PromiseForm()), str(RemarkForm())]
    assert all("<textarea" in page or "<select" in page for page in pages[:2])
    assert compile_.call_count == 0, "a widget template compiled on the first form"


def test_without_the_warm_up_the_first_call_would_compile_them(firm, make_waiting):
    ticket = make_waiting(firm)
    _cold_start()
    with (
        mock.patch.object(Parser, "parse", autospec=True, side_effect=Parser.parse) as parse,
        mock.patch.object(
            URLResolver, "_populate", autospec=True, side_effect=URLResolver._populate
        ) as populate,
    ):
        push.queue_row_html(ticket)
        reverse("ivr-step")
    assert parse.call_count and populate.call_count
