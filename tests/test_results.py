"""Nights read from sweep results (schema 1 and 2) and coverage reports, and shards merged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hfguard.errors import HfguardError
from hfguard.results import load_night, merge_nights, to_json
from tests.nights import model, scenario, write_results


def test_schema_two_results_with_checks_and_test_files(tmp_path: Path) -> None:
    night = load_night(scenario(tmp_path)["tonight"].parent)  # the folder works too
    assert night.transformers_version == "5.24.0" and len(night.models) == 10
    gpt2 = night.models["gpt2"]
    assert (gpt2.status, gpt2.broken, gpt2.file) == ("failing", True, "tests/test_hf_gpt2.py")
    assert gpt2.checks["kv_cache"].status == "failed" and gpt2.checks["kv_cache"].message.startswith("AssertionError")
    assert night.checks() == ["batch_independent", "deterministic", "forward_shapes", "kv_cache", "save_load"]
    assert (night.root / gpt2.file).is_file()


def test_schema_one_results_as_the_sweep_writes_them_today(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_hf_bert.py").write_text("pass\n")
    (tmp_path / "results.json").write_text(json.dumps({"wall_seconds": 3.0, "summary": {}, "models": [
        {"model_type": "bert", "family": "encoder-only", "status": "passing", "seconds": 1.0, "tests": 4, "message": ""},
        {"model_type": "gpt2", "family": "decoder-only", "status": "error", "seconds": 0.0, "tests": 0, "message": "no test ran"}]}))
    night = load_night(tmp_path / "results.json")
    assert night.transformers_version is None and night.checks() == []
    assert night.models["bert"].file == "tests/test_hf_bert.py" and night.models["gpt2"].file == ""


def test_a_coverage_report_reads_as_a_night(tmp_path: Path) -> None:
    report = {"schema_version": 1, "denominator": "registry", "transformers_version": "5.24.0", "has_results": True, "models": {
        "bert": {"family": "encoder-only", "file": "tests/models/test_hf_bert.py", "verified": True, "level": "failing", "detail": "",
                 "tests": {"test_forward_shapes": "passed", "test_deterministic": "failed", "extra::test_team": "passed"},
                 "errors": [["test_deterministic", "AssertionError: output.logits differs between runs"]]},
        "t5": {"family": "encoder-decoder", "file": "tests/models/test_hf_t5.py", "verified": False, "level": "missing",
               "detail": "no test file", "tests": {}}}}
    (tmp_path / "coverage.json").write_text(json.dumps(report))
    night = load_night(tmp_path / "coverage.json")
    bert = night.models["bert"]
    assert bert.status == "failing" and bert.message == "test_deterministic: AssertionError: output.logits differs between runs"
    assert {c: v.status for c, v in bert.checks.items()} == {"forward_shapes": "passed", "deterministic": "failed"}  # extras are no checks
    assert bert.checks["deterministic"].message == "AssertionError: output.logits differs between runs"
    assert (night.models["t5"].status, night.models["t5"].message) == ("missing", "no test file")


def test_shards_merge_and_disagreements_are_errors(tmp_path: Path) -> None:
    one = load_night(write_results(tmp_path / "1", [model("bert", "encoder-only")]))
    two = load_night(write_results(tmp_path / "2", [model("gpt2", "decoder-only", "failing", "boom")]))
    merged = merge_nights([one, two])
    assert list(merged.models) == ["bert", "gpt2"] and Path(merged.models["gpt2"].file).is_absolute()
    clash = load_night(write_results(tmp_path / "3", [model("gpt2", "decoder-only")]))
    with pytest.raises(HfguardError, match="'gpt2' has two results"):
        merge_nights([two, clash])
    other = load_night(write_results(tmp_path / "4", [model("t5", "encoder-decoder")], version="5.25.0"))
    with pytest.raises(HfguardError, match="different transformers versions: 5.24.0, 5.25.0"):
        merge_nights([one, other])


def test_round_trip_and_bad_input(tmp_path: Path) -> None:
    night = load_night(scenario(tmp_path)["tonight"])
    (tmp_path / "again.json").write_text(json.dumps(to_json(night)))
    again = load_night(tmp_path / "again.json")
    assert {n: (r.status, r.checks) for n, r in again.models.items()} == {n: (r.status, r.checks) for n, r in night.models.items()}
    for text, message in (("[]", "neither sweep results"), ('{"schema_version": 3, "models": []}', "schema_version 3"),
                          ('{"models": [{"family": "x", "status": "passing"}]}', r"damaged results \(KeyError")):
        (tmp_path / "bad.json").write_text(text)
        with pytest.raises(HfguardError, match=message):
            load_night(tmp_path / "bad.json")
    with pytest.raises(HfguardError, match="cannot read results"):
        load_night(tmp_path / "nowhere.json")


def test_a_test_file_outside_the_results_folder_is_never_linked(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("token")
    folder = tmp_path / "sweep"
    entries = [model("bert", "encoder-only"), model("gpt2", "decoder-only"), model("t5", "encoder-decoder")]
    write_results(folder, entries)
    (folder / "tests/test_hf_t5.py").unlink()
    (folder / "tests/test_hf_t5.py").symlink_to(secret)
    data = json.loads((folder / "results.json").read_text())
    data["models"][0]["file"] = "../secret.txt"
    data["models"][1]["file"] = str(secret)
    (folder / "results.json").write_text(json.dumps(data))
    night = load_night(folder)
    assert [night.models[name].file for name in ("bert", "gpt2", "t5")] == ["", "", ""]


def test_team_checks_of_a_coverage_report_are_checks_marked_as_the_teams(tmp_path: Path) -> None:
    report = {"schema_version": 1, "denominator": "registry", "transformers_version": "5.24.0", "has_results": True, "models": {
        "bert": {"family": "encoder-only", "file": "tests/models/test_hf_bert.py", "verified": True, "level": "failing", "detail": "",
                 "tests": {"test_save_load": "passed", "test_team_check[predict_matches_forward]": "failed",
                           "test_team_check[loader_round_trip]": "not-applicable"},
                 "errors": [["test_team_check[predict_matches_forward]", "AssertionError: bert: 3 of 8 values differ"]]}}}
    (tmp_path / "coverage.json").write_text(json.dumps(report))
    bert = load_night(tmp_path / "coverage.json").models["bert"]
    assert {c: v.status for c, v in bert.checks.items()} == {
        "save_load": "passed", "team:predict_matches_forward": "failed", "team:loader_round_trip": "not-applicable"}
    assert bert.checks["team:predict_matches_forward"].message == "AssertionError: bert: 3 of 8 values differ"
