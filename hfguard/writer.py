"""Write generated files safely: verify in memory first, then atomic writes, backups of hand edits."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from hfguard.atomic import write_atomic
from hfguard.errors import HfguardError, Problem
from hfguard.paths import read_bytes
from hfguard.stamp import is_hand_edited, read_stamp
from hfguard.verify import compile_finding


@dataclass(frozen=True)
class WriteResult:
    """What happened to one file."""

    path: Path
    action: str  # "created", "updated" or "unchanged"
    backup: Path | None = None


def read_current(path: Path) -> str | None:
    """The file a generated file would replace (None: nothing there); a link or a folder there is refused.

    Bytes that are not UTF-8 survive (``surrogateescape``), so a backup holds exactly what was there.
    """
    data = read_bytes(path, "test file")
    return None if data is None else data.decode("utf-8", "surrogateescape")


def check_compiles(text: str, path: Path) -> None:
    """Refuse generated text that CPython would not compile (the same check as ``hfguard verify``)."""
    finding = compile_finding(str(path), text.encode("utf-8"))
    if finding is not None:
        raise HfguardError(
            Problem(f"generated code does not compile ({finding.code} {finding.message}); nothing was written", path, finding.line, finding.col)
        )


def write_generated(files: dict[Path, str]) -> list[WriteResult]:
    """Verify every file in memory, then write the ones whose text changed.

    Nothing is written unless every file compiles. A generated file that was edited by hand and
    whose edit git does not hold (untracked, or changed and unstaged) is backed up first.
    """
    for path, text in files.items():
        check_compiles(text, path)
    current = {path: read_current(path) for path in sorted(files)}  # a link or folder in the way stops all writes
    results = []
    for path, text in sorted(files.items()):
        old = current[path]
        if old == text:
            results.append(WriteResult(path, "unchanged"))
            continue
        backup = _backup_unheld_edit(path, old) if old is not None else None
        write_atomic(path, text)
        results.append(WriteResult(path, "created" if old is None else "updated", backup))
    return results


def _backup_unheld_edit(path: Path, old: str) -> Path | None:
    stamp = read_stamp(old)
    if stamp is not None and not is_hand_edited(old, stamp):
        return None
    if _git_holds(path):
        return None
    backup = path.with_name(path.name + ".hfguard-backup")
    number = 1
    while backup.exists():
        number += 1
        backup = path.with_name(f"{path.name}.hfguard-backup{number}")
    write_atomic(backup, old)
    return backup


def _git_holds(path: Path) -> bool:
    """True when git has this exact file content staged or committed (so an overwrite loses nothing)."""
    try:
        tracked = subprocess.run(
            ["git", "ls-files", "--error-unmatch", path.name],
            cwd=path.parent,
            capture_output=True,
        )
        if tracked.returncode != 0:
            return False
        unstaged = subprocess.run(["git", "diff", "--quiet", "--", path.name], cwd=path.parent, capture_output=True)
        return unstaged.returncode == 0
    except OSError:
        return False
