from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who logs in: insurer staff (agent, supervisor, referent, administrator) or a
    partner firm's manager. What they may do comes from their groups (see ``gratisz.roles``)."""

    # The agent's telephone extension: a PBX's CTI "answered by extension" event opens the call
    # on this agent's desk.
    extension = models.CharField(_("telephone extension"), max_length=20, blank=True)

    # django-stubs do not declare AbstractUser.Meta, which Django documents for this use.
    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["extension"], condition=~Q(extension=""), name="user_extension_unique"
            )
        ]

    def get_full_name(self) -> str:
        """Return the name in the order of the active language (see ``person_name``)."""
        return person_name(first_name=self.first_name, last_name=self.last_name)

    def __str__(self) -> str:
        """The person's name wherever a page names a user (an agent on a promise, who marked a
        complaint, who placed a hold); the login name only for a user without one."""
        return self.get_full_name() or self.username


def person_name(*, first_name: str, last_name: str) -> str:
    """Return a person's name as the active language writes it: family name first in Hungarian
    ("Kovács Anna"), given name first in English ("Anna Kovács")."""
    if (translation.get_language() or settings.LANGUAGE_CODE).startswith("hu"):
        parts = (last_name, first_name)
    else:
        parts = (first_name, last_name)
    return " ".join(p.strip() for p in parts if p and p.strip())


class Access(models.Model):
    """Hold the permissions that belong to no single table (the desk, reviews, partner care).

    Not a table: Django creates the permissions from ``Meta.permissions`` and the role groups
    receive them.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("use_desk", _("Can answer calls at the agent desk")),
            ("review_calls", _("Can review call logs, recordings and service levels")),
            ("care_for_partners", _("Can care for partner firms as their referent")),
            ("manage_own_firm", _("Can manage their own firm's GrATISZ registration")),
            ("use_demo_phone", _("Can place demo calls without a telephony provider")),
        ]

    def __str__(self) -> str:
        return "access"
