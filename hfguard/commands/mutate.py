"""``hfguard mutate``: break tiny models in known ways and count, per kind, the model types whose generated tests catch it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hfguard.errors import HfguardError, run_reporting_errors


def build_parser() -> argparse.ArgumentParser:
    """Options of ``hfguard mutate``."""
    parser = argparse.ArgumentParser(
        prog="hfguard mutate",
        description="Measure what the generated tests catch: break the tiny models of some model types in known ways "
                    "(one kind at a time) and report, per kind, the model types it applies to, caught and missed. "
                    "The kinds of the registry's team modules (@team_mutation) break the team's own code instead, and the "
                    "report says, per team check, which team and built-in kinds it catches. "
                    "Renders with the registry's templates (your own too); writes mutate.json and mutate.md.")
    parser.add_argument("model_types", nargs="*", metavar="MODEL_TYPE", help="model types to break (default: the registry's entries)")
    parser.add_argument("--kinds", help="comma-separated kinds of breakage (default: all, the team's too; see --list)")
    parser.add_argument("--list", action="store_true", help="print the kinds of breakage (built-in, then the team's) and exit")
    parser.add_argument("--out", default="hfguard-mutate", help="directory for tests and results (default: hfguard-mutate)")
    parser.add_argument("--jobs", "-n", type=int, default=2, help="pytest-xdist workers (0: no xdist; default 2)")
    parser.add_argument("--timeout", type=int, default=90, help="seconds per test before it fails (default 90)")
    parser.add_argument("--config", type=Path, help="registry file (default: found from the current directory; none: built-in templates)")
    parser.add_argument("--lock", type=Path, help="read the catalogue from this hfguard.lock (default: the registry's lock)")
    parser.add_argument("--own-checks", action="store_true",
                        help="a broken model runs only the checks written to catch its kind (a lower bound, much faster)")
    parser.add_argument("--fail-under", type=float, metavar="PCT", help="exit 1 when a kind is caught for fewer than PCT%% of the types it applies to")
    return parser


def main(argv: list[str] | None = None) -> int:
    """0 when done (and every kind meets --fail-under), 1 when one does not, 2 on usage errors."""
    args = build_parser().parse_args(argv)
    return run_reporting_errors(lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    from hfguard.mutate import team_kinds
    from hfguard.testing.mutations import KINDS

    config = _config(args)
    team = team_kinds(config)  # the registry's team modules, imported here: their kinds break the team's code
    if args.list:
        for kind in KINDS.values():
            print(f"{kind.id}: {kind.meaning} (caught by {', '.join(kind.checks)})")
        for kind in team.values():
            print(f"{kind.id} (team, {kind.module}): {kind.meaning}" + (f" (caught by {', '.join(kind.checks)})" if kind.checks else ""))
        return 0
    kinds = list(dict.fromkeys(k.strip() for k in args.kinds.split(",") if k.strip())) if args.kinds else [*KINDS, *team]
    unknown = [k for k in kinds if k not in KINDS and k not in team]
    if unknown:
        raise HfguardError(f"unknown kind of breakage: {', '.join(unknown)} (see 'hfguard mutate --list')")
    from hfguard.catalogue import load_catalogue
    from hfguard.mutate import mutate

    catalogue = load_catalogue(args.lock or config.lock_path)
    model_types = args.model_types or sorted(config.models)
    unknown_types = [name for name in model_types if name not in catalogue]
    if unknown_types:
        raise HfguardError(f"unknown model type: {', '.join(unknown_types)} (see 'hfguard models')")
    out = Path(args.out)
    judged = mutate(config, catalogue, model_types, out, kinds, args.jobs, args.timeout, args.own_checks)
    print(_summary((out / "mutate.md").read_text(encoding="utf-8")))
    print(f"results: {out / 'mutate.json'}, {out / 'mutate.md'}")
    if args.fail_under is not None:
        short = [k.kind for k in judged if k.applies and 100 * len(k.caught) / k.applies < args.fail_under]
        if short:
            print(f"hfguard mutate: caught for fewer than {args.fail_under:g}% of the types it applies to: {', '.join(short)}",
                  file=sys.stderr)
            return 1
    return 0


def _summary(markdown: str) -> str:
    """The kinds table and, with team checks, what each catches (the where-not-measured sections stay in the file)."""
    sections = markdown.split("\n\n## ")
    return "\n\n## ".join([sections[0], *(s for s in sections[1:] if s.startswith("Team checks"))]).rstrip("\n")


def _config(args: argparse.Namespace):  # noqa: ANN202 - hfguard.config.Config, imported lazily
    """The registry (its templates and entries), or built-in templates in a scratch layout when there is none."""
    from hfguard.config import find_config, load_config
    from hfguard.sweep import sweep_config

    if args.config is not None:
        return load_config(args.config)
    try:
        found = find_config()
    except HfguardError:
        return sweep_config(Path(args.out).resolve())
    return load_config(found)
