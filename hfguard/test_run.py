"""One pytest run of generated test files, as the sweep and ``hfguard mutate`` start it: offline, one thread per
worker, pytest-xdist workers taking whole files, a JUnit XML report, and no per-test log capture (the checks'
failure messages carry the numbers; capturing every test's log records costs about a quarter of pytest's
per-test overhead over 10,000 tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hfguard.testing.mutations import LOG_ENV, MUTATION_ENV


def run_tests(tests: Path, junit: Path, jobs: int, timeout: int) -> int:
    """Run the test files under ``tests`` with ``jobs`` xdist workers (0: in this process's child alone); pytest's exit code."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HFGUARD_TEST_TIMEOUT": str(timeout),
           "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}
    for name in (MUTATION_ENV, LOG_ENV):  # set by hfguard mutate for the modules it breaks, never inherited
        env.pop(name, None)
    command = [sys.executable, "-m", "pytest", str(tests), f"--junitxml={junit}", "-q", "-p", "no:cacheprovider",
               "-p", "no:logging", "--rootdir", str(tests), "--import-mode=importlib", "-o", "addopts=", "-W", "ignore"]
    if jobs > 0:
        command += ["-n", str(jobs), "--dist", "loadfile"]
    return subprocess.run(command, env=env, cwd=tests, stdout=subprocess.DEVNULL, check=False).returncode
