"""``hfguard install-hook``: install hfguard's plain git pre-commit hook (for repos without pre-commit)."""

from __future__ import annotations

import argparse
import os
import subprocess
from importlib import resources
from pathlib import Path

from hfguard.errors import HfguardError, Problem, run_reporting_errors

MARKER = "# hfguard-hook:"
BACKUP_NAME = "pre-commit.hfguard-backup"


def build_parser() -> argparse.ArgumentParser:
    """Options of ``hfguard install-hook``."""
    parser = argparse.ArgumentParser(
        prog="hfguard install-hook",
        description="Copy hfguard's git pre-commit hook (runs 'hfguard verify' on staged test files) into "
        "$(git rev-parse --git-path hooks)/pre-commit.",
    )
    parser.add_argument(
        "--force", action="store_true", help=f"replace another pre-commit hook, keeping it as {BACKUP_NAME}"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Install the hook; 0 when it is (already) installed, 2 when a foreign hook is in the way."""
    args = build_parser().parse_args(argv)
    return run_reporting_errors(lambda: _run(args.force))


def hook_script() -> str:
    """The hook script shipped with hfguard (``hooks/pre-commit`` in the source tree)."""
    return resources.files("hfguard.hooks").joinpath("pre-commit").read_text(encoding="utf-8")


def hooks_dir() -> Path:
    """The hooks folder git uses here (honours ``core.hooksPath`` and worktrees)."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--git-path", "hooks"], capture_output=True, text=True, check=True
        )
    except FileNotFoundError:
        raise HfguardError("git is not installed or not on PATH") from None
    except subprocess.CalledProcessError as error:
        raise HfguardError(f"not in a git repository ({error.stderr.strip()})") from None
    return Path(result.stdout.strip()).absolute()


def install(target: Path, force: bool) -> str:
    """Write the hook to ``target``; return what was done (a foreign hook needs ``force``)."""
    script = hook_script()
    if target.is_file():
        current = target.read_text(encoding="utf-8", errors="replace")
        if current == script:
            _make_executable(target)
            return f"hfguard's pre-commit hook is already installed at {target}"
        if MARKER not in current:
            backup = target.with_name(BACKUP_NAME)
            if not force:
                raise HfguardError(
                    Problem(
                        f"another pre-commit hook is installed; rerun with --force to replace it "
                        f"(it will be kept as {BACKUP_NAME})",
                        target,
                    )
                )
            if backup.exists():
                raise HfguardError(Problem("a backup from an earlier --force is in the way; move it first", backup))
            os.replace(target, backup)
            _write(target, script)
            return f"installed hfguard's pre-commit hook at {target}; the previous hook is kept as {backup}"
    target.parent.mkdir(parents=True, exist_ok=True)
    _write(target, script)
    return f"installed hfguard's pre-commit hook at {target}"


def _write(target: Path, script: str) -> None:
    tmp = target.with_name(f".{target.name}.hfguard-tmp")
    tmp.write_text(script, encoding="utf-8")
    _make_executable(tmp)
    os.replace(tmp, target)


def _make_executable(path: Path) -> None:
    path.chmod(path.stat().st_mode | 0o755)


def _run(force: bool) -> int:
    print(install(hooks_dir() / "pre-commit", force))
    return 0
