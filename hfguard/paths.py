"""One path policy for every file hfguard reads or writes.

Folders named by a repository's settings (``tests_dir``, ``templates_dir``) stay inside the repository
after symbolic links are resolved; otherwise hfguard stops with exit 2 naming the setting. Every output
path (``sweep --out``, ``compare -o``, ``mutate --out``, the Action's report and comment folders, saved
comments) is refused when any part of it inside the repository is a symbolic link, or when it resolves
outside the repository (``output_folder``, ``output_file``): a link a pull request committed never
redirects a write. A test file, template, registry or lock that is itself a
symbolic link is refused, never followed, so no content from outside the repository is read,
printed, diffed or backed up. The compile cache lives outside the repository, in the user's
cache folder, so a committed cache is never read. This module is light (verify imports it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from hfguard.errors import HfguardError, Problem
from hfguard.names import shown

CACHE_DIR_ENV = "HFGUARD_CACHE_DIR"


def repository_root(start: Path) -> Path:
    """The nearest folder from ``start`` upwards holding ``.git`` (resolved), else ``start`` itself."""
    here = start.resolve()
    return next((folder for folder in (here, *here.parents) if (folder / ".git").exists()), here)


def is_inside(path: Path, root: Path) -> bool:
    """Whether ``path``, with every symbolic link resolved, is ``root`` or below it."""
    return path.resolve().is_relative_to(root.resolve())


def check_folder(folder: Path, root: Path, setting: str, value: str, config: Path, line: int | None,
                 must_exist: bool = False) -> None:
    """Refuse the folder a setting names (``value`` as written at ``config:line``) when it resolves outside
    ``root``, is a file, or (``must_exist``) is missing."""
    resolved, label = folder.resolve(), f"{setting} {shown(value)}"
    if not resolved.is_relative_to(root):
        problem = f"{label} resolves to {resolved}, outside the repository {root}; use a folder inside it"
    elif folder.exists() and not folder.is_dir():
        problem = f"{label} is a file, not a folder; point {setting} at a folder"
    elif must_exist and not folder.is_dir():
        problem = f"{label} does not exist; create the folder or remove the {setting} setting"
    else:
        return
    raise HfguardError(Problem(problem, config, line))


def refuse_link(path: Path, what: str) -> None:
    """Refuse ``path`` when it is a symbolic link (even a dangling one): hfguard never follows one."""
    if path.is_symlink():
        raise HfguardError(link_problem(path, what))


def link_problem(path: Path | str, what: str) -> Problem:
    """The one line for a symbolic link where hfguard wants a file or folder of the repository."""
    return Problem(f"{what} is a symbolic link, which hfguard does not follow; replace it with the file itself", path)


def read_bytes(path: Path, what: str) -> bytes | None:
    """The bytes of the regular file ``path``; None when nothing is there; a link or a folder is refused."""
    refuse_link(path, what)
    if not path.exists():
        return None
    if path.is_dir():
        raise HfguardError(Problem(f"{what} is a folder; rename or remove it", path))
    return path.read_bytes()


def decode(data: bytes, path: Path | str, what: str) -> str:
    """UTF-8 text of a file's bytes; a clear error naming the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise HfguardError(Problem(f"{what} is not UTF-8 text (byte {error.start}); save it as UTF-8", path, line)) from None


def read_text(path: Path, what: str) -> str | None:
    """The UTF-8 text of the regular file ``path`` (see ``read_bytes``)."""
    data = read_bytes(path, what)
    return None if data is None else decode(data, path, what)


def output_folder(folder: Path, root: Path, setting: str) -> Path:
    """``folder`` for files hfguard writes, refused (exit 2, naming ``setting``) when any part of it inside the repository
    is a symbolic link, when it resolves outside ``root`` or into ``.git``, or when it is a file."""
    root = root.resolve()
    target = folder if folder.is_absolute() else Path.cwd() / folder
    for depth in range(1, len(target.parts) + 1):  # every part as it is walked, '..' included: a link inside the repository
        part = Path(*target.parts[:depth])       # would send the writes elsewhere
        if part.is_symlink() and Path(os.path.realpath(part.parent)).is_relative_to(root):
            raise HfguardError(link_problem(folder, setting) if part == target else Problem(
                f"{setting} {shown(str(folder))} goes through this symbolic link, which hfguard does not follow; use a real folder", part))
    resolved = target.resolve()
    if not resolved.is_relative_to(root) or resolved.is_relative_to(root / ".git"):
        raise HfguardError(f"{setting} {shown(str(folder))} resolves to {resolved}, outside the repository {root} (or into its .git); "
                           "use a folder inside it")
    if target.exists() and not target.is_dir():
        raise HfguardError(Problem(f"{setting} is a file, not a folder; remove or rename it (a pull request may have committed it)",
                                   folder))
    return folder


def output_file(path: Path, root: Path, what: str) -> Path:
    """``path`` for a file hfguard writes: its folder as ``output_folder`` wants it, the file itself no link and no folder."""
    output_folder(path.parent, root, f"the folder of {what}")
    refuse_link(path, what)
    if path.is_dir():
        raise HfguardError(Problem(f"{what} is a folder; remove or rename it", path))
    return path


def user_cache_dir(env: Mapping[str, str] = os.environ) -> Path | None:
    """``$HFGUARD_CACHE_DIR``, else hfguard's folder in the user's cache (None without a home folder).

    The user's cache is ``$XDG_CACHE_HOME`` or ``~/.cache`` (Linux), ``~/Library/Caches`` (macOS),
    ``%LOCALAPPDATA%`` (Windows).
    """
    if env.get(CACHE_DIR_ENV):
        return Path(env[CACHE_DIR_ENV])
    home_text = env.get("HOME") or env.get("USERPROFILE") or ""
    home = Path(home_text) if os.path.isabs(home_text) else None
    xdg = env.get("XDG_CACHE_HOME", "")
    if sys.platform == "win32":
        base = Path(env["LOCALAPPDATA"]) if env.get("LOCALAPPDATA") else None
    elif sys.platform == "darwin":
        base = home / "Library" / "Caches" if home else None
    else:
        base = Path(xdg) if os.path.isabs(xdg) else home / ".cache" if home else None
    if base is None or not (base.is_dir() or home is not None and home.is_dir()):
        return None
    return base / "hfguard"
