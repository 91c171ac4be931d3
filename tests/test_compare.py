"""``hfguard compare``: per model type and per check, in text, Markdown and JSON; schema-1 and schema-2 results."""

from __future__ import annotations

import json
from pathlib import Path

from hfguard.compare import SCHEMA_VERSION, compare, render_markdown
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
    assert data["schema_version"] == SCHEMA_VERSION and names(data["fixed"]) == ["whisper"]
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


def test_team_checks_are_compared_by_id_and_counted_apart(tmp_path: Path) -> None:
    def night(folder: str, predict: str) -> Path:
        models = [result_of(name, family) for name, family in (("bert", "encoder-only"), ("vit", "vision"))]
        for entry in models:
            entry["checks"]["team:predict_matches_forward"] = {"status": predict if entry["model_type"] == "bert" else "passed",
                                                               "message": "", "seconds": 0.1}
            entry["checks"]["team:loader_round_trip"] = {"status": "passed", "message": "", "seconds": 0.1}
        return write_results(tmp_path / folder, models)

    result = compare(load_night(night("a", "passed")), load_night(night("b", "failed")))
    [bert] = result["other_changes"]  # bert's status stayed 'passing' in these hand-made results; its team check changed
    assert bert["checks"] == [{"check": "team:predict_matches_forward", "a": "passed", "b": "failed", "message": ""}]
    assert result["check_totals"]["team:predict_matches_forward"] == {"a": 2, "b": 1}
    text = run_hfguard("compare", str(tmp_path / "a"), str(tmp_path / "b"), cwd=tmp_path).stdout
    assert "Team checks: 2 (model types passing, A -> B)\n  loader_round_trip: 2 -> 2\n  predict_matches_forward: 2 -> 1\n" in text
    assert "bert [encoder-only] passing -> passing: team:predict_matches_forward: passed -> failed" in text
    assert "#### Team checks (2)\n\n| team check | A passing | B passing |\n|---|---:|---:|\n| `loader_round_trip` | 2 | 2 |\n" \
        "| `predict_matches_forward` | 2 | 1 |\n" in render_markdown(result)


def test_team_checks_of_a_type_swept_in_one_run_only_and_hostile_ids(tmp_path: Path) -> None:
    """A type one run did not sweep is no removed type, whatever team checks it had; a team check id read from results
    is text for either reader (a code span on GitHub, control characters blanked in a terminal)."""
    from hfguard.escape import TERMINAL

    hostile = "team:<b>x</b>|`y`\x1b[31m"

    def night(folder: str, types: tuple[str, ...]) -> Path:
        models = [result_of(name, "encoder-only") for name in types]
        for entry in models:
            entry["checks"]["team:loader_round_trip"] = {"status": "passed", "message": "", "seconds": 0.1}
            entry["checks"][hostile] = {"status": "failed", "message": "", "seconds": 0.1}
        return write_results(tmp_path / folder, models, known=["bert", "vit"])

    result = compare(load_night(night("a", ("bert", "vit"))), load_night(night("b", ("bert",))))
    assert names(result["not_swept"]) == ["vit"] and not result["removed"]
    assert result["check_totals"]["team:loader_round_trip"] == {"a": 2, "b": 1}
    github = render_markdown(result)
    row = next(line for line in github.splitlines() if "<b>" in line)
    assert row == f"| {markdown_code(hostile.removeprefix('team:'), in_table=True)} | 0 | 0 |" and row.count(" | ") == 2
    terminal = render_markdown(result, markup=TERMINAL)
    assert "| `<b>x</b>\\|`y` [31m` | 0 | 0 |" in terminal and "\x1b" not in terminal
    text = run_hfguard("compare", str(tmp_path / "a"), str(tmp_path / "b"), cwd=tmp_path).stdout
    assert "Swept in one run only: 1\n  vit " in text and "  <b>x</b>|`y` [31m: 0 -> 0\n" in text and "\x1b" not in text


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
