"""Call durations as people read them: ``1:05`` (minutes:seconds), ``1:02:03`` past an hour."""

from django import template

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Format whole seconds as ``m:ss`` (``h:mm:ss`` from an hour); empty for no value."""
    if seconds is None or seconds == "":
        return ""
    minutes, secs = divmod(max(int(seconds), 0), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
