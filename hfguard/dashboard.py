"""The static dashboard: one folder of HTML, CSS, JS and SVG that works from ``file://`` and GitHub Pages.

``index.html`` is rendered here, every row and figure in it, with every text escaped; ``dashboard.js``
(no library, no network) only filters and searches the rows it finds in the page. The generated test
sources are copied beside it as ``sources/<file>.txt`` (plain text, which browsers show and never run).
``dashboard.json`` holds the same figures for machines.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from hfguard import __version__
from hfguard.charts import render_bar, render_trend
from hfguard.check_results import TEAM_PREFIX, skipped_for_tier, split_checks
from hfguard.compare import CATEGORIES, compare, reason
from hfguard.history import failing_since
from hfguard.results import Check, Night, TypeResult

ASSETS = ("dashboard.css", "dashboard.js")
STATUS_ORDER = ("failing", "error", "no-result", "missing", "xfail", "skipped", "passing")
CHECK_SYMBOLS = {"passed": "✓", "failed": "✗", "error": "!", "skipped": "–", "xfail": "x", "not-applicable": "·"}
SKIPPED = ("skipped", "xfail")  # did not run as a check (no accelerator, a missing package, a recorded upstream failure)


@dataclass
class Dashboard:
    """What one dashboard shows."""

    night: Night
    previous: Night | None = None
    history: list[dict[str, Any]] = field(default_factory=list)  # trusted records, oldest first, tonight's last if recorded
    upgrade: dict[str, Any] | None = None  # a ``compare`` of the pinned (A) and the other (B) transformers
    unknown: dict[str, str] = field(default_factory=dict)  # model type -> why it has no result (a missing shard)
    notes: list[str] = field(default_factory=list)  # shown on top (e.g. "shard 2 of 4 missing")
    title: str = "hfguard dashboard"


def build(dashboard: Dashboard, out: Path) -> Path:
    """Write the dashboard folder ``out``; the path of its ``index.html``."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ASSETS:
        (out / name).write_text(resources.files("hfguard").joinpath("report_assets", name).read_text(encoding="utf-8"), encoding="utf-8")
    sources = _copy_sources(dashboard.night, out / "sources")
    counted = dashboard.night.without(set(dashboard.unknown))
    changes = compare(dashboard.previous.without(set(dashboard.unknown)), counted, "previous night", "tonight") if dashboard.previous else None
    (out / "trend.svg").write_text(render_trend(dashboard.history), encoding="utf-8")
    html = _page(dashboard, counted, changes, sources)
    (out / "index.html").write_text(html, encoding="utf-8")
    data = {"tool": f"hfguard {__version__}", "transformers_version": dashboard.night.transformers_version,
            "notes": dashboard.notes, "overview": _overview(counted), "changes": changes, "upgrade": dashboard.upgrade,
            "history": dashboard.history[-1] if dashboard.history else None}
    (out / "dashboard.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return out / "index.html"


def _copy_sources(night: Night, target: Path) -> dict[str, str]:
    """Copy each model type's generated test into ``target`` as text; model type -> link relative to the page."""
    links = {}
    for name, result in night.models.items():
        if not result.file:
            continue
        source = Path(result.file) if Path(result.file).is_absolute() or night.root is None else night.root / result.file
        if not source.is_file():
            continue
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target / f"{source.name}.txt")
        links[name] = f"sources/{source.name}.txt"
    return links


