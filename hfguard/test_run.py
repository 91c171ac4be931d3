"""The one pytest setup of generated tests, the same in every run that executes them: the Action's test step,
``hfguard sweep`` (the nightly and the upgrade check) and ``hfguard mutate``.

- **Configuration:** hfguard's own ``pytest.ini`` (``-c``), so no ``pytest.ini``, ``tox.ini``, ``setup.cfg`` or
  ``pyproject.toml`` of the repository applies (no foreign ``addopts``, ``testpaths``, import mode or plugins);
  ``PYTEST_ADDOPTS`` and ``PYTEST_PLUGINS`` are not inherited either.
- **Where:** the root directory is the tests folder and no ``conftest.py`` above it is loaded (``--confcutdir``);
  modules are imported by path (``--import-mode=importlib``), so same-named files elsewhere never clash; pytest
  runs isolated (``python -I``, and ``PYTHONSAFEPATH`` for xdist's workers), so a ``pytest.py`` in the tests
  folder is never imported in pytest's place.
- **Environment:** offline (``HF_HUB_OFFLINE``, ``TRANSFORMERS_OFFLINE``), one thread per worker, the per-test
  deadline, the pull-request tier of checks on a pull request's workflow (``HFGUARD_TIER=pr``), no token, no
  step-output or step-environment file of the runner, no interpreter override
  (``PYTHONPATH``), nothing of ``hfguard mutate`` inherited.
- **Output:** a JUnit XML report; no per-test log capture (the checks' failure messages carry the numbers;
  capturing every test's log records costs about a quarter of pytest's per-test overhead over 10,000 tests).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from hfguard.testing.checks.registry import TIER_ENV
from hfguard.testing.mutations import LOG_ENV, MUTATION_ENV

TEST_TIMEOUT = 90  # seconds per test before it fails
PYTEST_INI = Path(__file__).resolve().parent / "testing" / "pytest.ini"
# Never handed to the tests (code of the repository), nor to the installs and the sweep of another transformers
# environment (hfguard.environment): tokens, the runner's step files (outputs, environment, path, summary),
# interpreter overrides, foreign pytest options, and what hfguard mutate sets for the modules it breaks.
WITHHELD = ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "GH_ENTERPRISE_TOKEN", "INPUT_GITHUB_TOKEN", "INPUT_GITHUB-TOKEN",
            "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL",
            "GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE", "GITHUB_STEP_SUMMARY",
            "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", MUTATION_ENV, LOG_ENV)


def test_environment(base: Mapping[str, str], timeout: int) -> dict[str, str]:
    """The environment generated tests run in: ``base`` minus ``WITHHELD``, offline, one thread, the deadline."""
    env = {key: value for key, value in base.items() if key not in WITHHELD}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HFGUARD_TEST_TIMEOUT=str(timeout), TOKENIZERS_PARALLELISM="false",
               OMP_NUM_THREADS="1", PYTHONSAFEPATH="1")  # xdist's workers, started without -I, do not import from their folder either
    if base.get("GITHUB_EVENT_NAME", "").startswith("pull_request"):
        env.setdefault(TIER_ENV, "pr")  # a pull request runs the pull-request tier of checks, unless its workflow names one
    return env


def pytest_command(tests: Path, junit: Path, jobs: int | str, python: str = sys.executable) -> list[str]:
    """The pytest command line for the test files under ``tests`` (``jobs``: xdist workers, 0 for none, or 'auto')."""
    tests = tests.resolve()
    command = [python, "-I", "-m", "pytest", str(tests), "-c", str(PYTEST_INI), "--rootdir", str(tests), "--confcutdir", str(tests),
               "--import-mode=importlib", "-p", "no:cacheprovider", "-p", "no:logging", "--tb=short", f"--junitxml={junit.resolve()}", "-q"]
    if str(jobs) != "0":
        command += ["-n", str(jobs), "--dist", "loadfile"]
    return command


def install_for_tests(install: Sequence[str], timeout: int) -> None:
    """``pip install INSTALL`` into this environment, in the tests' environment (no token): what the tests import besides
    hfguard, e.g. the team's package its check modules come from (the Action's ``install`` input)."""
    from hfguard.errors import HfguardError

    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *install],
                            env=test_environment(os.environ, timeout), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        raise HfguardError(f"installing what the tests import failed (pip install {' '.join(install)}): {lines[-1] if lines else result.returncode}")


def run_tests(tests: Path, junit: Path, jobs: int | str, timeout: int, quiet: bool = True) -> int:
    """Run the test files under ``tests`` as stated above; pytest's exit code (its output dropped when ``quiet``)."""
    return subprocess.run(pytest_command(tests, junit, jobs), env=test_environment(os.environ, timeout), cwd=tests.resolve(),
                          stdout=subprocess.DEVNULL if quiet else None, check=False).returncode
