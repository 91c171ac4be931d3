"""The nightly keeps every night whose report was written (issue 19, case 5): the workflow's job graph, evaluated with
GitHub's semantics (``needs``, job-level ``if:`` with the implicit ``success()`` over every job up the chain, job outputs),
around the composite action's real steps (``run: report`` and ``run: save-history`` by the local runner, the data branch in
a local bare repository, the tracking issue on the fake GitHub API).

Five nights in a row, the workflow ``hfguard init`` writes: a good night, one failing shard, a refused tracking issue
(403), a refused Pages deploy, a damaged history record on the data branch. The sweep jobs are stand-ins (their shards'
folders, as the real ones upload them); every other step is either the hfguard action or a stand-in of the artifact and
Pages actions that copies folders.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from hfguard import scaffold
from tests.action_runner import JobResult, run_action, run_steps, run_workflow
from tests.conftest import PROJECT_ROOT
from tests.fake_github import TOKEN, FakeGitHub
from tests.nights import model, write_results

REPO = "acme/models"
SHA = "0123456789abcdef0123456789abcdef01234567"
PLAN = {"1": ["bert"], "2": ["gpt2"]}  # two pinned shards of one model type each
GITHUB = {"event_name": "schedule", "ref_name": "main", "event": {"repository": {"default_branch": "main"}}, "token": TOKEN,
          "repository": REPO}
# night -> (status of bert, status of gpt2, what else goes wrong that night)
NIGHTS = {
    "a good night": ("passing", "passing", ""),
    "one failing shard": ("passing", "failing", ""),
    "a refused tracking issue": ("failing", "failing", "issue 403"),
    "a refused Pages deploy": ("passing", "passing", "pages 403"),
    "a broken history record": ("passing", "passing", "bad record"),
}
EXPECTED = {  # night -> result of sweep, report, history, pages
    "a good night": ("success", "success", "success", "success"),
    "one failing shard": ("failure", "success", "success", "success"),
    "a refused tracking issue": ("failure", "success", "success", "success"),
    "a refused Pages deploy": ("success", "success", "success", "failure"),
    "a broken history record": ("success", "success", "success", "success"),
}


def nightly(path: str = ".github/workflows/hfguard-nightly.yml") -> dict[str, Any]:
    reference = scaffold.ActionReference("acme/hfguard", SHA, "v0.1.0")
    return yaml.safe_load(scaffold.render(reference)[path])


FAMILIES = {"bert": "encoder-only", "gpt2": "decoder-only"}


def shard(folder: Path, index: int, status: str) -> Path:
    """What a sweep shard uploads: its sweep results, its coverage report (every model type of the registry, results for
    its own) and shard.json."""
    [name] = PLAN[str(index)]
    message = "AssertionError: logits differ by 0.5" if status == "failing" else ""
    write_results(folder / "sweep", [model(name, FAMILIES[name], status, message, {"forward_shapes": ("failed", message)} if message else None)])
    (folder / "shard.json").write_text(json.dumps({"shard": index, "of": 2, "transformers": "pinned", "plan": PLAN}))
    models = {other: {"family": family, "file": f"tests/models/test_hf_{other}.py", "verified": True, "detail": "",
                      "tests": {"test_forward_shapes": "failed" if status == "failing" else "passed"} if other == name else {}}
              for other, family in FAMILIES.items()}
    (folder / "coverage.json").write_text(json.dumps({"schema_version": 1, "denominator": "registry", "transformers_version": "5.24.0",
                                                      "has_results": True, "models": models}))
    return folder


class Night:
    """One run of the workflow: the artifact store, the stand-in steps and the hfguard action's real ones."""

    def __init__(self, root: Path, statuses: tuple[str, str], trouble: str, env: dict[str, str], fake: FakeGitHub,
                 site: Path) -> None:
        self.root, self.statuses, self.trouble, self.env, self.fake, self.site = root, statuses, trouble, env, fake, site
        self.artifacts: dict[str, Path] = {}
        self.logs: list[str] = []

    def job(self, name: str, job: dict[str, Any], needs: dict[str, Any]) -> JobResult:
        workspace = self.root / name
        workspace.mkdir(parents=True)
        if name == "sweep":  # the matrix's shards upload their folders even when their sweep fails
            for index, status in enumerate(self.statuses, 1):
                self.artifacts[f"hfguard-shard-pinned-{index}"] = shard(workspace / str(index), index, status)
            return JobResult("failure" if "failing" in self.statuses else "success")
        return run_steps(job, GITHUB, needs, lambda step, inputs: self.step(workspace, step, inputs))

    def step(self, workspace: Path, step: dict[str, Any], inputs: dict[str, str]) -> tuple[str, dict[str, str]]:
        action = step["uses"].split("@")[0]
        if action == "acme/hfguard":
            result = run_action(workspace, inputs, GITHUB["event"], event_name="schedule", repository=REPO, api_url=self.fake.base_url,
                                extra_env=self.env, github_token=TOKEN)
            self.logs.append(result.log)
            return ("success" if result.returncode == 0 else "failure"), result.outputs
        if action == "actions/download-artifact":
            names = fnmatch.filter(self.artifacts, inputs["pattern"]) if "pattern" in inputs else [inputs["name"]]
            for name in names:
                shutil.copytree(self.artifacts[name], workspace / inputs["path"] / (name if "pattern" in inputs else ""), dirs_exist_ok=True)
            return ("success" if names and all(name in self.artifacts for name in names) else "failure"), {}
        if action in ("actions/upload-artifact", "actions/upload-pages-artifact"):
            source = workspace / inputs["path"]
            if not source.is_dir():
                return "failure", {}
            self.artifacts[inputs.get("name", "github-pages")] = shutil.copytree(source, self.root / "artifacts" / inputs.get("name", "github-pages"))
            return "success", {}
        if action == "actions/configure-pages":
            return "success", {}
        if action == "actions/deploy-pages":
            if self.trouble == "pages 403" or "github-pages" not in self.artifacts:
                return "failure", {}
            shutil.rmtree(self.site, ignore_errors=True)
            shutil.copytree(self.artifacts["github-pages"], self.site)
            return "success", {"page_url": "https://acme.github.io/models/"}
        raise AssertionError(f"no stand-in for {action}")


