"""Celery tasks of the partners app: they take ids, load, and send. No message holds a code."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

# Registered here too, so that the worker (which discovers ``<app>.tasks``) knows it.
from .verification import direkt_lock_notice_task, firm_notice_recipients

__all__ = ["direkt_lock_notice_task", "firm_change_notice_task", "manager_invitation_email"]


def manager_invitation_email(*, invitation_id: int, token: str) -> None:
    """E-mail the invitation link. Sent at once after commit, not queued: the token must not
    sit in the broker, and nothing but this message ever holds it."""
    from .models import ManagerInvitation

    invitation = ManagerInvitation.objects.select_related("firm", "invited_by").get(
        pk=invitation_id
    )
    link = settings.PUBLIC_BASE_URL + reverse("partner-portal:invitation", args=[token])
    with translation.override(settings.LANGUAGE_CODE):
        when = formats.date_format(timezone.localtime(invitation.expires_at), "DATETIME_FORMAT")
        subject = gettext("GrATISZ: invitation to manage %(firm)s") % {"firm": invitation.firm.name}
        body = gettext(
            "Dear Partner,\n\n"
            "%(inviter)s invited you to manage the GrATISZ registration of %(firm)s "
            "(GRID %(grid)s): its Direkt codes and its call history.\n\n"
            "Open this link to choose your username and password (it works once, until "
            "%(when)s):\n%(link)s\n\n"
            "At your first login you will set up an authenticator app for the second factor.\n\n"
            "GrATISZ %(phone)s"
        ) % {
            "inviter": invitation.invited_by.get_full_name() or invitation.invited_by.username,
            "firm": invitation.firm.name,
            "grid": invitation.firm.grid,
            "when": when,
            "link": link,
            "phone": settings.GRATISZ_PHONE,
        }
    send_mail(subject, body, None, [invitation.email])


@shared_task(name="partners.firm_change_notice")
def firm_change_notice_task(entry_id: int) -> None:
    """E-mail every active manager of the firm what changed: who, when, from which address."""
    from .models import FirmAuditEntry

    entry = FirmAuditEntry.objects.select_related("firm", "by").get(pk=entry_id)
    firm = entry.firm
    with translation.override(settings.LANGUAGE_CODE):
        subjects = {
            FirmAuditEntry.Action.REGISTERED: gettext(
                "GrATISZ: %(firm)s is registered, its Direkt codes are set"
            ),
            FirmAuditEntry.Action.CODE_ROTATED: gettext(
                "GrATISZ: the Direkt code of GRID %(grid)s was changed"
            ),
            FirmAuditEntry.Action.REREGISTRATION: gettext(
                "GrATISZ: the Direkt codes of GRID %(grid)s were retired, register again"
            ),
            FirmAuditEntry.Action.MANAGER_REVOKED: gettext(
                "GrATISZ: a manager of %(firm)s was revoked"
            ),
        }
        subject = subjects.get(entry.action, gettext("GrATISZ: change at %(firm)s")) % {
            "firm": firm.name,
            "grid": firm.grid,
        }
        role_names = {"staff": gettext("staff code"), "manager": gettext("manager code")}
        roles = ", ".join(role_names.get(r, r) for r in entry.roles.split(",") if r)
        body = gettext(
            "Dear Partner,\n\n"
            "%(action)s — %(firm)s (GRID %(grid)s)\n"
            "When: %(when)s\nWho: %(who)s\nFrom: %(ip)s\n%(roles)s\n"
            "If nobody at your firm did this, change the Direkt codes at once in the partner "
            "portal and tell your referent.\n\n"
            "GrATISZ %(phone)s"
        ) % {
            "action": entry.get_action_display(),
            "firm": firm.name,
            "grid": firm.grid,
            "when": formats.date_format(timezone.localtime(entry.at), "DATETIME_FORMAT"),
            "who": (entry.by.get_full_name() or entry.by.username) if entry.by else "—",
            "ip": entry.ip_address or "—",
            "roles": (gettext("Codes: %(roles)s") % {"roles": roles} + "\n") if roles else "",
            "phone": settings.GRATISZ_PHONE,
        }
        if entry.action == FirmAuditEntry.Action.REREGISTRATION:
            body += "\n\n" + gettext(
                "Until a manager registers the firm again in the partner portal, nobody can "
                "identify with this GRID by phone."
            )
    for address in firm_notice_recipients(firm=firm, with_referent=entry.tells_referent):
        send_mail(subject, body, None, [address])
