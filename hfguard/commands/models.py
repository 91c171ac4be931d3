"""``hfguard models``: the model catalogue, as a table or JSON."""

from __future__ import annotations

import argparse
import json
from collections import Counter

from hfguard.catalogue import FAMILIES, KINDS, Catalogue, load_catalogue
from hfguard.config import find_config, load_config
from hfguard.errors import HfguardError, run_reporting_errors


def build_parser() -> argparse.ArgumentParser:
    """Options of ``hfguard models``."""
    parser = argparse.ArgumentParser(
        prog="hfguard models",
        description="List the model types of hfguard.lock (or, without a lock, the installed transformers).",
    )
    parser.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    parser.add_argument("--family", choices=FAMILIES, metavar="FAMILY", help=f"only this family: {', '.join(FAMILIES)}")
    parser.add_argument("--kind", choices=KINDS, metavar="KIND", help=f"only this kind: {', '.join(KINDS)}")
    parser.add_argument("--config", help="registry file (default: found from the working directory)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Print the catalogue."""
    args = build_parser().parse_args(argv)
    return run_reporting_errors(lambda: _run(args))


def _catalogue(config_arg: str | None) -> Catalogue:
    try:
        lock = load_config(config_arg or find_config()).lock_path
    except HfguardError:
        if config_arg:
            raise
        lock = None
    return load_catalogue(lock)


def _run(args: argparse.Namespace) -> int:
    catalogue = _catalogue(args.config)
    infos = [
        info
        for _, info in sorted(catalogue.models.items())
        if (args.family is None or info.family == args.family) and (args.kind is None or info.kind == args.kind)
    ]
    if args.json:
        summary = {
            "transformers_version": catalogue.transformers_version,
            "count": len(infos),
            "standalone": sum(info.standalone for info in infos),
            "families": dict(Counter(info.family for info in infos if info.standalone)),
            "models": [info.as_dict() for info in infos],
        }
        print(json.dumps(summary, indent=1, sort_keys=True))
        return 0
    width = max((len(info.model_type) for info in infos), default=10)
    print(f"{'model type':<{width}}  {'family':<15} {'kind':<10} {'task':<32} reason")
    for info in infos:
        print(f"{info.model_type:<{width}}  {info.family:<15} {info.kind:<10} {info.task or '-':<32} {info.reason}")
    counts = Counter(info.family for info in infos if info.standalone)
    summary = ", ".join(f"{family} {counts[family]}" for family in FAMILIES if counts[family])
    print(f"\n{len(infos)} model types (transformers {catalogue.transformers_version}); standalone by family: {summary}")
    return 0
