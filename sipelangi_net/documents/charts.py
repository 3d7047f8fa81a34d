"""Small inline SVG charts (pure): the same markup in the HTML and the PDF.

Only rectangles, lines and text, so WeasyPrint draws them exactly; labels are escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import escape

COLORS = ("#1f4e79", "#7fa7d1", "#c55a11", "#70ad47")
FONT = 'font-family="DejaVu Sans, Liberation Sans, sans-serif"'


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[float, ...]


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` whose quarters are round too (1, 2, 4, 8, 10 x 10^k)."""
    if value <= 0:
        return 1.0
    scale = 1.0
    while scale * 10 <= value:
        scale *= 10
    while scale > value:
        scale /= 10
    for step in (1, 2, 4, 8, 10):
        if step * scale >= value:
            return step * scale
    return 10 * scale


def _fmt(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str,
    width: int = 560,
    height: int = 220,
) -> str:
    """Vertical grouped bars: one group per category, one bar per series, value labels on top."""
    left, right, top, bottom = 48, 10, 26, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for s in series for v in s.values), default=0.0) * 1.1)
    parts = [_open(width, height)]
    parts += _axis((left, top, plot_w, plot_h), top_value, unit)
    group_w = plot_w / max(len(categories), 1)
    bar_w = min(group_w * 0.8 / max(len(series), 1), 46)
    for i, label in enumerate(categories):
        x0 = left + i * group_w + (group_w - bar_w * len(series)) / 2
        for j, s in enumerate(series):
            value = s.values[i]
            h = plot_h * value / top_value
            x, y = x0 + j * bar_w, top + plot_h - h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}"'
                f' fill="{COLORS[j % len(COLORS)]}"/>'
            )
            parts.append(_text(x + (bar_w - 2) / 2, y - 3, _fmt(value), size=8, anchor="middle"))
        parts.append(_text(left + (i + 0.5) * group_w, top + plot_h + 13, label, size=8, anchor="middle"))
    parts += _legend([s.name for s in series], left, height - 8)
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    limits: Sequence[float],
    unit: str,
    value_name: str,
    limit_name: str,
    width: int = 560,
) -> str:
    """Horizontal bars (e.g. minutes per step) with a tick at each bar's limit (the standard)."""
    row_h, left, right, top = 16, 150, 50, 8
    height = top + row_h * len(labels) + 40
    plot_w = width - left - right
    top_value = _nice_max(max([*values, *limits, 0.0]) * 1.05)
    parts = [_open(width, height)]
    for i, (label, value, limit) in enumerate(zip(labels, values, limits, strict=True)):
        y = top + i * row_h
        w = plot_w * value / top_value
        over = value > limit
        parts.append(_text(left - 4, y + 11, label, size=8, anchor="end"))
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}"'
            f' fill="{COLORS[2] if over else COLORS[0]}"/>'
        )
        lx = left + plot_w * limit / top_value
        parts.append(
            f'<line x1="{lx:.1f}" y1="{y + 1}" x2="{lx:.1f}" y2="{y + row_h - 1}"'
            ' stroke="#000" stroke-width="1.5"/>'
        )
        parts.append(_text(left + w + 3, y + 11, _fmt(value), size=8))
    base = top + row_h * len(labels)
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#555"/>')
    parts.append(_text(left, base + 12, "0", size=8, anchor="middle"))
    parts.append(_text(left + plot_w, base + 12, f"{_fmt(top_value)} {unit}", size=8, anchor="middle"))
    parts += _legend([value_name, f"{limit_name} (garis)", "melebihi standar"], left, height - 8, over=True)
    parts.append("</svg>")
    return "".join(parts)


def _open(width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img">'
    )


def _axis(box: tuple[int, int, int, int], top_value: float, unit: str) -> list[str]:
    """Horizontal grid lines and values of a plot area ``box`` = (left, top, width, height)."""
    left, top, plot_w, plot_h = box
    out = []
    for k in range(5):
        value = top_value * k / 4
        y = top + plot_h - plot_h * k / 4
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}"'
            f' stroke="{"#555" if k == 0 else "#ddd"}" stroke-width="0.8"/>'
        )
        out.append(_text(left - 4, y + 3, _fmt(value), size=8, anchor="end"))
    out.append(_text(4, top - 12, unit, size=8))
    return out


def _legend(names: Sequence[str], x: float, y: float, *, over: bool = False) -> list[str]:
    out = []
    for i, name in enumerate(names):
        color = COLORS[i % len(COLORS)]
        if over:
            color = (COLORS[0], "#000", COLORS[2])[i % 3]
        out.append(f'<rect x="{x:.1f}" y="{y - 7:.1f}" width="9" height="9" fill="{color}"/>')
        out.append(_text(x + 12, y + 1, name, size=8))
        x += 24 + 5.2 * len(name)
    return out


def _text(x: float, y: float, text: str, *, size: int, anchor: str = "start") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" {FONT}>'
        f"{escape(text)}</text>"
    )
