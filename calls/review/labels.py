"""Words for what the IVR and the provider store as short English codes, for the supervisor's
timeline: a reviewer reads "GRID megadva", not "GRID entered", and "foglalt", not "busy".

The stored values stay as they are (they are the IVR's audit trail); only their display is
translated here, and an unknown value is shown as stored rather than hidden."""

import re

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from calls.models import CallTicket, IvrPrompt

_IVR_EVENTS = {
    "closed": lambda: _("closed message, outside opening hours"),
    "welcome": lambda: _("welcome and menu"),
    "menu again": lambda: _("invalid menu choice, menu again"),
    "no menu choice, goodbye": lambda: _("no menu choice, goodbye"),
    "GRID entered": lambda: _("GRID entered"),
    "verified as manager": lambda: _("identified as the firm's manager"),
    "verified, queued": lambda: _("identified, waiting for an agent"),
    "verification failed, again": lambda: _("identification failed, asked again"),
    "verification failed twice, goodbye": lambda: _("identification failed twice, goodbye"),
    "new code entered": lambda: _("new Direkt code entered"),
    "new code refused twice, goodbye": lambda: _("new Direkt code refused twice, goodbye"),
    "staff code changed": lambda: _("staff Direkt code changed"),
}
_MENU = re.compile(r"^menu (\d)$")
_REFUSED = re.compile(r"^new code refused: (\w+)$")
_SHAPE = re.compile(r"^(\d+) (digits|keys)$")

_PROVIDER_STATUS = {
    "queued": lambda: _("queued at the provider"),
    "ringing": lambda: _("ringing"),
    "in-progress": lambda: _("in progress"),
    "completed": lambda: _("ended normally"),
    "busy": lambda: _("busy"),
    "no-answer": lambda: _("no answer"),
    "failed": lambda: _("could not be connected"),
    "canceled": lambda: _("cancelled"),
}


def choice_label(choices, value: str) -> str:
    """Return the word for a stored code, or the code itself if the choices no longer hold it."""
    try:
        return str(choices(value).label) if value else ""
    except ValueError:
        return value


def ivr_event(event: str) -> str:
    """Return the reader's words for an IVR step's stored event."""
    if event in _IVR_EVENTS:
        return _IVR_EVENTS[event]()
    if m := _MENU.match(event):
        return _("menu %(choice)s chosen") % {"choice": choice_label(CallTicket.Menu, m.group(1))}
    if m := _REFUSED.match(event):
        reason = choice_label(IvrPrompt.Key, m.group(1))
        return _("new Direkt code refused: %(reason)s") % {"reason": reason}
    return event


def ivr_input(summary: str) -> str:
    """Return what the caller keyed, as stored (menu digit, GRID) or as its shape in words."""
    if summary == "none":
        return _("nothing keyed")
    if m := _SHAPE.match(summary):
        n = int(m.group(1))
        if m.group(2) == "digits":
            return ngettext("%(n)s digit", "%(n)s digits", n) % {"n": n}
        return ngettext("%(n)s key", "%(n)s keys", n) % {"n": n}
    return summary


def ivr_stage(stage: str) -> str:
    return choice_label(CallTicket.Stage, stage)


def queue_name(name: str) -> str:
    """Return the menu a queue serves ("1 – contracts and certificates") for its name."""
    by_queue = {queue: digit for digit, queue in settings.IVR_QUEUES.items()}
    if name not in by_queue:
        return name
    return _("queue of menu %(menu)s") % {"menu": choice_label(CallTicket.Menu, by_queue[name])}


def provider_status(status: str) -> str:
    """Return the reader's words for the provider's final call status."""
    return _PROVIDER_STATUS[status]() if status in _PROVIDER_STATUS else status