def _overview(night: Night) -> dict[str, Any]:
    """Passing model types per family, and per check how many passed of those it applies to."""
    families: dict[str, dict[str, int]] = {}
    for result in night.models.values():
        row = families.setdefault(result.family, {"total": 0, "passing": 0, "broken": 0})
        row["total"] += 1
        row["passing"] += result.status == "passing"
        row["broken"] += result.broken
    checks: dict[str, dict[str, int]] = {}
    for result in night.models.values():
        for check_id, check in result.checks.items():
            row = checks.setdefault(check_id, {"ran": 0, "passed": 0, "failed": 0, "skipped": 0, "not_applicable": 0})
            if check.status == "not-applicable":
                row["not_applicable"] += 1
            elif check.status in SKIPPED:
                row["skipped"] += 1
            else:
                row["ran"] += 1
                row["passed"] += check.status == "passed"
                row["failed"] += check.status in ("failed", "error")
    passing = sum(r.status == "passing" for r in night.models.values())
    return {"model_types": len(night.models), "passing": passing, "families": dict(sorted(families.items())),
            "checks": dict(sorted(checks.items()))}


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _page(dashboard: Dashboard, counted: Night, changes: dict[str, Any] | None, sources: dict[str, str]) -> str:
    overview = _overview(counted)
    version = dashboard.night.transformers_version or "?"
    tonight = dashboard.history[-1] if dashboard.history else None
    night_label = f"night {tonight['night']} ({tonight.get('date', '')})" if tonight else datetime.now(timezone.utc).strftime("%Y-%m-%d")
    total, passing = overview["model_types"], overview["passing"]
    tier = "pull-request tier (nightly checks skipped)" if any(skipped_for_tier(check) for result in counted.models.values()
                                                              for check in result.checks.values()) else "every check"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(dashboard.title)}</title>",
        '<link rel="stylesheet" href="dashboard.css">',
        '<script src="dashboard.js" defer></script>',
        "</head><body>",
        f'<header><h1>{_e(dashboard.title)}</h1><p class="meta">transformers {_e(version)} · {_e(night_label)} · '
        f"hfguard {_e(__version__)} · checks run: {_e(tier)}</p></header>",
        "<main>",
    ]
    for note in dashboard.notes:
        parts.append(f'<p class="note" role="status">{_e(note)}</p>')
    parts += [
        '<section id="overview" aria-labelledby="overview-h"><h2 id="overview-h">Overview</h2>',
        f'<p class="headline"><strong>{passing}</strong> of <strong>{total}</strong> model types passing'
        f'{f" ({100 * passing / total:.1f}%)" if total else ""}</p>',
        '<div class="grid">', f'<div class="scroll">{_family_table(overview)}</div>', f'<div class="scroll">{_check_table(overview)}</div>', "</div>",
    ]
    if dashboard.history:
        parts += ['<figure class="trend">', render_trend(dashboard.history),
                  f"<figcaption>Passing and generated model types over {len(dashboard.history)} nights "
                  "(hollow points: a shard was missing)</figcaption></figure>"]
    parts.append("</section>")
    parts.append(_changes_section(changes))
    parts.append(_upgrade_section(dashboard.upgrade))
    parts.append(_table_section(dashboard, sources))
    parts += ["</main>", f'<footer>Made by hfguard {_e(__version__)}. Works offline; no data leaves this page.</footer>',
              "</body></html>"]
    return "\n".join(parts) + "\n"


def _summary_table(table_id: str, caption: str, columns: list[str], rows: list[tuple[str, list[Any], int, int]]) -> str:
    """A small table: a name per row, its figures, and a bar of ``passed`` of ``whole`` (none when nothing ran)."""
    head = "".join(f'<th scope="col">{_e(column)}</th>' for column in columns)
    lines = [f'<table class="summary" id="{table_id}"><caption>{_e(caption)}</caption>',
             f'<thead><tr>{head}<th scope="col" class="barcol">share</th></tr></thead><tbody>']
    for name, cells, passed, whole in rows:
        figures = "".join(f"<td>{_e(cell)}</td>" for cell in cells)
        bar = render_bar(passed, whole) if whole else '<span class="muted">skipped, did not run</span>'
        lines.append(f'<tr data-name="{_e(name)}"><th scope="row">{_e(name)}</th>{figures}<td class="barcol">{bar}</td></tr>')
    lines.append("</tbody></table>")
    return "\n".join(lines)


def _family_table(overview: dict[str, Any]) -> str:
    rows = [(family, [f"{row['passing']} / {row['total']}", row["broken"]], row["passing"], row["total"])
            for family, row in overview["families"].items()]
    return _summary_table("families", "Per family", ["family", "passing", "failing"], rows)


def _check_table(overview: dict[str, Any]) -> str:
    if not overview["checks"]:
        return ('<p class="muted" id="checks">No per-check results: these results predate per-check reporting '
                "(sweep results schema 2).</p>")
    builtin, team = split_checks(overview["checks"])
    tables = [_summary_table("checks", "Per check (passed of the model types it ran for)", ["check", "passed", "failed", "skipped", "n/a"],
                             _check_rows(overview, builtin))] if builtin else []
    if team:
        tables.append(_summary_table("team-checks", "Per team check (the team's own code; passed of the model types it ran for)",
                                     ["team check", "passed", "failed", "skipped", "n/a"], _check_rows(overview, team)))
    return "\n".join(tables)


def _check_rows(overview: dict[str, Any], checks: list[str]) -> list[tuple[str, list[Any], int, int]]:
    """Summary rows of ``checks`` (a team check named by its own id): passed of those it ran for ('—' when it ran for none)."""
    return [(check.removeprefix(TEAM_PREFIX), [f"{row['passed']} / {row['ran']}" if row["ran"] else "—", row["failed"], row["skipped"],
                                               row["not_applicable"]], row["passed"], row["ran"])
            for check in checks for row in [overview["checks"][check]]]


