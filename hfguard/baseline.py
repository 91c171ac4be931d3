"""The baseline: test files that were already broken when hfguard was adopted, the team's debt (as in ruff or mypy).

``hfguard-baseline.json`` lives beside the registry and is committed. Each entry is keyed by the file's path
(relative to the registry's folder) and the SHA-256 of its content. ``hfguard verify`` counts a file whose path
and content match an entry as old breakage (no compile, no failure); a changed file is verified again, so new
breakage fails wherever it is. ``hfguard adopt`` writes the entries; ``hfguard verify --prune-baseline`` drops the
entries whose file was fixed, changed or removed, so the count only goes down. This module is light.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from hfguard.atomic import write_atomic
from hfguard.errors import HfguardError, Problem
from hfguard.names import printable
from hfguard.paths import read_text

BASELINE_NAME = "hfguard-baseline.json"
SCHEMA = 1
MAX_FINDING = 300  # characters of an entry's finding
_SHA256 = re.compile(r"[0-9a-f]{64}")
ABOUT = ("Test files that were already broken when hfguard was adopted. 'hfguard verify' counts them while they stay "
         "unchanged; a changed file must compile. Fix a file, then 'hfguard verify --prune-baseline'.")


@dataclass(frozen=True)
class Debt:
    """One file of the baseline: where it is, the hash of the broken content, and what was wrong with it."""

    path: str  # relative to the registry's folder, with '/'
    sha256: str
    line: int
    finding: str


@dataclass
class Baseline:
    """The baseline of one registry (empty when there is no file)."""

    path: Path
    files: dict[str, Debt]

    def relative(self, name: str | Path) -> str:
        """``name`` (a file path) as the baseline keys it: relative to the registry's folder, with '/'."""
        return Path(os.path.relpath(os.path.abspath(name), os.path.abspath(self.path.parent))).as_posix()

    def expected(self, names: list[str]) -> dict[str, str]:
        """file name -> the hash its baseline entry holds, for the ``names`` that have one."""
        if not self.files:
            return {}
        found = {}
        for name in names:
            debt = self.files.get(self.relative(name))
            if debt is not None:
                found[name] = debt.sha256
        return found


def baseline_path(root: Path) -> Path:
    """Where the baseline of the registry in ``root`` lives."""
    return root / BASELINE_NAME


def load_baseline(root: Path) -> Baseline:
    """The baseline beside the registry in ``root`` (empty when there is none); a damaged one is an error naming it."""
    path = baseline_path(root)
    text = read_text(path, "baseline")
    if text is None:
        return Baseline(path, {})
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise HfguardError(Problem(f"not JSON: {error.msg}; restore it from git", path, error.lineno, error.colno)) from None
    files = data.get("files") if isinstance(data, dict) and data.get("schema") == SCHEMA else None
    if not isinstance(files, dict):
        raise HfguardError(Problem(f"not an hfguard baseline (schema {SCHEMA} with 'files'); restore it from git", path))
    entries = {}
    for key, value in files.items():
        debt = _debt(key, value)
        if debt is None:
            line = next((n for n, row in enumerate(text.splitlines(), 1) if json.dumps(key) in row), None)
            raise HfguardError(Problem(f"invalid entry {printable(str(key), 80)!r}: a relative path with sha256, line and "
                                       "finding; restore it from git", path, line))
        entries[key] = debt
    return Baseline(path, entries)


def _debt(key: object, value: object) -> Debt | None:
    if not isinstance(key, str) or not isinstance(value, dict) or printable(key) != key or not key:
        return None
    if key.startswith("/") or ".." in key.split("/") or "\\" in key:
        return None
    sha, line, finding = value.get("sha256"), value.get("line"), value.get("finding")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha) or type(line) is not int or line < 1:
        return None
    if not isinstance(finding, str) or printable(finding, MAX_FINDING) != finding:
        return None
    return Debt(key, sha, line, finding)


def is_known_broken(path: Path) -> bool:
    """Whether the baseline of the registry above ``path`` holds it broken and it is unchanged since (the generated
    tests folder's conftest leaves such a file uncollected: it cannot be imported, and ``verify`` counts it)."""
    from hfguard.config import find_config

    try:
        baseline = _baseline_above(find_config(path.parent).parent)
        debt = baseline.files.get(baseline.relative(path))
        return debt is not None and hashlib.sha256(path.read_bytes()).hexdigest() == debt.sha256
    except (HfguardError, OSError):
        return False


@functools.lru_cache(maxsize=4)
def _baseline_above(root: Path) -> Baseline:
    return load_baseline(root)


def baseline_text(entries: dict[str, Debt]) -> str:
    """The baseline file: one line per entry, sorted by path, so a pull request's diff shows each file paid down."""
    rows = [f"  {json.dumps(path)}: {json.dumps({'sha256': debt.sha256, 'line': debt.line, 'finding': debt.finding})}"
            for path, debt in sorted(entries.items())]
    body = ",\n".join(rows)
    return (f'{{\n "schema": {SCHEMA},\n "about": {json.dumps(ABOUT)},\n "files": {{\n' + (f"{body}\n" if rows else "")
            + " }\n}\n")


def write_baseline(path: Path, entries: dict[str, Debt]) -> None:
    """Write the baseline atomically (a link there is replaced, not written through)."""
    write_atomic(path, baseline_text(entries))
