"""Verify a caller's GRID and Direkt code, safe against guessing.

One verifier for every channel (the IVR now; the agent desk's manual check and the partner
portal later), so that they share the same counters:

- per GRID: exponential back-off after each failure (django-otp's ``ThrottlingMixin``:
  ``factor × 2^(n−1)`` seconds after the n-th consecutive failure), and a hard lock after
  ``DIREKT_LOCK_AFTER_FAILURES`` consecutive failures until a person unlocks it; the lock
  e-mails the firm's referent and managers;
- per calling number: at most ``DIREKT_FAILURES_PER_NUMBER_PER_DAY`` failures a (Budapest) day
  across all GRIDs.

An unknown GRID takes the same path as a known one (a throttle row, one code query, two keyed
hash comparisons), so neither the answer, the lock nor the time tells whether a GRID exists.
Nothing here stores, logs or returns the typed code.
"""

import datetime
import logging
import re
from dataclasses import dataclass

import phonenumbers
from celery import shared_task
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outbox.services import email_queue, person_name
from outbox.tasks import RetryPolicyTask

from . import direkt
from .models import (
    CallingNumberFailures,
    DirektCode,
    DirektLockEvent,
    DirektThrottle,
    PartnerFirm,
    PartnerManager,
)
from .withheld import is_withheld

logger = logging.getLogger("gratisz.security")

GRID_RE = re.compile(r"[0-9]{9}\Z")
_DUMMY_SALT = "0" * 32
_DUMMY_HASH = "0" * 64


class Outcome(models.TextChoices):
    """The result of one verification, as recorded for supervisors (never told to a caller)."""

    VERIFIED = "verified", _("verified")
    WRONG_CODE = "wrong_code", _("wrong code")
    UNKNOWN_GRID = "unknown_grid", _("unknown GRID")
    MALFORMED_GRID = "malformed_grid", _("GRID not 9 digits")
    OTHER_ROLE_CODE = "other_role_code", _("the code of the other role")
    THROTTLED = "throttled", _("refused: back-off after failures")
    LOCKED = "locked", _("refused: GRID locked")
    NUMBER_CAPPED = "number_capped", _("refused: calling number over its daily cap")


@dataclass(frozen=True)
class Verification:
    outcome: str
    firm: PartnerFirm | None
    counted: bool = False  # counted as a failure against the GRID and the calling number
    locked_now: bool = False  # this failure locked the GRID

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.VERIFIED


def _failure_cap() -> int:
    return settings.DIREKT_FAILURES_PER_NUMBER_PER_DAY


def backoff_seconds(failure_count: int) -> int:
    """Return how long a GRID waits after ``failure_count`` consecutive failures."""
    if failure_count <= 0:
        return 0
    return settings.DIREKT_THROTTLE_FACTOR * 2 ** (failure_count - 1)


WITHHELD = "anonymous"


def e164(number: str | None, region: str = "HU") -> str | None:
    """Return ``number`` in E.164 (``+36301234567``), however it was written (``06 30 123 4567``,
    ``0036301234567``, ``+36-30-123-4567``); None for a withheld number or one that is no
    possible phone number. Numbers without a country code are read as Hungarian."""
    raw = (number or "").strip()[:40]
    if is_withheld(raw):
        return None
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return None if is_withheld(formatted) else formatted


def stored_calling_number(number: str | None) -> str:
    """Return the calling number as a ticket keeps it: E.164 when it is a phone number, else
    what was sent (a withheld marker, or something no phone number), cut to 40 characters."""
    return e164(number) or (number or "").strip()[:40]


def normalise_calling_number(number: str | None) -> str:
    """Return the calling number as counted: E.164, so that one number has one failure budget
    however it is written; withheld and invalid numbers share one bucket."""
    return e164(number) or WITHHELD


def _locked_row(model, **key):
    """Return the row with ``key``, created if missing, locked until the transaction ends."""
    try:
        return model.objects.select_for_update().get(**key)
    except model.DoesNotExist:
        try:
            with transaction.atomic():
                return model.objects.create(**key)
        except IntegrityError:  # a parallel request created it first
            return model.objects.select_for_update().get(**key)


def _compare(row: DirektCode | None, *, grid: str, code: str) -> bool:
    if row is None:
        # Compare anyway, so that a missing code costs the same time as a wrong one.
        direkt.hash_matches(grid=grid, salt=_DUMMY_SALT, code_hash=_DUMMY_HASH, code=code)
        return False
    return direkt.hash_matches(grid=grid, salt=row.salt, code_hash=row.code_hash, code=code)


