"""The worked example end to end: the example team's package (examples/acme-models) installed the documented way
(pip), a fresh repository registering bert and vit with its check module, ``hfguard generate``, the generated tests
run under the one stated pytest setup (hfguard.test_run), coverage, the comment and the dashboard; a bug planted in
the wrapper fails exactly the team check of the model type it affects; a third team check runs for every model type
without regenerating; ``hfguard mutate`` says which kinds each team check catches. Real tiny models, real pip."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, run_hfguard

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")
pytestmark = pytest.mark.slow

EXAMPLE = PROJECT_ROOT / "examples" / "acme-models"
PLANTED_BUG = ("        mask[row, :length] = 1\n", "        mask[row, 1:length] = 1\n")  # predict()'s mask: an off-by-one
THIRD_CHECK = '''

@team_check
def predict_is_finite(case: Any, model: Any) -> None:
    """Our predict() answers with finite numbers only."""
    assert np.isfinite(acme_models.predict(model, request_from(case.inputs(model)))).all(), f"{case.model_type}: not finite"
'''


def pip(*args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet", *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def copy_of_the_example(folder: Path) -> Path:
    """The example package copied aside (a team's working copy); its ``acme_models`` folder."""
    copy = folder / "acme-models"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__", "build"))
    return copy / "acme_models"


@contextlib.contextmanager
def installed(package: Path) -> Iterator[None]:
    """The package installed in editable mode (a team developing its wrapper) for the block, then removed. One test
    holds it: tests on two xdist workers would install and remove the same package under each other."""
    pip("install", "--no-deps", "--no-build-isolation", "-e", str(package.parent))
    try:
        yield
    finally:
        pip("uninstall", "--yes", "acme-models")


def zoo(folder: Path, lock_text: str) -> Path:
    """A fresh repository registering bert and vit with the team's check module, its tests generated."""
    repo = folder / "zoo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "hfguard.toml").write_text('checks = ["acme_models.hfguard_checks"]\n\n[models.bert]\n\n[models.vit]\n')
    (repo / "hfguard.lock").write_text(lock_text)
    generate = run_hfguard("generate", cwd=repo)
    assert generate.returncode == 0, generate.stderr
    return repo


def test_the_worked_example_end_to_end(tmp_path: Path, lock_text: str) -> None:
    package = copy_of_the_example(tmp_path)
    with installed(package):
        repo = zoo(tmp_path, lock_text)
        team_checks_run_beside_the_built_in_ones_and_every_report_lists_them(repo)
        the_sweep_runs_the_team_checks_of_the_registry_after_its_install(repo, package)
        a_bug_planted_in_the_wrapper_fails_exactly_the_team_check_of_the_type_it_affects(repo, package)
        a_third_team_check_runs_for_every_model_type_without_regenerating(repo, package)
        mutate_says_which_team_and_built_in_kinds_each_team_check_catches(repo)
        a_team_module_that_does_not_import_fails_its_test_in_one_line_and_the_built_in_checks_still_run(repo)


def run_generated(repo: Path, junit: str, *options: str) -> dict[str, dict[str, str]]:
    """Run the generated tests as every hfguard run does (hfguard.test_run); model type -> check -> status."""
    from hfguard.check_results import case_result, check_id
    from hfguard.test_run import pytest_command, test_environment

    tests = repo / "tests" / "models"
    subprocess.run([*pytest_command(tests, repo / junit, 2), *options], env=test_environment(os.environ, 120), cwd=tests,
                   capture_output=True, check=False)
    results: dict[str, dict[str, str]] = {}
    for case in ET.parse(repo / junit).iter("testcase"):
        model_type = case.get("classname", "").split(".")[-1].removeprefix("test_hf_")
        results.setdefault(model_type, {})[check_id(case.get("name", "")) or case.get("name", "")] = case_result(case).status
    return results


def team(results: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {name: {check: status for check, status in checks.items() if check.startswith("team:")} for name, checks in results.items()}


def failed(results: dict[str, dict[str, str]]) -> list[tuple[str, str]]:
    return sorted((name, check) for name, checks in results.items() for check, status in checks.items() if status in ("failed", "error"))


def team_checks_run_beside_the_built_in_ones_and_every_report_lists_them(repo: Path) -> None:
    results = run_generated(repo, "junit.xml")
    assert team(results) == {name: {"team:predict_matches_forward": "passed", "team:loader_round_trip": "passed"} for name in ("bert", "vit")}
    assert failed(results) == [] and all(len(checks) > 10 for checks in results.values())
    coverage = run_hfguard("coverage", "--junit", "junit.xml", "--json", "coverage.json", cwd=repo)
    assert coverage.returncode == 0, coverage.stderr
    assert ("| model type | `loader_round_trip` | `predict_matches_forward` |\n|---|---|---|\n| `bert` | ✓ | ✓ |\n| `vit` | ✓ | ✓ |\n"
            "| **passing** | 2 of 2 | 2 of 2 |") in coverage.stdout
    comment = run_hfguard("comment", "--report", "coverage.json", "--dry-run", "--pr", "7", cwd=repo)
    assert comment.returncode == 0 and "#### Team checks (2: `loader_round_trip`, `predict_matches_forward`)" in comment.stdout
    assert run_hfguard("report", "--results", "coverage.json", "--out", "site", cwd=repo).returncode == 0
    page = (repo / "site" / "index.html").read_text()
    assert '<colgroup class="team-checks"><col class="w-team"></colgroup>' in page and ">team checks</th>" in page
    assert '<td class="team-checks" data-checks="team:loader_round_trip:passed team:predict_matches_forward:passed">' in page


def the_sweep_runs_the_team_checks_of_the_registry_after_its_install(repo: Path, package: Path) -> None:
    """The nightly's way: 'hfguard sweep' sweeps the registry's entries, team modules included, and installs the team's
    package right before the tests ('--install', the Action's 'install' input)."""
    install = f"--no-deps --no-build-isolation -e {package.parent}"  # editable, as installed(): the later steps edit it
    sweep = run_hfguard("sweep", "bert", "--jobs", "0", "--lock", "hfguard.lock", "--out", "swept", "--install", install, cwd=repo)
    assert sweep.returncode == 0, sweep.stdout[-2000:] + sweep.stderr[-2000:]
    [bert] = json.loads((repo / "swept" / "results.json").read_text())["models"]
    assert {check: result["status"] for check, result in bert["checks"].items() if check.startswith("team:")} == {
        "team:loader_round_trip": "passed", "team:predict_matches_forward": "passed"}


def a_bug_planted_in_the_wrapper_fails_exactly_the_team_check_of_the_type_it_affects(repo: Path, package: Path) -> None:
    source = package / "__init__.py"
    clean = source.read_text()
    assert clean.count(PLANTED_BUG[0]) == 1
    source.write_text(clean.replace(*PLANTED_BUG))
    try:
        results = run_generated(repo, "planted.xml")
    finally:
        source.write_text(clean)
    assert failed(results) == [("bert", "team:predict_matches_forward")]  # vit reads no text: nothing of it fails
    assert results["vit"]["team:predict_matches_forward"] == "passed" and results["bert"]["team:loader_round_trip"] == "passed"


def a_third_team_check_runs_for_every_model_type_without_regenerating(repo: Path, package: Path) -> None:
    checks = package / "hfguard_checks.py"
    clean = checks.read_text()
    before = {path.name: path.read_bytes() for path in (repo / "tests" / "models").glob("*.py")}
    checks.write_text(clean + THIRD_CHECK)
    try:
        results = run_generated(repo, "third.xml", "-k", "team_check")
    finally:
        checks.write_text(clean)
    assert {name: sorted(checks) for name, checks in team(results).items()} == {
        name: ["team:loader_round_trip", "team:predict_is_finite", "team:predict_matches_forward"] for name in ("bert", "vit")}
    assert failed(results) == [] and {path.name: path.read_bytes() for path in (repo / "tests" / "models").glob("*.py")} == before
    assert run_hfguard("verify", cwd=repo).returncode == 0


def mutate_says_which_team_and_built_in_kinds_each_team_check_catches(repo: Path) -> None:
    run = run_hfguard("mutate", "bert", "vit", "--kinds", "mask_drops_first_token,weights_stored_in_half_precision,nan_element",
                      "--out", "mutate", cwd=repo)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    data = json.loads((repo / "mutate" / "mutate.json").read_text())
    mask = data["kinds"]["mask_drops_first_token"]
    assert mask["team"] and mask["caught_types"] == {"bert": ["team:predict_matches_forward"]} and mask["missed"] == []
    assert mask["not_applicable"] == {"its inputs hold no token ids": ["vit"]}  # the planted bug affects bert only
    assert data["kinds"]["weights_stored_in_half_precision"]["caught_types"] == {name: ["team:loader_round_trip"] for name in ("bert", "vit")}
    catches = data["team_checks"]
    assert catches["predict_matches_forward"]["team_kinds"] == {"mask_drops_first_token": {"caught": ["bert"], "applies": 1}}
    assert catches["loader_round_trip"]["team_kinds"] == {"weights_stored_in_half_precision": {"caught": ["bert", "vit"], "applies": 2}}
    assert catches["predict_matches_forward"]["builtin_kinds"]["nan_element"] == {"caught": ["bert", "vit"], "applies": 2}
    assert "| `predict_matches_forward` | Our predict() gives the model's own forward output" in run.stdout
    assert "`mask_drops_first_token` (1 of 1)" in run.stdout


def a_team_module_that_does_not_import_fails_its_test_in_one_line_and_the_built_in_checks_still_run(repo: Path) -> None:
    from hfguard.check_results import case_result

    config = repo / "hfguard.toml"
    registry = config.read_text()
    config.write_text(registry.replace("acme_models.hfguard_checks", "acme_models.hfguard_checkz"))
    try:
        assert run_hfguard("generate", cwd=repo).returncode == 0
        results = run_generated(repo, "missing.xml", "-k", "team_check or output_shapes")
        messages = {case_result(case).message for case in ET.parse(repo / "missing.xml").iter("testcase") if "team" in case.get("name", "")}
    finally:
        config.write_text(registry)
        assert run_hfguard("generate", cwd=repo).returncode == 0
    assert failed(results) == [("bert", "team:acme_models.hfguard_checkz"), ("vit", "team:acme_models.hfguard_checkz")]
    assert results["bert"]["output_shapes"] == "passed"
    assert messages == {"team module 'acme_models.hfguard_checkz' does not import: ModuleNotFoundError: No module named "
                        "'acme_models.hfguard_checkz'; install the team's package where the tests run (the Action's 'install' "
                        "input; docs/team-checks.md)"}


def test_the_examples_of_the_team_checks_doc_register_and_do_what_it_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/team-checks.md's Python examples, run: the check passes on a tiny vit, the kind breaks the mask and is undone."""
    import re
    import types

    from hfguard.testing import ModelCase, team

    monkeypatch.setattr(team, "TEAM_CHECKS", {})
    monkeypatch.setattr(team, "TEAM_KINDS", {})
    monkeypatch.syspath_prepend(str(copy_of_the_example(tmp_path).parent))  # in this process only: nothing installed
    text = (PROJECT_ROOT / "docs" / "team-checks.md").read_text()
    examples = [block for block in re.findall(r"^```python\n(.*?)^```", text, re.S | re.M) if "CASE" not in block]
    assert len(examples) == 2
    for number, block in enumerate(examples):
        module = types.ModuleType(f"team_docs_example_{number}")
        monkeypatch.setitem(sys.modules, module.__name__, module)
        exec(compile(block, f"docs/team-checks.md example {number}", "exec"), module.__dict__)  # noqa: S102 - our own docs
    assert list(team.TEAM_CHECKS) == ["loader_round_trip"] and list(team.TEAM_KINDS) == ["mask_drops_first_token"]
    vit = ModelCase("vit", "vision", "image-classification", "ViTConfig", "ViTForImageClassification", team=["team_docs_example_0"])
    vit.check("loader_round_trip", vit.build())  # passes
    import acme_models

    patch = pytest.MonkeyPatch()
    team.TEAM_KINDS["mask_drops_first_token"].apply(patch)
    assert acme_models.attention_mask([3, 2], 3).tolist() == [[0, 1, 1], [0, 1, 0]]
    patch.undo()
    assert acme_models.attention_mask([3, 2], 3).tolist() == [[1, 1, 1], [1, 1, 0]]
    for name in [name for name in sys.modules if name.split(".")[0] == "acme_models"]:
        del sys.modules[name]  # imported from a copy that is gone after this test