def data_branch_history(server: Path) -> list[str]:
    shown = subprocess.run(["git", "show", "hfguard-data:history.jsonl"], cwd=server, capture_output=True, text=True, check=True)
    return shown.stdout.splitlines()


def damage_the_data_branch(server: Path, tmp_path: Path) -> None:
    """A commit on the data branch that appends a record of the wrong types (as a hand edit or another tool might)."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "-b", "hfguard-data", str(server), str(clone)], check=True)
    with (clone / "history.jsonl").open("a") as handle:
        handle.write(json.dumps({"night": "abc", "branch": "main", "event": "schedule", "passing_pct": "x", "missing_shards": 5}) + "\n")
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "hand edit"], cwd=clone, check=True)
    subprocess.run(["git", "push", "-q", "origin", "hfguard-data"], cwd=clone, check=True)


def test_the_report_jobs_and_the_downstream_jobs_agree_in_both_nightlies() -> None:
    """hfguard's own nightly (uses: ./) has the same job graph after the sweep as the one 'hfguard init' writes."""
    own = yaml.safe_load((PROJECT_ROOT / ".github/workflows/nightly.yml").read_text())
    written = nightly()
    for name in ("report", "history", "pages"):
        assert (own["jobs"][name]["needs"], own["jobs"][name]["if"]) == (written["jobs"][name]["needs"], written["jobs"][name]["if"]), name
        assert own["jobs"][name].get("outputs") == written["jobs"][name].get("outputs"), name
    for name in ("history", "pages"):
        assert written["jobs"][name]["if"].startswith("${{ !cancelled() && needs.report.outputs.dashboard != ''"), name
    uploads = [step for step in written["jobs"]["report"]["steps"] if "upload" in step.get("uses", "")]
    assert [step["if"] for step in uploads] == ["${{ !cancelled() && steps.report.outputs.dashboard-path != '' }}"] * 2


