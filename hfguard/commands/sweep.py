"""``hfguard sweep``: generate and run tests for every standalone model type (sharded)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hfguard.catalogue import FAMILIES
from hfguard.errors import run_reporting_errors


def build_parser() -> argparse.ArgumentParser:
    """Options of ``hfguard sweep``."""
    parser = argparse.ArgumentParser(prog="hfguard sweep",
                                     description="Generate and run the tiny tests of every standalone model type.")
    parser.add_argument("model_types", nargs="*", metavar="MODEL_TYPE", help="only these model types")
    parser.add_argument("--shard", default="1/1", help="run shard I of N (1-based) of the sorted model types")
    parser.add_argument("--out", default="hfguard-sweep", help="directory for tests and results (default: hfguard-sweep)")
    parser.add_argument("--jobs", "-n", type=int, default=2, help="pytest-xdist workers (0: no xdist; default 2)")
    parser.add_argument("--family", choices=[f for f in FAMILIES if f != "unsupported"], help="only this family")
    parser.add_argument("--limit", type=int, help="at most this many model types")
    parser.add_argument("--timeout", type=int, default=90, help="seconds per test before it fails (default 90)")
    parser.add_argument("--lock", help="read the catalogue from this hfguard.lock instead of transformers")
    return parser


def main(argv: list[str] | None = None) -> int:
    """0 when every swept model type passed or skipped, 1 when some failed, 2 on usage errors."""
    args = build_parser().parse_args(argv)
    from hfguard.sweep import parse_shard

    try:
        shard = parse_shard(args.shard)
    except ValueError as error:
        print(f"hfguard sweep: {error}", file=sys.stderr)
        return 2
    return run_reporting_errors(lambda: _run(args, shard))


def _run(args: argparse.Namespace, shard: tuple[int, int]) -> int:
    from hfguard.catalogue import load_catalogue
    from hfguard.sweep import sweep

    catalogue = load_catalogue(Path(args.lock) if args.lock else None)
    out = Path(args.out)
    results = sweep(catalogue, out, args.jobs, args.family, shard, args.limit, args.timeout, args.model_types)
    print((out / "results.md").read_text(encoding="utf-8").split("\n\n| model type")[0])
    print(f"results: {out / 'results.json'}, {out / 'results.md'}")
    return 0 if all(r.status in ("passing", "skipped") for r in results) else 1
