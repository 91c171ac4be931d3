"""``hfguard init``: write a starter registry, the pre-commit hooks and the hfguard workflows into a repository."""

from __future__ import annotations

import argparse
from pathlib import Path

from hfguard import __version__, scaffold
from hfguard.errors import run_reporting_errors


def build_parser() -> argparse.ArgumentParser:
    """Options of ``hfguard init``."""
    parser = argparse.ArgumentParser(
        prog="hfguard init",
        description=(
            "Write hfguard.toml, .pre-commit-config.yaml and the workflows hfguard.yml (pull requests), "
            "hfguard-publish.yml (comments for forks) and hfguard-nightly.yml (shards under the pinned and the latest "
            "transformers, history on the hfguard-data branch, the dashboard on GitHub Pages). Existing files are kept unless --force."
        ),
    )
    parser.add_argument("directory", nargs="?", type=Path, default=Path("."), help="repository root (default: .)")
    parser.add_argument("--force", action="store_true", help="overwrite files that exist")
    parser.add_argument("--dry-run", action="store_true", help="list what would be written, write nothing")
    parser.add_argument("--action", metavar="OWNER/REPO@SHA",
                        help="the hfguard repository and commit the workflows and hooks use (default: the GitHub repository "
                             "and commit this hfguard was installed from; required when that is unknown)")
    parser.add_argument("--action-tag", metavar="TAG", help="the tag that commit is, written beside it as a comment "
                        f"(default: v{__version__})")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Write (or list) the scaffold files; report each as created, overwritten or kept."""
    args = build_parser().parse_args(argv)
    return run_reporting_errors(lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    from hfguard.errors import HfguardError
    from hfguard.writer import write_atomic

    if args.action:
        reference = scaffold.parse_reference(args.action, args.action_tag)
    else:
        reference = scaffold.installed_reference()
        if reference is None:
            raise HfguardError("this hfguard was not installed from a GitHub repository, so the workflows "
                               "cannot name it; pass --action OWNER/REPO@SHA (the hfguard repository and the commit to pin)")
    for relative, text in scaffold.render(reference).items():
        path = args.directory / relative
        exists = path.exists()
        if exists and not args.force:
            print(f"exists, skipped: {path}")
            continue
        if args.dry_run:
            print(f"would {'overwrite' if exists else 'create'}: {path}")
            continue
        write_atomic(path, text)
        print(f"{'overwritten' if exists else 'created'}: {path}")
    if not args.dry_run:
        print("next: edit hfguard.toml, then run 'hfguard lock' and 'hfguard generate', and 'pre-commit install'")
    return 0
