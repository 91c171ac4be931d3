"""Names from any source are validated where they enter and escaped where they leave (issue 12, cases 4 and 6).

Markdown is checked with GitHub's own renderer (see ``test_escape.py``); JUnit ids come from a real pytest
run of hostile test ids.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hfguard import coverage
from hfguard.errors import HfguardError
from hfguard.stamp import header
from tests.action_runner import action_module, run_action
from tests.conftest import run_hfguard
from tests.gitrepo import GitRepo, catalogue, generated_file
from tests.gfm import HOSTILE, render

def test_hostile_junit_ids_and_names_stay_text_in_the_comment(tmp_path: Path) -> None:
    """Test ids chosen by the tested code, from a real pytest run, and names from a stored report."""
    project = tmp_path / "project"
    tests = project / "tests" / "models"
    tests.mkdir(parents=True)
    (project / "hfguard.toml").write_text('tests_dir = "tests/models"\n\n[models.bert]\n')
    (project / "hfguard.lock").write_text(catalogue().to_json())
    ids = json.dumps(HOSTILE)
    (tests / "test_hf_bert.py").write_text(generated_file("bert", f"import pytest\n\n@pytest.mark.parametrize('x', {ids}, ids={ids})\n"
                                                                   "def test_forward(x):\n    assert False\n"))
    junit = tmp_path / "junit.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", "tests/models"],
                   cwd=project, capture_output=True, env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    report = coverage.build_report(coverage.load_config(project / "hfguard.toml"), catalogue(), coverage.read_worktree, [junit])
    assert report.models["bert"].level == "failing" and len(report.models["bert"].tests) == len(HOSTILE)
    assert all("\n" not in test for test in report.models["bert"].tests)
    stored = coverage.Report.from_dict(json.loads(coverage.report_json(report)), "base.json")
    stored.models["<img src=x onerror=alert(1)>"] = coverage.ModelCoverage("@octocat `|`", "f", True, "[x](javascript:alert(1))")
    delta = coverage.compute_delta(stored, report, "report `a`b\n@octocat.json`")
    page = render(coverage.render_markdown(stored, delta) + coverage.render_markdown(report, delta))
    assert "<img" not in page and "<script" not in page and "javascript:" not in page.replace("javascript:alert(1))", "")
    assert "href" not in page and not re.search(r"@[A-Za-z0-9]", re.sub(r"<code>.*?</code>", "", page, flags=re.S))
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", page, re.S) if "<td" in row]
    assert rows and all(row.count("<td") in (6, 8) for row in rows)  # the model table's 6 cells, the family table's 8


def test_a_lock_model_type_with_a_newline_never_reaches_a_generated_file(tmp_path: Path, lock_text: str) -> None:
    data = json.loads(lock_text)
    name = "bert\nimport os; os.system('touch PWNED')"
    data["models"][name] = {**data["models"]["bert"], "model_type": name}
    repo = GitRepo(tmp_path / "repo")
    repo.write("hfguard.lock", json.dumps(data))
    repo.write("hfguard.toml", "[models.bert]\n")
    (repo.path / "tests" / "models").mkdir(parents=True)
    for command in (["generate"], ["verify"], ["generate", "--all"], ["models"]):
        result = run_hfguard(*command, cwd=repo.path)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert re.search(r"hfguard\.lock: unreadable lock file \(invalid model type [\"']bert\\nimport os", result.stderr)
        assert result.stderr.count("\n") == 1
    repo.write("hfguard.toml", f"[models.{json.dumps(name)}]\n")
    registry = run_hfguard("generate", cwd=repo.path)
    assert registry.returncode == 2 and "invalid model type" in registry.stderr and registry.stderr.count("\n") == 1
    assert not (repo.path / "PWNED").exists() and not list((repo.path / "tests" / "models").iterdir())
    with pytest.raises(HfguardError, match="cannot go into a generated file's header"):
        header(name, "encoder-only", "encoder-only", 1, "0" * 16)


def test_overlong_and_newline_names_are_shown_short_and_on_one_line(tmp_path: Path, lock_text: str) -> None:
    (tmp_path / "hfguard.lock").write_text(lock_text)
    (tmp_path / "hfguard.toml").write_text(f'[models.{"a" * 20_000}]\n\n[models."x\\ny"]\n\n[models.bert]\nchekpoint{"k" * 5000} = 1\n')
    result = run_hfguard("generate", cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr) < 1200
    lines = result.stderr.splitlines()
    assert len(lines) == 3 and "invalid model type 'aaaa" in lines[0] and "(20,000 characters)" in lines[0]
    assert "invalid model type 'x\\ny'" in result.stderr and "unknown key 'chekpoint" in result.stderr


@pytest.mark.parametrize(("tiny", "shown"), [("x = inf", "tiny.x"), ("x = nan", "tiny.x"), ("when = 1979-05-27", "tiny.when"),
                                             ("deep = [[1, 2], [3, 1979-05-27T07:32:00Z]]", "tiny.deep"),
                                             ("t = { a = { b = -inf } }", "tiny.t")])
def test_tiny_values_that_cannot_be_literals_are_blamed_on_the_registry_line(tmp_path: Path, lock_text: str, tiny: str, shown: str) -> None:
    (tmp_path / "hfguard.lock").write_text(lock_text)
    (tmp_path / "hfguard.toml").write_text(f"[models.gpt2]\n\n[models.bert]\ntiny = {{ {tiny} }}\n")
    result = run_hfguard("generate", cwd=tmp_path)
    assert result.returncode == 2 and "_base.j2" not in result.stderr
    assert result.stderr.endswith(f"hfguard.toml:4: {shown} of 'bert' must be a finite number, string, boolean, list or table of them\n")


def test_no_name_can_forge_a_workflow_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A registry key with line breaks, in the ``::error`` line of the Action; and any failure text in ``finish``."""
    repo = GitRepo(tmp_path / "repo")
    repo.write("hfguard.toml", '"x\\n::add-mask::leak\\n::warning file=forged.py::forged" = 1\n\n[models.bert]\n')
    repo.commit("a registry with a hostile key")
    result = run_action(repo.path, {"run": "verify"}, {})
    assert result.returncode == 1 and "::error title=hfguard::" in result.log
    assert not [line for line in result.log.splitlines() if line.startswith(("::add-mask::", "::warning file=forged"))]
    main = action_module("main")
    main.finish(main.Run({}, failures=["a\n::add-mask::leak\r\n::warning file=f::x"]), {})
    assert capsys.readouterr().out == "::error title=hfguard::a%0A::add-mask::leak%0D%0A::warning file=f::x\n"
