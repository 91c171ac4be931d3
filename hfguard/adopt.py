"""Adopting a repository that already has per-model tests: tell hand-written from generated, and move the
hand-written ones to the convention for a team's own tests (``test_hf_<type>_extra.py``) without losing a line.

Generated files and files that already follow the convention stay where they are; a hand-written file
whose name is no model type's stays too (hfguard never writes there). A move is ``git mv`` when git
tracks the file (its history follows), else a rename; the content is never rewritten.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hfguard.errors import HfguardError, Problem
from hfguard.stamp import EXTRA_SUFFIX, extra_test_file_name, is_hand_edited, python_identifier, read_stamp

STAMP_HEAD_BYTES = 4096

# kinds of per-model test file, in the order they are listed
GENERATED, EDITED, OWN, MOVE, BLOCKED, UNKNOWN = "generated", "edited", "own", "move", "blocked", "unknown"


@dataclass(frozen=True)
class Found:
    """One ``test_hf_*.py`` file of the tests dir and what adopting does with it."""

    path: Path
    kind: str
    model_type: str | None = None
    target: Path | None = None


def survey(tests_dir: Path, model_types: Iterable[str]) -> list[Found]:
    """Every ``test_hf_*.py`` directly in ``tests_dir``, classified; ``model_types`` names the known ones."""
    by_ident = {python_identifier(name): name for name in model_types}
    found = []
    for path in sorted(tests_dir.glob("test_hf_*.py")) if tests_dir.is_dir() else []:
        if not path.is_file() or path.is_symlink():
            continue
        ident = path.stem.removeprefix("test_hf_")
        if ident.endswith(EXTRA_SUFFIX) and ident.removesuffix(EXTRA_SUFFIX) in by_ident:
            found.append(Found(path, OWN, by_ident[ident.removesuffix(EXTRA_SUFFIX)]))
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        stamp = read_stamp(text[:STAMP_HEAD_BYTES])
        if stamp is not None:
            found.append(Found(path, EDITED if is_hand_edited(text, stamp) else GENERATED, stamp.model_type))
        elif ident not in by_ident:
            found.append(Found(path, UNKNOWN))
        else:
            target = path.with_name(extra_test_file_name(by_ident[ident]))
            found.append(Found(path, BLOCKED if target.exists() else MOVE, by_ident[ident], target))
    return found


def move(item: Found) -> None:
    """Move a hand-written file to its ``_extra`` name (``git mv`` when tracked), byte for byte."""
    assert item.kind == MOVE and item.target is not None
    before = item.path.read_bytes()
    if _tracked(item.path):
        done = subprocess.run(["git", "mv", "--", item.path.name, item.target.name], cwd=item.path.parent,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise HfguardError(Problem(f"git mv failed: {done.stderr.strip().splitlines()[-1]}", item.path))
    else:
        os.rename(item.path, item.target)
    if item.target.read_bytes() != before:  # cannot happen with a rename; checked because it must never
        raise HfguardError(Problem("moved file differs from the original", item.target))


def _tracked(path: Path) -> bool:
    try:
        result = subprocess.run(["git", "ls-files", "--error-unmatch", "--", path.name], cwd=path.parent, capture_output=True)
    except OSError:
        return False
    return result.returncode == 0
