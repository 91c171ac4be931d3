"""The nightly history: one JSON line per night, enough to chart the trend and say "failing since night N".

A record (``schema`` 2) holds the night's number and provenance (date, commit, run, branch, event), the
headline counts (the keys of schema-1 points: ``total``, ``passing``, ``passing_pct``, ``generated_pct``,
``transformers``), counts per family and per check, every model type that did not pass with its status
(``not_passing``), and the model types without results because a shard is missing (``unknown``, with
``missing_shards`` and ``shards``). A model type absent from ``not_passing`` and ``unknown`` passed (or
did not exist) that night.

Reading history back trusts only records of the same branch and of scheduled or manual runs, and leaves out (with
a note, counted) every line that is no valid record, so one damaged line never stops a later night.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

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
        "schema": SCHEMA, "night": max((p.get("night", 0) for p in previous), default=0) + 1 if previous else 1,
        "date": date, "sha": sha, "run_id": run_id, "branch": branch, "event": event,
        "transformers": night.transformers_version, "total": total, "passing": passing,
        "passing_pct": _pct(passing, total), "generated_pct": _pct(generated, total),
        "families": dict(sorted(families.items())), "checks": dict(sorted(checks.items())),
        "not_passing": {r.model_type: r.status for r in sorted(results, key=lambda r: r.model_type) if r.status != "passing"},
        "unknown": sorted(unknown), "missing_shards": sorted(missing_shards), "shards": shards,
    }


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


class History(NamedTuple):
    """What ``read_history`` found: the trusted records, and how many lines it left out and why."""

    records: list[dict[str, Any]]  # valid records of the branch and events asked for, oldest first
    untrusted: int  # valid records of another branch or event
    damaged: tuple[str, ...] = ()  # 'line N: why' of each line left out because it is no valid record
    last: dict[str, Any] | None = None  # the newest valid record, trusted or not: the night the data branch's files are of


# A record's fields and the type each must have when present (schema 1 points have only some of them).
_TEXT, _COUNT = (str,), "count"
FIELDS: dict[str, Any] = {
    "schema": _COUNT, "night": _COUNT, "date": _TEXT, "sha": _TEXT, "run_id": _TEXT, "branch": _TEXT, "event": _TEXT,
    "transformers": (str, type(None)), "total": _COUNT, "passing": _COUNT, "passing_pct": "percentage",
    "generated_pct": "percentage", "families": "pairs", "checks": "pairs", "not_passing": "statuses", "unknown": "names",
    "missing_shards": "counts", "shards": _COUNT,
}


def record_problem(record: dict[str, Any]) -> str:
    """What makes ``record`` no history record ('' when nothing): the first field of the wrong type."""
    def count(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53

    checks = {
        "count": count,
        "percentage": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 100,
        "pairs": lambda v: isinstance(v, dict) and all(isinstance(row, list) and len(row) == 2 and all(map(count, row)) for row in v.values()),
        "statuses": lambda v: isinstance(v, dict) and all(isinstance(status, str) for status in v.values()),
        "names": lambda v: isinstance(v, list) and all(isinstance(name, str) for name in v),
        "counts": lambda v: isinstance(v, list) and all(map(count, v)),
    }
    for key, kind in FIELDS.items():
        if key in record and not (isinstance(record[key], kind) if isinstance(kind, tuple) else checks[kind](record[key])):
            return f"{key!r} is {json.dumps(record[key])[:40]}, not {_KINDS.get(kind, 'text')}"
    return ""


_KINDS = {"count": "a whole number", "percentage": "a percentage from 0 to 100", "pairs": "an object of [count, count] pairs",
          "statuses": "an object of statuses", "names": "a list of names", "counts": "a list of whole numbers",
          (str, type(None)): "text or null"}


def read_history(path: Path, branch: str | None = None, events: tuple[str, ...] | None = None) -> History:
    """The records at ``path`` (none when it does not exist), oldest first.

    With ``branch``, only records of that branch are trusted; with ``events``, only records of those events. A line
    that is no valid record (not UTF-8, not a JSON object, a field of the wrong type) is left out and named in
    ``damaged``: the history comes from a data branch, and one bad line must not stop every later night.
    """
    if not path.is_file():
        return History([], 0)
    records, untrusted, damaged, last = [], 0, [], None
    for number, raw in enumerate(path.read_bytes().split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            damaged.append(f"line {number}: not UTF-8 text")
            continue
        except json.JSONDecodeError as error:
            damaged.append(f"line {number}: not a JSON line ({error.msg})")
            continue
        except RecursionError:
            damaged.append(f"line {number}: nested too deeply")
            continue
        problem = "not a JSON object" if not isinstance(record, dict) else record_problem(record)
        if problem:
            damaged.append(f"line {number}: {problem}")
            continue
        last = record
        if (branch is not None and record.get("branch") != branch) or (events is not None and record.get("event") not in events):
            untrusted += 1
            continue
        records.append(record)
    return History(records, untrusted, tuple(damaged), last)


def damaged_note(path: Path | str, damaged: tuple[str, ...]) -> str:
    """One line for the damaged lines of a history file: how many, and the first."""
    return (f"{len(damaged)} line{'s' if len(damaged) != 1 else ''} of {path} {'are' if len(damaged) != 1 else 'is'} no valid "
            f"history record and left out (first: {damaged[0]})")


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
