"""Coverage: levels from a real pytest JUnit XML, delta, shard merge, Markdown/SVG/JSON outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hfguard import check_results, coverage
from hfguard.commands.coverage import main as coverage_main
from hfguard.errors import HfguardError
from gitrepo import GitRepo, catalogue, generated_file, registry

PASS = "def test_forward():\n    assert 1 + 1 == 2\n\ndef test_config():\n    pass\n"
FAIL = "def test_forward():\n    assert 1 + 1 == 3\n\ndef test_config():\n    pass\n"
SKIP = "import pytest\n\n@pytest.mark.skip(reason='tiny model too small')\ndef test_forward():\n    pass\n"
PASS_AND_SKIP = "import pytest\n\ndef test_forward():\n    pass\n\n@pytest.mark.skip(reason='no gpu')\ndef test_gpu():\n    pass\n"
XFAIL = "import pytest\n\n@pytest.mark.xfail(reason='known bug')\ndef test_forward():\n    assert False\n"
BROKEN = "def test_forward(:\n    pass\n"

BODIES = {"bert": PASS, "gpt2": FAIL, "t5": SKIP, "vit": PASS_AND_SKIP, "bart": XFAIL, "llama": BROKEN, "qwen2": PASS}
ENTRIES = (*BODIES, "mistral")  # mistral has no file


def make_project(root: Path, bodies: dict[str, str] = BODIES, entries: tuple[str, ...] = ENTRIES) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "hfguard.toml").write_text(registry(*entries))
    (root / "hfguard.lock").write_text(catalogue().to_json())
    (root / "hfguard-templates").mkdir(exist_ok=True)  # the registry names it; a missing templates_dir is an error
    tests = root / "tests" / "models"
    tests.mkdir(parents=True, exist_ok=True)
    for name, body in bodies.items():
        (tests / f"test_hf_{name}.py").write_text(generated_file(name, body))
    return root


def run_pytest(project: Path, junit: Path, *names: str) -> Path:
    """Run pytest for real on the generated files of ``names`` and keep its JUnit XML."""
    files = [f"tests/models/test_hf_{name}.py" for name in names]
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--continue-on-collection-errors", f"--junitxml={junit}", *files],
        cwd=project, capture_output=True, text=True, env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert junit.is_file()
    return junit


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("cov") / "project")
    run_pytest(root, root / "all.xml", "bert", "gpt2", "t5", "vit", "bart", "llama")  # qwen2 not run
    run_pytest(root, root / "shard1.xml", "bert", "gpt2", "llama")
    run_pytest(root, root / "shard2.xml", "t5", "vit", "bart")
    return root


def report_of(project: Path, *junit: str) -> coverage.Report:
    return coverage.current_report(project / "hfguard.toml", [project / name for name in junit])


def test_levels_from_real_junit(project: Path) -> None:
    report = report_of(project, "all.xml")
    levels = {name: item.level for name, item in report.models.items()}
    assert levels == {
        "bert": "passing", "gpt2": "failing", "t5": "skipped", "vit": "passing", "bart": "skipped",
        "llama": "missing", "qwen2": "generated", "mistral": "missing",
    }
    assert report.models["gpt2"].tests == {"test_config": "passed", "test_forward": "failed"}
    assert report.models["llama"].detail.startswith("does not compile (line 5): HFG100 invalid syntax")
    assert report.models["mistral"].detail == "no test file"
    assert report.headline() == ("passing", 25.0)


def test_without_junit_levels_are_missing_or_generated(project: Path) -> None:
    report = report_of(project)
    assert {item.level for item in report.models.values()} == {"missing", "generated"}
    assert report.headline() == ("generated", 75.0)


def test_target_all_counts_standalone_model_types(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {"bert": PASS}, ("bert",))
    (root / "hfguard.toml").write_text('target = "all"\n[models.bert]\n')
    report = coverage.current_report(root / "hfguard.toml")
    assert len(report.models) == 10 and "clip_text_model" not in report.models  # sub-configs do not count
    assert report.denominator_label == "standalone model types of transformers 5.0.0"
    assert coverage.summarize(report.models.values())["covered"] == 1


def test_merge_of_shards_equals_unsharded_run(project: Path, tmp_path: Path) -> None:
    whole = report_of(project, "all.xml")
    paths = []
    for shard in ("shard1.xml", "shard2.xml"):
        paths.append(tmp_path / f"{shard}.json")
        coverage.write_report(report_of(project, shard), paths[-1])
    assert coverage_main(["merge", *map(str, paths), "-o", str(tmp_path / "merged.json")]) == 0
    merged = json.loads((tmp_path / "merged.json").read_text())
    assert merged == whole.to_dict()


def test_merge_conflicts_are_clear_errors(project: Path, tmp_path: Path, capsys) -> None:
    a = report_of(project, "all.xml")
    b = report_of(project, "all.xml")
    b.models["bert"].tests["test_forward"] = "failed"
    with pytest.raises(HfguardError, match="disagree on test 'test_forward' of 'bert': passed vs failed"):
        coverage.merge_reports([("a.json", a), ("b.json", b)])
    c = report_of(project, "all.xml")
    del c.models["qwen2"]
    coverage.write_report(a, tmp_path / "a.json")
    coverage.write_report(c, tmp_path / "c.json")
    assert coverage_main(["merge", str(tmp_path / "a.json"), str(tmp_path / "c.json")]) == 2
    assert "count different model types (qwen2)" in capsys.readouterr().err


def test_delta_categories_between_two_real_runs(tmp_path: Path) -> None:
    base_root = make_project(tmp_path / "base", {"bert": PASS, "gpt2": PASS, "t5": FAIL, "vit": PASS}, ("bert", "gpt2", "t5", "vit"))
    run_pytest(base_root, base_root / "r.xml", "bert", "gpt2", "t5", "vit")
    head_bodies = {"bert": PASS, "gpt2": FAIL, "t5": PASS, "llama": PASS, "mistral": PASS}
    head_root = make_project(tmp_path / "head", head_bodies, ("bert", "gpt2", "t5", "vit", "llama", "mistral", "qwen2"))
    run_pytest(head_root, head_root / "r.xml", *head_bodies)
    base, head = report_of(base_root, "r.xml"), report_of(head_root, "r.xml")
    delta = coverage.compute_delta(base, head, "report `base.json`")
    assert delta["newly_covered"] == ["llama", "mistral"]
    assert delta["lost"] == ["vit"]  # its file is gone
    assert delta["newly_failing"] == ["gpt2"]
    assert delta["fixed"] == ["t5"]
    assert delta["overall"]["base"]["passing_pct"] == 75.0 and delta["overall"]["head"]["passing_pct"] == round(400 / 7, 1)
    assert delta["families"]["decoder-only"]["base"]["total"] == 1 and delta["families"]["decoder-only"]["head"]["total"] == 4
    assert coverage.is_drop(delta)
    markdown = coverage.render_markdown(head, delta)
    assert "- Newly covered (2): `llama`, `mistral`" in markdown
    assert "- Fixed (failing before, passing now) (1): `t5`" in markdown
    assert "**passing: 4 of 7 registry entries (57.1%)** (+1, -17.9 pts)" in markdown


CHECKS = ("import pytest\n\ndef test_output_shapes():\n    pass\n\ndef test_save_load():\n    {save}\n\n"
          "def test_eager_matches_sdpa():\n    pytest.skip('not applicable: BertModel._supports_sdpa is False')\n")


def test_a_check_lost_is_named_in_the_delta_and_is_a_drop(tmp_path: Path) -> None:
    """bert still has a passing test, but its save_load check no longer passes: the delta says so, by name."""
    roots = {}
    for side, save in (("base", "pass"), ("head", "raise AssertionError('bert: weight changed on load by 0.5')")):
        roots[side] = make_project(tmp_path / side, {"bert": CHECKS.format(save=save)}, ("bert",))
        run_pytest(roots[side], roots[side] / "r.xml", "bert")
    base, head = (report_of(roots[side], "r.xml") for side in ("base", "head"))
    assert base.models["bert"].tests["test_eager_matches_sdpa"] == "not-applicable"
    delta = coverage.compute_delta(base, head, "main")
    assert delta["lost_checks"] == {"bert": ["save_load"]} and delta["newly_failing"] == ["bert"]
    assert "checks lost: bert (save_load)" in coverage.drop_reasons(delta)
    markdown = coverage.render_markdown(head, delta)
    assert "- Checks lost (1): `bert`: `save_load`" in markdown
    assert "- `bert` (1 of 2 checks; 2 of 2 at the base): `test_save_load`: bert: weight changed on load by 0.5" in markdown
    assert "| `bert` | encoder-only | failing | 1 of 2; 2 of 2 at the base |" in markdown


BUILD_FAILS = ("import pytest\n\n@pytest.fixture(scope='module')\ndef model():\n    raise ValueError('hidden size 32 is no multiple of 5')\n\n"
               "def test_output_shapes(model):\n    pass\n\ndef test_save_load(model):\n    pass\n\n"
               "def test_eager_matches_sdpa(model):\n    pass\n")


def test_checks_compared_with_the_base_count_over_one_denominator(tmp_path: Path) -> None:
    """A model that no longer builds errors in every test, also one that does not apply to it: compared with the base,
    both figures count the checks both runs ran (0 of 2 against 2 of 2, never 0 of 3 against 2 of 2)."""
    roots = {}
    for side, body in (("base", CHECKS.format(save="pass")), ("head", BUILD_FAILS)):
        roots[side] = make_project(tmp_path / side, {"bert": body}, ("bert",))
        run_pytest(roots[side], roots[side] / "r.xml", "bert")
    base, head = (report_of(roots[side], "r.xml") for side in ("base", "head"))
    assert list(head.models["bert"].tests.values()) == ["failed"] * 3
    delta = coverage.compute_delta(base, head, "main")
    assert delta["check_counts"] == {"bert": {"base": [2, 2], "head": [0, 2]}}
    markdown = coverage.render_markdown(head, delta)
    assert "- `bert` (0 of 2 checks; 2 of 2 at the base): `test_output_shapes`: " in markdown
    assert "| `bert` | encoder-only | failing | 0 of 2; 2 of 2 at the base |" in markdown
    assert "- `bert` (0 of 3 checks)" in coverage.render_markdown(head)  # on its own: every check it has errored


def test_delta_points_compare_the_headline_measure_or_generated(project: Path) -> None:
    head, shard, bare = report_of(project, "all.xml"), report_of(project, "shard1.xml"), report_of(project)
    assert coverage.delta_points(coverage.compute_delta(shard, head, "shard 1"), "passing") == ("passing", "+12.5")
    # a base without test results has no passing figure (0 %): the generated measure is compared instead
    assert coverage.delta_points(coverage.compute_delta(bare, head, "no results"), "passing") == ("generated", "+0.0")
    assert coverage.delta_points(coverage.compute_delta(head, bare, "results"), "generated") == ("generated", "+0.0")


def test_cli_outputs_are_well_formed(project: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(project)
    out = {kind: tmp_path / f"r.{kind}" for kind in ("json", "md", "svg")}
    code = coverage_main(["--junit", "all.xml", "--json", str(out["json"]), "--markdown", str(out["md"]), "--badge", str(out["svg"]), "--fail-under", "20"])
    stdout = capsys.readouterr().out
    assert code == 0
    data = json.loads(out["json"].read_text())
    assert data["schema_version"] == coverage.SCHEMA_VERSION and "delta" not in data
    assert data["summary"]["overall"]["passing"] == 2 and data["summary"]["families"]["decoder-only"]["total"] == 4
    assert stdout == out["md"].read_text()
    table = [line for line in stdout.splitlines() if line.startswith("| ")]
    assert len({line.count(" | ") for line in table[: 2 + len(data["summary"]["families"])]}) == 1
    svg = ET.fromstring(out["svg"].read_text())
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert "".join(svg.itertext()).startswith("hf passing: 25%")
    assert coverage_main(["--junit", "all.xml", "--fail-under", "30"]) == 1
    assert "below --fail-under 30%" in capsys.readouterr().err


def pull_request(root: Path, base: dict[str, str], head: dict[str, str], head_entries: tuple[str, ...],
                 removed: tuple[str, ...] = ()) -> GitRepo:
    """A repository whose ``main`` registers and generates ``base``, checked out on branch ``pr``: ``head`` written,
    the registry set to ``head_entries``, the files of ``removed`` deleted."""
    repo = GitRepo(root)
    make_project(repo.path, base, tuple(base))
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "pr")
    make_project(repo.path, head, head_entries)
    for name in removed:
        repo.remove(f"tests/models/test_hf_{name}.py")
    repo.commit("pr")
    return repo


def test_delta_against_git_base_and_fail_on_drop(tmp_path: Path, monkeypatch, capsys) -> None:
    repo = pull_request(tmp_path / "repo", {"bert": PASS, "gpt2": PASS}, {"llama": PASS}, ("bert", "gpt2", "llama"), removed=("gpt2",))
    monkeypatch.chdir(repo.path)
    code = coverage_main(["--base", "main", "--json", "r.json", "--fail-on-drop"])
    captured = capsys.readouterr()
    assert code == 1
    delta = json.loads((repo.path / "r.json").read_text())["delta"]
    assert (delta["newly_covered"], delta["lost"], delta["base_has_results"]) == (["llama"], ["gpt2"], False)
    assert "#### Changes against merge base `" in captured.out and "coverage dropped" in captured.err
    assert coverage_main(["--fail-on-drop"]) == 2
    assert "--fail-on-drop needs --base or --base-report" in capsys.readouterr().err


def test_bad_inputs_are_clear_errors(project: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.xml").write_text("<testsuites><testcase")
    with pytest.raises(HfguardError, match="not JUnit XML"):
        coverage.parse_junit([tmp_path / "bad.xml"], {})
    (tmp_path / "old.json").write_text('{"schema_version": 99}')
    with pytest.raises(HfguardError, match="schema_version 99, expected 1"):
        coverage.load_report(tmp_path / "old.json")


def test_removed_entries_are_not_losses_and_do_not_trip_fail_on_drop(tmp_path: Path, monkeypatch, capsys) -> None:
    # gpt2 removed on purpose, llama added
    repo = pull_request(tmp_path / "repo", {"bert": PASS, "gpt2": PASS, "t5": PASS}, {"llama": PASS}, ("bert", "t5", "llama"),
                        removed=("gpt2",))
    monkeypatch.chdir(repo.path)
    assert coverage_main(["--base", "main", "--json", "r.json", "--fail-on-drop"]) == 0
    out = capsys.readouterr().out
    delta = json.loads((repo.path / "r.json").read_text())["delta"]
    assert (delta["removed"], delta["lost"], delta["newly_covered"]) == (["gpt2"], [], ["llama"])
    assert "- Removed from the registry (1): `gpt2`" in out and "Lost" not in out
    repo.remove("tests/models/test_hf_t5.py")  # a registered entry loses its file: that is a drop
    assert coverage_main(["--base", "main", "--fail-on-drop"]) == 1
    assert "hfguard: coverage dropped against the base: lost: t5" in capsys.readouterr().err


def test_comment_against_a_base_without_results_compares_only_what_it_can(tmp_path: Path, monkeypatch, capsys) -> None:
    """A git base has no test results: no passing deltas per family, failing types with their error line, empty sections out."""
    repo = pull_request(tmp_path / "repo", {"bert": PASS, "gpt2": PASS}, {"gpt2": FAIL, "llama": PASS}, ("bert", "gpt2", "llama"))
    run_pytest(repo.path, repo.path / "r.xml", "bert", "gpt2", "llama")
    monkeypatch.chdir(repo.path)
    env = {"GITHUB_SERVER_URL": "https://github.example", "GITHUB_REPOSITORY": "acme/zoo", "GITHUB_RUN_ID": "77"}
    monkeypatch.setattr(os, "environ", {**os.environ, **env})
    assert coverage_main(["--base", "main", "--junit", "r.xml"]) == 0
    out = capsys.readouterr().out
    assert "(+100.0)" not in out and "(+66.7)" not in out  # no passing change against a base without passing figures
    assert "| decoder-only | 2 | 2 (+1) | 1 | 1 | 0 | 0 | 50.0% |" in out
    assert "#### Failing (1)\n\n- `gpt2` (1 of 2 checks): `test_forward`: assert (1 + 1) == 3" in out
    assert "- Newly covered (1): `llama`" in out
    for empty in ("Lost", "Removed", "Fixed", "Newly failing ("):
        assert empty not in out
    assert "[Job log](https://github.example/acme/zoo/actions/runs/77)" in out


def test_without_results_the_passing_columns_say_not_run(project: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(project)
    assert coverage_main([]) == 0
    out = capsys.readouterr().out
    assert "passing: not run (no test results)" in out
    assert "| **all** | 8 | 6 | – | – | – | 2 | not run |" in out and "0.0%" not in out


def test_the_first_failure_shown_is_the_first_that_ran(tmp_path: Path) -> None:
    """Not the first by name: a NaN output fails the finite check first, and that is the line worth reading."""
    body = ("def test_zz_outputs_finite():\n    assert False, 'gpt2: 1 non-finite value in output.logits'\n\n"
            "def test_aa_deterministic():\n    assert False, 'output.logits differs between runs'\n")
    root = make_project(tmp_path / "p", {"gpt2": body}, ("gpt2",))
    run_pytest(root, root / "r.xml", "gpt2")
    report = coverage.current_report(root / "hfguard.toml", [root / "r.xml"])
    coverage.write_report(report, root / "r.json")
    again = coverage.load_report(root / "r.json").models["gpt2"]
    assert again.first_failure() == ("test_zz_outputs_finite", "gpt2: 1 non-finite value in output.logits")


def test_own_extra_tests_count_for_their_model_type(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {"bert": PASS}, ("bert",))
    (root / "tests/models/test_hf_bert_extra.py").write_text("def test_team_check():\n    assert 'a' * 2 == 'aa'\n\ndef test_broken():\n    assert 0\n")
    junit = tmp_path / "r.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", "tests/models"],
                   cwd=root, capture_output=True, env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    bert = coverage.current_report(root / "hfguard.toml", [junit]).models["bert"]
    assert bert.tests == {"test_forward": "passed", "test_config": "passed", "extra::test_team_check": "passed", "extra::test_broken": "failed"}
    assert bert.level == "failing" and bert.first_failure() == ("extra::test_broken", "assert 0")
    assert check_results.passing_of_applicable(bert.tests) == (2, 2)  # the team's own tests are no checks of hfguard's


def test_a_type_already_failing_is_no_drop_against_a_base_without_results(tmp_path: Path, monkeypatch, capsys) -> None:
    """A docs-only pull request must not turn red because a model type fails on the base too (which git cannot say)."""
    repo = pull_request(tmp_path / "repo", {"bert": PASS, "gpt2": FAIL}, {}, ("bert", "gpt2"))
    run_pytest(repo.path, repo.path / "r.xml", "bert", "gpt2")
    monkeypatch.chdir(repo.path)
    assert coverage_main(["--base", "main", "--junit", "r.xml", "--fail-on-drop"]) == 0
    captured = capsys.readouterr()
    assert "#### Failing (1)" in captured.out and captured.err == ""


TEAM = '''import pytest


def test_output_shapes():
    pass


@pytest.mark.parametrize("check", {ids!r})
def test_team_check(check):
    if check == "loader_round_trip":
        pytest.skip("not applicable: our format keeps no MLM head")
    assert check != "predict_matches_forward" or {predict_passes}, "bert: predict() differs from the forward by 0.3"
'''


def test_team_checks_are_learnt_from_the_results_listed_per_model_type_and_a_lost_one_is_a_drop(tmp_path: Path) -> None:
    """The team checks a run reports are the team's; one present on the base and gone now is a named drop."""
    roots = {}
    for side, ids, passes in (("base", ["predict_matches_forward", "loader_round_trip", "handler_runs"], True),
                              ("head", ["predict_matches_forward", "loader_round_trip"], False)):
        roots[side] = make_project(tmp_path / side, {"bert": TEAM.format(ids=ids, predict_passes=passes), "vit": TEAM.format(
            ids=ids, predict_passes=True)}, ("bert", "vit"))
        run_pytest(roots[side], roots[side] / "r.xml", "bert", "vit")
    base, head = (report_of(roots[side], "r.xml") for side in ("base", "head"))
    assert coverage.team_check_results(base.models["bert"]) == {
        "team:predict_matches_forward": "passed", "team:loader_round_trip": "not-applicable", "team:handler_runs": "passed"}
    delta = coverage.compute_delta(base, head, "main")
    assert delta["lost_checks"] == {"bert": ["team:handler_runs", "team:predict_matches_forward"], "vit": ["team:handler_runs"]}
    assert "checks lost: bert (team:handler_runs, team:predict_matches_forward); vit (team:handler_runs)" in coverage.drop_reasons(delta)
    markdown = coverage.render_markdown(head, delta)
    assert ("#### Team checks (2: `loader_round_trip`, `predict_matches_forward`)\n\n"
            "| model type | `loader_round_trip` | `predict_matches_forward` |\n|---|---|---|\n"
            "| `bert` | n/a | ✗ |\n| `vit` | n/a | ✓ |\n| **passing** | 0 of 0 | 1 of 2 |\n") in markdown
    # team checks share the one denominator of the checks both runs ran (output_shapes, predict_matches_forward)
    assert delta["check_counts"]["bert"] == {"base": [2, 2], "head": [1, 2]}
    assert "- `bert` (1 of 2 checks; 2 of 2 at the base): `test_team_check[predict_matches_forward]`: bert: predict() differs" in markdown
    assert "- `bert` (1 of 2 checks): `test_team_check[predict_matches_forward]`" in coverage.render_markdown(head)
    assert "#### Team checks" not in coverage.render_markdown(report_of(make_project(tmp_path / "plain", {"bert": PASS}, ("bert",))))


