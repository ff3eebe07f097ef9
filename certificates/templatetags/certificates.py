"""Hungarian formats for documents: dates "2026. 11. 27.", amounts "12 000 Ft"."""

import datetime

from django import template

register = template.Library()

NBSP = "\u00a0"


@register.filter
def hu_date(value) -> str:
    """Format an ISO date string or a date the Hungarian way: ``2026. 11. 27.``."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value[:10])
    return f"{value.year}. {value.month:02d}. {value.day:02d}."


@register.filter
def huf(value) -> str:
    """Format whole forints with thin grouping and the unit: ``12 000 Ft``."""
    if value is None or value == "":
        return ""
    grouped = f"{int(value):,}".replace(",", NBSP)
    return f"{grouped}{NBSP}Ft"


@register.simple_tag(takes_context=True)
def en(context, text: str) -> str:
    """Return `` / text`` (the English beside a Hungarian label) on a bilingual document."""
    return f" / {text}" if context.get("bilingual") else ""


@register.filter
def hu_percent(value) -> str:
    """Format a percentage with one decimal and a decimal comma: ``12,5%``."""
    if value is None or value == "":
        return "–"
    return f"{float(value):.1f}".replace(".", ",") + NBSP + "%"
