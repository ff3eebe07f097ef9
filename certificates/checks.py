"""Deployment checks of what the documents certify in the insurer's name."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_document_identifiers(app_configs, **kwargs):
    """Refuse a production that would issue green cards or certificates with the demo's
    placeholder bureau, insurer code or insurer identifiers: a foreign insurer or the bureau
    would reject them."""
    placeholders = [
        ("GREEN_CARD_BUREAU", "DEMO_GREEN_CARD_BUREAU", "the green card's issuing bureau (box 2)"),
        (
            "GREEN_CARD_INSURER_CODE",
            "DEMO_GREEN_CARD_INSURER_CODE",
            "the insurer's code in the green card bureau's register (box 4)",
        ),
        ("INSURER_TAX_NUMBER", "DEMO_INSURER_TAX_NUMBER", "the insurer's tax number"),
        (
            "INSURER_REGISTRATION_NUMBER",
            "DEMO_INSURER_REGISTRATION_NUMBER",
            "the insurer's company registration number",
        ),
    ]
    errors = []
    for n, (name, demo_name, what) in enumerate(placeholders, start=1):
        value = getattr(settings, name)
        if not value.strip() or value == getattr(settings, demo_name):
            errors.append(
                Error(
                    f"{name} is the demo placeholder.",
                    hint=f"Set {name} to {what}.",
                    id=f"certificates.E00{n}",
                )
            )
    return errors
