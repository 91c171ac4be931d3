"""``hfguard report``: the static coverage dashboard (HTML, CSS, JS, SVG) from sweep results and the history."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from hfguard.errors import run_reporting_errors


def build_parser() -> argparse.ArgumentParser:
    """Options of ``hfguard report``."""
    parser = argparse.ArgumentParser(
        prog="hfguard report",
        description=(
            "Build the dashboard folder: overview per family and per check, the trend over nights, every model type "
            "with its checks, first error and the night it started failing, what changed since the previous night, "
            "and the upgrade view. Opens from file:// and GitHub Pages; no network."
        ),
    )
    parser.add_argument("--results", type=Path, action="append", required=True, metavar="PATH",
                        help="tonight's sweep results.json (or its folder) or coverage report; repeat for shards")
    parser.add_argument("--previous", type=Path, metavar="PATH", help="the previous night's results, for 'what changed'")
    parser.add_argument("--history", type=Path, metavar="FILE", help="history.jsonl of earlier nights (trend, failing since)")
    parser.add_argument("--branch", help="trust only history records of this branch and of scheduled or manual runs")
    parser.add_argument("--record", action="store_true", help="append tonight to --history before building")
    upgrade = parser.add_mutually_exclusive_group()
    upgrade.add_argument("--upgrade", type=Path, metavar="PATH", help="results under another transformers version (the upgrade view)")
    upgrade.add_argument("--compare", type=Path, metavar="FILE", help="an 'hfguard compare --format json' output (the upgrade view)")
    parser.add_argument("--title", default="hfguard dashboard", help="page title")
    parser.add_argument("--out", type=Path, default=Path("hfguard-dashboard"), help="output folder (default: hfguard-dashboard)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """0 when the dashboard was written, 2 on bad input."""
    args = build_parser().parse_args(argv)
    return run_reporting_errors(lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    import json

    from hfguard import compare, dashboard, history
    from hfguard.errors import HfguardError, Problem
    from hfguard.results import load_night, merge_nights

    nights = [load_night(path) for path in args.results]
    night = nights[0] if len(nights) == 1 else merge_nights(nights)
    events = history.TRUSTED_EVENTS if args.branch else None
    read = history.read_history(args.history, args.branch, events) if args.history else history.History([], 0)
    records = read.records
    if read.damaged:
        print(f"hfguard: {history.damaged_note(args.history, read.damaged)}")
    if args.record:
        if args.history is None:
            raise HfguardError("--record needs --history FILE")
        records.append(history.make_record(night, records, date=time.strftime("%Y-%m-%d"), branch=args.branch or "",
                                           event="workflow_dispatch" if args.branch else ""))
        history.append_record(args.history, records[-1])
    upgrade = None
    if args.upgrade:
        other = load_night(args.upgrade)
        upgrade = compare.compare(night, other, "this sweep", f"transformers {other.transformers_version or '?'}")
    elif args.compare:
        try:
            upgrade = json.loads(args.compare.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise HfguardError(Problem(f"not an 'hfguard compare --format json' output: {error}", args.compare)) from None
        if not isinstance(upgrade, dict) or upgrade.get("schema_version") != compare.SCHEMA_VERSION:
            raise HfguardError(Problem(f"compare schema_version {upgrade.get('schema_version') if isinstance(upgrade, dict) else None!r}, "
                                       f"expected {compare.SCHEMA_VERSION}", args.compare))
    previous = load_night(args.previous) if args.previous else None
    index = dashboard.build(dashboard.Dashboard(night, previous, records, upgrade, title=args.title), args.out)
    print(f"hfguard: dashboard of {len(night.models)} model types written to {index}")
    return 0
