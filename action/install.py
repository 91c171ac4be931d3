"""Install hfguard from the action's own checkout (so it is exactly the action's version) into a venv.

Prints nothing but pip's progress; writes ``python=<venv python>`` to ``GITHUB_OUTPUT`` for the next step.
The ``hf`` extra (torch, transformers, pytest-xdist) is installed only when the run executes tests. The inputs
are read as every step reads them (``inputs.py``); a bad one is one ``::error`` line and exit 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the action's own modules; -I leaves the script's folder out

from inputs import InputError, Inputs  # noqa: E402 - after the path of the action's modules

# The CPU build of torch; PyPI's default Linux wheel pulls gigabytes of CUDA libraries.
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"


def torch_requirement(constraints: Path) -> str:
    """The ``torch==`` pin of the action's constraints."""
    return next(line.strip() for line in constraints.read_text().splitlines() if line.startswith("torch=="))


def main() -> int:
    try:
        inputs = Inputs.from_env(os.environ)
    except InputError as error:
        print(f"::error title=hfguard::{error}")  # the message names the input and its value, on one line
        return 2
    action = Path(os.environ["GITHUB_ACTION_PATH"])
    constraints = action / "requirements" / "constraints.txt"
    target = Path(os.environ.get("RUNNER_TEMP") or action.parent) / "hfguard-venv"
    venv.create(target, with_pip=True, clear=True)
    python = target / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # isolated (-I), from the action's folder: nothing of the workspace is imported, not even by pip
    pip = [str(python), "-I", "-m", "pip", "install", "--disable-pip-version-check", "-c", str(constraints)]
    if inputs.runs_tests:
        subprocess.run([*pip, "--index-url", TORCH_INDEX, torch_requirement(constraints)], check=True, cwd=action)
        subprocess.run([*pip, f"{action}[hf,github]", "pytest", "pytest-xdist"], check=True, cwd=action)
        if inputs.transformers == "latest":
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
