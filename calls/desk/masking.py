"""Personal data on the desk stays masked until the client is identified."""

from dataclasses import dataclass

from django.utils.formats import date_format

from partners.models import Policyholder


def mask(value: str, keep: int = 1) -> str:
    """Return ``value`` with each word cut to its first ``keep`` letters and stars."""
    words = str(value or "").split()
    return " ".join(w[:keep] + "•" * max(len(w) - keep, 2) for w in words) if words else "—"


@dataclass(frozen=True)
class HolderView:
    name: str
    kind: str
    birth_date: str
    tax_number: str
    address: str
    email: str
    phone: str
    identified: bool


def masked_holder(holder: Policyholder, *, identified: bool) -> HolderView:
    """Return the policyholder as the agent may see them now."""
    hidden = "•••"
    if identified:
        return HolderView(
            name=holder.name,
            kind=holder.get_kind_display(),
            birth_date=date_format(holder.birth_date) if holder.birth_date else "—",
            tax_number=holder.tax_number or "—",
            address=holder.postal_address,
            email=holder.email or "—",
            phone=holder.phone or "—",
            identified=True,
        )
    return HolderView(
        name=mask(holder.name),
        kind=holder.get_kind_display(),
        birth_date=hidden,
        tax_number=hidden,
        address=f"{holder.postal_code[:1]}••• {mask(holder.city)}",
        email=hidden,
        phone=hidden,
        identified=False,
    )
