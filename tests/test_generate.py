"""Rendering and writing generated files: literals only, verified in memory, atomic, idempotent."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_hfguard
from hfguard.render import py_literal, template_version
from hfguard import stamp
from hfguard.stamp import content_hash, read_stamp

HOSTILE = 'x"); import os; os.system("echo pwned'


def string_constants(path: Path) -> set[str]:
    return {node.value for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def use_user_vision_template(project_dir: Path, text: str) -> None:
    """Point the registry at a user templates_dir whose vision.j2 is ``text``."""
    (project_dir / "my-templates").mkdir()
    (project_dir / "my-templates" / "vision.j2").write_text(text)
    config = project_dir / "hfguard.toml"
    config.write_text('templates_dir = "my-templates"\n' + config.read_text())


def test_py_literal_accepts_plain_data_only() -> None:
    assert py_literal({"a": [1, 2.5, None, True], "b": HOSTILE}) == '{"a": [1, 2.5, None, True], "b": ' + repr(HOSTILE) + "}"
    for text in (HOSTILE, "plain", "it's", 'say "hi"', "both ' and \"", "back\\slash\n", "\ud800", "emoji \U0001f600"):
        assert ast.literal_eval(py_literal(text)) == text
    for bad in (object(), float("nan"), {1, 2}):
        with pytest.raises((TypeError, ValueError)):
            py_literal(bad)


def test_template_version_comment() -> None:
    assert template_version("{# hfguard-template-version: 3 #}\n") == 3
    assert template_version("no comment") == 1


def test_file_names_are_identifiers() -> None:
    assert stamp.test_file_name("gpt-sw3") == "test_hf_gpt_sw3.py"
    assert stamp.test_file_name("kosmos-2.5") == "test_hf_kosmos_2_5.py"
    assert stamp.test_file_name("xlm-roberta") == "test_hf_xlm_roberta.py"


def test_generate_writes_stamped_files_then_nothing(project_dir: Path) -> None:
    first = run_hfguard("generate", cwd=project_dir)
    assert first.returncode == 0, first.stderr
    files = sorted((project_dir / "tests/models").glob("test_hf_*.py"))
    assert [f.name for f in files] == ["test_hf_bert.py", "test_hf_gpt2.py", "test_hf_t5.py", "test_hf_vit.py"]
    for path in files:
        text = path.read_text()
        compile(text, str(path), "exec")
        found = read_stamp(text)
        assert found is not None and found.content == content_hash(text)
    assert read_stamp((project_dir / "tests/models/test_hf_gpt2.py").read_text()).family == "decoder-only"
    mtimes = {path: path.stat().st_mtime_ns for path in files}
    before = {path: path.read_bytes() for path in files}
    second = run_hfguard("generate", cwd=project_dir)
    assert second.returncode == 0 and "0 written, 4 unchanged" in second.stdout
    assert {path: path.stat().st_mtime_ns for path in files} == mtimes
    assert {path: path.read_bytes() for path in files} == before
    assert run_hfguard("generate", "--check", cwd=project_dir).returncode == 0


def test_team_modules_and_entry_tables_reach_the_case_and_a_change_makes_files_stale(project_dir: Path) -> None:
    config = project_dir / "hfguard.toml"
    assert run_hfguard("generate", cwd=project_dir).returncode == 0
    plain = (project_dir / "tests/models/test_hf_bert.py").read_text()
    assert "test_team_check" not in plain and "team=" not in plain  # no team modules: the file of before
    config.write_text('checks = ["acme_models.hfguard_checks"]\n' + config.read_text().replace(
        "[models.bert]\n", '[models.bert]\noff = { loader_round_trip = "our format keeps no MLM head" }\n'
        'xfail = { save_load = "issue 12" }\n'))
    stale = run_hfguard("verify", cwd=project_dir)
    assert stale.returncode == 1 and stale.stdout.count("stale") >= 4, stale.stdout  # every file names the modules
    assert run_hfguard("generate", cwd=project_dir).returncode == 0
    bert = (project_dir / "tests/models/test_hf_bert.py").read_text()
    assert ('    team=["acme_models.hfguard_checks"],\n    off={"loader_round_trip": "our format keeps no MLM head"},\n'
            '    xfail_checks={"save_load": "issue 12"},\n)') in bert
    assert '@pytest.mark.parametrize("check", CASE.team_checks())\ndef test_team_check(model, check):\n' in bert
    assert "off=" not in (project_dir / "tests/models/test_hf_gpt2.py").read_text()
    assert run_hfguard("verify", cwd=project_dir).returncode == 0


def test_check_prints_diff_and_writes_nothing(project_dir: Path) -> None:
    assert run_hfguard("generate", cwd=project_dir).returncode == 0
    config = project_dir / "hfguard.toml"
    config.write_text(config.read_text() + '\n[models.opt]\nskip = "not today"\n')
    check = run_hfguard("generate", "--check", cwd=project_dir)
    assert check.returncode == 1
    assert "+++ b/tests/models/test_hf_opt.py" in check.stdout and "not today" in check.stdout
    assert not (project_dir / "tests/models/test_hf_opt.py").exists()
    hook = run_hfguard("generate", "--exit-code", cwd=project_dir)
    assert hook.returncode == 1 and "created tests/models/test_hf_opt.py" in hook.stdout
    assert run_hfguard("generate", "--exit-code", cwd=project_dir).returncode == 0


def test_hostile_checkpoint_stays_data(project_dir: Path) -> None:
    (project_dir / "hfguard.toml").write_text("[models.gpt2]\ncheckpoint = '''" + HOSTILE + "'''\n")
    result = run_hfguard("generate", cwd=project_dir)
    assert result.returncode == 0, result.stderr
    path = project_dir / "tests/models/test_hf_gpt2.py"
    assert HOSTILE in string_constants(path)
    imported = {alias.name for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Import) for alias in node.names}
    assert "os" not in imported


def test_template_error_names_template_and_line_and_writes_nothing(project_dir: Path) -> None:
    assert run_hfguard("generate", cwd=project_dir).returncode == 0
    before = {p: p.read_bytes() for p in (project_dir / "tests/models").iterdir()}
    use_user_vision_template(project_dir, '"""ok"""\n\nMODEL = {{ model_type|py }}\nBROKEN = {{ no_such_value }}\n')
    result = run_hfguard("generate", cwd=project_dir)
    assert result.returncode == 2
    assert "vision.j2:4:" in result.stderr and "'vit'" in result.stderr and "no_such_value" in result.stderr
    assert {p: p.read_bytes() for p in (project_dir / "tests/models").iterdir()} == before


def test_uncompilable_render_is_never_written(project_dir: Path) -> None:
    use_user_vision_template(project_dir, "def test_x():\nreturn {{ model_type|py }}\n")
    result = run_hfguard("generate", cwd=project_dir)
    assert result.returncode == 2 and "HFG101" in result.stderr and "nothing was written" in result.stderr
    assert not (project_dir / "tests/models").exists()


def test_user_template_overrides_builtin(project_dir: Path) -> None:
    use_user_vision_template(project_dir, '"""custom"""\n\nMODEL_TYPE = {{ model_type|py }}\n\n\ndef test_custom():\n    assert MODEL_TYPE == "vit"\n')
    assert run_hfguard("generate", "vit", cwd=project_dir).returncode == 0
    assert 'MODEL_TYPE = "vit"' in (project_dir / "tests/models/test_hf_vit.py").read_text()


@pytest.mark.parametrize("held_by_git", ["untracked", "staged", "committed"])
def test_any_hand_edit_is_backed_up_before_it_is_replaced(project_dir: Path, held_by_git: str) -> None:
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=project_dir, check=True)
    assert run_hfguard("generate", cwd=project_dir).returncode == 0
    target = project_dir / "tests/models/test_hf_bert.py"
    edited = target.read_text() + "\n# my precious hand edit\n"
    target.write_text(edited)
    if held_by_git != "untracked":
        subprocess.run([*git, "add", "-A"], cwd=project_dir, check=True)
    if held_by_git == "committed":
        subprocess.run([*git, "commit", "-qm", "x"], cwd=project_dir, check=True)
    result = run_hfguard("generate", cwd=project_dir)
    assert result.returncode == 0
    backup = project_dir / ".hfguard-backup/tests/models/test_hf_bert.py"
    assert backup.read_text() == edited
    assert ("updated tests/models/test_hf_bert.py (your version is kept in .hfguard-backup/tests/models/test_hf_bert.py; to keep "
            "your tests, put them in tests/models/test_hf_bert_extra.py, which hfguard never touches)") in result.stdout
    if held_by_git != "untracked":  # the backups stay out of commits
        subprocess.run([*git, "add", "-A"], cwd=project_dir, check=True)
        staged = subprocess.run(["git", "diff", "--cached", "--name-only"], cwd=project_dir, capture_output=True, text=True).stdout
        assert ".hfguard-backup" not in staged
    assert "my precious" not in target.read_text()


def test_own_file_is_never_overwritten_without_force(project_dir: Path) -> None:
    own = "def test_mine():\n    assert 1 + 1 == 2\n"
    target = project_dir / "tests/models/test_hf_bert.py"
    target.parent.mkdir(parents=True)
    target.write_text(own)
    result = run_hfguard("generate", cwd=project_dir)
    assert result.returncode == 1
    assert target.read_text() == own
    assert ("tests/models/test_hf_bert.py: left as it is: it has no hfguard header, so it is your own file. Move your tests to "
            "tests/models/test_hf_bert_extra.py ('hfguard adopt' does it)") in result.stdout
    assert "'hfguard generate --force bert' (a backup is kept)" in result.stdout
    assert (project_dir / "tests/models/test_hf_gpt2.py").is_file()  # the others are written
    forced = run_hfguard("generate", "--force", "bert", cwd=project_dir)
    assert forced.returncode == 0
    assert (project_dir / ".hfguard-backup/tests/models/test_hf_bert.py").read_text() == own
    assert read_stamp(target.read_text()) is not None


def test_removed_entry_removes_its_generated_file_and_the_hook_says_so(project_dir: Path) -> None:
    assert run_hfguard("generate", cwd=project_dir).returncode == 0
    gpt2, t5 = project_dir / "tests/models/test_hf_gpt2.py", project_dir / "tests/models/test_hf_t5.py"
    t5.write_text(t5.read_text() + "# edited\n")
    own = project_dir / "tests/models/test_hf_bert_extra.py"
    own.write_text("def test_mine():\n    pass\n")
    (project_dir / "hfguard.toml").write_text('tests_dir = "tests/models"\n\n[models.bert]\n\n[models.vit]\n')
    check = run_hfguard("generate", "--check", cwd=project_dir)
    assert check.returncode == 1 and "would remove tests/models/test_hf_gpt2.py (its registry entry is gone)" in check.stdout
    assert gpt2.is_file()
    named = run_hfguard("generate", "bert", cwd=project_dir)
    assert named.returncode == 0 and gpt2.is_file()  # naming entries touches only them
    hook = run_hfguard("generate", "--exit-code", cwd=project_dir)
    assert hook.returncode == 1
    assert "removed tests/models/test_hf_gpt2.py (its registry entry is gone)\n" in hook.stdout
    assert "removed tests/models/test_hf_t5.py (its registry entry is gone) (your version is kept in " in hook.stdout
    assert "stage them ('git add') and commit again" in hook.stdout
    assert not gpt2.exists() and not t5.exists() and own.is_file()
    assert (project_dir / ".hfguard-backup/tests/models/test_hf_t5.py").read_text().endswith("# edited\n")
    assert "kept tests/models/test_hf_bert_extra.py" not in hook.stdout  # bert is still registered
    assert run_hfguard("generate", "--exit-code", cwd=project_dir).returncode == 0
    (project_dir / "hfguard.toml").write_text('tests_dir = "tests/models"\n\n[models.vit]\n')
    gone = run_hfguard("generate", cwd=project_dir)
    assert ("kept tests/models/test_hf_bert_extra.py: your own tests of a model type that is no longer registered"
            in gone.stdout) and own.is_file()


def test_keep_edits_leaves_a_hand_edit_and_says_how_to_keep_or_drop_it(project_dir: Path) -> None:
    """The hooks' mode: a hand edit is never replaced behind the user's back, so a commit never drops it silently."""
    assert run_hfguard("generate", cwd=project_dir).returncode == 0
    bert, t5 = project_dir / "tests/models/test_hf_bert.py", project_dir / "tests/models/test_hf_t5.py"
    edited = bert.read_text() + "\n\ndef test_mine(model):\n    assert model is not None\n"
    bert.write_text(edited)
    t5.write_text(t5.read_text() + "# edited\n")
    (project_dir / "hfguard.toml").write_text('tests_dir = "tests/models"\n\n[models.bert]\ntiny = { hidden_size = 48 }\n\n'
                                              '[models.gpt2]\ntiny = { n_embd = 48 }\n\n[models.vit]\n')
    hook = run_hfguard("generate", "--exit-code", "--keep-edits", cwd=project_dir)
    assert hook.returncode == 1 and bert.read_text() == edited and t5.read_text().endswith("# edited\n")
    assert ("tests/models/test_hf_bert.py: edited by hand, so left as it is (hfguard generates this file; a hand edit in it does "
            "not last)\n  to keep your tests: move them to tests/models/test_hf_bert_extra.py (hfguard never touches it), then run "
            "'hfguard generate bert'\n  to drop the edit: run 'hfguard generate bert' (your version is kept in .hfguard-backup/)\n"
            ) in hook.stdout
    assert ("tests/models/test_hf_t5.py: edited by hand and its registry entry is gone, so it is left as it is: move your tests to "
            "tests/models/test_hf_t5_extra.py and register [models.t5] again, or delete the file") in hook.stdout
    assert "updated tests/models/test_hf_gpt2.py\n" in hook.stdout and "1 written, 1 unchanged, 2 edited by hand left as they are" in hook.stdout
    assert not (project_dir / ".hfguard-backup").exists()
    (project_dir / "tests/models/test_hf_bert_extra.py").write_text("def test_mine():\n    pass\n")  # the advice, followed
    assert run_hfguard("generate", "bert", cwd=project_dir).returncode == 0
    t5.unlink()
    assert run_hfguard("generate", "--exit-code", "--keep-edits", cwd=project_dir).returncode == 0
    assert (project_dir / ".hfguard-backup/tests/models/test_hf_bert.py").read_text() == edited


def test_unknown_entry_and_missing_head_are_clear(project_dir: Path) -> None:
    missing = run_hfguard("generate", "opt", cwd=project_dir)
    assert missing.returncode == 2 and "'opt' has no registry entry" in missing.stderr
    config = project_dir / "hfguard.toml"
    config.write_text(config.read_text() + '\n[models.whisperr]\n')
    unknown = run_hfguard("generate", cwd=project_dir)
    assert unknown.returncode == 2
    assert "hfguard.toml:11: unknown model type 'whisperr' (did you mean 'whisper'" in unknown.stderr
    config.write_text('[models.bert]\ntask = "causal-lmm"\n')
    head = run_hfguard("generate", cwd=project_dir)
    assert head.returncode == 2 and "has no 'causal-lmm' head" in head.stderr and "hfguard.toml:1" in head.stderr


def test_generated_file_with_checkpoint_runs_offline_and_skips_the_hub_test(project_dir: Path) -> None:
    (project_dir / "hfguard.toml").write_text('[models.gpt2]\ncheckpoint = "openai-community/gpt2"\n')
    assert run_hfguard("generate", cwd=project_dir).returncode == 0
    path = project_dir / "tests/models/test_hf_gpt2.py"
    assert ".from_pretrained(" not in path.read_text()  # no download at import: only the opt-in hub test loads it
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--strict-markers", "-p", "no:cacheprovider", "-rs", str(path)],
        cwd=project_dir, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1", "HFGUARD_HUB_TESTS": ""},
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "hub tests are opt-in: set HFGUARD_HUB_TESTS=1" in result.stdout  # the hub test skips, saying why
    assert " passed" in result.stdout and " failed" not in result.stdout
