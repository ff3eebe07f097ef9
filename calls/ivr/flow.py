"""The IVR's phone flow as services: each takes the provider's webhook parameters, changes the
call ticket, and returns the TwiML answer (built with twilio's ``VoiceResponse``).

Every answer is numbered and stored on the ticket (``IvrStep``); the action URLs of answer k
carry ``n=k``. A request for the latest answer's actions moves the flow on; a repeat of the
request that produced the latest answer (the provider retrying) gets the same answer again and
changes nothing; any other request is stale and refused. So a retry never counts a failure
twice, and a captured request cannot be replayed into a later call state.

The typed digits of a Direkt code are used in memory only: ``IvrStep`` keeps their shape.
"""

import contextlib
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from twilio.twiml.voice_response import Gather, VoiceResponse

from boundary.fields import DURATION_MAX, int_or_none, is_ascii_digits
from partners import direkt
from partners.models import DirektCode
from partners.services import PortalError, direkt_code_policy_errors, direkt_code_rotate
from partners.verification import WITHHELD, direkt_verify, stored_calling_number

from .. import opening_hours, push
from ..models import CallTicket, IvrPrompt, IvrStep, VerificationAttempt
from .prompts import DEFAULT_PROMPTS

logger = logging.getLogger(__name__)
security_log = logging.getLogger("gratisz.security")

Stage = CallTicket.Stage
State = CallTicket.State
Key = IvrPrompt.Key

FINAL_CALL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
MENU_CHOICES = {"1", "2", "3"}
POLICY_PROMPTS = {
    "format": Key.NEW_CODE_FORMAT,
    "trivial": Key.NEW_CODE_TRIVIAL,
    "reused": Key.NEW_CODE_REUSED,
    "same_as_other_role": Key.NEW_CODE_SAME_AS_OTHER,
}


@dataclass(frozen=True)
class CallParams:
    """The provider's parameters that the IVR reads (Twilio's names)."""

    call_sid: str
    account_sid: str = ""
    from_number: str = ""
    to_number: str = ""
    digits: str | None = None
    call_status: str = ""

    @classmethod
    def from_post(cls, post) -> "CallParams":
        return cls(
            call_sid=post.get("CallSid", "")[:64],
            account_sid=post.get("AccountSid", "")[:64],
            from_number=stored_calling_number(post.get("From", "")),
            to_number=stored_calling_number(post.get("To", "")),
            digits=post.get("Digits"),
            call_status=post.get("CallStatus", "")[:20],
        )

    def ticket_fields(self) -> dict[str, str]:
        """Return what a new ticket of this call starts with."""
        return {
            "account_sid": self.account_sid,
            "from_number": self.from_number,
            "to_number": self.to_number,
        }


# --- TwiML building ---------------------------------------------------------------------------


def _provider_calls():
    """Return the tickets of the calls that came through the provider (the IVR's)."""
    return CallTicket.objects.filter(source=CallTicket.Source.IVR)


def _url(name: str, **query) -> str:
    url = settings.PUBLIC_BASE_URL + reverse(name)
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


PROMPTS_CACHE_KEY = "calls:ivr-prompts"
PROMPTS_CACHE_SECONDS = 60


def ivr_prompts() -> dict[str, tuple[str, str, str]]:
    """Return every prompt as key → (Hungarian, English, audio URL), cached for a minute
    (the admin forgets the cache when a prompt is saved). The cache is only a shortcut: while
    it is unreachable (Redis restarting) the prompts come from the database and calls go on."""
    try:
        prompts = cache.get(PROMPTS_CACHE_KEY)
    except Exception:  # noqa: BLE001 - any cache failure: read the database instead
        logger.warning("IVR prompt cache unavailable; reading the prompts from the database")
        return _prompts_from_database()
    if prompts is None:
        prompts = _prompts_from_database()
        with contextlib.suppress(Exception):
            cache.set(PROMPTS_CACHE_KEY, prompts, PROMPTS_CACHE_SECONDS)
    return prompts


