"""Write generated files safely: verify in memory first, then atomic writes; nothing a user wrote is lost.

A file hfguard did not write (no header) is never replaced without ``force``, and then only after a
backup; a generated file edited since hfguard wrote it (its content hash no longer matches) is
backed up before it is replaced or removed, whether git holds the edit or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hfguard.atomic import write_atomic
from hfguard.errors import HfguardError, Problem
from hfguard.paths import read_bytes
from hfguard.stamp import is_hand_edited, read_stamp
from hfguard.verify import compile_finding

BACKUP_DIR = ".hfguard-backup"  # in the repository root; git ignores it (its own .gitignore), pytest never collects it


@dataclass(frozen=True)
class WriteResult:
    """What happened to one file."""

    path: Path
    action: str  # "created", "updated", "unchanged", "removed" or "refused"
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


def write_generated(files: dict[Path, str], root: Path, force: bool = False) -> list[WriteResult]:
    """Verify every file in memory, then write the ones whose text changed.

    Nothing is written unless every file compiles. A file without an hfguard header is ``refused``
    (left as it is) unless ``force``; replacing it, or a generated file edited by hand, keeps a backup
    under ``root`` (see ``keep_user_lines``).
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
        if old is not None and read_stamp(old) is None and not force:
            results.append(WriteResult(path, "refused"))
            continue
        backup = keep_user_lines(path, old, root) if old is not None else None
        write_atomic(path, text)
        results.append(WriteResult(path, "created" if old is None else "updated", backup))
    return results


def remove_generated(path: Path, root: Path) -> WriteResult:
    """Delete a generated file whose entry is gone, backing it up first (under ``root``) if it was edited by hand."""
    backup = keep_user_lines(path, read_current(path) or "", root)
    path.unlink()
    return WriteResult(path, "removed", backup)


def keep_user_lines(path: Path, old: str, root: Path) -> Path | None:
    """Back up ``old`` (the text at ``path``) unless it is exactly what hfguard last wrote; the backup's path."""
    stamp = read_stamp(old)
    if stamp is not None and not is_hand_edited(old, stamp):
        return None
    return back_up(path, old, root)


def back_up(path: Path, old: str, root: Path) -> Path:
    """Keep ``old`` (what was at ``path``) as ``<root>/.hfguard-backup/<path below root>``, numbered when one is there.

    The folder's own ``.gitignore`` keeps backups out of commits (``git add -A`` after a hook's advice)."""
    folder = root / BACKUP_DIR
    relative = path.resolve().relative_to(root.resolve()) if path.resolve().is_relative_to(root.resolve()) else Path(path.name)
    backup, number = folder / relative, 1
    while backup.exists():
        number += 1
        backup = folder / relative.with_name(f"{relative.name}.{number}")
    if not (folder / ".gitignore").exists():
        write_atomic(folder / ".gitignore", "# hfguard's backups of replaced files: yours to look at, not to commit\n*\n")
    write_atomic(backup, old)
    return backup
