"""The command line: help, version, dispatch, and light start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hfguard import __version__
from hfguard.cli import SUBCOMMANDS, main

HEAVY = ("torch", "transformers", "git", "github", "jinja2")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"hfguard {__version__}"


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in SUBCOMMANDS)


def test_unknown_command_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verfy"]) == 2
    assert "did you mean 'verify'" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_every_subcommand_has_help_and_loads_nothing_heavy(name: str, tmp_path: Path) -> None:
    probe = (
        "import sys; from hfguard.cli import main\n"
        "try:\n    main([sys.argv[1], '--help'])\nexcept SystemExit as exit:\n    code = exit.code\n"
        f"print('LOADED', [m for m in {HEAVY!r} if m in sys.modules])\nsys.exit(code)"
    )
    result = subprocess.run([sys.executable, "-c", probe, name], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"hfguard {name}" in result.stdout
    loaded = result.stdout.rsplit("LOADED", 1)[1].strip()
    assert loaded == "[]", f"'hfguard {name} --help' imported {loaded}"
