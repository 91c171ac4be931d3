"""Shared fixtures: the real catalogue of the installed transformers, built once per worker."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# generated tests that hfguard's own tests run are the pull-request tier: the nightly tier's checks (an export, loads)
# are shown directly on their models in test_testing_checks*.py
os.environ.setdefault("HFGUARD_TIER", "pr")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("HFGUARD_ARTIFACTS", PROJECT_ROOT / "build" / "test-artifacts"))  # e.g. screenshots
_STARTED = time.time()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the artifacts (screenshots) this run left, so they can be looked at."""
    kept = sorted(path for path in ARTIFACTS.glob("*") if path.stat().st_mtime >= _STARTED) if ARTIFACTS.is_dir() else []
    for path in kept:
        terminalreporter.write_line(f"test artifact: {path}")


@pytest.fixture(scope="session")
def lock_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    """``hfguard.lock`` text of the installed transformers, built once per test run (all xdist workers)."""
    pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")
    from filelock import FileLock

    from hfguard.catalogue import build_catalogue

    # xdist workers' temp dirs sit in the run's own dir; without xdist the parent outlives the run (a stale lock)
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "hfguard-real.lock"
    with FileLock(str(shared) + ".guard"):
        if not shared.is_file():
            shared.write_text(build_catalogue().to_json())
        return shared.read_text()


@pytest.fixture(scope="session")
def real_catalogue(lock_text: str):
    """The catalogue of the installed transformers (skips when it is not installed)."""
    from hfguard.catalogue import Catalogue

    return Catalogue.from_json(lock_text, Path("hfguard.lock"))


@pytest.fixture(scope="session")
def messy_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed-shaped repository of ``tests/messy_repo.py``, written once per worker: copy it before changing it."""
    from messy_repo import write_repository

    root = tmp_path_factory.mktemp("messy") / "repo"
    write_repository(root)
    return root


@pytest.fixture
def project_dir(tmp_path: Path, lock_text: str) -> Path:
    """A temp repository root with a registry of four core models and a real lock."""
    (tmp_path / "hfguard.toml").write_text(
        'tests_dir = "tests/models"\n\n[models.bert]\n\n[models.gpt2]\n\n[models.t5]\n\n[models.vit]\n'
    )
    (tmp_path / "hfguard.lock").write_text(lock_text)
    return tmp_path


def run_hfguard(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``hfguard`` command line in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "hfguard", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


HEAVY_MODULES = ("torch", "transformers", "git", "github", "jinja2")


def run_listing_heavy_imports(argv: list[str], cwd: Path, watch: tuple[str, ...] = (),
                              env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run ``hfguard ARGV`` in a fresh interpreter; its result (stdout without the probe line) and the heavy modules (and
    those of ``watch``, e.g. a team's check module) it loaded."""
    probe = (
        "import sys\nfrom hfguard.cli import main\n"
        "try:\n    code = main(sys.argv[1:])\nexcept SystemExit as exit:\n    code = exit.code\n"
        f"print('\\nLOADED', sorted(m for m in {HEAVY_MODULES + watch!r} if m in sys.modules))\nsys.exit(code)"
    )
    result = subprocess.run([sys.executable, "-c", probe, *argv], cwd=cwd, capture_output=True, text=True,
                            env={**os.environ, **(env or {})})
    body, _, loaded = result.stdout.rpartition("\nLOADED ")
    result.stdout = body
    return result, ast.literal_eval(loaded.strip())


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian Chromium for the session, driven by Playwright (mark its tests ``xdist_group("browser")``)."""
    sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
    from bench_dashboard import CHROMIUM, FLAGS  # one place names the browser and its flags

    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (make test does it as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]'")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()