def test_the_teams_own_files_count_for_their_model_types_and_the_rest_is_explained(tmp_path: Path) -> None:
    """Issue 20 points 6 and 7: team_tests globs attributed by name; every name that counts for none, with its reason."""
    root = make_project(tmp_path / "p", {"bert": PASS, "gpt2": PASS}, ("bert", "gpt2", "llama"))
    text = (root / "hfguard.toml").read_text()
    (root / "hfguard.toml").write_text(text.replace('templates_dir = "hfguard-templates"\n',
                                                    'templates_dir = "hfguard-templates"\nteam_tests = ["test/**/test_hf_*.py", "test_hf_*.py"]\n'))
    files = ["test/test_hf_bert.py", "test/skills/test_hf_bert_base_uncased.py", "test/improved/test_hf_gpt2_improved.py",
             "test/test_hf_roberta.py", "test/test_hf_retribert.py", "test/test_hf_tgi.py", "test/test_hf_audio.py",
             "test_hf_llama_7b.py", ".hidden/test_hf_bert.py", "test/.old/test_hf_bert.py", "other/test_hf_bert.py"]
    for relative in files:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(PASS)
    (root / "test/test_hf_link.py").symlink_to("test_hf_bert.py")
    (root / "tests/models/test_hf_bert_extra.py").write_text(PASS)  # the generated folder's own: counted as _extra, not here
    report = coverage.current_report(root / "hfguard.toml")
    assert report.models["bert"].team_files == ["test/skills/test_hf_bert_base_uncased.py", "test/test_hf_bert.py"]
    assert report.models["gpt2"].team_files == ["test/improved/test_hf_gpt2_improved.py"]
    assert report.models["llama"].team_files == ["test_hf_llama_7b.py"]
    assert report.team is not None
    assert {name: item["reason"] for name, item in report.team.unattributed.items()} == {  # links are never followed
        "audio": "generic", "retribert": "removed", "roberta": "not-registered", "tgi": "not-transformers"}
    assert report.team.unattributed["roberta"]["detail"] == ""
    markdown = coverage.render_markdown(report)
    assert "test files generated (they compile; not a coverage figure): 2 of 3 registry entries (66.7%)" in markdown
    assert "#### The team's own test files (`test/**/test_hf_*.py`, `test_hf_*.py`)" in markdown
    assert ("4 files count for 3 of 3 registry entries (listed per model type below); 4 files (4 names, known suffixes "
            "dropped) count for none:") in markdown
    assert "- removed from transformers (deprecated in transformers 4.x and removed in v5) (1): `retribert`" in markdown
    assert "- model type without a registry entry (1): `roberta`" in markdown
    assert "| `bert` | encoder-only | generated |  |  | 2: `test/skills/test_hf_bert_base_uncased.py`, … |  |" in markdown
    back = coverage.Report.from_dict(json.loads(coverage.report_json(report)), "report.json")
    assert back.models["bert"].team_files == report.models["bert"].team_files and back.team is not None
    assert back.team.unattributed == report.team.unattributed