def test_every_night_with_a_report_is_kept_and_published(tmp_path: Path) -> None:
    server = tmp_path / "server/acme/models.git"
    subprocess.run(["git", "init", "-q", "--bare", str(server)], check=True)
    workflow, site = nightly(), tmp_path / "site"
    table = {}
    with FakeGitHub() as fake:
        fake.add_pr(REPO, 1)  # the repository exists, with a pull request among its issues
        for number, (name, (bert, gpt2, trouble)) in enumerate(NIGHTS.items(), 1):
            if trouble == "bad record":
                damage_the_data_branch(server, tmp_path)
            fake.forbid_writes = trouble == "issue 403"
            env = {"GITHUB_SERVER_URL": server.parent.parent.as_uri(), "GITHUB_REF_NAME": "main", "GITHUB_RUN_ID": str(number)}
            night = Night(tmp_path / f"night{number}", (bert, gpt2), trouble, env, fake, site)
            jobs = run_workflow(workflow, GITHUB, night.job)
            table[name] = tuple(jobs[job].result for job in ("sweep", "report", "history", "pages"))
            print(f"| {name} | " + " | ".join(table[name]) + " |")
            assert table[name] == EXPECTED[name], "\n".join(night.logs)
            assert jobs["report"].outputs["dashboard"] == "hfguard-report/dashboard"
            log = "\n".join(night.logs)
            if trouble == "issue 403":
                assert "::warning title=hfguard::GitHub refused the tracking issue (403" in log and "::error" not in log
            if trouble == "bad record":
                assert "1 line of history.jsonl is no valid history record and left out (first: line 5: 'night' is \"abc\"" in log
                page = (site / "index.html").read_text()
                assert "no valid history record" in page
    history = data_branch_history(server)
    records = [json.loads(line) for line in history]
    assert [record["night"] for record in records] == [1, 2, 3, 4, "abc", 5]  # every night kept; the damaged line left as it was
    assert [record["passing_pct"] for record in records if record["night"] != "abc"] == [100.0, 50.0, 0.0, 100.0, 100.0]
    [issue] = fake.issues.values()  # opened by night 2; night 3's update was refused and only warned about
    assert issue["title"] == "hfguard nightly: model-type coverage dropped (main)" and "gpt2" in issue["body"]
    assert (site / "index.html").is_file() and (site / "history.jsonl").read_text().count("\n") == 6  # night 5's dashboard


def test_a_night_on_another_branch_is_not_compared_with_the_default_branchs(tmp_path: Path) -> None:
    """Issue 19, case 7: the previous night on record is main's; a manual run on a feature branch that does worse is not a
    drop against it (no delta, no tracking issue) and says why."""
    previous = tmp_path / "previous"
    for night, (branch, gpt2) in enumerate((("main", "passing"), ("feature", "failing")), 1):
        workspace = tmp_path / branch
        shard(workspace / "hfguard-shards/1", 1, "passing")
        shard(workspace / "hfguard-shards/2", 2, gpt2)
        if previous.is_dir():
            shutil.copytree(previous, workspace / "hfguard-previous")
        event_name = "schedule" if branch == "main" else "workflow_dispatch"
        result = run_action(workspace, {"run": "report"}, {}, event_name=event_name, extra_env={"GITHUB_REF_NAME": branch})
        assert result.returncode == 0, result.log
        shutil.copytree(workspace / "hfguard-report/baseline", previous, dirs_exist_ok=True)
    assert result.outputs["delta"] == "" and result.steps["hfguard"]["outputs"].get("github", "") == ""
    assert "The previous night on record is of branch 'main', not of 'feature': tonight is not compared with it" in result.summary
