"""Coverage over time: a JSON-lines history (one line per nightly run) and its SVG line chart."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from hfguard.coverage import Report, summarize

WIDTH, HEIGHT, PAD = 640, 240, 40
SERIES = (("passing_pct", "passing", "#4c1"), ("generated_pct", "generated", "#007ec6"))


def append_history(path: Path, report: Report, sha: str, day: str) -> list[dict[str, Any]]:
    """Append the point of ``report`` (one per nightly run) to the history at ``path``; every point so far."""
    points = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] if path.is_file() else []
    counts = summarize(report.models.values())
    point = {"date": day, "sha": sha, "transformers": report.transformers_version, "total": counts["total"],
             "passing": counts["passing"], "passing_pct": counts["passing_pct"], "generated_pct": counts["generated_pct"]}
    points.append(point)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(p, sort_keys=True) + "\n" for p in points), encoding="utf-8")
    return points


def render_chart(points: list[dict[str, Any]]) -> str:
    """An SVG line chart of the passing and generated percentages over the points, 0-100 % on the y axis."""
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    step = plot_w / max(len(points) - 1, 1)

    def xy(index: int, pct: float) -> str:
        return f"{PAD + index * step:.1f},{PAD + plot_h * (1 - pct / 100):.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label="hfguard coverage over time" font-family="Verdana,DejaVu Sans,sans-serif" font-size="10">',
             "<title>hfguard coverage over time</title>", f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>']
    for pct in (0, 25, 50, 75, 100):
        y = PAD + plot_h * (1 - pct / 100)
        parts.append(f'<line x1="{PAD}" y1="{y:.1f}" x2="{WIDTH - PAD}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{PAD - 4}" y="{y + 3:.1f}" text-anchor="end">{pct}%</text>')
    for rank, (key, label, color) in enumerate(SERIES):
        coords = " ".join(xy(i, float(p.get(key, 0))) for i, p in enumerate(points))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{coords}"><title>{label}</title></polyline>')
        parts.append(f'<text x="{PAD + 90 * rank}" y="{PAD - 12}" fill="{color}">{label} %</text>')
    if points:
        parts.append(f'<text x="{PAD}" y="{HEIGHT - PAD + 16}">{escape(str(points[0]["date"]))}</text>'
                     f'<text x="{WIDTH - PAD}" y="{HEIGHT - PAD + 16}" text-anchor="end">{escape(str(points[-1]["date"]))}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