def _prompts_from_database() -> dict[str, tuple[str, str, str]]:
    return {p.key: (p.text_hu, p.text_en, p.audio_url) for p in IvrPrompt.objects.all()}


def ivr_prompts_forget() -> None:
    cache.delete(PROMPTS_CACHE_KEY)


class _Answer:
    """A TwiML answer in the making: prompts spoken (``<Say>``) or played (``<Play>``)."""

    def __init__(self) -> None:
        self.response = VoiceResponse()
        self._prompts = ivr_prompts()

    def text(self, key: str) -> str:
        hu, en, _audio = self._prompts.get(key) or (*DEFAULT_PROMPTS[key], "")
        text = en if settings.IVR_LANGUAGE == "en" and en else hu
        if "{hours}" in text:
            text = text.replace("{hours}", opening_hours.describe(settings.IVR_LANGUAGE))
        return text

    def say(self, key: str, node=None) -> None:
        node = node if node is not None else self.response
        audio_url = self._prompts.get(key, ("", "", ""))[2]
        if audio_url:
            node.play(audio_url)
        else:
            language = "en-GB" if settings.IVR_LANGUAGE == "en" else "hu-HU"
            node.say(self.text(key), language=language, voice=settings.IVR_VOICE)

    def gather(self, *keys: str, step: int, num_digits: int) -> None:
        """Ask for keys: the prompts inside ``<Gather>``; no input falls through to a
        ``<Redirect>`` to the same action, which then arrives without ``Digits``."""
        action = _url("ivr-step", n=step)
        gather = Gather(
            input="dtmf",
            num_digits=num_digits,
            timeout=settings.IVR_GATHER_TIMEOUT,
            finish_on_key="#",
            action=action,
            method="POST",
        )
        for key in keys:
            self.say(key, gather)
        self.response.append(gather)
        self.response.redirect(action, method="POST")

    def hangup(self) -> None:
        self.response.hangup()

    def __str__(self) -> str:
        return str(self.response)


def _shape(digits: str | None) -> str:
    """Describe keyed input without its content."""
    if not digits:
        return "none"
    kind = "digits" if is_ascii_digits(digits) else "keys"
    return f"{len(digits)} {kind}"


# --- entry ------------------------------------------------------------------------------------


def _record_answer(ticket: CallTicket, *, stage: str, input_summary: str, event: str, answer):
    ticket.step_count += 1
    ticket.save()
    twiml = str(answer)
    IvrStep.objects.create(
        ticket=ticket,
        number=ticket.step_count,
        stage=stage,
        input_summary=input_summary[:40],
        event=event,
        twiml=twiml,
    )
    return twiml


def _stored_answer(ticket: CallTicket, number: int) -> str | None:
    step = IvrStep.objects.filter(ticket=ticket, number=number).only("twiml").first()
    return step.twiml if step else None


@transaction.atomic
def ivr_call_incoming(*, params: CallParams, ignore_hours: bool = False) -> str | None:
    """Answer a new call: the closed message outside hours, else the welcome and the menu.

    Side effects: creates the call's ``CallTicket`` (once per CallSid; a retry of the same
    request gets the first answer again). Returns None for a stale request (the call is past
    its first answer), which the view refuses.
    """
    try:
        with transaction.atomic():
            ticket, created = CallTicket.objects.get_or_create(
                source=CallTicket.Source.IVR,
                call_sid=params.call_sid,
                defaults={**params.ticket_fields(), "provider_status": params.call_status},
            )
    except IntegrityError:  # the same request, in parallel
        ticket, created = _provider_calls().get(call_sid=params.call_sid), False
    ticket = CallTicket.objects.select_for_update().get(pk=ticket.pk)
    if not created or ticket.step_count:
        return _stored_answer(ticket, 1) if ticket.step_count == 1 else None

    answer = _Answer()
    if not ignore_hours and not opening_hours.is_open():
        answer.say(Key.CLOSED)
        answer.hangup()
        ticket.state = State.CLOSED_HOURS
        ticket.stage = Stage.DONE
        return _record_answer(ticket, stage="", input_summary="", event="closed", answer=answer)
    ticket.stage = Stage.MENU
    answer.gather(Key.WELCOME, step=1, num_digits=1)
    return _record_answer(ticket, stage="", input_summary="", event="welcome", answer=answer)