def test_without_team_globs_the_report_is_as_before(project: Path) -> None:
    report = report_of(project, "all.xml")
    assert report.team is None and "team_tests" not in report.to_dict()
    assert "team's own" not in coverage.render_markdown(report)


def test_team_globs_match_like_paths_and_walk_no_deeper_than_they_reach(tmp_path: Path) -> None:
    for relative in ("test_hf_a.py", "x/test_hf_b.py", "x/y/test_hf_c.py", "test/a/test_hf_d.py", "test/test_hf_e.py",
                     "test/a/b/test_hf_f.py", "test/.git/test_hf_g.py"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("")
    assert coverage.glob_files(tmp_path, ["test_hf_*.py"]) == ["test_hf_a.py"]
    assert coverage.glob_files(tmp_path, ["*/test_hf_*.py"]) == ["test/test_hf_e.py", "x/test_hf_b.py"]
    assert coverage.glob_files(tmp_path, ["test/*/test_hf_*.py"]) == ["test/a/test_hf_d.py"]
    assert coverage.glob_files(tmp_path, ["test/**/test_hf_*.py"]) == ["test/a/b/test_hf_f.py", "test/a/test_hf_d.py", "test/test_hf_e.py"]
    assert coverage.glob_files(tmp_path, ["**/test_hf_*.py"], exclude=tmp_path / "x") == [
        "test/a/b/test_hf_f.py", "test/a/test_hf_d.py", "test/test_hf_e.py", "test_hf_a.py"]


def test_the_terminal_gets_text_as_it_reads_and_the_markdown_file_is_escaped_for_github(tmp_path: Path, monkeypatch, capsys) -> None:
    """Issue 22, point 6: two renderers, one escaping module: no '&quot;' in what a terminal shows; GitHub's escaping in the
    Markdown file a workflow publishes."""
    body = "def test_forward():\n    assert False, 'config \"hidden_size\" & <b>heads</b> differ'\n"
    root = make_project(tmp_path / "p", {"gpt2": body}, ("gpt2",))
    run_pytest(root, root / "r.xml", "gpt2")
    monkeypatch.chdir(root)
    assert coverage_main(["--junit", "r.xml", "--markdown", "r.md"]) == 0
    terminal = capsys.readouterr().out
    assert "- `gpt2` (0 of 1 checks): `test_forward`: config \"hidden_size\" & <b>heads</b> differ" in terminal
    assert "&quot;" not in terminal and "&amp;" not in terminal and "\\_" not in terminal
    github_markdown = (root / "r.md").read_text()
    assert "config &quot;hidden\\_size&quot; &amp; &lt;b&gt;heads&lt;/b&gt; differ" in github_markdown
