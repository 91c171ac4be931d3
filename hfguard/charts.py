"""Plain SVG charts of the history and of shares (no library, no script): the trend over nights and a bar.

Every text that enters the SVG is escaped; numbers are formatted here. A night with a missing shard
is drawn as a hollow point whose tooltip says so (its figures count only the model types with results).
"""

from __future__ import annotations

from html import escape
from typing import Any

WIDTH, HEIGHT, PAD = 640, 240, 40
SERIES = (("passing_pct", "passing", "#2a7d2e"), ("generated_pct", "generated", "#1f5fa8"))


def render_trend(points: list[dict[str, Any]], title: str = "hfguard coverage over time") -> str:
    """A line chart of the passing and generated percentages over the nights, 0-100 % on the y axis."""
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    step = plot_w / max(len(points) - 1, 1)

    def x(index: int) -> float:
        return PAD + index * step

    def y(pct: float) -> float:
        return PAD + plot_h * (1 - pct / 100)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label="{escape(title)}" font-family="Verdana,DejaVu Sans,sans-serif" font-size="10">',
             f"<title>{escape(title)}</title>", f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>']
    for pct in (0, 25, 50, 75, 100):
        parts.append(f'<line x1="{PAD}" y1="{y(pct):.1f}" x2="{WIDTH - PAD}" y2="{y(pct):.1f}" stroke="#ddd"/>'
                     f'<text x="{PAD - 4}" y="{y(pct) + 3:.1f}" text-anchor="end">{pct}%</text>')
    for rank, (key, label, color) in enumerate(SERIES):
        coords = " ".join(f"{x(i):.1f},{y(float(p.get(key, 0))):.1f}" for i, p in enumerate(points))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{coords}"><title>{label}</title></polyline>')
        parts.append(f'<text x="{PAD + 90 * rank}" y="{PAD - 12}" fill="{color}">{label} %</text>')
    for index, point in enumerate(points):
        missing = point.get("missing_shards") or []
        fill = "#fff" if missing else SERIES[0][2]
        note = f" — shard {', '.join(map(str, missing))} of {point.get('shards')} missing" if missing else ""
        tip = (f"night {point.get('night', index + 1)}, {point.get('date', '')}: {point.get('passing', '?')} of "
               f"{point.get('total', '?')} passing ({float(point.get('passing_pct', 0)):g}%){note}")
        parts.append(f'<circle class="night" cx="{x(index):.1f}" cy="{y(float(point.get("passing_pct", 0))):.1f}" r="3.5" '
                     f'fill="{fill}" stroke="{SERIES[0][2]}" stroke-width="1.5"><title>{escape(tip)}</title></circle>')
    if points:
        parts.append(f'<text x="{PAD}" y="{HEIGHT - PAD + 16}">{escape(str(points[0].get("date", "")))}</text>'
                     f'<text x="{WIDTH - PAD}" y="{HEIGHT - PAD + 16}" text-anchor="end">{escape(str(points[-1].get("date", "")))}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def render_bar(part: int, whole: int, width: int = 120) -> str:
    """A one-line SVG bar: ``part`` of ``whole`` filled, the rest grey."""
    share = part / whole if whole else 0.0
    filled = round(width * share, 1)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="bar" viewBox="0 0 {width} 10" width="{width}" height="10" role="img" aria-label="{part} of {whole}">'
            f'<rect width="{width}" height="10" fill="#e3e3e3"/><rect width="{filled}" height="10" fill="#2a7d2e"/></svg>')
