"""The one path of every e-mail the product sends: write it from its templates, keep it, have
the mail worker send it, and record the final failure.

Certificate deliveries (which carry a PDF and keep their own delivery log) send through their
own transport, but classify the mail server's answer with ``smtp_failure`` and wait by the same
retry policy (``outbox.retry``).
"""

import datetime
import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Case, F, Q, TextField, Value, When
from django.template import Context, Engine
from django.utils import timezone, translation

from .enqueue import enqueue, enqueue_on_commit
from .models import Email
from .retry import retry_policy

logger = logging.getLogger(__name__)

# An e-mail never tried this long after it was written lost its task (the broker was down).
SWEEP_GRACE = datetime.timedelta(minutes=2)


class MailDeferred(Exception):
    """The mail server did not take the e-mail now; it is tried again later."""


@dataclass(frozen=True)
class SendFailure:
    """What a failed send means: ``permanent`` when trying again cannot help."""

    permanent: bool
    detail: str


def smtp_failure(exc: Exception) -> SendFailure:
    """Classify a mail server's error: a 5xx refusal (of every recipient) is permanent; a 4xx
    answer, a broken connection or a server that does not answer is temporary."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        word = "refused" if permanent else "deferred"
        return SendFailure(permanent, f"recipient {word}: {exc.recipients}")
    if isinstance(exc, smtplib.SMTPResponseException):
        return SendFailure(exc.smtp_code >= 500, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}")
    return SendFailure(False, f"SMTP unreachable: {exc}")


def email_render(*, template: str, context: dict, language: str | None = None) -> tuple[str, str]:
    """Return the subject and body of ``template`` (``<template>_subject.txt`` and
    ``<template>_body.txt``) in ``language`` (Hungarian unless the recipient's is known)."""
    context = {"phone": settings.GRATISZ_PHONE, **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = _render_text(f"{template}_subject.txt", context)
        body = _render_text(f"{template}_body.txt", context)
    return " ".join(subject.split())[:255], body.strip() + "\n"


def _render_text(name: str, context: dict) -> str:
    # Plain text: a firm called "Kovács & Társa" must not arrive as "Kovács &amp; Társa".
    return Engine.get_default().get_template(name).render(Context(context, autoescape=False))


def person_name(user, *, language: str | None = None) -> str:
    """Return the user's name as the language writes it (Hungarian: family name first), or ""
    when the user gave none."""
    first, last = user.first_name.strip(), user.last_name.strip()
    if (language or settings.LANGUAGE_CODE).startswith("hu"):
        return f"{last} {first}".strip()
    return f"{first} {last}".strip()


def email_queue(
    *,
    to: str,
    template: str,
    context: dict,
    language: str | None = None,
    scrub_body: bool = False,
) -> Email:
    """Write an e-mail from its templates and have the mail worker send it after the commit.

    Side effects: an ``Email`` row (queued); after the commit, the ``outbox.send`` task. If the
    broker is down the e-mail is kept all the same, and the sweep queues it once it is back.
    ``scrub_body`` empties the stored text once it is sent or failed (a single-use link).
    """
    language = language or settings.LANGUAGE_CODE
    subject, body = email_render(template=template, context=context, language=language)
    email = Email.objects.create(
        template=template,
        to=to,
        subject=subject,
        body=body,
        language=language,
        scrub_body=scrub_body,
        created_at=timezone.now(),
    )
    _enqueue(email.pk, on_commit=True)
    return email


def _enqueue(email_id: int, *, on_commit: bool = False) -> None:
    from .tasks import email_send_task

    queue = enqueue_on_commit if on_commit else enqueue
    queue(email_send_task, email_id, what=f"e-mail {email_id}")


def _body_when_done():
    return Case(When(scrub_body=True, then=Value("")), default=F("body"), output_field=TextField())


def email_send(*, email_id: int) -> str:
    """Send one queued e-mail, unless it was sent or another worker is sending it.

    The row stays locked while the mail server is asked (bounded by ``EMAIL_TIMEOUT``), so a
    second task for the same e-mail skips it; every try carries the same Message-ID. Side
    effects: the try counted on the row; sent, or failed for good when the mail server refuses
    it permanently. Raises ``MailDeferred`` when the mail server is down or asks to try later.
    """
    with transaction.atomic():
        email = (
            Email.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, state=Email.State.QUEUED)
            .first()
        )
        if email is None:
            return "nothing to send"
        now = timezone.now()
        tried = Email.objects.filter(pk=email.pk)
        message = EmailMessage(
            email.subject, email.body, None, [email.to], headers={"Message-ID": email.message_id}
        )
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as exc:
            failure = smtp_failure(exc)
            tried.update(attempts=F("attempts") + 1, tried_at=now, last_error=failure.detail[:500])
        else:
            tried.update(
                state=Email.State.SENT,
                attempts=F("attempts") + 1,
                tried_at=now,
                sent_at=now,
                last_error="",
                body=_body_when_done(),
            )
            return "sent"
    if failure.permanent:
        email_fail(email_id=email.pk, error=failure.detail)
        return "failed"
    raise MailDeferred(failure.detail)


def email_fail(*, email_id: int, error: str) -> bool:
    """Record that a queued e-mail failed for good (tries used up, or refused); return whether
    it was still queued. The e-mail stays with its error for the people who show it."""
    changed = Email.objects.filter(pk=email_id, state=Email.State.QUEUED).update(
        state=Email.State.FAILED,
        failed_at=timezone.now(),
        last_error=error[:500],
        body=_body_when_done(),
    )
    if changed:
        logger.error("e-mail %s failed for good: %s", email_id, error)
    return bool(changed)


def emails_sweep(*, now: datetime.datetime | None = None) -> list[int]:
    """Queue again the queued e-mails that no task is trying; return their ids.

    Catches an e-mail written while the broker was down and a worker that died with its task;
    one whose tries are used up is recorded as failed instead.
    """
    now = now or timezone.now()
    policy = retry_policy()
    idle = datetime.timedelta(seconds=policy.max_seconds) + SWEEP_GRACE * 2
    stalled = Email.objects.filter(state=Email.State.QUEUED).filter(
        Q(tried_at__isnull=True, created_at__lt=now - SWEEP_GRACE) | Q(tried_at__lt=now - idle)
    )
    ids = []
    for email_id, attempts, error in stalled.values_list("pk", "attempts", "last_error"):
        if policy.exhausted(attempts):
            email_fail(email_id=email_id, error=error or "no try left")
        else:
            ids.append(email_id)
            _enqueue(email_id)
    return ids
