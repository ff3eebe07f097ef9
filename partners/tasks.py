"""Celery tasks of the partners app: they take ids, load, and queue the e-mails in the outbox.
No message holds a code."""

from celery import shared_task
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from outbox.services import email_queue, person_name
from outbox.tasks import RetryPolicyTask

# Registered here too, so that the worker (which discovers ``<app>.tasks``) knows it.
from .verification import direkt_lock_notice_task, firm_notice_queue

__all__ = ["direkt_lock_notice_task", "firm_change_notice_task", "manager_invitation_email"]

ROLE_NAMES = {"staff": _("staff code"), "manager": _("manager code")}


def manager_invitation_email(*, invitation_id: int, token: str) -> None:
    """Queue the e-mail with the invitation link (called after the commit).

    The token never goes to the broker (the task carries the e-mail's id), and the outbox
    keeps the text only until the mail server has it (``scrub_body``): the database keeps the
    token's digest, not the token.
    """
    from .models import ManagerInvitation

    invitation = ManagerInvitation.objects.select_related("firm", "invited_by").get(
        pk=invitation_id
    )
    inviter = invitation.invited_by
    email_queue(
        to=invitation.email,
        template="partners/email/invitation",
        context={
            "firm": invitation.firm,
            "inviter": person_name(inviter) or inviter.username,
            "expires_at": invitation.expires_at,
            "link": settings.PUBLIC_BASE_URL + reverse("partner-portal:invitation", args=[token]),
        },
        scrub_body=True,
    )


@shared_task(base=RetryPolicyTask, name="partners.firm_change_notice", autoretry_for=(Exception,))
def firm_change_notice_task(entry_id: int) -> None:
    """E-mail every active manager of the firm what changed: who, when, from which address
    (through the outbox, which tries each e-mail until the mail server takes it)."""
    from .models import FirmAuditEntry

    entry = FirmAuditEntry.objects.select_related("firm", "by").get(pk=entry_id)
    firm_notice_queue(
        firm=entry.firm,
        template="partners/email/firm_change",
        context={
            "action": entry.action,
            "what": FirmAuditEntry.Action(entry.action).label,
            "at": entry.at,
            "who": entry.who,
            "ip": entry.ip_address or "—",
            "roles": [ROLE_NAMES.get(r, r) for r in entry.roles.split(",") if r],
        },
        with_referent=entry.tells_referent,
    )