def _entry_list(entries: list[dict[str, Any]]) -> str:
    """One line per model type; a link to its row when tonight has one."""
    items = []
    for entry in entries:
        name = entry["model_type"]
        label = f'<a href="#m-{_e(name)}">{_e(name)}</a>' if entry["status"]["b"] else _e(name)
        status = f'{_e(entry["status"]["a"] or "—")} → {_e(entry["status"]["b"] or "—")}'
        why = reason(entry)
        shown = f' <span class="why">{_e(why)}</span>' if why else ""
        items.append(f'<li><code>{label}</code> <span class="muted">{status}</span>{shown}</li>')
    return "<ul>" + "".join(items) + "</ul>" if items else '<p class="muted">none</p>'


def _changes_section(changes: dict[str, Any] | None) -> str:
    parts = ['<section id="changes" aria-labelledby="changes-h"><h2 id="changes-h">What changed since the previous night</h2>']
    if changes is None:
        parts.append('<p class="muted">No previous night to compare with.</p>')
    else:
        for key in ("newly_failing", "fixed", "new", "removed", "not_swept", "family_changed"):
            if changes[key] or key != "not_swept":  # two nights of one registry sweep the same types: said only when not
                parts.append(f'<h3 class="{key}">{CATEGORIES[key]} ({len(changes[key])})</h3>{_entry_list(changes[key])}')
    parts.append("</section>")
    return "\n".join(parts)


def _upgrade_section(upgrade: dict[str, Any] | None) -> str:
    parts = ['<section id="upgrade" aria-labelledby="upgrade-h"><h2 id="upgrade-h">Upgrade view</h2>']
    if upgrade is None:
        parts.append('<p class="muted">No sweep under a second transformers version (hfguard compare).</p>')
    else:
        a, b = upgrade["a"], upgrade["b"]
        parts.append(f"<p>From <strong>{_e(a['label'])}</strong> (transformers {_e(a['transformers_version'])}: {a['passing']} of "
                     f"{a['model_types']} passing) to <strong>{_e(b['label'])}</strong> (transformers {_e(b['transformers_version'])}: "
                     f"{b['passing']} of {b['model_types']} passing).</p>")
        parts.append('<div class="scroll"><table class="diff" id="upgrade-table"><thead><tr><th scope="col">change</th><th scope="col">model type</th>'
                     '<th scope="col">family</th><th scope="col">A</th><th scope="col">B</th><th scope="col">why</th></tr></thead><tbody>')
        count = 0
        for key, title in CATEGORIES.items():
            for entry in upgrade[key]:
                count += 1
                family = entry["family"]["b"] or entry["family"]["a"]
                if key == "family_changed":
                    family = f"{entry['family']['a']} → {entry['family']['b']}"
                why = reason(entry)
                parts.append(f'<tr class="{key}"><td>{_e(title)}</td><td><code>{_e(entry["model_type"])}</code></td><td>{_e(family)}</td>'
                             f'<td class="a">{_e(entry["status"]["a"] or "—")}</td><td class="b">{_e(entry["status"]["b"] or "—")}</td>'
                             f'<td class="why">{_e(why)}</td></tr>')
        if not count:
            parts.append('<tr><td colspan="6">No model type changed.</td></tr>')
        parts.append("</tbody></table></div>")
    parts.append("</section>")
    return "\n".join(parts)


def _table_section(dashboard: Dashboard, sources: dict[str, str]) -> str:
    night = dashboard.night
    checks = night.checks()
    families = sorted({r.family for r in night.models.values()})
    statuses = [s for s in STATUS_ORDER if any(r.status == s for r in night.models.values())]
    options = "".join(f'<option value="{_e(f)}">{_e(f)}</option>' for f in families)
    status_options = "".join(f'<option value="{_e(s)}">{_e(s)}</option>' for s in statuses)
    builtin, team = split_checks(checks)  # the team's checks in a column group of their own, after hfguard's
    check_options = "".join(f'<option value="{_e(c)}">{_e(c)}</option>' for c in builtin)
    if team:
        check_options += ('<optgroup label="team checks">'
                          + "".join(f'<option value="{_e(c)}">{_e(c.removeprefix(TEAM_PREFIX))}</option>' for c in team) + "</optgroup>")
    check_status_options = "".join(f'<option value="{_e(s)}">{_e(s)}</option>' for s in CHECK_SYMBOLS)
    parts = [
        '<section id="models" aria-labelledby="models-h"><h2 id="models-h">Model types</h2>',
        '<form class="filters" id="filters" role="search">',
        '<label>Search <input type="search" id="q" placeholder="model type (press /)" autocomplete="off"></label>',
        f'<label>Family <select id="family"><option value="">all</option>{options}</select></label>',
        f'<label>Status <select id="status"><option value="">all</option><option value="broken">failing or error</option>{status_options}</select></label>',
    ]
    if checks:
        parts.append(f'<label>Check <select id="check"><option value="">any</option>{check_options}</select></label>')
        parts.append(f'<label>Check status <select id="check-status"><option value="">any</option>{check_status_options}</select></label>')
    parts += [
        '<button type="reset" id="reset">Clear</button>',
        f'<output id="count" aria-live="polite">{len(night.models)} of {len(night.models)} model types</output>',
        "</form>",
        '<div class="scroll"><table id="model-table">' + _columns(bool(team)) +
        '<thead><tr><th scope="col">model type</th><th scope="col">family</th><th scope="col">status</th>'
        '<th scope="col" title="checks passed of those that ran (not applicable and skipped ones apart)">checks</th>'
        + ('<th scope="col" class="team-checks" title="the team\'s own checks (hfguard.testing.team_check): passed of those that ran">'
           "team checks</th>" if team else "")
        + '<th scope="col">first error</th><th scope="col">failing since</th><th scope="col">test</th></tr></thead><tbody>',
    ]
    order = {status: rank for rank, status in enumerate(STATUS_ORDER)}
    for result in sorted(night.models.values(), key=lambda r: (order.get(r.status, 9), r.family, r.model_type)):
        parts.append(_row(dashboard, result, sources.get(result.model_type), bool(team)))
    parts += ["</tbody></table></div>", '<p id="empty" class="muted" hidden>No model type matches.</p>', "</section>"]
    return "\n".join(parts)


def _columns(team: bool) -> str:
    """The model table's columns; the team's checks, when any ran, in a column group of their own after hfguard's."""
    first, last = '<col class="w-name"><col class="w-family"><col class="w-status"><col class="w-checks">', '<col><col class="w-since"><col class="w-test">'
    if not team:
        return f"<colgroup>{first}{last}</colgroup>"
    return f'<colgroup>{first}</colgroup><colgroup class="team-checks"><col class="w-team"></colgroup><colgroup>{last}</colgroup>'


def _row(dashboard: Dashboard, result: TypeResult, source: str | None, team: bool) -> str:
    """One model type's row; with ``team``, its team checks in a cell of their own after hfguard's checks."""
    name = result.model_type
    status, message = result.status, result.message
    if name in dashboard.unknown:
        status, message = "no-result", dashboard.unknown[name]
    since = failing_since(dashboard.history, name) if result.broken and name not in dashboard.unknown else None
    since_text = f"night {since['night']} ({since.get('date', '')})" if since else ""
    link = f'<a href="{_e(source)}">source</a>' if source else ""
    outcomes = dict(sorted(result.checks.items()))
    builtin, team_checks = split_checks(outcomes)
    cells = _checks_cell({check: outcomes[check] for check in builtin}, "checks")
    if team:
        cells += _checks_cell({check: outcomes[check] for check in team_checks}, "team-checks")
    return (f'<tr id="m-{_e(name)}" data-name="{_e(name.lower())}" data-family="{_e(result.family)}" data-status="{_e(status)}">'
            f'<th scope="row"><code>{_e(name)}</code></th><td>{_e(result.family)}</td>'
            f'<td><span class="status {_e(status)}">{_e(status)}</span></td>{cells}'
            f'<td class="msg">{_e(message)}</td><td class="since">{_e(since_text)}</td><td class="test">{link}</td></tr>')


def _checks_cell(outcomes: dict[str, Check], kind: str) -> str:
    """Checks of one model type (hfguard's, or the team's: ``kind``), collapsed: passed of those that ran, a chip per
    failing check, and the rest (failed with their first line, expected failures, skipped, not applicable) behind a
    click. ``data-checks`` (check id:status) feeds the filters; a team check shows by its own id."""
    data = " ".join(f"{check}:{outcome.status}" for check, outcome in outcomes.items())
    if not outcomes:
        return f'<td class="{kind}" data-checks=""></td>'
    ran = [outcome for outcome in outcomes.values() if outcome.status not in (*SKIPPED, "not-applicable")]
    count = f"{sum(outcome.status == 'passed' for outcome in ran)} of {len(ran)}" if ran else "none ran"
    shown = {check: check.removeprefix(TEAM_PREFIX) for check in outcomes}
    chips = "".join(f' <span class="chip {outcome.status}">{CHECK_SYMBOLS[outcome.status]} {_e(shown[check])}</span>'
                    for check, outcome in outcomes.items() if outcome.status in ("failed", "error"))
    summary = f'<span class="count">{count}</span>{chips}'
    details = [f'<li class="{outcome.status}">{CHECK_SYMBOLS[outcome.status]} {_e(shown[check])}: {_e(outcome.status)}'
               f'{" — " + _e(outcome.message) if outcome.message else ""}</li>'
               for check, outcome in outcomes.items() if outcome.status != "passed"]
    if not details:
        return f'<td class="{kind}" data-checks="{_e(data)}">{summary}</td>'
    return f'<td class="{kind}" data-checks="{_e(data)}"><details><summary>{summary}</summary><ul>{"".join(details)}</ul></details></td>'
