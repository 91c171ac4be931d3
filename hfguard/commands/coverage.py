"""``hfguard coverage``: model-type coverage (JSON, Markdown, SVG badge) and its delta; ``coverage merge``."""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from hfguard.errors import HfguardError, run_reporting_errors


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hfguard coverage",
        description=(
            "Coverage of the registry's model types: missing, generated (file compiles), and with --junit "
            "passing / failing / skipped. Prints Markdown. 'hfguard coverage merge A.json B.json -o OUT' joins shard reports. "
            "Exit 1 when --fail-under or --fail-on-drop trips."
        ),
    )
    add_report_arguments(parser)
    parser.add_argument("--json", type=Path, help="write the JSON report (schema_version, delta included) here")
    parser.add_argument("--markdown", type=Path, help="write the Markdown report here")
    parser.add_argument("--badge", type=Path, help="write an SVG badge of the headline figure here")
    parser.add_argument("--fail-under", type=percentage, metavar="PCT", help="exit 1 when the headline percentage is below PCT (0 to 100)")
    parser.add_argument("--fail-on-drop", action="store_true", help="exit 1 when coverage is lost, a model type newly fails, or a percentage drops")
    return parser


def percentage(text: str) -> float:
    """A percentage from 0 to 100 (``nan`` and ``inf`` are none: a threshold of nan never trips)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage from 0 to 100")
    return value


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared with ``hfguard comment``: where the head report and the base come from."""
    parser.add_argument("--config", type=Path, default=None, help="registry file (default: found from the current directory)")
    parser.add_argument("--junit", type=Path, action="append", default=[], metavar="FILE", help="pytest JUnit XML of the generated tests (repeatable)")
    base = parser.add_mutually_exclusive_group()
    base.add_argument("--base", metavar="REF", help="compare with the registry and files at the merge base of REF and HEAD (no test results)")
    base.add_argument("--base-report", type=Path, metavar="FILE", help="compare with a stored coverage JSON report")


def build_merge_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hfguard coverage merge", description="Join shard coverage reports of one revision into one.")
    parser.add_argument("reports", type=Path, nargs="+", help="shard report JSON files")
    parser.add_argument("-o", "--output", type=Path, help="write the merged JSON here (default: stdout)")
    return parser


def main(argv: list[str]) -> int:
    if argv[:1] == ["merge"]:
        return _merge(build_merge_parser().parse_args(argv[1:]))
    args = build_parser().parse_args(argv)

    def body() -> int:
        from hfguard import coverage
        from hfguard.atomic import write_atomic
        from hfguard.escape import TERMINAL

        if args.fail_on_drop and args.base is None and args.base_report is None:
            raise HfguardError("--fail-on-drop needs --base or --base-report")
        report = coverage.current_report(args.config, args.junit)
        delta = coverage.delta_against(report, args.base, args.base_report, args.config)
        from hfguard.github import run_url

        url = run_url(os.environ)
        if args.json:
            coverage.write_report(report, args.json, delta)
        if args.markdown:  # for GitHub (job summaries, comments); the terminal gets its own rendering
            write_atomic(args.markdown, coverage.render_markdown(report, delta, run_url=url))
        if args.badge:
            write_atomic(args.badge, coverage.render_badge(report))
        print(coverage.render_markdown(report, delta, run_url=url, markup=TERMINAL), end="")
        measure, pct = report.headline()
        failed = False
        if args.fail_under is not None and pct < args.fail_under:
            print(f"hfguard: {measure} coverage {pct}% is below --fail-under {args.fail_under:g}%", file=sys.stderr)
            failed = True
        reasons = coverage.drop_reasons(delta) if args.fail_on_drop and delta is not None else []
        if reasons:
            print(f"hfguard: coverage dropped against the base: {'; '.join(reasons)}", file=sys.stderr)
            failed = True
        return 1 if failed else 0

    return run_reporting_errors(body)


def _merge(args: argparse.Namespace) -> int:
    def body() -> int:
        from hfguard import coverage

        merged = coverage.merge_reports([(str(path), coverage.load_report(path)) for path in args.reports])
        if args.output:
            coverage.write_report(merged, args.output)
        else:
            print(coverage.report_json(merged), end="")
        return 0

    return run_reporting_errors(body)
