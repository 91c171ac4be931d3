"""``hfguard lock``: snapshot the catalogue into ``hfguard.lock`` (``--check``: would it change?)."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from hfguard.catalogue import LOCK_SCHEMA, Catalogue, build_catalogue
from hfguard.config import find_config, load_config
from hfguard.errors import run_reporting_errors, shown_path
from hfguard.atomic import write_atomic


def build_parser() -> argparse.ArgumentParser:
    """Options of ``hfguard lock``."""
    parser = argparse.ArgumentParser(
        prog="hfguard lock",
        description="Write the catalogue of the installed transformers into hfguard.lock beside the registry.",
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the lock would change")
    parser.add_argument("--json", action="store_true", help="with --check: print the differences as JSON")
    parser.add_argument("--config", help="registry file (default: found from the working directory)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Write or check the lock."""
    args = build_parser().parse_args(argv)
    return run_reporting_errors(lambda: _run(args))


def lock_differences(old: Catalogue | None, new: Catalogue) -> dict[str, Any]:
    """What changes from the locked catalogue (None: no lock yet) to the installed one."""
    before = old.models if old else {}
    common = sorted(set(before) & set(new.models))
    if old is not None and old.schema < LOCK_SCHEMA:  # what the old schema did not carry is no change of transformers
        lean = {name: dataclasses.replace(new.models[name], config_keys=None, sub_configs={}, inputs=None) for name in common}
        new = dataclasses.replace(new, models={**new.models, **lean})
    return {
        "schema": {"lock": old.schema if old else None, "installed": LOCK_SCHEMA},
        "transformers": {"lock": old.transformers_version if old else None, "installed": new.transformers_version},
        "new": {name: new.models[name].family for name in sorted(set(new.models) - set(before))},
        "removed": sorted(set(before) - set(new.models)),
        "family_changed": {
            name: [before[name].family, new.models[name].family]
            for name in common
            if before[name].family != new.models[name].family
        },
        "details_changed": [
            name for name in common if before[name].family == new.models[name].family and before[name] != new.models[name]
        ],
    }


def describe(diff: dict[str, Any]) -> list[str]:
    """One human-readable line per difference."""
    versions = diff["transformers"]
    lines = []
    if diff["schema"]["lock"] not in (None, diff["schema"]["installed"]):
        lines.append(f"written by an older hfguard (lock schema {diff['schema']['lock']}); 'hfguard lock' adds the config "
                     "settings and forward inputs the registry checks use")
    if versions["lock"] != versions["installed"]:
        lines.append(f"transformers {versions['lock'] or '(no lock)'} -> {versions['installed']}")
    lines += [f"new model type {name} ({family})" for name, family in diff["new"].items()]
    lines += [f"model type {name} is gone" for name in diff["removed"]]
    lines += [f"{name}: family {a} -> {b}" for name, (a, b) in diff["family_changed"].items()]
    lines += [f"{name}: classes or tasks changed" for name in diff["details_changed"]]
    return lines


def _run(args: argparse.Namespace) -> int:
    config = load_config(args.config or find_config())
    lock_path: Path = config.lock_path
    old_text = lock_path.read_text(encoding="utf-8") if lock_path.is_file() else None
    if args.check and old_text is None and not args.json:
        print(f"{shown_path(lock_path)}: missing; run 'hfguard lock'")
        return 1
    catalogue = build_catalogue()
    text = catalogue.to_json()
    if args.check:
        old = Catalogue.from_json(old_text, lock_path) if old_text is not None else None
        diff = lock_differences(old, catalogue)
        current = old_text == text
        if args.json:
            print(json.dumps({"lock": str(lock_path), "up_to_date": current, **diff}, indent=1, sort_keys=True))
            return 0 if current else 1
        for line in describe(diff):
            print(f"{shown_path(lock_path)}: {line}")
        if not current:
            print(f"{shown_path(lock_path)}: out of date with the installed transformers; run 'hfguard lock'")
            return 1
        print(f"{shown_path(lock_path)}: up to date (transformers {catalogue.transformers_version})")
        return 0
    if old_text == text:
        print(f"{shown_path(lock_path)}: already up to date")
        return 0
    write_atomic(lock_path, text)
    print(f"wrote {shown_path(lock_path)}: {len(catalogue.models)} model types, transformers {catalogue.transformers_version}")
    return 0
