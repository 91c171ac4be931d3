"""``hfguard generate``: render the registry's test files (``--check``: say what would change)."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections import Counter
from pathlib import Path

from hfguard.errors import HfguardError, Problem, run_reporting_errors, shown_path
from hfguard.plan import PlannedFile, entries_for, plan_file
from hfguard.project import Project, load_project
from hfguard.stamp import EXTRA_SUFFIX, extra_test_file_name, is_hand_edited, read_stamp, test_file_name
from hfguard.verify import STAMP_HEAD_BYTES
from hfguard.writer import BACKUP_DIR, WriteResult, check_compiles, read_current, remove_generated, write_generated


def build_parser() -> argparse.ArgumentParser:
    """Options of ``hfguard generate``."""
    parser = argparse.ArgumentParser(
        prog="hfguard generate",
        description=(
            "Render <tests_dir>/test_hf_<type>.py for registry entries from the family templates, and remove generated "
            "files whose entry is gone (when no MODEL_TYPE is named). Files without an hfguard header are never "
            "replaced without --force; hand edits are backed up. Your own tests go in test_hf_<type>_extra.py."
        ),
    )
    parser.add_argument("model_types", nargs="*", metavar="MODEL_TYPE", help="entries to render (default: all)")
    parser.add_argument("--all", action="store_true", help="every standalone model type of the catalogue")
    parser.add_argument("--check", action="store_true", help="write nothing; print a diff and exit 1 if anything would change")
    parser.add_argument("--exit-code", action="store_true", help="exit 1 when files were written or removed (for hooks)")
    parser.add_argument("--keep-edits", action="store_true",
                        help="leave generated files edited by hand as they are, exit 1 and say how to keep the edit (the "
                             "_extra file) or drop it (for hooks: a commit never silently drops a hand edit)")
    parser.add_argument("--force", action="store_true", help="also replace files without an hfguard header (each is backed up first)")
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

    project = load_project(args.config)
    names = list(args.model_types)
    if args.changed:
        from hfguard.changes import changed_model_types

        wanted = set(changed_model_types(project.config.root, args.base, args.head))
        names = [name for name in (names or sorted(project.config.models)) if name in wanted]
        if not names:
            print("no registry entry changed; nothing to generate")
            return 0
    planned = {item.path: item for item in select(project, names, args.all)}
    renderer = Renderer(project.config)
    files = {path: renderer.render(item) for path, item in planned.items()}
    # a generated file whose entry is gone goes too, unless only some entries were asked for
    orphans = [] if args.model_types else orphan_files(project, args.all)
    if args.check:
        return _check(files, orphans, project.config.tests_dir)
    kept = [path for path in [*files, *orphans] if args.keep_edits and _hand_edited(path)]
    files = {path: text for path, text in files.items() if path not in kept}
    orphans = [path for path in orphans if path not in kept]
    root = project.config.root
    results = write_generated(files, root, force=args.force) + [remove_generated(path, root) for path in orphans]
    layout_changed = _write_layout(project.config.tests_dir, root) if files else 0
    for result in results:
        _say(result, planned)
    for path in kept:
        _say_kept(path, planned[path].model_type if path in planned else None)
    counts = Counter(result.action for result in results)
    changed = counts["created"] + counts["updated"] + counts["removed"] + layout_changed
    summary = f"{counts['created'] + counts['updated']} written, {counts['unchanged']} unchanged"
    summary += "".join(f", {counts[action]} {action}" for action in ("removed", "refused") if counts[action])
    print(summary + (f", {len(kept)} edited by hand left as {'they are' if len(kept) > 1 else 'it is'}" if kept else ""))
    if changed and args.exit_code:
        print("hfguard: generated files changed; stage them ('git add') and commit again")
        if args.keep_edits:
            print("hfguard: an unstaged edit of yours in these files stays in your work tree (pre-commit puts it back, on top or "
                  "instead): stage it too, commit again, and hfguard says how to keep it")
    if kept:
        print(f"hfguard: {len(kept)} generated file{'s' if len(kept) > 1 else ''} edited by hand left as it is, nothing lost: keep "
              "your tests in the _extra file or drop the edit (above), stage, and commit again")
    return 1 if counts["refused"] or kept or changed and args.exit_code else 0


def _hand_edited(path: Path) -> bool:
    """Whether the generated file at ``path`` changed since hfguard wrote it (a file without a header is not generated)."""
    text = read_current(path)
    stamp = read_stamp(text) if text is not None else None
    return stamp is not None and is_hand_edited(text, stamp)


def _say(result: WriteResult, planned: dict[Path, PlannedFile]) -> None:
    """One line per file written, removed or refused: what happened, and where a hand edit went."""
    shown = shown_path(result.path)
    if result.action == "refused":
        model_type = planned[result.path].model_type
        extra = shown_path(result.path.with_name(extra_test_file_name(model_type)))
        print(f"{shown}: left as it is: it has no hfguard header, so it is your own file. Move your tests to {extra} "
              f"('hfguard adopt' does it) so that hfguard can generate {shown}, or replace it with "
              f"'hfguard generate --force {model_type}' (a backup is kept)")
    elif result.action != "unchanged":
        own = result.path.with_name(f"{result.path.stem}{EXTRA_SUFFIX}.py")
        note = (f" (your version is kept in {shown_path(result.backup)}; to keep your tests, put them in {shown_path(own)}, "
                "which hfguard never touches)") if result.backup else ""
        why = " (its registry entry is gone)" if result.action == "removed" else ""
        print(f"{result.action} {shown}{why}{note}")
        if result.action == "removed" and own.is_file():
            print(f"kept {shown_path(own)}: your own tests of a model type that is no longer registered; delete it, "
                  "or register the entry again")


def _say_kept(path: Path, model_type: str | None) -> None:
    """A generated file edited by hand, left as it is: how to keep the edit, and how to drop it."""
    shown = shown_path(path)
    stamp = read_stamp(path.read_text(encoding="utf-8", errors="replace"))
    name = model_type or (stamp.model_type if stamp else path.stem.removeprefix("test_hf_"))
    extra = shown_path(path.with_name(extra_test_file_name(name)))
    if model_type is None:
        print(f"{shown}: edited by hand and its registry entry is gone, so it is left as it is: move your tests to {extra} "
              f"and register [models.{name}] again, or delete the file")
        return
    print(f"{shown}: edited by hand, so left as it is (hfguard generates this file; a hand edit in it does not last)\n"
          f"  to keep your tests: move them to {extra} (hfguard never touches it), then run 'hfguard generate {name}'\n"
          f"  to drop the edit: run 'hfguard generate {name}' (your version is kept in {BACKUP_DIR}/)")


def orphan_files(project: Project, all_types: bool) -> list[Path]:
    """Generated files in the tests dir that no entry generates: their registry entry is gone."""
    tests_dir = project.config.tests_dir
    expected = {tests_dir / test_file_name(entry.model_type) for entry in entries_for(project.config, project.catalogue, all_types)}
    found = []
    for path in sorted(tests_dir.glob("test_hf_*.py")) if tests_dir.is_dir() else []:
        if path not in expected and path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                head = handle.read(STAMP_HEAD_BYTES).decode("utf-8", "replace")
            if read_stamp(head) is not None:
                found.append(path)
    return found


def _write_layout(tests_dir: Path, root: Path) -> int:
    """Write the tests folder's own files (``hfguard.layout``), say what happened; how many were written."""
    from hfguard.layout import package_clash, write_layout

    written = 0
    for result in write_layout(tests_dir, root):
        shown = shown_path(result.path)
        if result.action == "kept":
            print(f"kept {shown}: your own file where hfguard puts its {result.path.name} (it lets 'pytest -m hfguard "
                  f"{shown_path(tests_dir)}' collect under your pytest settings); merge hfguard's in by hand (docs/adoption.md)")
        elif result.action != "unchanged":
            written += 1
            note = f" (your version is kept in {shown_path(result.backup)})" if result.backup else ""
            print(f"{result.action} {shown}{note}")
    clash = package_clash(tests_dir, root) if written else None
    if clash:
        print(f"note: {shown_path(tests_dir)}: {clash}; under pytest's prepend import mode one hides the other: rename the "
              "folder (tests_dir)")
    return written


def _check(files: dict[Path, str], orphans: list[Path], tests_dir: Path) -> int:
    """Print the diff of what ``generate`` would change; 1 when anything would."""
    from hfguard.layout import expected_files, wrote_once

    layout = expected_files(tests_dir) if files else {}
    changed = 0
    for path, text in sorted(files.items()):
        check_compiles(text, path)
        old = (read_current(path) or "").encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        if old != text:
            changed += 1
            shown = shown_path(path)
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True), f"a/{shown}", f"b/{shown}"))
    for path in orphans:
        print(f"would remove {shown_path(path)} (its registry entry is gone)")
    current = {path: read_current(path) for path in layout}  # a file of the user's there is kept: not stale
    stale_layout = [path for path, text in layout.items() if current[path] is None or wrote_once(current[path] or "") and current[path] != text]
    for path in stale_layout:
        print(f"would write {shown_path(path)} (hfguard's file of the generated tests folder)")
    changed += len(stale_layout)
    if changed or orphans:
        print(f"{changed} of {len(files)} generated files are out of date{f', {len(orphans)} to remove' if orphans else ''}; "
              "run 'hfguard generate' to rewrite them")
        return 1
    print(f"{len(files)} generated files are up to date")
    return 0
