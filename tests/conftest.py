"""Shared fixtures: the real catalogue of the installed transformers, built once per worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def real_catalogue():
    """The catalogue built from the installed transformers (skips when it is not installed)."""
    pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")
    from hfguard.catalogue import build_catalogue

    return build_catalogue()


@pytest.fixture(scope="session")
def lock_text(real_catalogue) -> str:
    """``hfguard.lock`` text of the real catalogue."""
    return real_catalogue.to_json()


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
