"""The action's upgrade check: on a pull request that moves the transformers pin of ``hfguard.lock``, sweep the
registry's model types under the old and the new version (each in its own environment) and compare them.

The comparison (``hfguard-report/upgrade.json``) is added to the sticky comment by ``hfguard comment --upgrade``.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from install import TORCH_INDEX, torch_requirement

from hfguard.upgrade import pinned_versions

if TYPE_CHECKING:
    from main import Inputs, Run

UPGRADE_DIR = Path("hfguard-report") / "upgrade"
UPGRADE_JSON = Path("hfguard-report") / "upgrade.json"


def upgrade_check(inputs: Inputs, run: Run, base: str) -> Path | None:
    """The comparison file when the pin moved since ``base`` (both versions swept), else None."""
    from hfguard.config import load_config

    config = load_config(inputs.config)
    old, new = pinned_versions(config, base)
    if not old or not new or old == new:
        print(f"hfguard: transformers pin unchanged ({new or 'no hfguard.lock'}); no upgrade check")
        return None
    names = sorted(config.models) if config.target != "all" else []
    jobs = str(os.cpu_count() or 2) if inputs.jobs == "auto" else inputs.jobs
    action = Path(run.env.get("GITHUB_ACTION_PATH", Path(__file__).resolve().parent.parent))
    torch = ("--torch", torch_requirement(action / "requirements" / "constraints.txt"), "--torch-index", TORCH_INDEX)
    for version in (old, new):
        run.hfguard("sweep", *names, "--transformers", version, "--out", str(UPGRADE_DIR / version), "--jobs", jobs, *torch,
                    "--env-dir", str(Path(run.env.get("RUNNER_TEMP", ".")) / f"hfguard-transformers-{version}"),
                    *(["--install", shlex.join(inputs.install)] if inputs.install else []),
                    check=f"sweep under transformers {version}", ok_codes=(0, 1))
    run.hfguard("compare", str(UPGRADE_DIR / old), str(UPGRADE_DIR / new), "--format", "json", "-o", str(UPGRADE_JSON),
                "--label-a", f"transformers {old} (base)", "--label-b", f"transformers {new} (pull request)")
    return UPGRADE_JSON if UPGRADE_JSON.is_file() else None