@transaction.atomic
def direkt_verify(
    *, grid: str, code: str, calling_number: str | None, role: str = DirektCode.Role.STAFF
) -> Verification:
    """Check ``code`` against the active ``role`` code of the firm with ``grid``.

    Side effects: a failure adds one to the GRID's and the calling number's counters (exactly,
    under row locks); the failure that reaches the threshold locks the GRID, writes a
    ``DirektLockEvent`` and queues the lock e-mail. A success resets the GRID's counter. A
    refused attempt (locked, in back-off, number over its cap) checks nothing and counts nothing.
    """
    number = normalise_calling_number(calling_number)
    grid = grid or ""
    grid_ok = bool(GRID_RE.match(grid))
    # Always lock in the same order (number, then GRID) so that parallel calls cannot deadlock.
    counter = _locked_row(CallingNumberFailures, number=number, day=timezone.localdate())
    throttle = _locked_row(DirektThrottle, grid=grid) if grid_ok else None
    now = timezone.now()  # after the locks: a parallel failure's time is never in our future
    rows: dict[str, DirektCode] = {}
    if grid_ok:
        active = DirektCode.objects.filter(
            firm__grid=grid, firm__status=PartnerFirm.Status.ACTIVE, retired_at__isnull=True
        ).select_related("firm")
        rows = {row.role: row for row in active}
    firm = next(iter(rows.values())).firm if rows else None
    other_role = DirektCode.Role.MANAGER if role == DirektCode.Role.STAFF else DirektCode.Role.STAFF
    own_match = _compare(rows.get(role), grid=grid, code=code)
    other_match = _compare(rows.get(other_role), grid=grid, code=code)

    refused = _refusal(counter=counter, throttle=throttle, now=now)
    if refused:
        logger.warning("direkt verification refused: %s grid=%s number=%s", refused, grid, number)
        return Verification(outcome=refused, firm=firm)

    if own_match:
        # A code matches only under a well-formed GRID, which always has its throttle row.
        if throttle is not None and throttle.failure_count:
            DirektThrottle.objects.filter(pk=throttle.pk).update(failure_count=0)
        return Verification(outcome=Outcome.VERIFIED, firm=firm)

    outcome = _failure_outcome(grid_ok=grid_ok, other_match=other_match, known_grid=bool(rows))
    locked_now = _count_failure(counter=counter, throttle=throttle, firm=firm, now=now)
    logger.info("direkt verification failed: %s grid=%s number=%s", outcome, grid, number)
    return Verification(outcome=outcome, firm=firm, counted=True, locked_now=locked_now)


def _refusal(
    *, counter: CallingNumberFailures, throttle: DirektThrottle | None, now: datetime.datetime
) -> Outcome | None:
    """Return why the attempt is refused unchecked (number over its cap, GRID locked, GRID in
    back-off), or None when it may be checked."""
    if counter.failure_count >= _failure_cap():
        return Outcome.NUMBER_CAPPED
    if throttle is None:
        return None
    if throttle.locked_at is not None:
        return Outcome.LOCKED
    backoff = backoff_seconds(throttle.failure_count)
    if (
        throttle.last_failure_at is not None
        and backoff > 0
        and (now - throttle.last_failure_at).total_seconds() < backoff
    ):
        return Outcome.THROTTLED
    return None


def _failure_outcome(*, grid_ok: bool, other_match: bool, known_grid: bool) -> Outcome:
    """Return why a checked code failed."""
    if not grid_ok:
        return Outcome.MALFORMED_GRID
    if other_match:
        return Outcome.OTHER_ROLE_CODE
    return Outcome.WRONG_CODE if known_grid else Outcome.UNKNOWN_GRID


def _count_failure(
    *,
    counter: CallingNumberFailures,
    throttle: DirektThrottle | None,
    firm: PartnerFirm | None,
    now: datetime.datetime,
) -> bool:
    """Add the failure to the number's and the GRID's counters; lock the GRID when this failure
    reaches the threshold. Return whether it locked the GRID now."""
    CallingNumberFailures.objects.filter(pk=counter.pk).update(failure_count=F("failure_count") + 1)
    if throttle is None:
        return False
    DirektThrottle.objects.filter(pk=throttle.pk).update(
        failure_count=F("failure_count") + 1, last_failure_at=now
    )
    throttle.refresh_from_db(fields=["failure_count"])
    if throttle.failure_count < settings.DIREKT_LOCK_AFTER_FAILURES:
        return False
    _lock(throttle=throttle, firm=firm, now=now)
    return True


