"""``hfguard init``: write a starter registry, the pre-commit hooks and the hfguard workflows into a repository.

It never takes a user's file away: an existing ``[tool.hfguard]`` in ``pyproject.toml`` stays the registry
(no ``hfguard.toml`` beside it, which would silently take precedence), hfguard's hooks are merged into an
existing pre-commit config (comments kept) or the exact snippet is printed, and hand-written per-model tests
are counted wherever they are and pointed to ``hfguard adopt``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from hfguard import __version__, scaffold
from hfguard.errors import run_reporting_errors, shown_path

REGISTRY, PRE_COMMIT_CONFIG = "hfguard.toml", ".pre-commit-config.yaml"
_REPOS = re.compile(r"^repos:[ \t]*(#.*)?$")
_TOP_LEVEL = re.compile(r"^[^\s#-]")  # a new top-level key; "- " at column 0 is still an entry of repos


def build_parser() -> argparse.ArgumentParser:
    """Options of ``hfguard init``."""
    parser = argparse.ArgumentParser(
        prog="hfguard init",
        description=(
            "Write hfguard.toml, .pre-commit-config.yaml and the workflows hfguard.yml (pull requests), "
            "hfguard-publish.yml (comments for forks) and hfguard-nightly.yml (shards under the pinned and the latest "
            "transformers, history on the hfguard-data branch, the dashboard on GitHub Pages). Existing files are kept "
            "unless --force; an existing [tool.hfguard] in pyproject.toml stays the registry; hfguard's hooks are merged "
            "into an existing pre-commit config. An hfguard installed from a registry or a local path writes the registry "
            "and hooks that run it (no network at commit time), and says how to add the workflows."
        ),
    )
    parser.add_argument("directory", nargs="?", type=Path, default=Path("."), help="repository root (default: .)")
    parser.add_argument("--force", action="store_true", help="overwrite files that exist")
    parser.add_argument("--dry-run", action="store_true", help="list what would be written, write nothing")
    parser.add_argument("--action", metavar="OWNER/REPO@SHA",
                        help="the hfguard repository and commit the workflows and hooks use (default: the GitHub repository "
                             "and commit this hfguard was installed from; when that is unknown, the workflows are left out "
                             "and the hooks run the installed hfguard)")
    parser.add_argument("--local-hooks", action="store_true",
                        help="hooks that run the hfguard installed here ('repo: local', 'language: system'): no network "
                             "at commit time")
    parser.add_argument("--action-tag", metavar="TAG", help="the tag that commit is, written beside it as a comment "
                        f"(default: v{__version__})")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Write (or list) the scaffold files; report each as created, overwritten, merged or kept."""
    args = build_parser().parse_args(argv)
    return run_reporting_errors(lambda: _run(args))


def merge_hooks(text: str, reference: scaffold.ActionReference | None) -> str | None:
    """``text`` of a pre-commit config with hfguard's entry (pinned to ``reference``, or local) appended to its block ``repos:``
    list, every other line kept as it is; None when that cannot be done safely (no block list, or it would not parse)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _REPOS.match(line.rstrip("\r\n"))), None)
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(lines)) if _TOP_LEVEL.match(lines[i])), len(lines))
    while end > start + 1 and not lines[end - 1].strip():  # blank lines before the next key stay after our entry
        end -= 1
    item = next((re.match(r"^(\s*)- ", line) for line in lines[start + 1 : end] if re.match(r"^\s*- ", line)), None)
    indent = item.group(1) if item else "  "
    if lines and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    merged = "".join(lines[:end]) + scaffold.hooks_entry(reference, indent) + "".join(lines[end:])
    return merged if _appends_our_repo(text, merged, scaffold.hooks_entry(reference, "")) else None


def _appends_our_repo(before: str, after: str, entry: str) -> bool:
    """Whether ``after`` parses to ``before``'s repos plus ``entry`` (checked with PyYAML when it is installed)."""
    try:
        import yaml
    except ImportError:
        return True
    try:
        old, new = yaml.safe_load(before) or {}, yaml.safe_load(after)
    except yaml.YAMLError:
        return False
    ours = yaml.safe_load(entry)[0]
    return isinstance(new, dict) and new.get("repos") == [*(old.get("repos") or []), ours] and \
        {k: v for k, v in new.items() if k != "repos"} == {k: v for k, v in old.items() if k != "repos"}


