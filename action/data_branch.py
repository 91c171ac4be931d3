"""The nightly's data branch (``hfguard-data``): the history and the last night's results, kept by git, never expiring.

``read`` fetches the branch's newest commit (no work tree, depth 1) and copies its files into a folder;
``save`` commits the new files on top of exactly the commit that was read and pushes without force, so
a branch that moved in between (another run) is an error, never an overwrite. The token goes to git as
an ``http.extraheader`` through ``GIT_CONFIG_*`` variables: never on a command line, never on disk.
"""

from __future__ import annotations

import base64
import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from hfguard.errors import HfguardError

FILES = ("history.jsonl", "results.json", "coverage.json")


def remote(env: Mapping[str, str]) -> str:
    """The repository's git URL (``GITHUB_SERVER_URL``/``GITHUB_REPOSITORY``.git)."""
    repository = env.get("GITHUB_REPOSITORY", "")
    if not repository:
        raise HfguardError("GITHUB_REPOSITORY is not set: which repository holds the data branch?")
    return f"{env.get('GITHUB_SERVER_URL', 'https://github.com').rstrip('/')}/{repository}.git"


def _git(env: Mapping[str, str], *args: str, cwd: Path, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    environment.update(GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1")
    token = env.get("GITHUB_TOKEN", "")
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        environment.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="http.extraheader", GIT_CONFIG_VALUE_0=f"AUTHORIZATION: basic {basic}")
    result = subprocess.run(["git", *args], cwd=cwd, env=environment, capture_output=True, text=True, check=False)
    if result.returncode not in ok:
        detail = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1].replace(token or "\0", "***")
        raise HfguardError(f"git {args[0]} on the data branch failed: {detail}")
    return result


def read(env: Mapping[str, str], branch: str, into: Path) -> str:
    """Copy the data branch's files into ``into``; the commit read, or '' when the branch does not exist yet."""
    url = remote(env)
    with tempfile.TemporaryDirectory(prefix="hfguard-data-") as scratch:
        work = Path(scratch)
        _git(env, "init", "-q", cwd=work)
        found = _git(env, "ls-remote", "--exit-code", url, f"refs/heads/{branch}", cwd=work, ok=(0, 2))
        if found.returncode == 2:
            return ""
        commit = found.stdout.split()[0]
        _git(env, "fetch", "-q", "--depth", "1", url, commit, cwd=work)
        into.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            shown = _git(env, "show", f"{commit}:{name}", cwd=work, ok=(0, 128))
            if shown.returncode == 0:
                (into / name).write_text(shown.stdout, encoding="utf-8")
        return commit


def save(env: Mapping[str, str], branch: str, base: str, source: Path, message: str) -> str:
    """Commit ``source``'s data files on top of ``base`` ('' for a new branch) and push; the new commit."""
    url = remote(env)
    present = [name for name in FILES if (source / name).is_file()]
    if "history.jsonl" not in present:
        raise HfguardError(f"no history.jsonl in {source}: nothing to save on {branch}")
    with tempfile.TemporaryDirectory(prefix="hfguard-data-") as scratch:
        work = Path(scratch)
        _git(env, "init", "-q", "-b", branch, cwd=work)
        if base:
            _git(env, "fetch", "-q", "--depth", "1", url, base, cwd=work)
            _git(env, "reset", "-q", "--hard", base, cwd=work)
        for name in present:
            (work / name).write_bytes((source / name).read_bytes())
        _git(env, "add", "--", *present, cwd=work)
        _git(env, "-c", "user.name=hfguard", "-c", "user.email=hfguard@users.noreply.github.com", "commit", "-q", "-m", message, cwd=work)
        pushed = _git(env, "push", "-q", url, f"HEAD:refs/heads/{branch}", cwd=work, ok=(0, 1))
        if pushed.returncode != 0:
            raise HfguardError(f"{branch} moved since this night read it (another run pushed); nothing was overwritten. "
                               "Re-run the nightly: it will read the new history.")
        return _git(env, "rev-parse", "HEAD", cwd=work).stdout.strip()
