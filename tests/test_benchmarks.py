"""Smoke tests of ``benchmarks/``: every benchmark runs on a tiny input, so ``make bench`` cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import catalogue

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import bench_adopt  # noqa: E402
import bench_changed  # noqa: E402
import bench_cli  # noqa: E402
import bench_dashboard  # noqa: E402
import bench_generate  # noqa: E402
import run  # noqa: E402


def test_cli_startup_times_are_positive() -> None:
    rows = bench_cli.bench_cli(runs=1)
    assert [row.measurement for row in rows] == [
        "python -c pass (floor)", "hfguard --help", "hfguard verify, one file (--no-cache)"]
    assert all(row.seconds is not None and row.seconds > 0 for row in rows)


def test_generate_all_cold_and_warm_on_a_small_catalogue() -> None:
    cold, warm = bench_generate.bench_generate(runs=1, lock_text=catalogue().to_json())
    assert cold.measurement == "generate --all, cold (10 files)"  # the ten standalone types, not the sub-config
    assert warm.measurement == "generate --all, warm (10 files)"
    assert cold.seconds > 0 and warm.seconds > 0


def test_big_repo_shape(tmp_path: Path) -> None:
    bench_changed.build_repo(tmp_path, commits=50, entries=20)

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()

    assert git("rev-list", "--count", "--all") == "50"
    assert git("branch", "--show-current") == "pr"
    assert git("rev-list", "--count", "main..pr") == "2"


def test_changed_selects_the_vision_family_and_the_registry_edits() -> None:
    (row,) = bench_changed.bench_changed(commits=50, entries=20, runs=1)
    assert row.seconds > 0
    # 4 vision entries (every fifth) + 2 added + 2 whose tiny override moved
    assert "8 of 22 entries selected (2 added, 2 changed, template: vision)" in row.note


@pytest.mark.xdist_group("messy")
def test_adopt_and_whole_tree_verify_on_the_seed_shaped_repository(messy_repo: Path, tmp_path: Path, lock_text: str) -> None:
    lock = tmp_path / "hfguard.lock"
    lock.write_text(lock_text)
    rows = bench_adopt.bench_adopt(runs=1, lock=lock, repo=messy_repo)
    assert [row.measurement for row in rows] == [
        "adopt (given repository)", "verify . (whole tree), cold (--no-cache)", "verify . (whole tree), warm cache",
        "verify (the tests folder), warm cache"]
    assert all(row.seconds is not None and row.seconds > 0 for row in rows) and rows[0].note.startswith("goal ≤ 5 s: ")


def test_sweep_rows_from_stored_results(tmp_path: Path) -> None:
    models = [{"model_type": f"m{i}", "family": "vision", "status": status, "seconds": seconds, "tests": 1, "message": ""}
              for i, (status, seconds) in enumerate([("passing", 1.0), ("passing", 3.0), ("passing", 2.0), ("failing", 9.0)])]
    (tmp_path / "results.json").write_text(json.dumps({"wall_seconds": 42.5, "summary": {}, "models": models}))
    wall, median = run.sweep_rows(tmp_path / "results.json", fresh=False)
    assert (wall.measurement, wall.seconds) == ("sweep wall time (4 model types)", 42.5)
    assert wall.note.startswith("3 passing; not re-run: ") and "UTC" in wall.note
    assert median.seconds == 2.0
    (missing,) = run.sweep_rows(tmp_path / "nowhere" / "results.json", fresh=False)
    assert missing.seconds is None and "--sweep" in missing.note


def test_report_has_machine_info_table_and_verify_section(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("a", "b", "c"):
        (corpus / f"{name}.py").write_text(f"def {name}():\n    return 1\n")
    out = tmp_path / "results.md"
    assert run.main(["--only", "verify", "--only", "sweep", "--runs", "1", "--verify-dir", str(corpus),
                     "--sweep-dir", str(tmp_path / "sweep"), "--out", str(out)]) == 0
    report = out.read_text()
    assert "- CPU: " in report and "transformers " in report and " at commit " in report
    assert "| benchmark | measurement | wall s | note |" in report
    assert "| sweep | sweep | — | no results in " in report
    assert "## verify vs pre-commit-hooks' check-ast" in report and "| check-ast (3 files) |" in report


@pytest.mark.xdist_group("browser")
def test_dashboard_loads_and_filters_in_the_browser(tmp_path: Path, chromium) -> None:
    from tests.nights import model, write_results

    models = [{**model(f"type{i}", "vision" if i % 2 else "decoder-only", "failing" if i == 3 else "passing"), "checks": {}}
              for i in range(6)]
    results = write_results(tmp_path / "sweep", models)
    data = json.loads(results.read_text())
    del data["checks"]  # as today's sweep writes it
    results.write_text(json.dumps(data))
    rows = bench_dashboard.bench_dashboard(results, runs=1, checks=3, browser=chromium)
    assert [row.measurement for row in rows] == [
        "as swept: load", "as swept: filter by family", "as swept: filter by status", "as swept: search (2 letters)",
        "3 checks per type: load", "3 checks per type: filter by family", "3 checks per type: filter by status",
        "3 checks per type: filter by check", "3 checks per type: search (2 letters)"]
    assert all(row.seconds > 0 for row in rows) and rows[0].note.startswith("6 model types; folder ")


def test_mutation_benchmark_takes_types_of_every_family() -> None:
    import bench_mutate

    lock = json.loads(catalogue().to_json())
    chosen = bench_mutate.choose(lock, per_family=2)
    families = {lock["models"][name]["family"] for name in chosen}
    standalone = {info["family"] for info in lock["models"].values() if info["kind"] == "standalone"} - {"unsupported"}
    assert families == standalone and len(chosen) <= 2 * len(families)
    assert chosen == bench_mutate.choose(lock, per_family=2)  # the same every time: it does not look at results


def test_check_figures_of_a_sweep(tmp_path: Path) -> None:
    import bench_checks

    models = [{"model_type": "bert", "family": "encoder-only", "status": "passing", "seconds": 0.5,
               "checks": {"save_load": {"status": "passed", "message": "", "seconds": 0.2},
                          "eager_matches_sdpa": {"status": "not-applicable", "message": "no sdpa", "seconds": 0.0}}},
              {"model_type": "roberta", "family": "encoder-only", "status": "passing", "seconds": 0.7,
               "checks": {"save_load": {"status": "passed", "message": "", "seconds": 0.3},
                          "eager_matches_sdpa": {"status": "passed", "message": "", "seconds": 0.1}}}]
    (tmp_path / "results.json").write_text(json.dumps({"transformers_version": "5", "wall_seconds": 3.0, "models": models}))
    assert bench_checks.main([str(tmp_path / "results.json"), "--results", str(tmp_path / "out.md")]) == 0
    text = (tmp_path / "out.md").read_text()
    assert "| save_load | 0.5 | 0.250 | 0.3 |" in text
    assert "| encoder-only | eager_matches_sdpa | supported | 1 | 2 | 50% |" in text and "under it: none" in text


def test_sweep_benchmark_alternates_the_baseline_and_this_tree(tmp_path: Path, real_catalogue) -> None:
    import bench_sweep

    from hfguard.catalogue import Catalogue

    models = {"bert": real_catalogue.models["bert"]}
    lock = tmp_path / "hfguard.lock"
    lock.write_text(Catalogue(transformers_version=real_catalogue.transformers_version, models=models).to_json())
    results = tmp_path / "sweep-results.md"
    assert bench_sweep.main(["--lock", str(lock), "--pairs", "1", "--out", str(tmp_path / "out"), "--results", str(results),
                             "--tiers", "pr,nightly"]) == 0
    text = results.read_text(encoding="utf-8")
    assert "| 1 | baseline |" in text and "| 1 | current (pr) |" in text and "| 1 | current (nightly) |" in text
    assert text.count("| 1 of 1 |") == 3 and "Median wall time: baseline" in text and "current (pr)" in text.split("Median")[1]
    tiers = {json.loads((tmp_path / "out" / f"{tier}-1" / "results.json").read_text())["models"][0]["checks"]
             ["torch_export_matches_eager"]["status"] for tier in ("pr", "nightly")}
    assert tiers == {"skipped", "passed"}  # the pull-request tier skips the nightly tier's checks


def test_verdicts_across_runs_are_compared_check_by_check(tmp_path: Path) -> None:
    import bench_verdicts

    def sweep(name: str, save_load: str, float32: bool) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        checks = {"save_load": {"status": save_load, "message": "" if save_load == "passed" else "d_fine: 9 of 32 values differ",
                                "seconds": 0.1}, "deterministic": {"status": "passed", "message": "", "seconds": 0.1}}
        models = [{"model_type": "d_fine", "family": "vision-dense", "status": "passing" if save_load == "passed" else "failing",
                   "checks": checks}]
        (folder / "results.json").write_text(json.dumps({"models": models}))
        prop = '<properties><property name="hfguard_float32" value="its forward fails in float64: dtype"/></properties>'
        (folder / "junit.xml").write_text(f'<testsuites><testsuite><testcase classname="test_hf_d_fine" name="test_save_load">'
                                          f'{prop if float32 else ""}</testcase></testsuite></testsuites>')
        return folder

    runs = [f"default={sweep('a', 'passed', True)}", f"avx2={sweep('b', 'passed', False)}", f"omp2={sweep('c', 'failed', False)}"]
    assert bench_verdicts.main(["compare", *runs, "--types", "d_fine", "--results", str(tmp_path / "out.md")]) == 0
    text = (tmp_path / "out.md").read_text()
    assert "**Check results that differ from `default`: 1 of 2.**" in text
    assert "| d_fine | save_load | passed | passed | failed | d_fine: 9 of 32 values differ |" in text
    assert "| d_fine | passing | passing | failing |" in text
    assert "- d_fine: its forward fails in float64: dtype" in text


def test_mutation_table_keeps_the_previous_figures_beside_the_new() -> None:
    import bench_mutate

    before = bench_mutate.previous("| one output element is NaN | `nan_element` | 77 | 76 | 98.7% | lightglue |\n")
    assert before == {"nan_element": "76 / 77 (98.7%)"}
    data = {"model_types": ["gpt2"], "families": {"gpt2": "decoder-only"}, "transformers_version": "5.24.0", "wall_seconds": 9,
            "kinds": {kind: {"meaning": "m", "applies": 1, "caught": 1, "missed": []} for kind in ("nan_element", "beam_search")}}
    table = bench_mutate.report(data, "cmd", before)
    assert "| m | `nan_element` | 1 | 1 | 100.0% | - | 76 / 77 (98.7%) |" in table and "| `beam_search` | 1 | 1 | 100.0% | - | new |" in table


def test_mutation_table_of_some_kinds_keeps_the_other_kinds_rows() -> None:
    import bench_mutate

    earlier = ("| one output element is NaN | `nan_element` | 77 | 76 | 98.7% | lightglue |\n"
               "| sampling ignores the seed | `sampling_ignores_seed` | 20 | 19 | 95.0% | csm | new |\n")
    data = {"model_types": ["gpt2"], "families": {"gpt2": "decoder-only"}, "transformers_version": "5.24.0", "wall_seconds": 9,
            "kinds": {"sampling_ignores_seed": {"meaning": "s", "applies": 2, "caught": 2, "missed": []}}}
    table = bench_mutate.report(data, "cmd", bench_mutate.previous(earlier), bench_mutate.previous_rows(earlier))
    assert "| s | `sampling_ignores_seed` | 2 | 2 | 100.0% | - | 19 / 20 (95.0%) |" in table
    assert "| one output element is NaN | `nan_element` | 77 | 76 | 98.7% | lightglue | not re-run |" in table
    assert table.count("`sampling_ignores_seed`") == 1