def _run(args: argparse.Namespace) -> int:
    from hfguard.atomic import write_atomic
    from hfguard.writer import back_up

    reference = scaffold.parse_reference(args.action, args.action_tag) if args.action else scaffold.installed_reference()
    hooks = None if args.local_hooks or reference is None else reference
    root = args.directory
    for relative, text in scaffold.render(reference, args.local_hooks).items():
        path = root / relative
        shown = shown_path(path)
        exists = path.exists()
        if relative == REGISTRY and not exists and _pyproject_registry(root):
            print(f"kept: [tool.hfguard] in {shown_path(root / 'pyproject.toml')} is your registry; no {REGISTRY} written")
            continue
        if relative == PRE_COMMIT_CONFIG and exists and not args.force:
            _add_hooks(path, hooks, args.dry_run)
            continue
        if exists and not args.force:
            print(f"exists, skipped: {shown}")
            continue
        if args.dry_run:
            print(f"would {'overwrite' if exists else 'create'}: {shown}")
            continue
        backup = back_up(path, path.read_text(encoding="utf-8", errors="surrogateescape"), root) if exists else None
        write_atomic(path, text)
        kept = f" (yours is kept in {shown_path(backup)})" if backup else ""
        print(f"{'overwritten' if exists else 'created'}: {shown}{kept}")
    if reference is None:
        print("workflows not written: this hfguard was not installed from a GitHub repository, so they cannot name its action; "
              "once you know it, add them with 'hfguard init --action OWNER/REPO@SHA' (the hfguard repository and the commit to pin)")
    _point_to_adopt(root)
    if not args.dry_run:
        local = " (the hooks run the hfguard on your PATH)" if hooks is None else ""
        print(f"next: edit the registry, then run 'hfguard lock' and 'hfguard generate', and 'pre-commit install'{local}")
    return 0


def _pyproject_registry(root: Path) -> bool:
    pyproject = root / "pyproject.toml"
    return pyproject.is_file() and re.search(r"^\[tool\.hfguard[.\]]", pyproject.read_text(encoding="utf-8"), re.M) is not None


def _add_hooks(path: Path, reference: scaffold.ActionReference | None, dry_run: bool) -> None:
    """Merge hfguard's hooks into an existing pre-commit config, or print the snippet to add by hand."""
    from hfguard.atomic import write_atomic

    text = path.read_text(encoding="utf-8")
    if scaffold.has_hooks(text):
        print(f"exists, has hfguard's hooks: {shown_path(path)}")
        return
    merged = merge_hooks(text, reference)
    if merged is None:
        print(f"exists, not changed: {shown_path(path)} has no block 'repos:' list hfguard can add to; "
              f"add this entry under 'repos:' yourself:\n{scaffold.hooks_entry(reference)}", end="")
    elif dry_run:
        print(f"would add hfguard's hooks to: {shown_path(path)}")
    else:
        write_atomic(path, merged)
        print(f"merged hfguard's hooks into: {shown_path(path)} (your other lines are unchanged)")


def _point_to_adopt(root: Path) -> None:
    """Say so when the repository already holds per-model test files, wherever they are (``hfguard adopt`` takes them in)."""
    from hfguard.adopt import PATTERN, list_test_files

    files, _ = list_test_files(root)
    if not files:
        return
    folders = len({str(Path(relative).parent) for relative in files})
    print(f"found {len(files):,} per-model test files ({PATTERN}) in {folders:,} folders. 'hfguard generate' never "
          "overwrites them. Run 'hfguard lock', then 'hfguard adopt --dry-run' to see how each name maps to a model type "
          "and 'hfguard adopt' to register them (nothing is lost; files already broken go to a baseline)")
