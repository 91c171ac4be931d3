"""The nightly modes of the action: ``sweep`` (one shard) and ``report`` (merge, badge, history, chart, issue)."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from hfguard.errors import HfguardError

if TYPE_CHECKING:
    from main import Inputs, Run

SWEEP_DIR = Path("hfguard-sweep")
HISTORY = "history.jsonl"
HISTORY_CHART = "coverage-history.svg"


def sweep_shard(inputs: Inputs, run: Run) -> None:
    """Generate the registry's files, run shard ``inputs.shard`` of them, and write its coverage report."""
    from hfguard.config import load_config
    from main import BADGE, MARKDOWN, REPORT, REPORT_DIR

    config = load_config(inputs.config)
    if inputs.transformers == "latest" and config.lock_path.is_file():
        check = run.hfguard("lock", "--check", "--config", str(inputs.config), capture=True, ok_codes=(0, 1)).stdout
        print(check, end="")
        new = [m.group(1) for m in re.finditer(r": new model type (\S+) ", check)]
        run.outputs["changed-models"] = " ".join(new)
        run.summary.append(f"New model types in the latest transformers: {', '.join(new) or 'none'}\n")
    if inputs.transformers == "latest" or not config.lock_path.is_file():
        run.hfguard("lock", "--config", str(inputs.config))
    run.hfguard("generate", "--config", str(inputs.config))
    out = SWEEP_DIR.resolve()
    names = [] if config.target == "all" else sorted(config.models)
    run.hfguard("sweep", *names, "--shard", inputs.shard, "--out", str(out), "--lock", str(config.lock_path),
                "--jobs", str(os.cpu_count() or 2) if inputs.jobs == "auto" else inputs.jobs, ok_codes=(0, 1))
    REPORT_DIR.mkdir(exist_ok=True)
    run.hfguard("coverage", "--config", str(inputs.config), "--junit", str(out / "junit.xml"), "--json", str(REPORT),
                "--markdown", str(MARKDOWN), "--badge", str(BADGE))
    run.outputs["report-path"] = str(REPORT)
    run.summary.insert(0, (out / "results.md").read_text(encoding="utf-8") if (out / "results.md").is_file() else "")


def report(inputs: Inputs, run: Run) -> None:
    """Merge the shard reports; compare with the previous night; badge, history line, chart; tracking issue on a drop."""
    from hfguard import coverage
    from main import BADGE, MARKDOWN, REPORT, REPORT_DIR

    from chart import append_history, render_chart

    shards = sorted(inputs.shard_reports.glob("**/*.json"))
    if not shards:
        raise HfguardError(f"no shard reports (*.json) under {inputs.shard_reports}")
    REPORT_DIR.mkdir(exist_ok=True)
    run.hfguard("coverage", "merge", *map(str, shards), "-o", str(REPORT))
    merged = coverage.load_report(REPORT)
    previous = inputs.previous_dir / REPORT.name
    delta = coverage.compute_delta(coverage.load_report(previous), merged, "the previous nightly run") if previous.is_file() else None
    coverage.write_report(merged, REPORT, delta)
    markdown = coverage.render_markdown(merged, delta)
    MARKDOWN.write_text(markdown, encoding="utf-8")
    BADGE.write_text(coverage.render_badge(merged), encoding="utf-8")
    measure, pct = merged.headline()
    history = REPORT_DIR / HISTORY
    if (inputs.previous_dir / HISTORY).is_file():
        shutil.copyfile(inputs.previous_dir / HISTORY, history)
    points = append_history(history, merged, run.env.get("GITHUB_SHA", ""), time.strftime("%Y-%m-%d"))
    (REPORT_DIR / HISTORY_CHART).write_text(render_chart(points), encoding="utf-8")
    run.outputs.update({"coverage": f"{pct:g}", "report-path": str(REPORT)})
    run.summary.insert(0, markdown)
    if delta is not None:
        run.outputs["delta"] = coverage.delta_points(delta, measure)[1]
        if coverage.is_drop(delta):  # the GitHub step opens or updates the tracking issue with this body
            from main import ISSUE_BODY

            ISSUE_BODY.write_text(markdown, encoding="utf-8")
            run.outputs["github"] = "issue"
