"""Charts drawn on the server as SVG: readable without JavaScript, with a table beside them
(the numbers themselves) for screen readers. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

# GOV.UK Design System colours with enough contrast on white.
BAR = "#1d70b8"
TEXT = "#0b0c0c"


def bar_chart(
    title: str, bars: Sequence[tuple[str, float]], unit: str = "£", width: int = 640
) -> str:
    """A horizontal bar chart: one labelled bar per (label, value)."""
    row, label_w, pad = 28, 200, 8
    height = max(1, len(bars)) * row + 2 * pad
    top = max((v for _, v in bars), default=0) or 1
    room = width - label_w - 120
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" class="maag-chart" '
        'style="font-family: inherit">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    for n, (label, value) in enumerate(bars):
        y = pad + n * row
        w = max(1, round(room * value / top)) if value > 0 else 0
        parts += [
            f'<text x="{label_w - 6}" y="{y + 18}" text-anchor="end" fill="{TEXT}" '
            f'font-size="14">{escape(label)}</text>',
            f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row - 10}" fill="{BAR}"/>',
            f'<text x="{label_w + w + 6}" y="{y + 18}" fill="{TEXT}" font-size="14">'
            f"{escape(money(value) if unit == '£' else f'{value:g}{unit}')}</text>",
        ]
    parts.append("</svg>")
    return "".join(parts)


def money(pence: float) -> str:
    return f"£{pence / 100:,.0f}"
