"""Permission-scoped reads of the portal: a firm outside the user's scope does not exist."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from partners.access import is_administrator
from partners.models import (
    DirektCode,
    DirektLockEvent,
    DirektThrottle,
    FirmAuditEntry,
    ManagerInvitation,
    PartnerFirm,
    PartnerManager,
)


def managed_firms(*, user) -> QuerySet[PartnerFirm]:
    """Return the firms ``user`` manages through an active ``PartnerManager`` row."""
    return PartnerFirm.objects.filter(
        managers__user=user, managers__revoked_at__isnull=True
    ).distinct()


def managed_firm(*, user, grid: str) -> PartnerFirm:
    """Return the firm with ``grid`` if ``user`` manages it, else raise ``Http404``."""
    firm = managed_firms(user=user).filter(grid=grid).first()
    if firm is None:
        raise Http404
    return firm


def manager_row(*, user, firm: PartnerFirm) -> PartnerManager:
    return PartnerManager.objects.get(firm=firm, user=user, revoked_at__isnull=True)


def cared_firms(*, user) -> QuerySet[PartnerFirm]:
    """Return the firms whose referent is ``user`` (every firm for an administrator)."""
    firms = PartnerFirm.objects.all()
    if not is_administrator(user):
        firms = firms.filter(referent=user)
    return firms


def cared_firm(*, user, grid: str) -> PartnerFirm:
    firm = cared_firms(user=user).filter(grid=grid).first()
    if firm is None:
        raise Http404
    return firm


def firm_manager(*, firm: PartnerFirm, manager_id: int) -> PartnerManager:
    """Return the firm's active manager row ``manager_id``, else raise ``Http404``."""
    row = (
        PartnerManager.objects.select_related("user", "firm")
        .filter(firm=firm, pk=manager_id, revoked_at__isnull=True)
        .first()
    )
    if row is None:
        raise Http404
    return row


@dataclass(frozen=True)
class FirmSecurity:
    """What a firm's managers and referent see of its identification by phone."""

    is_locked: bool
    locked_at: object
    failure_count: int
    last_failure_at: object
    lock_events: list[DirektLockEvent]
    codes: list[DirektCode]


def firm_security(*, firm: PartnerFirm) -> FirmSecurity:
    """Return the lock state, the failures since the last success and the lock history."""
    throttle = DirektThrottle.objects.filter(grid=firm.grid).first()
    return FirmSecurity(
        is_locked=bool(throttle and throttle.locked_at),
        locked_at=throttle.locked_at if throttle else None,
        failure_count=throttle.failure_count if throttle else 0,
        last_failure_at=throttle.last_failure_at if throttle else None,
        lock_events=list(DirektLockEvent.objects.filter(grid=firm.grid).select_related("by")[:10]),
        codes=list(
            DirektCode.objects.filter(firm=firm, retired_at__isnull=True)
            .select_related("created_by")
            .order_by("role")
        ),
    )


def firm_managers(*, firm: PartnerFirm) -> QuerySet[PartnerManager]:
    return (
        PartnerManager.objects.filter(firm=firm, revoked_at__isnull=True)
        .select_related("user", "authorised_by")
        .order_by("-is_leader", "user__last_name", "user__username")
    )


def firm_open_invitations(*, firm: PartnerFirm) -> QuerySet[ManagerInvitation]:
    from django.utils import timezone

    return ManagerInvitation.objects.filter(
        firm=firm,
        accepted_at__isnull=True,
        withdrawn_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def firm_audit(*, firm: PartnerFirm, limit: int = 20) -> list[FirmAuditEntry]:
    return list(FirmAuditEntry.objects.filter(firm=firm).select_related("by")[:limit])


def referent_overview(*, user) -> list[dict]:
    """Return the referent's firms with registration state, managers, lock state and failures,
    in a fixed number of queries."""
    firms = list(
        cared_firms(user=user)
        .select_related("referent")
        .prefetch_related(
            Prefetch(
                "managers",
                queryset=PartnerManager.objects.filter(revoked_at__isnull=True).select_related(
                    "user"
                ),
                to_attr="active_managers",
            )
        )
        .order_by("name")
    )
    throttles = DirektThrottle.objects.in_bulk([f.grid for f in firms], field_name="grid")
    return [{"firm": firm, "throttle": throttles.get(firm.grid)} for firm in firms]
