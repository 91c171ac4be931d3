"""The command line: help, version, dispatch, and light start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_listing_heavy_imports
from hfguard import __version__
from hfguard.cli import SUBCOMMANDS, main

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
    result, loaded = run_listing_heavy_imports([name, "--help"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"hfguard {name}" in result.stdout
    assert loaded == [], f"'hfguard {name} --help' imported {loaded}"


def test_a_closed_pipe_ends_quietly(project_dir: Path) -> None:
    """``hfguard generate --check | head`` must not end in a BrokenPipeError traceback."""
    shell = f"{sys.executable} -m hfguard generate --check | head -n 1"
    result = subprocess.run(["bash", "-c", shell], cwd=project_dir, capture_output=True, text=True)
    assert result.stdout.startswith("--- a/tests/models/test_hf_bert.py")
    assert result.stderr == ""
