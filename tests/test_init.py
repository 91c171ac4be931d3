"""``hfguard init``: the starter files, never overwritten without --force, listed by --dry-run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from hfguard import scaffold
from hfguard.catalogue import FAMILIES
from hfguard.config import load_config
from tests.conftest import PROJECT_ROOT, run_hfguard
from tests.gitrepo import GIT_ENV, GitRepo, catalogue

SHA = "0123456789abcdef0123456789abcdef01234567"
ACTION = ("--action", f"acme/hfguard@{SHA}")
REFERENCE = scaffold.ActionReference("acme/hfguard", SHA, f"v{scaffold.__version__}")
FILES = [".github/workflows/hfguard-nightly.yml", ".github/workflows/hfguard-publish.yml", ".github/workflows/hfguard.yml",
         ".pre-commit-config.yaml", "hfguard.toml"]


def written(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_init_writes_every_file_and_reports_it(tmp_path: Path) -> None:
    result = run_hfguard("init", *ACTION, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert written(tmp_path) == FILES
    assert [line.split(": ")[0] for line in result.stdout.splitlines()[:5]] == ["created"] * 5
    config = load_config(tmp_path / "hfguard.toml")
    config.check_model_types(catalogue().models, FAMILIES)
    assert sorted(config.models) == ["bert", "gpt2"]


def test_existing_files_are_kept_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "hfguard.toml").write_text("[models.t5]\n")
    kept = run_hfguard("init", *ACTION, cwd=tmp_path)
    assert f"exists, skipped: {Path('.') / 'hfguard.toml'}" in kept.stdout
    assert (tmp_path / "hfguard.toml").read_text() == "[models.t5]\n"
    again = run_hfguard("init", *ACTION, cwd=tmp_path)
    assert again.stdout.count("exists, skipped") == 4 and "created" not in again.stdout
    assert "exists, has hfguard's hooks: .pre-commit-config.yaml" in again.stdout
    forced = run_hfguard("init", "--force", *ACTION, cwd=tmp_path)
    assert forced.stdout.count("overwritten: ") == 5
    assert (tmp_path / "hfguard.toml").read_text() == scaffold.REGISTRY


def test_dry_run_lists_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "hfguard.toml").write_text("[models.t5]\n")
    result = run_hfguard("init", "--dry-run", *ACTION, str(tmp_path / "repo"), cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.count("would create: ") == 5
    assert not (tmp_path / "repo").exists()
    forced = run_hfguard("init", "--dry-run", "--force", *ACTION, cwd=tmp_path)
    assert "would overwrite: hfguard.toml" in forced.stdout and forced.stdout.count("would create: ") == 4
    assert written(tmp_path) == ["hfguard.toml"]


def test_pre_commit_config_uses_the_published_hook_ids(tmp_path: Path) -> None:
    run_hfguard("init", *ACTION, cwd=tmp_path)
    published = {hook["id"] for hook in yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text())}
    (repo,) = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())["repos"]
    assert [hook["id"] for hook in repo["hooks"]] == ["hf-test-generate", "hf-test-verify", "hf-test-coverage"]
    assert {hook["id"] for hook in repo["hooks"]} <= published


def test_workflows_use_the_chosen_action_and_the_actions_inputs(tmp_path: Path) -> None:
    sha = SHA
    run_hfguard("init", *ACTION, "--action-tag", "v9.9.9", cwd=tmp_path)
    declared = set(yaml.safe_load((PROJECT_ROOT / "action.yml").read_text())["inputs"])
    uses = 0
    for path in (tmp_path / ".github/workflows").glob("*.yml"):
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            for step in job["steps"]:
                if step.get("uses", "").startswith("acme/hfguard@"):
                    uses += 1
                    assert step["uses"] == f"acme/hfguard@{sha}"
                    assert f"acme/hfguard@{sha} # v9.9.9" in path.read_text()
                    assert set(step.get("with", {})) <= declared, path
    assert uses == 5  # pull request, publish, nightly sweep, report and save-history


def test_shipped_examples_are_what_init_writes() -> None:
    rendered = scaffold.render(scaffold.EXAMPLE)
    for path in sorted((PROJECT_ROOT / "examples/workflows").glob("*.yml")):
        assert path.read_text() == rendered[f".github/workflows/{path.name}"], f"regenerate {path} with 'hfguard init'"
    assert len(list((PROJECT_ROOT / "examples/workflows").glob("*.yml"))) == 3


def test_an_existing_tool_hfguard_table_stays_the_registry(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "zoo"\n\n[tool.hfguard]\ntests_dir = "tests/hf"\n\n[tool.hfguard.models.t5]\n')
    result = run_hfguard("init", *ACTION, cwd=tmp_path)
    assert result.returncode == 0
    assert "kept: [tool.hfguard] in pyproject.toml is your registry; no hfguard.toml written" in result.stdout
    assert not (tmp_path / "hfguard.toml").exists()
    assert sorted(load_config(tmp_path / "pyproject.toml").models) == ["t5"]


EXISTING = """\
# our team's hooks -- keep this comment
default_language_version:
  python: python3.11