# --- the steps --------------------------------------------------------------------------------


@transaction.atomic
def ivr_step(*, params: CallParams, step: int) -> str | None:
    """Take the caller's keys for the answer numbered ``step`` and give the next answer.

    Returns None for a stale request (unknown call, older answer, finished flow), which the
    view refuses; a retry of the latest request gets the latest answer again.
    """
    ticket = _provider_calls().select_for_update().filter(call_sid=params.call_sid).first()
    if ticket is None:
        return None
    if step == ticket.step_count - 1:
        return _stored_answer(ticket, ticket.step_count)
    if step != ticket.step_count or ticket.stage in ("", Stage.DONE):
        return None
    digits = (params.digits or "").strip()
    handler = {
        Stage.MENU: _on_menu,
        Stage.GRID: _on_grid,
        Stage.CODE: _on_code,
        Stage.NEW_CODE: _on_new_code,
        Stage.NEW_CODE_AGAIN: _on_new_code_again,
    }[ticket.stage]
    stage = ticket.stage
    answer = _Answer()
    event, summary = handler(ticket, digits, answer)
    return _record_answer(ticket, stage=stage, input_summary=summary, event=event, answer=answer)


def _finish(ticket: CallTicket, answer: _Answer, state: str) -> None:
    ticket.stage = Stage.DONE
    ticket.state = state
    answer.hangup()


def _on_menu(ticket: CallTicket, digits: str, answer: _Answer) -> tuple[str, str]:
    summary = digits if len(digits) <= 1 else _shape(digits)
    if digits in MENU_CHOICES:
        ticket.menu = digits
        ticket.stage = Stage.GRID
        answer.gather(Key.ASK_GRID, step=ticket.step_count + 1, num_digits=9)
        return f"menu {digits}", summary
    ticket.menu_tries += 1
    if ticket.menu_tries >= 2:
        answer.say(Key.NO_CHOICE_GOODBYE)
        _finish(ticket, answer, State.COMPLETED)
        return "no menu choice, goodbye", summary
    answer.gather(Key.MENU_AGAIN, step=ticket.step_count + 1, num_digits=1)
    return "menu again", summary


def _on_grid(ticket: CallTicket, digits: str, answer: _Answer) -> tuple[str, str]:
    # Keep only a well-formed GRID: a shorter entry may be a Direkt code at the wrong prompt.
    is_grid = is_ascii_digits(digits, length=9)
    ticket.grid_entered = digits if is_grid else ""
    ticket.stage = Stage.CODE
    # Whatever was typed, ask for the code: a wrong GRID must cost the same path as a wrong code.
    key = Key.ASK_MANAGER_CODE if ticket.menu == CallTicket.Menu.CODE_CHANGE else Key.ASK_CODE
    answer.gather(key, step=ticket.step_count + 1, num_digits=4)
    return "GRID entered", digits if is_grid else _shape(digits)


