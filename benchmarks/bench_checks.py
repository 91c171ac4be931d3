"""Per-check figures of a sweep: cost (JUnit seconds) and, per family, how many types each check applies to.

Reads a sweep's ``results.json`` (``hfguard sweep --out DIR``) and writes ``benchmarks/checks-results.md``: the
cost table, and the applicability of every check in the families whose template runs it. A family's own checks
(``common_checks`` of ``_base.j2`` and ``family_checks``) should apply to 90% of its types; the checks it runs
where the model supports them (``supported_checks``) are listed with their share, for information.

    python benchmarks/bench_checks.py DIR/results.json [--results FILE]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import statistics
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE.parent / "templates"
APPLIES = 0.90


def template_lists(name: str) -> dict[str, list[str]]:
    """The check lists a template sets (``{% set <name>_checks = [...] %}``)."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    return {m.group(1): ast.literal_eval(m.group(2)) for m in re.finditer(r"set (\w+_checks) = (\[[^\]]*\])", text, re.S)}


def family_kind(family: str, check: str) -> str:
    """``family`` when the family's template counts ``check`` as its own, ``supported`` when it runs it where supported."""
    base = template_lists("_base.j2")
    common = base["common_checks"]
    lists = template_lists(f"{family}.j2")
    if check in lists.get("supported_checks", []) or check in base.get("common_supported_checks", []):
        return "supported"
    return "family" if check in common or check in lists.get("family_checks", []) else "other"


def cost_table(models: list[dict]) -> list[str]:
    """Per check: total, median and largest JUnit seconds over the model types that ran it (not applicable too)."""
    seconds: dict[str, list[float]] = {}
    for model in models:
        for check, result in model["checks"].items():
            seconds.setdefault(check, []).append(result["seconds"])
    total = sum(sum(values) for values in seconds.values()) or 1.0
    lines = ["| check | total s | median s | max s | share |", "|---|---:|---:|---:|---:|"]
    for check, values in sorted(seconds.items(), key=lambda item: -sum(item[1])):
        lines.append(f"| {check} | {sum(values):.1f} | {statistics.median(values):.3f} | {max(values):.1f} | "
                     f"{100 * sum(values) / total:.0f}% |")
    return lines


def applicability(models: list[dict]) -> tuple[list[str], list[str]]:
    """Per (family, check) the share of the family's run types the check applies to; and the ones under the goal."""
    counts: dict[tuple[str, str], list[int]] = {}
    for model in models:
        if model["status"] == "skipped":  # never ran (a missing optional package): nothing to count
            continue
        for check, result in model["checks"].items():
            if result["status"] == "skipped":
                continue
            row = counts.setdefault((model["family"], check), [0, 0])
            row[1] += 1
            row[0] += result["status"] != "not-applicable"
    lines = ["| family | check | kind | applies to | of | share |", "|---|---|---|---:|---:|---:|"]
    short = []
    for (family, check), (applies, total) in sorted(counts.items()):
        share, kind = applies / total, family_kind(family, check)
        lines.append(f"| {family} | {check} | {kind} | {applies} | {total} | {100 * share:.0f}% |")
        if share < APPLIES and kind == "family":
            short.append(f"{family}/{check} {100 * share:.0f}%")
    return lines, short


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results_json", type=Path)
    parser.add_argument("--results", type=Path, default=HERE / "checks-results.md")
    args = parser.parse_args(argv)
    data = json.loads(args.results_json.read_text(encoding="utf-8"))
    models = data["models"]
    table, short = applicability(models)
    times = [m["seconds"] for m in models if m["status"] == "passing"]
    lines = [f"# Checks of a sweep: {len(models)} model types, transformers {data['transformers_version']}, "
             f"{data['wall_seconds']:.0f}s wall, median passing model {statistics.median(times):.2f}s", "",
             "## Cost per check (JUnit seconds; the first test of a file also builds the model)", "", *cost_table(models), "",
             f"## Applicability per family (goal for a family's own checks: {APPLIES:.0%}; under it: {', '.join(short) or 'none'})",
             "", *table]
    args.results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