repos:
  # formatting first
  - repo: https://github.com/psf/black
    rev: 24.1.0
    hooks:
      - id: black  # fast

ci:
  autofix_prs: false  # reviewed by hand
"""


def test_hooks_are_merged_into_an_existing_pre_commit_config_keeping_every_line(tmp_path: Path) -> None:
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(EXISTING)
    result = run_hfguard("init", *ACTION, cwd=tmp_path)
    assert "merged hfguard's hooks into: .pre-commit-config.yaml (your other lines are unchanged)" in result.stdout
    text = config.read_text()
    assert text.replace(scaffold.hooks_entry(REFERENCE, "  "), "", 1) == EXISTING  # only our entry was added
    data = yaml.safe_load(text)
    assert [repo["repo"] for repo in data["repos"]] == ["https://github.com/psf/black", "https://github.com/acme/hfguard"]
    assert data["ci"] == {"autofix_prs": False}
    again = run_hfguard("init", *ACTION, cwd=tmp_path)
    assert "exists, has hfguard's hooks" in again.stdout and config.read_text() == text


def test_a_config_hfguard_cannot_merge_safely_gets_the_snippet(tmp_path: Path) -> None:
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text("repos: [{repo: local, hooks: [{id: x, name: x, entry: x, language: system}]}]\n")
    result = run_hfguard("init", *ACTION, cwd=tmp_path)
    assert "has no block 'repos:' list hfguard can add to; add this entry under 'repos:' yourself:" in result.stdout
    assert scaffold.hooks_entry(REFERENCE) in result.stdout
    assert config.read_text().startswith("repos: [{repo: local")


def test_init_counts_per_model_tests_wherever_they_are_and_points_to_adopt(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    for relative in ("tests/models/test_hf_bert.py", "test/skills/test_hf_bert.py", "test/improved/test_hf_gpt2_improved.py",
                     "generators/out/test_hf_t5_small.py", "test_hf_vit.py"):
        repo.write(relative, "def test_mine():\n    pass\n")
    repo.write("test/skills/helpers.py", "x = 1\n")
    repo.commit("the team's tests")
    result = run_hfguard("init", *ACTION, cwd=repo.path)
    assert result.returncode == 0, result.stderr
    assert ("found 5 per-model test files (test_hf_*.py) in 5 folders. 'hfguard generate' never overwrites them. Run "
            "'hfguard lock', then 'hfguard adopt --dry-run'") in result.stdout
    (tmp_path / "empty").mkdir()
    assert "per-model test files" not in run_hfguard("init", *ACTION, cwd=tmp_path / "empty").stdout


def test_init_without_a_known_origin_writes_the_registry_and_hooks_that_work_offline(tmp_path: Path, lock_text: str) -> None:
    """hfguard installed from a registry or a local path: the registry and local hooks (the installed hfguard, no
    network), the workflows left for when the action's reference is known, said in one line."""
    repo = GitRepo(tmp_path / "repo")
    result = run_hfguard("init", cwd=repo.path)
    assert result.returncode == 0, result.stderr
    assert [name for name in written(repo.path) if not name.startswith(".git/")] == [".pre-commit-config.yaml", "hfguard.toml"]
    [workflows] = [line for line in result.stdout.splitlines() if "workflows" in line]
    assert workflows.startswith("workflows not written: this hfguard was not installed from a GitHub repository") and \
        "add them with 'hfguard init --action OWNER/REPO@SHA'" in workflows
    config = repo.path / ".pre-commit-config.yaml"
    [local] = yaml.safe_load(config.read_text())["repos"]
    assert local["repo"] == "local" and {hook["language"] for hook in local["hooks"]} == {"system"}
    (repo.path / "hfguard.lock").write_text(lock_text)
    assert run_hfguard("generate", cwd=repo.path).returncode == 0
    repo.git("add", "-A")
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "home"), "PRE_COMMIT_COLOR": "never",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    hooks = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=repo.path, env=env, capture_output=True, text=True)
    assert hooks.returncode == 0 and "hfguard verify" in hooks.stdout and "Passed" in hooks.stdout, hooks.stdout + hooks.stderr
    assert not (tmp_path / "home").exists() or not list((tmp_path / "home").glob("repo*"))  # nothing was cloned or installed
    (repo.path / "tests/models/test_hf_bert.py").write_text("def test_x():\n    x = 1\n      y = 2\n")
    repo.git("add", "-A")
    broken = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=repo.path, env=env, capture_output=True, text=True)
    assert broken.returncode == 1 and "tests/models/test_hf_bert.py:3:6: HFG101 unexpected indent" in broken.stdout, broken.stdout


