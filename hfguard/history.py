"""The nightly history: one JSON line per night, enough to chart the trend and say "failing since night N".

A record (``schema`` 2) holds the night's number and provenance (date, commit, run, branch, event), the
headline counts (the keys of schema-1 points: ``total``, ``passing``, ``passing_pct``, ``generated_pct``,
``transformers``), counts per family and per check, every model type that did not pass with its status
(``not_passing``), and the model types without results because a shard is missing (``unknown``, with
``missing_shards`` and ``shards``). A model type absent from ``not_passing`` and ``unknown`` passed (or
did not exist) that night.

Reading history back trusts only records of the same branch and of scheduled or manual runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hfguard.errors import HfguardError, Problem
from hfguard.results import BROKEN, Night

SCHEMA = 2
TRUSTED_EVENTS = ("schedule", "workflow_dispatch")


def make_record(night: Night, previous: list[dict[str, Any]], *, date: str, sha: str = "", run_id: str = "", branch: str = "",
                event: str = "", unknown: set[str] = frozenset(), missing_shards: list[int] = (), shards: int = 1) -> dict[str, Any]:
    """The history record of ``night`` (the model types in ``unknown`` have no result and count nowhere)."""
    counted = night.without(set(unknown))
    results = list(counted.models.values())
    total = len(results)
    passing = sum(r.status == "passing" for r in results)
    generated = sum(r.status != "missing" for r in results)
    families: dict[str, list[int]] = {}
    for result in results:
        row = families.setdefault(result.family, [0, 0])
        row[0] += 1
        row[1] += result.status == "passing"
    checks: dict[str, list[int]] = {}
    for result in results:
        for check_id, check in result.checks.items():
            row = checks.setdefault(check_id, [0, 0])
            row[0] += check.status != "not-applicable"
            row[1] += check.status == "passed"
    return {
        "schema": SCHEMA, "night": max((int(p.get("night", 0)) for p in previous), default=0) + 1 if previous else 1,
        "date": date, "sha": sha, "run_id": run_id, "branch": branch, "event": event,
        "transformers": night.transformers_version, "total": total, "passing": passing,
        "passing_pct": _pct(passing, total), "generated_pct": _pct(generated, total),
        "families": dict(sorted(families.items())), "checks": dict(sorted(checks.items())),
        "not_passing": {r.model_type: r.status for r in sorted(results, key=lambda r: r.model_type) if r.status != "passing"},
        "unknown": sorted(unknown), "missing_shards": sorted(missing_shards), "shards": shards,
    }


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def read_history(path: Path, branch: str | None = None, events: tuple[str, ...] | None = None) -> tuple[list[dict[str, Any]], int]:
    """The records at ``path`` (none when it does not exist), oldest first, and how many were not trusted.

    With ``branch``, only records of that branch count; with ``events``, only records of those events.
    """
    if not path.is_file():
        return [], 0
    records, dropped = [], 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise HfguardError(Problem(f"not a JSON line: {error.msg}", path, number, error.colno)) from None
        if not isinstance(record, dict):
            raise HfguardError(Problem("a history line must be a JSON object", path, number))
        if (branch is not None and record.get("branch") != branch) or (events is not None and record.get("event") not in events):
            dropped += 1
            continue
        records.append(record)
    return records, dropped


def append_record(path: Path, record: dict[str, Any]) -> None:
    """Add ``record`` as the last line of the history at ``path`` (created when missing); earlier lines stay as they are."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if text and not text.endswith("\n"):
        text += "\n"
    path.write_text(text + json.dumps(record, sort_keys=True) + "\n", encoding="utf-8")


def failing_since(records: list[dict[str, Any]], model_type: str) -> dict[str, Any] | None:
    """The first record of the unbroken run of nights, up to the newest, in which ``model_type`` failed or errored.

    A night without a result for it (its shard missing) neither breaks nor starts the run. None when it
    did not fail in the newest night that has a result for it.
    """
    since = None
    for record in reversed(records):
        if model_type in record.get("unknown", ()):
            continue
        if record.get("not_passing", {}).get(model_type) in BROKEN:
            since = record
        else:
            break
    return since
