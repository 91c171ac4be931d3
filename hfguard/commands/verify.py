"""``hfguard verify``: reject test files CPython would not compile, and stale or orphan generated files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hfguard.config import Config, find_config, load_config
from hfguard.errors import HfguardError, run_reporting_errors
from hfguard.verify import CODES, FORMATS, format_report, prune_baseline, verify


def build_parser() -> argparse.ArgumentParser:
    """Options of ``hfguard verify``."""
    codes = "\n".join(f"  {code}  {meaning}" for code, meaning in CODES.items())
    parser = argparse.ArgumentParser(
        prog="hfguard verify",
        description="Compile test files exactly as CPython does; check generated files against the registry.",
        epilog=f"finding codes:\n{codes}\n\nexit codes: 0 clean, 1 findings, 2 usage or config error",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: the tests dir)")
    parser.add_argument("--config", type=Path, help="registry file (default: found from the working directory)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--collect", action="store_true", help="also run 'pytest --collect-only' to catch import errors")
    parser.add_argument("--no-cache", action="store_true", help="compile every file, ignoring the cache")
    parser.add_argument("--prune-baseline", action="store_true",
                        help="drop the baseline entries (hfguard-baseline.json) of files fixed, changed or removed since; "
                             "verify nothing else")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Verify the files; print findings; 0 clean, 1 findings, 2 usage or config error."""
    args = build_parser().parse_args(argv)
    return run_reporting_errors(lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    if args.prune_baseline:
        return _prune(args)
    report = verify(
        args.paths or None, _config(args.config, explicit_paths=bool(args.paths)), use_cache=not args.no_cache, collect=args.collect
    )
    sys.stdout.write(format_report(report, args.format))
    if args.format == "text":
        for note in report.notes:
            print(f"hfguard verify: note: {note}", file=sys.stderr)
    if args.format != "json":
        print(report.summary())
    return report.exit_code


def _prune(args: argparse.Namespace) -> int:
    """Count the baseline down: drop the entries of files fixed, changed or removed since it was written."""
    if args.paths:
        raise HfguardError("--prune-baseline looks at every file of the baseline; give no paths")
    config = load_config(args.config)
    gone, still_broken, kept = prune_baseline(config)
    print(f"hfguard verify: baseline: {gone + still_broken:,} entries dropped ({gone:,} fixed or removed, {still_broken:,} "
          f"changed and still broken: they fail 'hfguard verify' until fixed), {kept:,} files left")
    return 0


def _config(path: Path | None, explicit_paths: bool) -> Config | None:
    """The registry; with explicit paths and no registry anywhere, None (compile checks only)."""
    if path is not None or not explicit_paths:
        return load_config(path)
    try:
        found = find_config()
    except HfguardError:
        return None
    return load_config(found)