def test_local_hooks_are_the_published_hooks(tmp_path: Path) -> None:
    """The 'repo: local' hooks run what .pre-commit-hooks.yaml publishes, on the same files."""
    published = {hook["id"]: hook for hook in yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text())}
    [local] = yaml.safe_load(scaffold.hooks_entry(None, ""))
    for hook in local["hooks"]:
        ours = {k: v for k, v in published[hook["id"]].items() if k not in ("description", "minimum_pre_commit_version")}
        assert {**hook, "language": "python"} == ours, hook["id"]
    result = run_hfguard("init", "--local-hooks", *ACTION, cwd=tmp_path)
    assert result.returncode == 0 and written(tmp_path) == FILES
    assert yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())["repos"] == [local]


def test_a_malformed_action_reference_is_refused(tmp_path: Path) -> None:
    for bad in ("acme/hfguard@v0.1.0", "acme/hfguard", f"acme@{SHA}", f"acme/hfguard@{SHA[:12]}"):
        refused = run_hfguard("init", "--action", bad, cwd=tmp_path)
        assert refused.returncode == 2 and "full 40-character commit SHA" in refused.stderr, bad
    assert written(tmp_path) == []


def test_the_reference_comes_from_where_hfguard_was_installed(tmp_path: Path) -> None:
    pip = {"url": "https://github.com/acme/hfguard.git", "vcs_info": {"vcs": "git", "commit_id": SHA, "requested_revision": "v0.2.0"}}
    assert scaffold.reference_from_direct_url(pip) == scaffold.ActionReference("acme/hfguard", SHA, "v0.2.0")
    assert scaffold.reference_from_direct_url({"url": "file:///src/hfguard", "dir_info": {"editable": True}}) is None
    checkout = GitRepo(tmp_path / "hfguard")
    checkout.write("README.md", "hfguard\n")
    head = checkout.commit("release")
    assert scaffold.reference_from_checkout(checkout.path) is None  # no GitHub origin
    checkout.git("remote", "add", "origin", "git@github.com:acme/hfguard.git")
    checkout.git("tag", "v0.3.0")
    assert scaffold.reference_from_checkout(checkout.path) == scaffold.ActionReference("acme/hfguard", head, "v0.3.0")
    pre_commit = scaffold.render(scaffold.ActionReference("acme/hfguard", head, "v0.3.0"))[".pre-commit-config.yaml"]
    assert f"repo: https://github.com/acme/hfguard\n    rev: {head}  # frozen: v0.3.0" in pre_commit


def test_hooks_merge_into_pre_commits_own_layout(tmp_path: Path) -> None:
    """``pre-commit sample-config`` puts the entries at column 0 (``-   repo:``); a local repo entry too."""
    sample = subprocess.run([sys.executable, "-m", "pre_commit", "sample-config"], capture_output=True, text=True, check=True).stdout
    for text in (sample, "repos:\n- repo: local\n  hooks:\n  - id: x\n    name: x\n    entry: x\n    language: system\n"):
        config = tmp_path / ".pre-commit-config.yaml"
        config.write_text(text)
        result = run_hfguard("init", *ACTION, cwd=tmp_path)
        assert "merged hfguard's hooks into: .pre-commit-config.yaml" in result.stdout, result.stdout
        assert config.read_text() == text + scaffold.hooks_entry(REFERENCE, "")
        assert [repo["repo"] for repo in yaml.safe_load(config.read_text())["repos"]][-1] == "https://github.com/acme/hfguard"
        checked = subprocess.run([sys.executable, "-m", "pre_commit", "validate-config", str(config)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_force_keeps_a_backup_of_every_file_it_replaces(tmp_path: Path) -> None:
    (tmp_path / "hfguard.toml").write_text("[models.t5]\n\n[models.vit]\n")
    forced = run_hfguard("init", "--force", *ACTION, cwd=tmp_path)
    assert "overwritten: hfguard.toml (yours is kept in .hfguard-backup/hfguard.toml)" in forced.stdout
    assert (tmp_path / ".hfguard-backup/hfguard.toml").read_text() == "[models.t5]\n\n[models.vit]\n"


def test_two_registries_side_by_side_are_refused(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.hfguard]\ntests_dir = "tests/hf"\n')
    (tmp_path / "hfguard.toml").write_text("[models.bert]\n")
    result = run_hfguard("verify", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == ("hfguard: hfguard.toml: two registries here: hfguard.toml and [tool.hfguard] in pyproject.toml; "
                             "keep one (or name the one to use with --config)\n")
