"""``hfguard generate``: render the registry's test files (``--check``: say what would change)."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from hfguard.errors import HfguardError, Problem, run_reporting_errors
from hfguard.plan import PlannedFile, entries_for, plan_file
from hfguard.project import Project, load_project


def build_parser() -> argparse.ArgumentParser:
    """Options of ``hfguard generate``."""
    parser = argparse.ArgumentParser(
        prog="hfguard generate",
        description="Render <tests_dir>/test_hf_<type>.py for registry entries from the family templates.",
    )
    parser.add_argument("model_types", nargs="*", metavar="MODEL_TYPE", help="entries to render (default: all)")
    parser.add_argument("--all", action="store_true", help="every standalone model type of the catalogue")
    parser.add_argument("--check", action="store_true", help="write nothing; print a diff and exit 1 if anything would change")
    parser.add_argument("--exit-code", action="store_true", help="exit 1 when files were written (for hooks)")
    parser.add_argument("--changed", action="store_true", help="only entries changed since --base (see 'hfguard changed')")
    parser.add_argument("--base", help="base git revision for --changed")
    parser.add_argument("--head", help="head git revision for --changed (default: HEAD)")
    parser.add_argument("--config", help="registry file (default: found from the working directory)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Render, verify in memory, and write (or diff) the selected test files."""
    args = build_parser().parse_args(argv)
    if args.changed and not args.base:
        print("hfguard generate: --changed needs --base REF", file=sys.stderr)
        return 2
    return run_reporting_errors(lambda: _run(args))


def select(project: Project, model_types: list[str], all_types: bool) -> list[PlannedFile]:
    """Planned files for the named entries, or every entry (and with ``all_types``, every type)."""
    config, catalogue = project.config, project.catalogue
    entries = {entry.model_type: entry for entry in entries_for(config, catalogue, all_types)}
    unknown = [name for name in model_types if name not in entries]
    if unknown:
        raise HfguardError(
            *(
                Problem(f"'{name}' has no registry entry; add [models.{name}] or use --all", config.path)
                for name in unknown
            )
        )
    chosen = model_types or sorted(entries)
    return [plan_file(config, catalogue, entries[name]) for name in chosen]


def _run(args: argparse.Namespace) -> int:
    from hfguard.render import Renderer
    from hfguard.writer import check_compiles, read_current, write_generated

    project = load_project(args.config)
    names = list(args.model_types)
    if args.changed:
        from hfguard.changes import changed_model_types

        wanted = set(changed_model_types(project.config.root, args.base, args.head))
        names = [name for name in (names or sorted(project.config.models)) if name in wanted]
        if not names:
            print("no registry entry changed; nothing to generate")
            return 0
    planned = select(project, names, args.all)
    renderer = Renderer(project.config)
    files = {item.path: renderer.render(item) for item in planned}
    root = project.config.root
    if args.check:
        changed = 0
        for path, text in sorted(files.items()):
            check_compiles(text, path)
            current = read_current(path) or ""
            old = current.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            if old != text:
                changed += 1
                shown = _relative(path, root)
                sys.stdout.writelines(
                    difflib.unified_diff(old.splitlines(True), text.splitlines(True), f"a/{shown}", f"b/{shown}")
                )
        if changed:
            print(f"{changed} of {len(files)} generated files are out of date; run 'hfguard generate' to rewrite them")
            return 1
        print(f"{len(files)} generated files are up to date")
        return 0
    results = write_generated(files)
    written = [result for result in results if result.action != "unchanged"]
    for result in written:
        note = f" (your hand edit is kept in {_relative(result.backup, root)})" if result.backup else ""
        print(f"{result.action} {_relative(result.path, root)}{note}")
    print(f"{len(written)} written, {len(results) - len(written)} unchanged")
    return 1 if written and args.exit_code else 0


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
