"""``make demo``'s shape: a line per step and a short summary on the terminal, every command's whole output in the log it
names; and hfguard's own packaging builds without a warning (the demo's first run builds it)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

SUMMARY_LINES = 60


def load_demo():
    spec = importlib.util.spec_from_file_location("demo", PROJECT_ROOT / "examples" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_terminal_gets_a_line_per_step_and_the_summary_the_log_gets_everything(tmp_path: Path, capsys) -> None:
    demo = load_demo()

    def noisy(run) -> None:
        """1. A step whose command prints a long traceback."""
        run.run(sys.executable, "-c", "for n in range(900): print(f'Traceback line {n}')", cwd=tmp_path)
        run.note("noisy step", "printed 900 lines")

    def quiet(run) -> None:
        """2. A step that notes its result."""
        run.note("dashboard", str(tmp_path / "index.html"))

    assert demo.main([noisy, quiet], tmp_path / "demo") == 0
    shown = capsys.readouterr().out.splitlines()
    log = tmp_path / "demo" / "demo.log"
    assert len(shown) <= SUMMARY_LINES and not any("Traceback line" in line for line in shown), shown
    assert shown[1].startswith("  1. A step whose command prints a long traceback. (") and shown[2].startswith("  2. A step")
    assert "  noisy step          printed 900 lines" in shown and shown[-2:] == [f"The full log: {log}",
                                                                              f"The dashboard: {tmp_path / 'index.html'}"]
    text = log.read_text()
    assert text.count("\nTraceback line ") == 900 and "[exit 0]" in text and "printed 900 lines" in text


def test_a_failing_step_names_the_log(tmp_path: Path) -> None:
    demo = load_demo()

    def broken(run) -> None:
        """1. A step whose command fails."""
        run.run(sys.executable, "-c", "raise SystemExit(3)", cwd=tmp_path)

    with pytest.raises(SystemExit, match=r"exited 3, expected \(0,\); see .*demo\.log"):
        demo.main([broken], tmp_path / "demo")


@pytest.mark.slow
def test_hfguard_builds_without_packaging_warnings(tmp_path: Path) -> None:
    """A wheel of hfguard, built as pip builds it (isolated, with the setuptools of the index): no deprecation or
    package-discovery warning of hfguard's pyproject.toml, and the dashboard's assets, templates and hook inside."""
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(PROJECT_ROOT)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    warnings = [line for line in built.stderr.splitlines() if "Warning" in line or "deprecated" in line.lower()]
    assert not warnings, warnings
    import zipfile

    [wheel] = tmp_path.glob("hfguard-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for packaged in ("hfguard/report_assets/dashboard.css", "hfguard/report_assets/dashboard.js", "hfguard/templates/_base.j2",
                     "hfguard/hooks/pre-commit", "hfguard/testing/pytest.ini"):
        assert packaged in names, packaged
