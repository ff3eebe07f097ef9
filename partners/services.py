"""Writes on partner firms and their Direkt codes.

Every write a referent or an administrator makes on a firm has ONE public entry point here:
``firm_update`` (the firm's data), ``manager_invite`` / ``manager_grant`` (a manager's
authority), ``manager_revoke``, ``grid_unlock`` and ``firm_reregistration_start``. Each checks
who may do it (``partners.access``: the firm's referent, an administrator, for managers also the
firm's leader), writes a ``FirmAuditEntry`` (who, when, from which address, why) and e-mails the
firm's managers and its referent. The portal and the admin call these, never a lower level.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import direkt
from .access import ensure_may_care_for, ensure_may_manage_managers, is_administrator, may_care_for
from .models import DirektCode, FirmAuditEntry, ManagerInvitation, PartnerFirm, PartnerManager


def direkt_code_policy_errors(*, firm: PartnerFirm, role: str, code: str) -> list[str]:
    """Return the policy rules that ``code`` breaks for the firm's ``role`` (codes of
    ``direkt.POLICY_MESSAGES``); empty when the code may be set."""
    if not direkt.CODE_RE.match(code):
        return ["format"]
    errors = []
    if direkt.is_trivial(code):
        errors.append("trivial")
    own = DirektCode.objects.filter(firm=firm, role=role).order_by("-created_at")
    if any(
        direkt.hash_matches(grid=firm.grid, salt=c.salt, code_hash=c.code_hash, code=code)
        for c in own[: direkt.HISTORY_DEPTH]
    ):
        errors.append("reused")
    other = DirektCode.objects.filter(firm=firm, retired_at__isnull=True).exclude(role=role).first()
    if other and direkt.hash_matches(
        grid=firm.grid, salt=other.salt, code_hash=other.code_hash, code=code
    ):
        errors.append("same_as_other_role")
    return errors


@transaction.atomic
def _direkt_code_set(*, firm: PartnerFirm, role: str, code: str, by=None) -> DirektCode:
    """Make ``code`` the firm's active code for ``role``, retiring the previous one (the
    audited entry points are ``firm_register`` and ``direkt_code_rotate``).

    Raises ``ValidationError`` (with the policy's messages) when the code breaks the policy;
    then nothing changes. The firm row is locked so that two parallel changes serialise.
    """
    PartnerFirm.objects.select_for_update().get(pk=firm.pk)
    errors = direkt_code_policy_errors(firm=firm, role=role, code=code)
    if errors:
        raise ValidationError([ValidationError(direkt.POLICY_MESSAGES[e], code=e) for e in errors])
    now = timezone.now()
    DirektCode.objects.filter(firm=firm, role=role, retired_at__isnull=True).update(retired_at=now)
    salt = direkt.new_salt()
    return DirektCode.objects.create(
        firm=firm,
        role=role,
        salt=salt,
        code_hash=direkt.keyed_hash(grid=firm.grid, salt=salt, code=code),
        created_by=by,
    )


# --- The partner portal (registration, rotation, managers, recovery) ----------------------------


class PortalError(ValidationError):
    """A portal action that cannot be done in the firm's present state (nothing changed)."""


def _audit(
    *,
    firm: PartnerFirm,
    action: str,
    by,
    ip: str | None,
    roles: str = "",
    detail="",
    calling_number: str = "",
):
    return FirmAuditEntry.objects.create(
        firm=firm,
        action=action,
        by=by,
        ip_address=ip or None,
        calling_number=calling_number,
        roles=roles,
        detail=detail[:300],
    )


def _notify_managers(entry: FirmAuditEntry) -> None:
    from .tasks import firm_change_notice_task

    firm_change_notice_task.delay_on_commit(entry.pk)


def invitation_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def manager_invite(
    *, firm: PartnerFirm, email: str, is_leader: bool, by, ip: str | None = None
) -> tuple[ManagerInvitation, str]:
    """Invite ``email`` to become a manager of ``firm``; return the invitation and its token.

    Side effects: withdraws earlier open invitations of the same address for the firm, writes
    the audit entry and queues the e-mail with the single-use link (the token exists only there
    and in the return value; the database keeps its digest).
    """
    ensure_may_manage_managers(user=by, firm=firm)
    if is_leader and not may_care_for(user=by, firm=firm):
        raise PermissionDenied  # a leader invites colleagues; leaders come from the referent
    now = timezone.now()
    email = email.strip()
    ManagerInvitation.objects.filter(
        firm=firm, email__iexact=email, accepted_at__isnull=True, withdrawn_at__isnull=True
    ).update(withdrawn_at=now)
    token = secrets.token_urlsafe(32)
    invitation = ManagerInvitation.objects.create(
        firm=firm,
        email=email,
        is_leader=is_leader,
        token_hash=invitation_token_digest(token),
        invited_by=by,
        expires_at=now + timedelta(hours=settings.PARTNER_INVITATION_HOURS),
    )
    entry = _audit(
        firm=firm, action=FirmAuditEntry.Action.MANAGER_INVITED, by=by, ip=ip, detail=email
    )
    _notify_managers(entry)
    from .tasks import manager_invitation_email

    transaction.on_commit(
        lambda: manager_invitation_email(invitation_id=invitation.pk, token=token)
    )
    return invitation, token


def invitation_for_token(*, token: str, lock: bool = False) -> ManagerInvitation | None:
    """Return the open invitation with this token, or None if unknown, used, withdrawn or
    expired (the caller cannot tell which)."""
    rows = ManagerInvitation.objects.select_related("firm")
    if lock:
        rows = rows.select_for_update(of=("self",))
    invitation = rows.filter(
        token_hash=invitation_token_digest(token),
        accepted_at__isnull=True,
        withdrawn_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).first()
    return invitation


@transaction.atomic
def manager_invitation_accept(
    *, token: str, username: str, password: str, first_name: str = "", last_name: str = ""
):
    """Create the invited person's login and make them a manager of the firm.

    Raises ``PortalError`` when the link is no longer valid. Side effects: a new user in the
    partner manager role (without a second factor yet: the first login enrols one), an active
    ``PartnerManager`` row, the invitation marked used, an audit entry.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    invitation = invitation_for_token(token=token, lock=True)
    if invitation is None:
        raise PortalError(_("This invitation link is not valid any more."), code="invalid")
    user = get_user_model().objects.create_user(
        username=username,
        password=password,
        email=invitation.email,
        first_name=first_name,
        last_name=last_name,
    )
    user.groups.add(Group.objects.get(name="partner_manager"))
    PartnerManager.objects.create(
        firm=invitation.firm,
        user=user,
        is_leader=invitation.is_leader,
        authorised_by=invitation.invited_by,
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    entry = _audit(
        firm=invitation.firm,
        action=FirmAuditEntry.Action.MANAGER_JOINED,
        by=user,
        ip=None,
        detail=user.username,
    )
    _notify_managers(entry)
    return user


@transaction.atomic
def manager_grant(
    *, firm: PartnerFirm, user, is_leader: bool, by, reason: str, ip: str | None = None
) -> PartnerManager:
    """Make an existing partner manager's login a manager of ``firm`` (an administrator's or
    the firm's referent's decision; a new person is invited with ``manager_invite``).

    Raises ``PermissionDenied`` unless ``by`` cares for the firm, ``ValidationError`` without a
    reason, for a login outside the partner manager role or one that already manages the firm.
    Side effects: the ``PartnerManager`` row, an audit entry, the managers' and referent's
    e-mail.
    """
    ensure_may_care_for(user=by, firm=firm)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason.")]})
    if not user.groups.filter(name="partner_manager").exists():
        raise ValidationError(
            {"user": [_("Only a partner manager's login can manage a firm.")]}, code="role"
        )
    PartnerFirm.objects.select_for_update().get(pk=firm.pk)
    if PartnerManager.objects.filter(firm=firm, user=user, revoked_at__isnull=True).exists():
        raise ValidationError({"user": [_("This login already manages the firm.")]})
    manager = PartnerManager.objects.create(
        firm=firm, user=user, is_leader=is_leader, authorised_by=by
    )
    entry = _audit(
        firm=firm,
        action=FirmAuditEntry.Action.MANAGER_GRANTED,
        by=by,
        ip=ip,
        detail=f"{user.username}{' (leader)' if is_leader else ''}: {reason.strip()}",
    )
    _notify_managers(entry)
    return manager


@transaction.atomic
def manager_revoke(*, manager: PartnerManager, by, ip: str | None = None, reason: str = "") -> None:
    """End ``manager``'s authority over the firm (the login stays, the firm is gone from it).

    Raises ``PermissionDenied`` unless ``by`` is the firm's referent, an administrator or the
    firm's leader. Side effects: the row's ``revoked_at``, an audit entry (with the reason, if
    given), an e-mail to the firm's managers and referent.
    """
    ensure_may_manage_managers(user=by, firm=manager.firm)
    if manager.revoked_at is not None:
        return
    manager.revoked_at = timezone.now()
    manager.save(update_fields=["revoked_at"])
    detail = manager.user.username + (f": {reason.strip()}" if reason.strip() else "")
    entry = _audit(
        firm=manager.firm,
        action=FirmAuditEntry.Action.MANAGER_REVOKED,
        by=by,
        ip=ip,
        detail=detail,
    )
    _notify_managers(entry)


# The firm's data a referent keeps up to date for their own firms; an administrator also the
# rest (the core systems' import brings these too: a change here holds until the next import).
REFERENT_FIRM_FIELDS = ("email", "fax", "postal_code", "city", "address_line")
ADMINISTRATOR_FIRM_FIELDS = (
    "name",
    "kind",
    "mnb_register_number",
    "status",
    "referent",
    *REFERENT_FIRM_FIELDS,
)


def _shown(value) -> str:
    if value in (None, ""):
        return "–"
    return getattr(value, "username", None) or str(value)


@transaction.atomic
def firm_update(
    *, firm: PartnerFirm, by, reason: str, changes: dict, ip: str | None = None
) -> FirmAuditEntry | None:
    """Change the firm's data: ``changes`` maps field names to new values.

    A referent changes ``REFERENT_FIRM_FIELDS`` of their own firms, an administrator
    ``ADMINISTRATOR_FIRM_FIELDS`` of any firm. Raises ``PermissionDenied`` for another firm or
    field, ``ValidationError`` without a reason or for an invalid value (nothing changes then).
    Returns the audit entry (None when nothing differed). Side effects: the firm's row, an audit
    entry naming each field's old and new value, the managers' and referent's e-mail.
    """
    ensure_may_care_for(user=by, firm=firm)
    allowed = ADMINISTRATOR_FIRM_FIELDS if is_administrator(by) else REFERENT_FIRM_FIELDS
    if set(changes) - set(allowed):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason.")]})
    locked = PartnerFirm.objects.select_for_update().get(pk=firm.pk)
    changed = []
    for field, value in changes.items():
        old = getattr(locked, field)
        if old != value:
            changed.append(f"{field}: {_shown(old)} → {_shown(value)}")
            setattr(locked, field, value)
    if not changed:
        return None
    others = [f.name for f in PartnerFirm._meta.fields if f.name not in changes]
    locked.clean_fields(exclude=others)
    locked.save(update_fields=list(changes))
    for field in changes:
        setattr(firm, field, getattr(locked, field))
    entry = _audit(
        firm=locked,
        action=FirmAuditEntry.Action.FIRM_CHANGED,
        by=by,
        ip=ip,
        detail=f"{reason.strip()} ({'; '.join(changed)})",
    )
    _notify_managers(entry)
    return entry


def _new_codes(*, firm: PartnerFirm, codes: dict[str, str | None]) -> dict[str, str]:
    """Fill in a random code for each role given as None, one that the policy accepts."""
    chosen = {role: code for role, code in codes.items() if code}
    for role, code in codes.items():
        if code:
            continue
        while True:
            candidate = direkt.random_code()
            if candidate in chosen.values():
                continue
            if not direkt_code_policy_errors(firm=firm, role=role, code=candidate):
                chosen[role] = candidate
                break
    return chosen


def _set_codes(*, firm: PartnerFirm, codes: dict[str, str], by) -> None:
    """Set several roles' codes at once; all or nothing, the policy's errors keyed by role."""
    errors: dict[str, list[ValidationError]] = {}
    for role, code in codes.items():
        try:
            with transaction.atomic():
                _direkt_code_set(firm=firm, role=role, code=code, by=by)
        except ValidationError as error:
            errors[role] = error.error_list
    roles = list(codes)
    if len(roles) == 2 and codes[roles[0]] == codes[roles[1]]:
        same = errors.setdefault(roles[1], [])
        if not any(e.code == "same_as_other_role" for e in same):
            same.append(
                ValidationError(
                    direkt.POLICY_MESSAGES["same_as_other_role"], code="same_as_other_role"
                )
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def firm_register(
    *,
    firm: PartnerFirm,
    by,
    terms_accepted: bool,
    staff_code: str | None = None,
    manager_code: str | None = None,
    ip: str | None = None,
) -> dict[str, str]:
    """Register the firm for GrATISZ: create its staff and manager Direkt codes.

    A code given as None is generated at random. Returns the new codes, for showing ONCE;
    nothing keeps them but their keyed hashes. Raises ``ValidationError`` (keyed by role, or
    ``terms`` / ``__all__``) when the terms are not accepted, the firm is already registered or
    a chosen code breaks the policy; then nothing changes. Side effects: the firm's
    ``registered_at``/``registered_by``, an audit entry with the IP, the managers' e-mail.
    """
    if not terms_accepted:
        raise ValidationError({"terms": [_("Accept the terms to register.")]})
    locked = PartnerFirm.objects.select_for_update().get(pk=firm.pk)
    if locked.registered_at is not None:
        raise PortalError(_("The firm is already registered."), code="registered")
    codes = _new_codes(
        firm=firm,
        codes={DirektCode.Role.STAFF: staff_code, DirektCode.Role.MANAGER: manager_code},
    )
    # A new registration starts from scratch: any codes still active are replaced.
    _set_codes(firm=firm, codes=codes, by=by)
    firm.registered_at = timezone.now()
    firm.registered_by = by
    firm.save(update_fields=["registered_at", "registered_by"])
    entry = _audit(
        firm=firm,
        action=FirmAuditEntry.Action.REGISTERED,
        by=by,
        ip=ip,
        roles="staff,manager",
        detail="terms accepted",
    )
    _notify_managers(entry)
    return codes


@transaction.atomic
def direkt_code_rotate(
    *,
    firm: PartnerFirm,
    codes: dict[str, str | None],
    by,
    ip: str | None = None,
    calling_number: str = "",
) -> dict[str, str]:
    """Replace the firm's code for each role in ``codes`` (None: a random one): the one entry
    point for a code change, from the portal (``by`` the manager, ``ip``) or by phone (a
    manager in the IVR's menu 3: ``by`` None, ``calling_number``).

    Returns the new codes, for showing once. Raises ``PortalError`` when the firm is not
    registered, ``ValidationError`` keyed by role when a code breaks the policy (nothing
    changes then). Side effects: old codes retired, an audit entry (who, when, address), an
    e-mail to every active manager of the firm (never with a code).
    """
    locked = PartnerFirm.objects.select_for_update().get(pk=firm.pk)
    if locked.registered_at is None:
        raise PortalError(_("Register the firm first."), code="not_registered")
    if not codes:
        raise ValidationError(_("Choose the code to change."))
    new = _new_codes(firm=firm, codes=codes)
    _set_codes(firm=firm, codes=new, by=by)
    entry = _audit(
        firm=firm,
        action=FirmAuditEntry.Action.CODE_ROTATED,
        by=by,
        ip=ip,
        roles=",".join(sorted(new)),
        calling_number=calling_number,
    )
    _notify_managers(entry)
    return new


@transaction.atomic
def firm_reregistration_start(*, firm: PartnerFirm, by, reason: str, ip: str | None = None):
    """Retire every code of a firm whose code is lost for good; registration starts again.

    Raises ``PermissionDenied`` unless ``by`` is the firm's referent or an administrator.
    Side effects: all active codes retired (the phone line refuses the firm until a manager
    registers again), ``registered_at`` cleared, an audit entry with the reason, the managers'
    and referent's e-mail.
    """
    ensure_may_care_for(user=by, firm=firm)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason.")]})
    PartnerFirm.objects.select_for_update().get(pk=firm.pk)
    DirektCode.objects.filter(firm=firm, retired_at__isnull=True).update(retired_at=timezone.now())
    firm.registered_at = None
    firm.registered_by = None
    firm.save(update_fields=["registered_at", "registered_by"])
    entry = _audit(
        firm=firm,
        action=FirmAuditEntry.Action.REREGISTRATION,
        by=by,
        ip=ip,
        roles="staff,manager",
        detail=reason.strip(),
    )
    _notify_managers(entry)


@transaction.atomic
def grid_unlock(*, grid: str, by, reason: str = "", ip: str | None = None):
    """Lift the lock of ``grid`` and reset its failure counter, and audit why.

    Allowed to the firm's active managers, its referent and administrators (only they unlock a
    GRID that no firm holds); a referent or administrator gives the reason. Raises
    ``PermissionDenied`` or ``ValidationError`` (no reason); then nothing changes. Side
    effects: the throttle row, a ``DirektLockEvent``, and for a firm's GRID an audit entry with
    the reason and address and the e-mail to the firm's managers and referent.
    """
    from .verification import _grid_unlock, direkt_unlock_allowed

    if not direkt_unlock_allowed(user=by, grid=grid):
        raise PermissionDenied
    firm = PartnerFirm.objects.filter(grid=grid).first()
    is_manager = (
        firm is not None
        and PartnerManager.objects.filter(firm=firm, user=by, revoked_at__isnull=True).exists()
    )
    if not is_manager and not reason.strip():
        raise ValidationError({"reason": [_("Give the reason.")]})
    throttle = _grid_unlock(grid=grid, by=by)
    if firm is not None:
        entry = _audit(
            firm=firm,
            action=FirmAuditEntry.Action.GRID_UNLOCKED,
            by=by,
            ip=ip,
            detail=reason.strip(),
        )
        _notify_managers(entry)
    return throttle