def _on_code(ticket: CallTicket, digits: str, answer: _Answer) -> tuple[str, str]:
    changing_code = ticket.menu == CallTicket.Menu.CODE_CHANGE
    role = DirektCode.Role.MANAGER if changing_code else DirektCode.Role.STAFF
    result = direkt_verify(
        grid=ticket.grid_entered, code=digits, calling_number=ticket.from_number, role=role
    )
    VerificationAttempt.objects.create(
        ticket=ticket,
        number=ticket.failed_verifications + 1,  # a call's attempts end at its first success
        menu=ticket.menu,
        grid_entered=ticket.grid_entered,
        firm=result.firm,
        role=role,
        outcome=result.outcome,
    )
    summary = _shape(digits)
    if result.ok:
        ticket.firm = result.firm
        ticket.verified_at = timezone.now()
        if changing_code:
            ticket.stage = Stage.NEW_CODE
            answer.gather(Key.ASK_NEW_CODE, step=ticket.step_count + 1, num_digits=4)
            return "verified as manager", summary
        _enqueue(ticket, answer)
        return "verified, queued", summary
    ticket.failed_verifications += 1
    if ticket.failed_verifications < 2:
        ticket.stage = Stage.GRID
        ticket.grid_entered = ""
        answer.gather(Key.RETRY, Key.ASK_GRID, step=ticket.step_count + 1, num_digits=9)
        return "verification failed, again", summary
    answer.say(Key.MENU3_FAILED if changing_code else Key.FAILED)
    _finish(ticket, answer, State.FAILED_VERIFICATION)
    return "verification failed twice, goodbye", summary


def _enqueue(ticket: CallTicket, answer: _Answer) -> None:
    ticket.stage = Stage.DONE
    ticket.state = State.WAITING
    ticket.queue_name = settings.IVR_QUEUES[ticket.menu]
    ticket.enqueued_at = timezone.now()
    push.ticket_changed(ticket.pk)  # after the commit: every available agent's desk shows it
    answer.say(Key.VERIFIED)
    if settings.IVR_RECORD_CALLS:
        # Recording starts only now: the IVR part holds the code's DTMF tones.
        answer.response.start().recording(
            recording_status_callback=_url("ivr-recording"),
            recording_status_callback_method="POST",
            recording_status_callback_event="completed",
        )
    enqueue_verb(answer.response, ticket.queue_name)


def enqueue_verb(response: VoiceResponse, queue_name: str) -> None:
    """Put the caller on hold in ``queue_name``, hearing ``ivr-wait`` (also after the agent's
    phone did not answer)."""
    response.enqueue(
        queue_name,
        action=_url("ivr-queue-result"),
        method="POST",
        wait_url=_url("ivr-wait"),
        wait_url_method="POST",
    )


def _new_code_refused(ticket: CallTicket, answer: _Answer, key: str) -> str:
    ticket.pending_code_salt = ticket.pending_code_hash = ""
    ticket.new_code_tries += 1
    if ticket.new_code_tries >= 2:
        answer.say(key)
        answer.say(Key.NEW_CODE_GIVE_UP)
        _finish(ticket, answer, State.COMPLETED)
        return "new code refused twice, goodbye"
    ticket.stage = Stage.NEW_CODE
    answer.gather(key, Key.ASK_NEW_CODE, step=ticket.step_count + 1, num_digits=4)
    return f"new code refused: {key}"


def _on_new_code(ticket: CallTicket, digits: str, answer: _Answer) -> tuple[str, str]:
    errors = direkt_code_policy_errors(
        firm=ticket.identified_firm, role=DirektCode.Role.STAFF, code=digits
    )
    if errors:
        return _new_code_refused(ticket, answer, POLICY_PROMPTS[errors[0]]), _shape(digits)
    ticket.pending_code_salt = direkt.new_salt()
    ticket.pending_code_hash = direkt.keyed_hash(
        grid=ticket.identified_firm.grid, salt=ticket.pending_code_salt, code=digits
    )
    ticket.stage = Stage.NEW_CODE_AGAIN
    answer.gather(Key.ASK_NEW_CODE_AGAIN, step=ticket.step_count + 1, num_digits=4)
    return "new code entered", _shape(digits)


