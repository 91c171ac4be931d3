"""``hfguard compare``: per model type and per check, in text, Markdown and JSON; schema-1 and schema-2 results."""

from __future__ import annotations

import json
from pathlib import Path

from hfguard.compare import compare, render_markdown
from hfguard.escape import markdown_code
from hfguard.results import load_night
from tests.conftest import run_hfguard
from tests.nights import HOSTILE_NAME, scenario, tonight_models, write_results
from tests.nights import model as result_of


def names(entries: list[dict]) -> list[str]:
    return [entry["model_type"] for entry in entries]


def test_every_category_per_model_type_and_per_check(tmp_path: Path) -> None:
    paths = scenario(tmp_path)
    result = compare(load_night(paths["tonight"]), load_night(paths["upgrade"]), "pinned", "latest")
    assert names(result["newly_failing"]) == ["bert"]
    assert names(result["fixed"]) == ["whisper"]
    assert names(result["new"]) == ["next_model"] and names(result["removed"]) == ["llama"]
    assert names(result["family_changed"]) == ["siglip"] and result["family_changed"][0]["family"] == {"a": "vision-text", "b": "vision"}
    [bert] = result["newly_failing"]
    assert bert["checks"] == [{"check": "forward_shapes", "a": "passed", "b": "failed", "message": "TypeError: unexpected keyword 'head_mask'"}]
    assert result["check_totals"]["forward_shapes"] == {"a": 8, "b": 8}  # bert lost it, whisper gained it
    assert (result["a"]["transformers_version"], result["b"]["transformers_version"]) == ("5.24.0", "5.25.0")


def test_a_night_without_a_result_is_no_verdict(tmp_path: Path) -> None:
    paths = scenario(tmp_path)
    tonight = json.loads(paths["tonight"].read_text())
    for model in tonight["models"]:
        if model["model_type"] == "gpt2":
            model["status"] = "no-result"
    paths["tonight"].write_text(json.dumps(tonight))
    result = compare(load_night(paths["previous"]), load_night(paths["tonight"]))
    assert "gpt2" not in names(result["newly_failing"]) and "gpt2" in names(result["other_changes"])


def test_schema_one_results_without_checks_compare_by_status(tmp_path: Path) -> None:
    for name, status in (("a", "passing"), ("b", "failing")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps({"wall_seconds": 1.0, "summary": {}, "models": [
            {"model_type": "bert", "family": "encoder-only", "status": status, "seconds": 1.0, "tests": 3,
             "message": "" if status == "passing" else "AssertionError: boom\nsecond line"}]}))
    result = compare(load_night(tmp_path / "a"), load_night(tmp_path / "b"))
    [bert] = result["newly_failing"]
    assert bert["message"]["b"] == "AssertionError: boom" and bert["checks"] == []


def test_cli_formats_and_exit_codes(tmp_path: Path) -> None:
    paths = scenario(tmp_path)
    a, b = str(paths["tonight"]), str(paths["upgrade"].parent)
    text = run_hfguard("compare", a, b, cwd=tmp_path)
    assert text.returncode == 0 and "Newly failing: 1\n  bert [encoder-only] passing -> failing: TypeError" in text.stdout
    data = json.loads(run_hfguard("compare", a, b, "--format", "json", cwd=tmp_path).stdout)
    assert data["schema_version"] == 2 and names(data["fixed"]) == ["whisper"]
    assert run_hfguard("compare", a, b, "--fail-on-new-failures", cwd=tmp_path).returncode == 1
    assert run_hfguard("compare", a, a, "--fail-on-new-failures", cwd=tmp_path).stdout.endswith("no difference\n")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    bad = run_hfguard("compare", a, str(broken), cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "hfguard: broken.json:1:2: not JSON" in bad.stderr
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"models": [{"model_type": "x", "family": "vision", "status": "exploded"}]}))
    bad = run_hfguard("compare", a, str(odd), cwd=tmp_path)
    assert bad.returncode == 2 and "status 'exploded' of x is not one of" in bad.stderr


def test_markdown_escapes_names_and_messages(tmp_path: Path) -> None:
    paths = scenario(tmp_path)
    previous, tonight = load_night(paths["previous"]), load_night(paths["tonight"])
    markdown = render_markdown(compare(previous, tonight))
    hostile_row = next(line for line in markdown.splitlines() if "pwned=1" in line)
    assert markdown_code(HOSTILE_NAME, in_table=True) in hostile_row  # inside a code span, GitHub shows markup as text
    outside = hostile_row.replace(markdown_code(HOSTILE_NAME, in_table=True), "")
    assert "<" not in outside and "&lt;script&gt;" in outside and outside.count(" | ") == 4
    capped = render_markdown(compare(previous, tonight), max_items=1)
    assert "| … 1 more | | | | |" in capped


def test_a_type_one_run_did_not_sweep_is_not_a_removed_model_type(tmp_path: Path) -> None:
    """Sweeps over different sets of types: a type the other run's transformers knows was not swept there; only a type
    that transformers does not know is new or removed."""
    every = tonight_models()
    known = [m["model_type"] for m in every] + ["next_model"]
    full = write_results(tmp_path / "full", every, known=known)
    subset = write_results(tmp_path / "subset", [m for m in every if m["model_type"] in ("bert", "gpt2")] + [result_of("next_model", "vision")],
                           version="5.25.0", known=[name for name in known if name != "t5"])
    result = compare(load_night(full), load_night(subset))
    assert names(result["removed"]) == ["t5"]  # not a model type of B's transformers
    assert "llama" in names(result["not_swept"]) and len(result["not_swept"]) == len(every) - 3 + 1  # B swept bert and gpt2 (and next_model)
    assert names(result["new"]) == [] and "next_model" in names(result["not_swept"])  # A's transformers knows it: A did not sweep it
    text = run_hfguard("compare", str(full), str(subset), cwd=tmp_path).stdout
    assert "Removed model types: 1\n  t5 " in text and f"Swept in one run only: {len(every) - 2}\n" in text
    unknown = json.loads(full.read_text())
    del unknown["known_model_types"]  # results that do not say which types their transformers knows: no claim either way
    full.write_text(json.dumps(unknown))
    reverse = compare(load_night(subset), load_night(full))
    assert not reverse["removed"] and "next_model" in names(reverse["not_swept"]) and names(reverse["new"]) == ["t5"]
