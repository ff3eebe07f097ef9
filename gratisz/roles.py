"""The roles of the system as Django groups, and the permissions each one holds."""

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Role(TextChoices):
    AGENT = "agent", _("agent")
    SUPERVISOR = "supervisor", _("supervisor")
    REFERENT = "referent", _("referent")
    PARTNER_MANAGER = "partner_manager", _("partner manager")
    ADMINISTRATOR = "administrator", _("administrator")


_PORTFOLIO_VIEW = [
    "partners.view_partnerfirm",
    "partners.view_policyholder",
    "partners.view_vehicle",
    "partners.view_contract",
    "partners.view_offer",
    "partners.view_invoice",
    "partners.view_payment",
    "partners.view_directdebitmandate",
    "claims.view_claim",
    "claims.view_adjuster",
]

# Certificates: see and resend the deliveries of one's own requests, download their PDFs.
_CERTIFICATES_OWN = [
    "certificates.view_delivery",
    "certificates.resend_delivery",
    "certificates.view_issuedcertificate",
]

# Permissions as "app_label.codename". The administrator gets every permission instead.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.AGENT: ["gratisz.use_desk", "gratisz.use_demo_phone", *_CERTIFICATES_OWN],
    Role.SUPERVISOR: [
        "gratisz.use_desk",
        "gratisz.review_calls",
        "gratisz.use_demo_phone",
        *_PORTFOLIO_VIEW,
        *_CERTIFICATES_OWN,
        "certificates.view_all_deliveries",
        "certificates.handle_mail",
    ],
    # Referents only read in the back office (their own firms); they write in the
    # partner portal's referent pages, through the audited services.
    Role.REFERENT: [
        "gratisz.care_for_partners",
        "partners.view_partnerfirm",
        "partners.view_partnermanager",
        "partners.view_direktcode",
    ],
    Role.PARTNER_MANAGER: ["gratisz.manage_own_firm"],
    Role.ADMINISTRATOR: [],
}

# Supervisors read call tickets (IVR path, verification attempts, recordings)
# and the GRID locks; referents unlock the GRIDs of their firms.
ROLE_PERMISSIONS[Role.SUPERVISOR] += [
    "calls.view_callticket",
    "calls.view_ivrstep",
    "calls.view_verificationattempt",
    "calls.view_callrecording",
    "calls.view_ctievent",
    "partners.view_direktthrottle",
    "partners.view_direktlockevent",
]
ROLE_PERMISSIONS[Role.REFERENT] += [
    "partners.view_direktthrottle",
    "partners.view_direktlockevent",
]

# Roles that work in the back office (Django admin); agents and partner managers do not.
STAFF_ROLES = {Role.SUPERVISOR, Role.REFERENT, Role.ADMINISTRATOR}


def sync_role_groups(**kwargs) -> None:
    """Give each role group exactly the permissions of ``ROLE_PERMISSIONS`` (after migrate).

    The groups are created by a migration; this keeps them true as apps add permissions later,
    and gives the administrator every permission that exists.
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    # Apps after this one in INSTALLED_APPS have not had their permissions created yet.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        if role == Role.ADMINISTRATOR:
            group.permissions.set(Permission.objects.all())
            continue
        pairs = [name.split(".") for name in names]
        perms = [
            Permission.objects.get(content_type__app_label=app, codename=code)
            for app, code in pairs
        ]
        group.permissions.set(perms)