def _lock(*, throttle: DirektThrottle, firm: PartnerFirm | None, now) -> None:
    DirektThrottle.objects.filter(pk=throttle.pk).update(locked_at=now)
    if firm is None:
        firm = PartnerFirm.objects.filter(grid=throttle.grid).first()
    DirektLockEvent.objects.create(
        grid=throttle.grid,
        firm=firm,
        kind=DirektLockEvent.Kind.LOCKED,
        at=now,
        failure_count=throttle.failure_count,
    )
    logger.warning("GRID %s locked after %s failures", throttle.grid, throttle.failure_count)
    if firm is not None:
        direkt_lock_notice_task.delay_on_commit(firm.pk)


def direkt_unlock_allowed(*, user, grid: str) -> bool:
    """Tell whether ``user`` may unlock ``grid``: the firm's referent, an active manager of the
    firm, or an administrator (who alone may unlock a GRID that no firm holds)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.has_perm("partners.delete_direktthrottle"):
        return True
    firm = PartnerFirm.objects.filter(grid=grid).first()
    if firm is None:
        return False
    if firm.referent_id == user.pk and user.has_perm("gratisz.care_for_partners"):
        return True
    return PartnerManager.objects.filter(firm=firm, user=user, revoked_at__isnull=True).exists()


@transaction.atomic
def _grid_unlock(*, grid: str, by) -> DirektThrottle:
    """Lift the lock of ``grid`` and reset its failure counter. Private: the one public entry
    point is ``partners.services.grid_unlock``, which adds the firm's audit entry and e-mail.

    Raises ``PermissionDenied`` unless ``direkt_unlock_allowed``. Side effects: writes a
    ``DirektLockEvent`` (who, when). Unlocking a GRID that is not locked only resets its counter.
    """
    if not direkt_unlock_allowed(user=by, grid=grid):
        raise PermissionDenied
    now = timezone.now()
    throttle = _locked_row(DirektThrottle, grid=grid)
    failures = throttle.failure_count
    throttle.failure_count = 0
    throttle.locked_at = None
    throttle.unlocked_at = now
    throttle.unlocked_by = by
    throttle.save(update_fields=["failure_count", "locked_at", "unlocked_at", "unlocked_by"])
    DirektLockEvent.objects.create(
        grid=grid,
        firm=PartnerFirm.objects.filter(grid=grid).first(),
        kind=DirektLockEvent.Kind.UNLOCKED,
        at=now,
        by=by,
        failure_count=failures,
    )
    logger.warning("GRID %s unlocked by %s", grid, by)
    return throttle


def firm_notice_recipients(*, firm: PartnerFirm, with_referent: bool) -> list:
    """Return the firm's active managers (and its referent) who have an e-mail address, each
    address once."""
    users = [
        manager.user
        for manager in PartnerManager.objects.filter(firm=firm, revoked_at__isnull=True)
        .exclude(user__email="")
        .select_related("user")
    ]
    referent = firm.referent if with_referent and firm.referent_id else None
    if referent is not None and referent.email:
        users.insert(0, referent)
    unique: dict = {}
    for user in users:
        unique.setdefault(user.email, user)
    return list(unique.values())


@transaction.atomic
def firm_notice_queue(
    *, firm: PartnerFirm, template: str, context: dict, with_referent: bool = False
) -> list:
    """Queue the e-mail ``template`` to each of the firm's managers (and its referent), each
    greeted by name; return the outbox's e-mails. All are queued, or none."""
    return [
        email_queue(
            to=user.email,
            template=template,
            context={**context, "firm": firm, "name": person_name(user)},
        )
        for user in firm_notice_recipients(firm=firm, with_referent=with_referent)
    ]


@shared_task(base=RetryPolicyTask, name="partners.direkt_lock_notice", autoretry_for=(Exception,))
def direkt_lock_notice_task(firm_id: int) -> None:
    """E-mail the referent and every manager of the firm that its GRID is locked (through the
    outbox, which tries each e-mail until the mail server takes it)."""
    firm = PartnerFirm.objects.select_related("referent").get(pk=firm_id)
    event = DirektLockEvent.objects.filter(firm=firm, kind=DirektLockEvent.Kind.LOCKED).first()
    firm_notice_queue(
        firm=firm,
        template="partners/email/grid_locked",
        context={
            "locked_at": event.at if event else None,
            "failures": event.failure_count if event else settings.DIREKT_LOCK_AFTER_FAILURES,
        },
        with_referent=True,
    )