def _on_new_code_again(ticket: CallTicket, digits: str, answer: _Answer) -> tuple[str, str]:
    same = bool(ticket.pending_code_hash) and direkt.hash_matches(
        grid=ticket.identified_firm.grid,
        salt=ticket.pending_code_salt,
        code_hash=ticket.pending_code_hash,
        code=digits,
    )
    ticket.pending_code_salt = ticket.pending_code_hash = ""
    if not same:
        return _new_code_refused(ticket, answer, Key.NEW_CODE_MISMATCH), _shape(digits)
    try:
        direkt_code_rotate(
            firm=ticket.identified_firm,
            codes={DirektCode.Role.STAFF: digits},
            by=None,
            calling_number=ticket.from_number or WITHHELD,
        )
    except PortalError:  # the firm's registration was withdrawn meanwhile: nothing changed
        answer.say(Key.NEW_CODE_GIVE_UP)
        _finish(ticket, answer, State.COMPLETED)
        return "new code refused: the firm is not registered", _shape(digits)
    except ValidationError as refused:  # the policy changed under us (a parallel change)
        policy = str(refused.error_dict[DirektCode.Role.STAFF][0].code)
        return _new_code_refused(ticket, answer, POLICY_PROMPTS[policy]), _shape(digits)
    ticket.code_changed_at = timezone.now()
    answer.say(Key.CODE_CHANGED)
    _finish(ticket, answer, State.COMPLETED)
    return "staff code changed", _shape(digits)


# --- provider callbacks -----------------------------------------------------------------------


def ivr_wait_answer() -> str:
    """Return what a queued caller hears, repeated by the provider: the waiting message and
    the hold music (or a pause)."""
    answer = _Answer()
    answer.say(Key.WAITING)
    if settings.IVR_HOLD_MUSIC_URL:
        answer.response.play(settings.IVR_HOLD_MUSIC_URL)
    else:
        answer.response.pause(length=20)
    return str(answer)


def ticket_for_callback(params: CallParams) -> CallTicket:
    """Return the call's ticket, locked, for a callback of the provider (created, as a call
    already over, for a call the IVR never saw)."""
    ticket, _created = CallTicket.objects.select_for_update().get_or_create(
        source=CallTicket.Source.IVR,
        call_sid=params.call_sid,
        defaults={**params.ticket_fields(), "state": State.ABANDONED, "stage": Stage.DONE},
    )
    return ticket


@transaction.atomic
def ivr_queue_left(*, params: CallParams, queue_result: str) -> str:
    """Note how the caller left the queue (the ``<Enqueue>`` action) and end the call."""
    ticket = ticket_for_callback(params)
    ticket.queue_result = queue_result[:30]
    if queue_result == "hangup" and ticket.state == State.WAITING:
        ticket.state = State.ABANDONED
    elif queue_result == "bridged" and ticket.state in (State.WAITING, State.WITH_AGENT):
        ticket.state = State.COMPLETED
    ticket.save(update_fields=["queue_result", "state"])
    push.ticket_changed(ticket.pk)
    response = VoiceResponse()
    if queue_result != "redirected":  # redirected: put through to the agent (desk.connection)
        response.hangup()
    return str(response)


@transaction.atomic
def ivr_call_status(*, params: CallParams, duration: str | None) -> None:
    """Record the provider's call status; a call that ended in the IVR or the queue is
    abandoned, one that ended with an agent is completed. Repeats change nothing."""
    ticket = ticket_for_callback(params)
    ticket.provider_status = params.call_status
    if params.call_status in FINAL_CALL_STATUSES and ticket.ended_at is None:
        ticket.ended_at = timezone.now()
        seconds = int_or_none(duration, max_value=DURATION_MAX)
        if seconds is not None:
            ticket.duration_seconds = seconds
        if ticket.state in (State.IN_IVR, State.WAITING):
            ticket.state = State.ABANDONED
        elif ticket.state == State.WITH_AGENT:
            ticket.state = State.COMPLETED
        ticket.stage = Stage.DONE
        ticket.pending_code_salt = ticket.pending_code_hash = ""
        push.ticket_changed(ticket.pk)  # out of the queue; the agent sees the caller gone
    ticket.save()


def new_call_sid() -> str:
    """Return a CallSid in the provider's shape (for the demo phone)."""
    return "CA" + secrets.token_hex(16)
