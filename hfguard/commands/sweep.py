"""``hfguard sweep``: generate and run the tests of the registry's entries (or of every standalone model type), sharded."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hfguard.catalogue import FAMILIES
from hfguard.errors import run_reporting_errors


def build_parser() -> argparse.ArgumentParser:
    """Options of ``hfguard sweep``."""
    parser = argparse.ArgumentParser(
        prog="hfguard sweep",
        description=(
            "Generate and run the tiny tests of the registry's entries, rendered as 'hfguard generate' renders them: "
            "with their settings (tiny, skip, xfail, family, task) and the registry's templates; with target = \"all\", "
            "every other standalone model type too. Outside a repository with a registry: every standalone model type, "
            "with default settings. Results per model type and per check in OUT/results.json and OUT/results.md."
        ),
    )
    parser.add_argument("model_types", nargs="*", metavar="MODEL_TYPE",
                        help="only these model types (registry entries keep their settings)")
    parser.add_argument("--all", action="store_true", dest="all_types",
                        help="sweep beyond the registry: every standalone model type (entries keep their settings)")
    parser.add_argument("--config", help="registry file (default: found from the working directory)")
    parser.add_argument("--shard", default="1/1", help="run shard I of N (1-based) of the sorted model types")
    parser.add_argument("--out", default="hfguard-sweep", help="folder for tests and results, inside the repository; emptied "
                        "when an earlier sweep wrote it, refused when it holds other files (default: hfguard-sweep)")
    parser.add_argument("--jobs", "-n", type=int, default=2, help="pytest-xdist workers (0: no xdist; default 2)")
    parser.add_argument("--family", choices=[f for f in FAMILIES if f != "unsupported"], help="only this family")
    parser.add_argument("--limit", type=int, help="at most this many model types")
    parser.add_argument("--timeout", type=int, default=90, help="seconds per test before it fails (default 90)")
    parser.add_argument("--lock", help="read the catalogue from this hfguard.lock instead of transformers")
    parser.add_argument("--install", metavar="PIP_ARGS", default="", help="pip arguments installed where the tests run, right "
                        "before them, e.g. '.' (your package, whose team check modules the registry names)")
    upgrade = parser.add_argument_group("another transformers version (the upgrade monitor; compare with 'hfguard compare')")
    upgrade.add_argument("--transformers", metavar="VERSION", help="sweep in a separate environment with this transformers "
                         "version ('latest' for the newest); built once with this torch and hfguard, then reused")
    upgrade.add_argument("--env-dir", type=Path, help="that environment's folder (default: transformers-VERSION in "
                         "$RUNNER_TEMP/hfguard-envs in a workflow, else in the user cache's hfguard/envs)")
    upgrade.add_argument("--installer", choices=("pip", "uv"), default="pip", help="what builds it (default: pip)")
    upgrade.add_argument("--constraints", type=Path, help="pip constraints for it (its transformers and torch pins are ignored)")
    upgrade.add_argument("--torch", metavar="torch==VERSION", help="the torch it gets (default: the version installed here)")
    upgrade.add_argument("--torch-index", metavar="URL", default="", help="index torch comes from (e.g. PyTorch's CPU wheels)")
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
    if args.transformers:
        return run_reporting_errors(lambda: _run_elsewhere(args, argv if argv is not None else sys.argv[2:]))
    return run_reporting_errors(lambda: _run(args, shard))


def _out(args: argparse.Namespace) -> Path:
    """``--out``, inside the repository of the working directory and reached through no symbolic link."""
    from hfguard.paths import output_folder, repository_root

    return output_folder(Path(args.out), repository_root(Path.cwd()), "--out")


def _run_elsewhere(args: argparse.Namespace, argv: list[str]) -> int:
    """The same sweep, run by the hfguard of an environment with ``--transformers``."""
    from hfguard import environment

    _out(args)  # before an environment is built for it
    spec = environment.default_spec(args.transformers, args.constraints, args.torch, args.torch_index)
    env = environment.ensure(spec, args.env_dir or environment.default_path(args.transformers), args.installer)
    return environment.run_hfguard(env, ["sweep", *_without_environment_options(argv)])


def _without_environment_options(argv: list[str]) -> list[str]:
    """``argv`` minus the options that choose the environment (the inner sweep runs where it is)."""
    options = ("--transformers", "--env-dir", "--installer", "--constraints", "--torch", "--torch-index")
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in options:
            skip = True
        elif not arg.startswith(tuple(f"{option}=" for option in options)):
            kept.append(arg)
    return kept


def _pip_arguments(text: str) -> tuple[str, ...]:
    """``--install`` as pip arguments (shell-like quoting, never a shell)."""
    import shlex

    from hfguard.errors import HfguardError

    try:
        return tuple(shlex.split(text))
    except ValueError as error:
        raise HfguardError(f"--install is not a list of pip arguments ({error}): e.g. '.' or '-r requirements.txt'") from None


def _run(args: argparse.Namespace, shard: tuple[int, int]) -> int:
    from hfguard.catalogue import load_catalogue
    from hfguard.sweep import registry_here, sweep

    install = _pip_arguments(args.install)
    registry = registry_here(args.config)
    catalogue = load_catalogue(Path(args.lock) if args.lock else None)
    out = _out(args)
    results = sweep(catalogue, out, args.jobs, args.family, shard, args.limit, args.timeout, args.model_types, registry,
                    args.all_types, install)
    print((out / "results.md").read_text(encoding="utf-8").split("\n\n| model type")[0])
    print(f"results: {out / 'results.json'}, {out / 'results.md'}")
    return 0 if all(r.status in ("passing", "skipped") for r in results) else 1
