"""Write generated files safely: verify in memory first, then atomic writes, backups of hand edits."""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hfguard.errors import HfguardError, Problem
from hfguard.stamp import is_hand_edited, read_stamp
from hfguard.verify import compile_finding


@dataclass(frozen=True)
class WriteResult:
    """What happened to one file."""

    path: Path
    action: str  # "created", "updated" or "unchanged"
    backup: Path | None = None


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step (temp file in the same folder + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    results = []
    for path, text in sorted(files.items()):
        old = path.read_text(encoding="utf-8") if path.is_file() else None
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
