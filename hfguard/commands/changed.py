"""``hfguard changed``: model entries added, changed or removed between two git revisions."""

from __future__ import annotations

import argparse
from pathlib import Path

from hfguard.errors import HfguardError, run_reporting_errors


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hfguard changed",
        description=(
            "Compare the registry, templates and hfguard.lock at the merge base of BASE and HEAD with HEAD, "
            "read from git objects (the worktree is not touched; uncommitted edits are not seen). "
            "Exit 0: reported; 1: hand-edited generated files found; 2: error (e.g. base missing in a shallow clone)."
        ),
    )
    parser.add_argument("--base", required=True, help="base revision; the all-zeros SHA of a new branch's push is accepted")
    parser.add_argument("--head", default=None, help="head revision (default: HEAD, the last commit)")
    parser.add_argument("--default-branch", default=None, help="for an all-zeros base: branch to compare with (default: origin/HEAD, origin/main, ...)")
    parser.add_argument("--root", type=Path, default=None, help="directory of the registry (default: found from the current directory)")
    parser.add_argument("--json", action="store_true", help="machine-readable output (with schema_version)")
    parser.add_argument("--names", action="store_true", help="print only the model types to regenerate, one a line")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        from hfguard.changes import detect_changes

        report = detect_changes(args.root or _project_root(), args.base, args.head, args.default_branch)
        if args.json:
            print(report.to_json(), end="")
        elif args.names:
            print("".join(f"{name}\n" for name in report.regenerate), end="")
        else:
            print(report.to_text(), end="")
        return 1 if report.hand_edited else 0

    return run_reporting_errors(body)


def _project_root() -> Path:
    """The directory of the nearest registry, or the current directory when there is none."""
    from hfguard.config import find_config

    try:
        return find_config().parent
    except HfguardError:
        return Path.cwd()
