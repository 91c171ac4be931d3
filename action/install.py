"""Install hfguard from the action's own checkout (so it is exactly the action's version) into a venv.

Prints nothing but pip's progress; writes ``python=<venv python>`` to ``GITHUB_OUTPUT`` for the next step.
The ``hf`` extra (torch, transformers, pytest-xdist) is installed only when the run executes tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

# The CPU build of torch; PyPI's default Linux wheel pulls gigabytes of CUDA libraries.
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
TEST_RUNS = ("test", "sweep")


def needs_hf(env: dict[str, str] | os._Environ[str]) -> bool:
    """Whether this run executes generated tests or reads transformers."""
    return env.get("INPUT_RUN", "all") in TEST_RUNS or env.get("INPUT_RUN_TESTS", "false") == "true"


def torch_requirement(constraints: Path) -> str:
    """The ``torch==`` pin of the action's constraints."""
    return next(line.strip() for line in constraints.read_text().splitlines() if line.startswith("torch=="))


def main() -> int:
    action = Path(os.environ["GITHUB_ACTION_PATH"])
    constraints = action / "requirements" / "constraints.txt"
    target = Path(os.environ.get("RUNNER_TEMP") or action.parent) / "hfguard-venv"
    venv.create(target, with_pip=True, clear=True)
    python = target / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # isolated (-I), from the action's folder: nothing of the workspace is imported, not even by pip
    pip = [str(python), "-I", "-m", "pip", "install", "--disable-pip-version-check", "-c", str(constraints)]
    if needs_hf(os.environ):
        subprocess.run([*pip, "--index-url", TORCH_INDEX, torch_requirement(constraints)], check=True, cwd=action)
        subprocess.run([*pip, f"{action}[hf,github]", "pytest", "pytest-xdist"], check=True, cwd=action)
        if os.environ.get("INPUT_TRANSFORMERS") == "latest":
            subprocess.run([str(python), "-I", "-m", "pip", "install", "--upgrade", "transformers"], check=True, cwd=action)
    else:
        subprocess.run([*pip, f"{action}[github]"], check=True, cwd=action)
    version = subprocess.run([str(python), "-I", "-m", "hfguard", "--version"], check=True, capture_output=True, text=True,
                             cwd=action).stdout.strip()
    print(f"installed {version} from {action}")
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
        handle.write(f"python={python}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
