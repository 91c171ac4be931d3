"""The action's upgrade check: the plan step found that the pull request moves the transformers pin of ``hfguard.lock``;
sweep the registry's model types under the old and the new version (each in its own environment, outside the
workspace) and compare them.

The sweeps run code of the pull request's repository, which is why the plan step decided before them that no step
with the token follows. The comparison (``hfguard-report/upgrade.json``) is added to the sticky comment by
``hfguard comment --upgrade``.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from install import TORCH_INDEX, torch_requirement
from protocol import REPORT_DIR

if TYPE_CHECKING:
    from inputs import Inputs
    from protocol import Run

UPGRADE_DIR = REPORT_DIR / "upgrade"
UPGRADE_JSON = REPORT_DIR / "upgrade.json"


def upgrade_check(inputs: Inputs, run: Run, old: str, new: str) -> Path | None:
    """Sweep under transformers ``old`` and ``new``; the comparison file, or None when it could not be made."""
    from hfguard.config import load_config

    config = load_config(inputs.config)
    names = sorted(config.models) if config.target != "all" else []
    jobs = str(os.cpu_count() or 2) if inputs.jobs == "auto" else inputs.jobs
    action = Path(run.env.get("GITHUB_ACTION_PATH", Path(__file__).resolve().parent.parent))
    torch = ("--torch", torch_requirement(action / "requirements" / "constraints.txt"), "--torch-index", TORCH_INDEX)
    for version in (old, new):  # each environment in $RUNNER_TEMP (hfguard sweep's default in a workflow)
        run.hfguard("sweep", *names, "--transformers", version, "--out", str(UPGRADE_DIR / version), "--jobs", jobs, *torch,
                    *(["--install", shlex.join(inputs.install)] if inputs.install else []),
                    check=f"sweep under transformers {version}", ok_codes=(0, 1))
    run.hfguard("compare", str(UPGRADE_DIR / old), str(UPGRADE_DIR / new), "--format", "json", "-o", str(UPGRADE_JSON),
                "--label-a", f"transformers {old} (base)", "--label-b", f"transformers {new} (pull request)")
    return UPGRADE_JSON if UPGRADE_JSON.is_file() else None
