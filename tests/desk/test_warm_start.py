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
