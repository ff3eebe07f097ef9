from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Email(models.Model):
    """One e-mail to one recipient, kept from the moment it is written until the mail server
    takes it (or it fails for good), with every try counted.

    Written by ``outbox.services.email_queue`` from the templates ``<template>_subject.txt``
    and ``<template>_body.txt``; sent by the ``outbox.send`` task, which tries again by the
    retry policy (``outbox.retry``). A record that must show its e-mails (a call's desk
    e-mails) links to them.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting to be sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed for good")

    template = models.CharField(_("template"), max_length=100)
    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=10)
    # The body holds a single-use link (a manager invitation): it is emptied once the mail
    # server has it, or the e-mail failed, so that the link does not stay in the database.
    scrub_body = models.BooleanField(_("text removed once sent"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.QUEUED)
    created_at = models.DateTimeField(_("created at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    tried_at = models.DateTimeField(_("last try"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(state="queued"), name="outbox_email_queued"
            )
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"

    @property
    def message_id(self) -> str:
        """The same Message-ID on every try, so a copy sent twice is recognisable as one."""
        return f"<email-{self.pk}@gratisz>"
