"""The registry is the one truth of every run: a registry setting that breaks a model type shows in the pull request's
tests, in ``hfguard sweep`` (the nightly's) and on the nightly's dashboard as the same failure, with the same first error line.

``tiny = { num_attention_heads = 5 }`` breaks bert (its tiny hidden size is no multiple of 5): every generated test
of bert errors while building the model. Each run here is the real one: the Action's pull-request test step, and the
Action's nightly ``sweep`` (which runs ``hfguard sweep``) and ``report`` modes.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest

from hfguard.results import load_night
from tests.action_runner import run_action
from tests.conftest import run_hfguard
from tests.fake_github import TOKEN, FakeGitHub

pytestmark = pytest.mark.slow

REGISTRY = 'tests_dir = "tests/models"\n\n[models.bert]\ntiny = { num_attention_heads = 5 }\n'


def dashboard_message(index: Path, model_type: str) -> str:
    """The first error shown in the dashboard row of ``model_type``."""
    row = index.read_text(encoding="utf-8").split(f'id="m-{model_type}"', 1)[1].split("</tr>", 1)[0]
    return html.unescape(re.search(r'<td class="msg">(.*?)</td>', row).group(1))


def test_a_breaking_tiny_override_fails_alike_in_the_pull_request_the_sweep_and_the_dashboard(tmp_path: Path, lock_text: str) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "hfguard.toml").write_text(REGISTRY)
    (repo / "hfguard.lock").write_text(lock_text)
    assert run_hfguard("generate", cwd=repo).returncode == 0

    pull_request = run_action(repo, {"run": "coverage", "run-tests": "true", "jobs": "1"}, {})
    assert pull_request.returncode == 1, pull_request.log  # the generated tests failed
    pr = load_night(repo / "hfguard-report" / "coverage.json").models
    assert pr["bert"].status == "failing"
    expected = pr["bert"].message
    assert re.fullmatch(r"test_\w+: .*attention heads.*", expected), expected
    comment = (repo / "hfguard-report" / "coverage.md").read_text()
    test, line = expected.split(": ", 1)
    assert f"`{test}`: {line}" in html.unescape(comment.replace("\\", ""))  # as the comment shows it

    nightly = run_action(repo, {"run": "sweep", "shard": "1/1", "jobs": "1"}, {}, event_name="schedule")  # 'hfguard sweep'
    assert nightly.returncode == 0, nightly.log
    assert "The registry's entries (`hfguard.toml`), with their settings." in nightly.summary
    results = json.loads((repo / "hfguard-report" / "sweep" / "results.json").read_text())
    assert [(m["model_type"], m["status"], m["message"]) for m in results["models"]] == [("bert", "error", expected)]
    report = tmp_path / "report"
    shutil.copytree(repo / "hfguard-report", report / "hfguard-shards" / "pinned-1")
    with FakeGitHub() as github:
        github.add_pr("acme/models", 1)
        dashboard = run_action(report, {"run": "report", "github-token": TOKEN}, {}, event_name="schedule", api_url=github.base_url,
                               extra_env={"GITHUB_REF_NAME": "main"})
    assert dashboard.returncode == 0, dashboard.log
    index = report / "hfguard-report" / "dashboard" / "index.html"
    assert dashboard_message(index, "bert") == expected
