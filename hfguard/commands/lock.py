"""``hfguard lock``: snapshot the catalogue into ``hfguard.lock`` (``--check``: would it change?)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hfguard.catalogue import Catalogue, build_catalogue
from hfguard.config import find_config, load_config
from hfguard.errors import run_reporting_errors
from hfguard.writer import write_atomic


def build_parser() -> argparse.ArgumentParser:
    """Options of ``hfguard lock``."""
    parser = argparse.ArgumentParser(
        prog="hfguard lock",
        description="Write the catalogue of the installed transformers into hfguard.lock beside the registry.",
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the lock would change")
    parser.add_argument("--config", help="registry file (default: found from the working directory)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Write or check the lock."""
    args = build_parser().parse_args(argv)
    return run_reporting_errors(lambda: _run(args))


def lock_differences(old: Catalogue, new: Catalogue) -> list[str]:
    """Human-readable lines: what changes between two catalogues."""
    lines = []
    if old.transformers_version != new.transformers_version:
        lines.append(f"transformers {old.transformers_version} -> {new.transformers_version}")
    for name in sorted(set(new.models) - set(old.models)):
        lines.append(f"new model type {name} ({new.models[name].family})")
    for name in sorted(set(old.models) - set(new.models)):
        lines.append(f"model type {name} is gone")
    for name in sorted(set(old.models) & set(new.models)):
        before, after = old.models[name], new.models[name]
        if before.family != after.family:
            lines.append(f"{name}: family {before.family} -> {after.family}")
        elif before != after:
            lines.append(f"{name}: classes or tasks changed")
    return lines


def _run(args: argparse.Namespace) -> int:
    config = load_config(args.config or find_config())
    lock_path: Path = config.lock_path
    old_text = lock_path.read_text(encoding="utf-8") if lock_path.is_file() else None
    if args.check and old_text is None:
        print(f"{lock_path}: missing; run 'hfguard lock'")
        return 1
    catalogue = build_catalogue()
    text = catalogue.to_json()
    if args.check:
        changes = lock_differences(Catalogue.from_json(old_text, lock_path), catalogue)
        for line in changes:
            print(f"{lock_path}: {line}")
        if changes or old_text != text:
            print(f"{lock_path}: out of date with the installed transformers; run 'hfguard lock'")
            return 1
        print(f"{lock_path}: up to date (transformers {catalogue.transformers_version})")
        return 0
    if old_text == text:
        print(f"{lock_path}: already up to date")
        return 0
    write_atomic(lock_path, text)
    print(f"wrote {lock_path}: {len(catalogue.models)} model types, transformers {catalogue.transformers_version}")
    return 0
