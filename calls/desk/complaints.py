"""Complaints ("panasz"): a call marked as a complaint keeps its recording and its ticket for
five years from the call, whatever the ordinary retention (``RECORDING_RETENTION_DAYS``).

Why five years: the insurance act (2014. évi LXXXVIII. törvény a biztosítási tevékenységről,
its complaint-handling rules) has the insurer record a complaint made by phone and keep the
recording and the complaint's record for five years; ordinary call recordings follow the
retention the insurer sets (source: /work/shared/domain/FACTS.md, "Complaints").

The call's agent marks it (on the call screen, during the call or at closing, also after the
call is closed); only a supervisor unmarks it, with a reason: a call marked by mistake would
otherwise keep personal data five years for nothing, and the unmarking is audited like the mark
(the row stays). Every purge of recordings or tickets asks ``complaint_kept_ticket_ids``.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.models import CallTicket

from .models import CallHandling, Complaint

# The insurance act's five years (see the module docstring); the law's figure, not a setting.
COMPLAINT_RETENTION_YEARS = 5
# Who may unmark a complaint: the supervisors (the review permission).
UNMARK_PERMISSION = "gratisz.review_calls"


class AlreadyComplaint(Exception):
    """The call is already marked as a complaint."""


def _years_later(moment: datetime.datetime, years: int) -> datetime.datetime:
    """Return ``moment`` shifted by ``years`` calendar years (29 February → 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def complaint_kept_until(*, ticket: CallTicket) -> datetime.date:
    """Return the last day (Budapest) a complaint call's recording and ticket are kept."""
    return _years_later(timezone.localtime(ticket.started_at), COMPLAINT_RETENTION_YEARS).date()


def complaint_in_force(*, ticket: CallTicket) -> Complaint | None:
    """Return the call's complaint mark in force, if any."""
    return (
        Complaint.objects.filter(ticket=ticket, unmarked_at__isnull=True)
        .select_related("marked_by")
        .first()
    )


def complaint_kept_ticket_ids(*, now: datetime.datetime | None = None) -> QuerySet:
    """Return (as a subquery) the ids of the calls a purge must keep for a complaint: marked
    and in force, started less than five years before ``now``."""
    now = now or timezone.now()
    since = _years_later(now, -COMPLAINT_RETENTION_YEARS)
    return Complaint.objects.filter(unmarked_at__isnull=True, ticket__started_at__gte=since).values(
        "ticket_id"
    )


def complaint_mark(*, handling: CallHandling, by, subject: str) -> Complaint:
    """Mark the call of ``handling`` as a complaint, by its agent, with a short subject.

    Open or closed call alike (the closed record is not changed: the mark is a row of its own).
    Raises ``PermissionDenied`` for anyone but the call's agent, ``ValidationError`` without a
    subject, ``AlreadyComplaint`` when a mark is in force. Side effect: the ``Complaint`` row
    (who, when), which keeps the recording and the ticket for five years.
    """
    if handling.agent_id != by.pk:
        raise PermissionDenied
    subject = " ".join(str(subject or "").split())
    if not subject:
        raise ValidationError(_("Give the subject of the complaint in a few words."))
    try:
        with transaction.atomic():
            return Complaint.objects.create(
                ticket_id=handling.ticket_id,
                subject=subject[:200],
                marked_by=by,
                marked_at=timezone.now(),
            )
    except IntegrityError as exc:  # a mark in force already (the partial unique constraint)
        raise AlreadyComplaint from exc


@transaction.atomic
def complaint_unmark(*, ticket: CallTicket, by, reason: str) -> Complaint:
    """Take the complaint mark off a call: supervisors only, with a reason.

    Raises ``PermissionDenied`` for anyone else, ``ValidationError`` without a reason,
    ``Complaint.DoesNotExist`` when no mark is in force. Side effect: the mark's row records
    who unmarked it, when and why (it is never deleted); the ordinary retention applies again.
    """
    if not by.has_perm(UNMARK_PERMISSION):
        raise PermissionDenied
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationError(_("Give the reason why the call is not a complaint."))
    complaint = Complaint.objects.select_for_update().get(ticket=ticket, unmarked_at__isnull=True)
    complaint.unmarked_by = by
    complaint.unmarked_at = timezone.now()
    complaint.unmark_reason = reason[:300]
    complaint.save(update_fields=["unmarked_by", "unmarked_at", "unmark_reason"])
    return complaint
