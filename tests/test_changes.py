"""``hfguard changed`` on real git repositories: entries, templates, lock, hand edits, odd histories."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hfguard.changes import ZERO_SHA, changed_model_types, detect_changes
from hfguard.commands.changed import main as changed_main
from hfguard.errors import HfguardError
from gitrepo import GitRepo, catalogue, generated_file, registry

TEMPLATES = {
    "hfguard-templates/_base.j2": "{# shared #}\n",
    "hfguard-templates/encoder-only.j2": "{% extends '_base.j2' %}\n",
    "hfguard-templates/decoder-only.j2": "{% extends '_base.j2' %}\n",
}


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """A project with bert, gpt2 and llama entries, a lock, user templates and generated files."""
    repo = GitRepo(tmp_path / "project")
    files = {
        "hfguard.toml": registry("bert", "gpt2", "llama"),
        "hfguard.lock": catalogue().to_json(),
        **TEMPLATES,
        **{f"tests/models/test_hf_{name}.py": generated_file(name) for name in ("bert", "gpt2", "llama")},
    }
    repo.commit("base", files)
    return repo


def run_changed(repo: GitRepo, *args: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.chdir(repo.path)
    code = changed_main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_entries_added_changed_removed(repo: GitRepo, capsys, monkeypatch) -> None:
    base = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("edit registry", {"hfguard.toml": registry("bert", "gpt2", "t5", **{"bert": 'task = "masked-lm"\ntiny = { hidden_size = 8 }'})})
    code, out, _ = run_changed(repo, "--base", base, "--json", capsys=capsys, monkeypatch=monkeypatch)
    data = json.loads(out)
    assert code == 0
    assert data["schema_version"] == 1
    assert data["entries"] == {"added": ["t5"], "changed": {"bert": ["task", "tiny"]}, "removed": ["llama"],
                               "removed_with_file": ["llama"]}
    assert data["regenerate"] == {"bert": ["changed: task, tiny"], "t5": ["added"]}
    assert data["base_commit"] == base and data["mode"] == "merge-base"
    assert changed_model_types(repo.path, base, None) == ["bert", "t5"]
    code, text, _ = run_changed(repo, "--base", base, capsys=capsys, monkeypatch=monkeypatch)
    assert "removed: llama (its generated file is still there: 'hfguard generate' removes it)" in text
    assert "regenerate (2): bert t5" in text
    repo.remove("tests/models/test_hf_llama.py")
    repo.commit("remove llama's file")
    code, text, _ = run_changed(repo, "--base", base, capsys=capsys, monkeypatch=monkeypatch)
    assert "removed: llama\n" in text  # nothing left to do


def test_family_template_change_selects_that_family(repo: GitRepo) -> None:
    base = repo.git("rev-parse", "HEAD")
    repo.commit("tweak decoder template", {"hfguard-templates/decoder-only.j2": "{% extends '_base.j2' %}\n# v2\n"})
    report = detect_changes(repo.path, base)
    assert report.templates == ["decoder-only.j2"] and report.families == ["decoder-only"]
    assert report.regenerate == {"gpt2": ["template changed"], "llama": ["template changed"]}


def test_shared_template_change_selects_every_family(repo: GitRepo) -> None:
    base = repo.git("rev-parse", "HEAD")
    repo.commit("tweak shared template", {"hfguard-templates/_base.j2": "{# shared v2 #}\n"})
    report = detect_changes(repo.path, base)
    assert report.families == ["*"]
    assert sorted(report.regenerate) == ["bert", "gpt2", "llama"]


def test_hfguard_own_templates_count_in_its_own_repo(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "hfguard")
    base = repo.commit("base", {
        "pyproject.toml": '[project]\nname = "hfguard"\n\n[tool.hfguard]\n[tool.hfguard.models.bert]\n[tool.hfguard.models.gpt2]\n',
        "hfguard.lock": catalogue().to_json(),
        "templates/encoder-only.j2": "a\n",
        "templates/decoder-only.j2": "b\n",
    })
    repo.commit("builtin template", {"templates/encoder-only.j2": "a2\n"})
    assert changed_model_types(repo.path, base, None) == ["bert"]


def test_team_check_modules_select_everything_and_an_entry_table_its_entry(repo: GitRepo) -> None:
    base = repo.git("rev-parse", "HEAD")
    repo.commit("team checks", {"hfguard.toml": 'checks = ["acme_models.hfguard_checks"]\n' + registry("bert", "gpt2", "llama")})
    assert detect_changes(repo.path, base).regenerate == {name: ["team check modules changed"] for name in ("bert", "gpt2", "llama")}
    moved = repo.git("rev-parse", "HEAD")
    repo.commit("an exception", {"hfguard.toml": 'checks = ["acme_models.hfguard_checks"]\n'
                                 + registry("bert", "gpt2", "llama", bert='off = { loader_round_trip = "ours" }')})
    assert detect_changes(repo.path, moved).regenerate == {"bert": ["changed: off"]}


def test_transformers_version_in_lock_selects_everything(repo: GitRepo) -> None:
    base = repo.git("rev-parse", "HEAD")
    repo.commit("bump transformers", {"hfguard.lock": catalogue("5.1.0").to_json()})
    report = detect_changes(repo.path, base)
    assert report.lock == ("5.0.0", "5.1.0")
    assert report.regenerate == {name: ["transformers 5.0.0 -> 5.1.0"] for name in ("bert", "gpt2", "llama")}


def test_catalogue_fact_change_selects_that_entry(repo: GitRepo) -> None:
    base = repo.git("rev-parse", "HEAD")
    repo.commit("relock", {"hfguard.lock": catalogue(llama="encoder-only").to_json()})
    assert detect_changes(repo.path, base).regenerate == {"llama": ["catalogue facts changed"]}


def test_hand_edited_generated_file_is_flagged_exit_1(repo: GitRepo, capsys, monkeypatch) -> None:
    base = repo.git("rev-parse", "HEAD")
    edited = generated_file("gpt2") + "\ndef test_mine():\n    pass\n"
    repo.commit("hand edit", {"tests/models/test_hf_gpt2.py": edited})
    code, out, _ = run_changed(repo, "--base", base, capsys=capsys, monkeypatch=monkeypatch)
    assert code == 1
    assert "hand-edited generated file: tests/models/test_hf_gpt2.py" in out
    assert detect_changes(repo.path, base).regenerate == {"gpt2": ["hand-edited"]}


def test_uncommitted_edits_are_not_seen_and_worktree_untouched(repo: GitRepo) -> None:
    base = repo.git("rev-parse", "HEAD")
    repo.write("hfguard.toml", registry("bert"))
    assert detect_changes(repo.path, base).removed == []
    assert repo.git("status", "--porcelain") == "M hfguard.toml"


def test_diverged_branches_use_merge_base(repo: GitRepo) -> None:
    fork_point = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("add t5", {"hfguard.toml": registry("bert", "gpt2", "llama", "t5")})
    repo.git("checkout", "-q", "main")
    repo.commit("main adds vit and drops llama", {"hfguard.toml": registry("bert", "gpt2", "vit")})
    report = detect_changes(repo.path, "main", "feature")
    assert report.comparison.base.hexsha == fork_point
    assert (report.added, report.removed) == (["t5"], [])  # vit/llama changed on main, not on the PR
    assert "merge base" in report.comparison.notes[0]


def test_new_branch_all_zeros_before_sha_compares_with_default_branch(tmp_path: Path, repo: GitRepo) -> None:
    upstream = repo.git("rev-parse", "HEAD")
    clone = GitRepo(tmp_path / "clone", init=False)
    subprocess.run(["git", "clone", "-q", str(repo.path), str(clone.path)], check=True)
    clone.git("checkout", "-q", "-b", "new-branch")
    clone.commit("add t5", {"hfguard.toml": registry("bert", "gpt2", "llama", "t5")})
    report = detect_changes(clone.path, ZERO_SHA)
    assert report.comparison.mode == "default-branch" and report.comparison.base.hexsha == upstream
    assert "origin/HEAD" in report.comparison.notes[0]
    assert list(report.regenerate) == ["t5"]


def test_new_branch_without_default_branch_treats_everything_as_new(repo: GitRepo) -> None:
    repo.git("branch", "-m", "main", "topic")
    report = detect_changes(repo.path, ZERO_SHA)
    assert report.comparison.mode == "everything-new"
    assert "every entry counts as new" in report.to_text()
    assert report.added == ["bert", "gpt2", "llama"]


def test_force_push_compares_with_merge_base_of_old_and_new_tips(repo: GitRepo) -> None:
    fork_point = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "pr")
    old_tip = repo.commit("first try", {"hfguard.toml": registry("bert", "gpt2", "llama", "vit")})
    repo.git("reset", "-q", "--hard", fork_point)
    repo.commit("second try", {"hfguard.toml": registry("bert", "gpt2", "llama", "t5")})
    report = detect_changes(repo.path, old_tip)
    assert report.comparison.base.hexsha == fork_point
    assert "not an ancestor" in report.comparison.notes[0]
    assert report.added == ["t5"]


def test_force_push_with_base_gone_says_so(repo: GitRepo, capsys, monkeypatch) -> None:
    code, _, err = run_changed(repo, "--base", "1234567890abcdef1234567890abcdef12345678", capsys=capsys, monkeypatch=monkeypatch)
    assert code == 2
    assert "base revision '1234567890abcdef1234567890abcdef12345678' is not in this repository" in err
    assert "Traceback" not in err


def test_missing_ref_name_is_a_clear_error(repo: GitRepo, capsys, monkeypatch) -> None:
    code, _, err = run_changed(repo, "--base", "origin/nope", capsys=capsys, monkeypatch=monkeypatch)
    assert code == 2 and err.startswith("hfguard: base revision 'origin/nope' is not in this repository")
    code, _, err = run_changed(repo, "--base", "HEAD", "--head", "nope", capsys=capsys, monkeypatch=monkeypatch)
    assert code == 2 and "head revision 'nope'" in err


def test_shallow_clone_explains_how_to_fetch_history(tmp_path: Path, repo: GitRepo) -> None:
    base = repo.git("rev-parse", "HEAD")
    for n in range(3):
        repo.commit(f"c{n}", {"hfguard.toml": registry("bert", "gpt2", "llama", *["t5", "vit", "bart"][: n + 1])})
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(shallow)], check=True)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "hfguard"), "changed", "--base", base],
        cwd=shallow, capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "shallow clone" in result.stderr and "fetch-depth: 0" in result.stderr and "--unshallow" in result.stderr
    subprocess.run(["git", "fetch", "-q", "--unshallow"], cwd=shallow, check=True)
    assert changed_model_types(shallow, base, None) == ["bart", "t5", "vit"]


def test_shallow_clone_with_base_fetched_but_no_common_history(tmp_path: Path, repo: GitRepo) -> None:
    base = repo.git("rev-parse", "HEAD")
    repo.commit("more", {"hfguard.toml": registry("bert")})
    repo.commit("more again", {"hfguard.toml": registry("bert", "t5")})
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--no-local", f"file://{repo.path}", str(shallow)], check=True)
    subprocess.run(["git", "-c", "uploadpack.allowAnySHA1InWant=true", "fetch", "-q", "--depth", "1", "origin", base], cwd=shallow, check=True)
    with pytest.raises(HfguardError, match="no common history .* shallow clone; fetch more history"):
        detect_changes(shallow, base)


def test_not_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / "hfguard.toml").write_text(registry("bert"))
    with pytest.raises(HfguardError, match="is not inside a git repository"):
        detect_changes(tmp_path, "HEAD~1")
