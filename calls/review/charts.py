"""Charts drawn on the server as inline SVG: no script, no CDN, readable without colour.

Each chart names itself (``<title>``, the accessible name) and carries its figures as text
(``<desc>``), so that a screen reader reads the values the bars show. Text is 13 units high in
a 640-unit drawing, which the stylesheet never shows narrower than 560 px: at least 11 px."""

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _described(title: str, points: Sequence[tuple[str, float]], unit: str) -> str:
    figures = "; ".join(f"{label}: {_fmt(value)} {unit}".strip() for label, value in points)
    return f"<title>{escape(title)}</title><desc>{escape(figures or '–')}</desc>"


def bar_chart(
    points: list[tuple[str, float]],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    height: int = 200,
    top: float | None = None,
    target: float | None = None,
    target_label: str = "",
) -> SafeString:
    """Return an SVG column chart of ``points`` (label, value), e.g. calls per hour.

    ``top`` fixes the scale (100 for a percentage) instead of the largest value; ``target``
    draws a dashed horizontal line at that value, labelled ``target_label``."""
    pad_l, pad_b, pad_t = 44, 24, 20
    n = max(1, len(points))
    top = top or max([v for _l, v in points] + [target or 0, 0]) or 1
    slot = (width - pad_l) / n
    bar = max(2.0, slot * 0.7)
    plot_h = height - pad_b - pad_t
    label_every = max(1, math.ceil(n / 10))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">{_described(title, points, unit)}',
        f'<text class="axis" x="0" y="{pad_t - 6}">{escape(_fmt(top))} {escape(unit)}</text>',
        f'<line class="base" x1="{pad_l}" y1="{height - pad_b}" x2="{width}" '
        f'y2="{height - pad_b}"/>',
    ]
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top
        x = pad_l + i * slot + (slot - bar) / 2
        y = height - pad_b - h
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}">'
            f"<title>{escape(label)}: {escape(_fmt(value))} {escape(unit)}</title></rect>"
        )
        if i % label_every == 0:
            parts.append(
                f'<text class="label" x="{x + bar / 2:.1f}" y="{height - 6}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    if target is not None:
        # Drawn over the bars, with its own stroke: readable without the stylesheet's colours.
        y = height - pad_b - plot_h * min(target, top) / top
        parts.append(
            f'<line class="target" x1="{pad_l}" y1="{y:.1f}" x2="{width}" y2="{y:.1f}" '
            f'stroke="#a40000" stroke-width="1.5" stroke-dasharray="6 4">'
            f"<title>{escape(target_label)}: {escape(_fmt(target))} {escape(unit)}</title></line>"
            f'<text class="axis" x="{width - 4}" y="{y - 4:.1f}" text-anchor="end">'
            f"{escape(target_label)} {escape(_fmt(target))} {escape(unit)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped


def hbar_chart(
    points: Sequence[tuple[str, float]], *, title: str, unit: str = "", width: int = 640
) -> SafeString:
    """Return an SVG horizontal bar chart (one row per label), e.g. handling time per agent."""
    row, pad_l, pad_r = 24, 200, 80
    height = max(row, row * len(points)) + 4
    top = max([v for _l, v in points] + [0]) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">{_described(title, points, unit)}'
    ]
    for i, (label, value) in enumerate(points):
        y = i * row + 2
        w = (width - pad_l - pad_r) * value / top
        parts.append(
            f'<text class="label" x="{pad_l - 6}" y="{y + 16}" text-anchor="end">'
            f"{escape(label[:26])}</text>"
            f'<rect class="bar" x="{pad_l}" y="{y + 3}" width="{w:.1f}" height="{row - 6}"/>'
            f'<text class="value" x="{pad_l + w + 4:.1f}" y="{y + 16}">'
            f"{escape(_fmt(value))} {escape(unit)}</text>"
        )
    if not points:
        parts.append('<text class="label" x="4" y="16">–</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped
