"""Two nights compared (two transformers versions, or yesterday and today): per model type and per check.

Categories, each a list of model types sorted by name:

- ``newly_failing``: failing or error in B, not in A (present in both, with a result in both);
- ``fixed``: failing or error in A, passing in B;
- ``other_changes``: any other change of status (passing -> skipped, failing -> error, ...);
- ``new`` / ``removed``: only in B / only in A;
- ``family_changed``: in both, with another family;
- ``fixed_upstream``: in B, checks that pass although an upstream bug is recorded for them, measured on other
  transformers versions (news for the upgrade: the record can be scoped to the versions that still fail).

Per model type in both, every check whose status differs is listed (``checks``); per check id, how many
model types passed it in A and in B (``check_totals``).
"""

from __future__ import annotations

import json
from typing import Any

from hfguard.escape import GITHUB, TERMINAL, Markup
from hfguard.results import Night, TypeResult

SCHEMA_VERSION = 1
CATEGORIES = {
    "newly_failing": "Newly failing",
    "fixed": "Fixed",
    "other_changes": "Other status changes",
    "new": "New model types",
    "removed": "Removed model types",
    "family_changed": "Changed families",
    "fixed_upstream": "Fixed upstream (recorded transformers bugs that pass)",
}


def compare(a: Night, b: Night, label_a: str = "A", label_b: str = "B") -> dict[str, Any]:
    """How ``b`` differs from ``a`` (JSON-ready)."""
    both = sorted(set(a.models) & set(b.models))
    entries: dict[str, list[dict[str, Any]]] = {key: [] for key in CATEGORIES}
    for name in sorted(set(b.models) - set(a.models)):
        entries["new"].append(_entry(name, None, b.models[name]))
    for name in sorted(set(a.models) - set(b.models)):
        entries["removed"].append(_entry(name, a.models[name], None))
    for name in both:
        old, new = a.models[name], b.models[name]
        entry = _entry(name, old, new)
        if old.family != new.family:
            entries["family_changed"].append(entry)
        if "no-result" in (old.status, new.status):  # one side did not run it (a missing shard): no verdict
            if old.status != new.status:
                entries["other_changes"].append(entry)
        elif new.broken and not old.broken:
            entries["newly_failing"].append(entry)
        elif old.broken and new.status == "passing":
            entries["fixed"].append(entry)
        elif old.status != new.status:
            entries["other_changes"].append(entry)
        elif entry["checks"]:
            entries["other_changes"].append(entry)
    for name in sorted(b.models):
        news = [f"{check}: {result.message}" for check, result in sorted(b.models[name].checks.items())
                if result.status == "passed" and result.message]  # a passed check's message is this news only
        if news:
            entry = _entry(name, a.models.get(name), b.models[name])
            entry["message"] = {"a": "", "b": "; ".join(news)}
            entries["fixed_upstream"].append(entry)
    checks = sorted(set(a.checks()) | set(b.checks()))
    totals = {check: {"a": _passed(a, check), "b": _passed(b, check)} for check in checks}
    return {
        "schema_version": SCHEMA_VERSION,
        "a": {"label": label_a, "transformers_version": a.transformers_version, "model_types": len(a.models),
              "passing": sum(r.status == "passing" for r in a.models.values())},
        "b": {"label": label_b, "transformers_version": b.transformers_version, "model_types": len(b.models),
              "passing": sum(r.status == "passing" for r in b.models.values())},
        **entries,
        "check_totals": totals,
    }


def _entry(name: str, old: TypeResult | None, new: TypeResult | None) -> dict[str, Any]:
    """One model type's line: status, family and first error on each side, and the checks that changed."""
    changed = []
    if old is not None and new is not None and old.checks and new.checks:  # per check only where both sides have checks
        for check in sorted(set(old.checks) | set(new.checks)):
            before, after = old.checks.get(check), new.checks.get(check)
            if (before and before.status) != (after and after.status):
                changed.append({"check": check, "a": before.status if before else None, "b": after.status if after else None,
                                "message": (after.message if after else "") or (before.message if before else "")})
    return {
        "model_type": name,
        "family": {"a": old.family if old else None, "b": new.family if new else None},
        "status": {"a": old.status if old else None, "b": new.status if new else None},
        "message": {"a": old.message if old else "", "b": new.message if new else ""},
        "checks": changed,
    }


def _passed(night: Night, check: str) -> int:
    return sum(1 for r in night.models.values() if r.checks.get(check) is not None and r.checks[check].status == "passed")


def differs(comparison: dict[str, Any]) -> bool:
    """Whether anything changed at all."""
    return any(comparison[key] for key in CATEGORIES)


def render_json(comparison: dict[str, Any]) -> str:
    return json.dumps(comparison, indent=1, sort_keys=True) + "\n"


def reason(entry: dict[str, Any]) -> str:
    """The reason shown for a change: B's first error line, else A's, else the checks that changed."""
    message = entry["message"]["b"] or entry["message"]["a"]
    if message:
        return message
    return ", ".join(f"{c['check']}: {c['a']} -> {c['b']}" for c in entry["checks"][:4])


def _side(comparison: dict[str, Any], key: str) -> str:
    side = comparison[key]
    version = f" (transformers {side['transformers_version']})" if side["transformers_version"] else ""
    return f"{side['label']}{version}: {side['passing']} of {side['model_types']} passing"


def render_text(comparison: dict[str, Any]) -> str:
    """Plain text for a terminal: one line per change (names and messages as they read, control characters blanked)."""
    text = TERMINAL.text
    lines = [f"A = {text(_side(comparison, 'a'))}", f"B = {text(_side(comparison, 'b'))}"]
    for key, title in CATEGORIES.items():
        entries = comparison[key]
        lines.append(f"{title}: {len(entries)}")
        for entry in entries:
            if key == "family_changed":
                lines.append(text(f"  {entry['model_type']}: {entry['family']['a']} -> {entry['family']['b']}"))
                continue
            status = entry["status"]
            lines.append(text(f"  {entry['model_type']} [{entry['family']['b'] or entry['family']['a']}] {status['a'] or '-'} -> "
                              f"{status['b'] or '-'}{': ' + reason(entry) if reason(entry) else ''}"))
    if not differs(comparison):
        lines.append("no difference")
    return "\n".join(lines) + "\n"


def render_markdown(comparison: dict[str, Any], max_items: int | None = None, markup: Markup = GITHUB) -> str:
    """Markdown for ``markup``'s reader (a comment or an issue by default): a table per category; every text from the
    comparison (labels, versions, names, families, statuses, messages) escaped."""
    text, code = markup.text, markup.code
    lines = ["### hfguard upgrade check", "", f"- A: {text(_side(comparison, 'a'))}", f"- B: {text(_side(comparison, 'b'))}", ""]
    if not differs(comparison):
        return "\n".join([*lines, "No model type changed.", ""])
    for key, title in CATEGORIES.items():
        entries = comparison[key]
        if not entries:
            continue
        shown = entries if max_items is None else entries[:max_items]
        lines += [f"#### {title} ({len(entries)})", "", "| model type | family | A | B | why |", "|---|---|---|---|---|"]
        for entry in shown:
            family = entry["family"]["b"] or entry["family"]["a"]
            if key == "family_changed":
                family = f"{entry['family']['a']} → {entry['family']['b']}"
            status = entry["status"]
            lines.append(f"| {code(str(entry['model_type']), in_table=True)} | {text(str(family))} | {text(str(status['a'] or '—'))} | "
                         f"{text(str(status['b'] or '—'))} | {text(reason(entry)[:200])} |")
        if len(shown) < len(entries):
            lines.append(f"| … {len(entries) - len(shown)} more | | | | |")
        lines.append("")
    return "\n".join(lines)
