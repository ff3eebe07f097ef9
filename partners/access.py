"""Who may write what on a partner firm: one answer for the portal, the admin and the services.

- An administrator (the ``administrator`` group, or a superuser) cares for every firm.
- A referent cares for the firms whose ``referent`` they are, and for no other.
- A firm's active leader may invite and revoke the firm's managers.

The services check these themselves, so a view or admin page that forgot a scope still cannot
change another firm.
"""

from django.core.exceptions import PermissionDenied

from .models import PartnerFirm, PartnerManager

ADMINISTRATOR_GROUP = "administrator"
CARE_FOR_PARTNERS = "gratisz.care_for_partners"


def is_administrator(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or user.groups.filter(name=ADMINISTRATOR_GROUP).exists()


def may_care_for(*, user, firm: PartnerFirm) -> bool:
    """Tell whether ``user`` may do a referent's writes on ``firm``."""
    if not getattr(user, "is_authenticated", False):
        return False
    if is_administrator(user):
        return True
    return firm.referent_id == user.pk and user.has_perm(CARE_FOR_PARTNERS)


def leads(*, user, firm: PartnerFirm) -> bool:
    """Tell whether ``user`` is an active leader of ``firm``."""
    return PartnerManager.objects.filter(
        firm=firm, user=user, is_leader=True, revoked_at__isnull=True
    ).exists()


def ensure_may_care_for(*, user, firm: PartnerFirm) -> None:
    if not may_care_for(user=user, firm=firm):
        raise PermissionDenied


def ensure_may_manage_managers(*, user, firm: PartnerFirm) -> None:
    """The firm's referent, an administrator, or the firm's active leader."""
    if not (may_care_for(user=user, firm=firm) or leads(user=user, firm=firm)):
        raise PermissionDenied
