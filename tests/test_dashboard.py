"""The dashboard folder, read as HTML: every row, every figure, every untrusted text escaped, nothing fetched."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from hfguard.dashboard import Dashboard, build
from hfguard.history import TRUSTED_EVENTS, read_history
from hfguard.results import load_night
from tests.conftest import run_hfguard
from tests.nights import HOSTILE_NAME, scenario


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(path: Path) -> Elements:
    elements = Elements()
    elements.feed(path.read_text(encoding="utf-8"))
    return elements


def test_rows_sources_and_only_our_own_script(tmp_path: Path) -> None:
    paths = scenario(tmp_path)
    night = load_night(paths["tonight"])
    records = read_history(paths["history"], "main", TRUSTED_EVENTS)[0]
    index = build(Dashboard(night, load_night(paths["previous"]), records, title="t <x>"), tmp_path / "site")
    page = parse(index)
    rows = [attrs for tag, attrs in page.tags if tag == "tr" and attrs.get("id", "").startswith("m-")]
    assert sorted(row["id"][2:] for row in rows) == sorted(night.models)
    assert {tag for tag, _ in page.tags} >= {"table", "svg", "select", "input", "output"}
    assert [attrs for tag, attrs in page.tags if tag == "script"] == [{"src": "dashboard.js", "defer": ""}]
    assert not [attrs for tag, attrs in page.tags if tag == "img"] and not any("onerror" in attrs for _, attrs in page.tags)
    assert HOSTILE_NAME in "".join(page.text) and "t <x>" in "".join(page.text)
    links = [attrs["href"] for tag, attrs in page.tags if tag == "a" and attrs["href"].startswith("sources/")]
    assert len(links) == 10 and all((index.parent / link).is_file() for link in links)
    gpt2 = next(row for row in rows if row["id"] == "m-gpt2")
    assert gpt2["data-status"] == "failing"
    html = index.read_text()
    cells = html.split('id="m-gpt2"')[1].split("</tr>")[0]
    assert '<span class="count">4 of 5</span> <span class="chip failed">✗ kv_cache</span>' in cells  # the checks, collapsed
    assert '<li class="failed">✗ kv_cache: failed — AssertionError: cached logits differ by 0.31' in cells
    assert 'data-checks="batch_independent:passed deterministic:passed forward_shapes:passed kv_cache:failed save_load:passed"' in cells
    external = [value for _, attrs in page.tags for key, value in attrs.items() if key in ("src", "href") and "//" in value]
    assert external == []  # nothing leaves the folder
    assert sorted(p.name for p in index.parent.iterdir()) == ["dashboard.css", "dashboard.js", "dashboard.json", "index.html",
                                                              "sources", "trend.svg"]


def test_missing_shard_types_are_named_not_counted(tmp_path: Path) -> None:
    paths = scenario(tmp_path)
    night = load_night(paths["tonight"])
    note = "Shard 2 of 2 is missing: its 2 model types have no result tonight."
    index = build(Dashboard(night, load_night(paths["previous"]), [], unknown={"gpt2": "no result: shard 2 of 2 missing",
                                                                                "llama": "no result: shard 2 of 2 missing"},
                            notes=[note]), tmp_path / "site")
    html = index.read_text()
    assert note in html and "<strong>4</strong> of <strong>8</strong> model types passing" in html
    row = html.split('id="m-gpt2"')[1].split("</tr>")[0]
    assert 'data-status="no-result"' in row and "no result: shard 2 of 2 missing" in row
    data = json.loads((index.parent / "dashboard.json").read_text())
    assert data["overview"]["model_types"] == 8 and "gpt2" not in [e["model_type"] for e in data["changes"]["newly_failing"]]


def test_command_line_records_tonight_and_shows_the_upgrade(tmp_path: Path) -> None:
    paths = scenario(tmp_path)
    before = paths["history"].read_text()
    result = run_hfguard("report", "--results", str(paths["tonight"]), "--history", str(paths["history"]), "--branch", "main",
                         "--record", "--upgrade", str(paths["upgrade"]), "--out", str(tmp_path / "site"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"hfguard: dashboard of 10 model types written to {tmp_path / 'site' / 'index.html'}\n"
    after = paths["history"].read_text()
    assert after.startswith(before) and json.loads(after.splitlines()[-1])["night"] == 5
    data = json.loads((tmp_path / "site" / "dashboard.json").read_text())
    assert [e["model_type"] for e in data["upgrade"]["newly_failing"]] == ["bert"] and data["history"]["night"] == 5
    compared = tmp_path / "compare.json"
    run_hfguard("compare", str(paths["tonight"]), str(paths["upgrade"]), "--format", "json", "-o", str(compared), cwd=tmp_path)
    again = run_hfguard("report", "--results", str(paths["tonight"]), "--compare", str(compared), "--out", str(tmp_path / "b"), cwd=tmp_path)
    assert again.returncode == 0 and 'class="newly_failing"' in (tmp_path / "b/index.html").read_text()
    bad = run_hfguard("report", "--results", str(paths["tonight"]), "--compare", str(paths["history"]), "--out", str(tmp_path / "c"),
                      cwd=tmp_path)
    assert bad.returncode == 2 and "not an 'hfguard compare --format json' output" in bad.stderr and not (tmp_path / "c").exists()
    lonely = run_hfguard("report", "--results", str(paths["tonight"]), "--record", cwd=tmp_path)
    assert lonely.returncode == 2 and "--record needs --history FILE" in lonely.stderr


def test_team_checks_get_a_column_group_and_a_summary_table_of_their_own(tmp_path: Path) -> None:
    """In the collapsed layout, the team's checks are a column (a column group) of their own after hfguard's checks, with
    their own count, chips and details, a group of the check filter, and a summary table; without team checks, the page
    of before."""
    from tests.nights import CHECKS, model, write_results

    models = [model("bert", "encoder-only", "failing", "AssertionError: bert: predict() differs"), model("vit", "vision")]
    for entry in models:
        failed = entry["model_type"] == "bert"
        entry["checks"]["team:predict_matches_forward"] = {"status": "failed" if failed else "not-applicable",
                                                           "message": "AssertionError: bert: predict() differs" if failed else "", "seconds": 0.1}
        entry["checks"]["team:loader_round_trip"] = {"status": "passed", "message": "", "seconds": 0.1}
        entry["checks"]["team:<b>odd</b>"] = {"status": "passed", "message": "", "seconds": 0.1}  # an id from the results is text
    index = build(Dashboard(load_night(write_results(tmp_path / "night", models))), tmp_path / "site")
    page, html = parse(index), index.read_text()
    assert [attrs.get("class") for tag, attrs in page.tags if tag == "colgroup"] == [None, "team-checks", None]
    headers = html.split('<table id="model-table">')[1].split("</thead>")[0]
    assert '>checks</th><th scope="col" class="team-checks"' in headers and "team checks</th><th scope=\"col\">first error" in headers
    assert '<table class="summary" id="team-checks"><caption>Per team check' in html
    assert '<th scope="row">predict_matches_forward</th><td>0 / 1</td><td>1</td><td>0</td><td>1</td>' in html
    assert '<optgroup label="team checks"><option value="team:&lt;b&gt;odd&lt;/b&gt;">&lt;b&gt;odd&lt;/b&gt;</option>' in html
    assert "<b>odd</b>" not in html
    bert = html.split('id="m-bert"')[1].split("</tr>")[0]
    builtin, team = bert.split('<td class="checks"')[1].split('<td class="team-checks"')
    assert f'<span class="count">{len(CHECKS)} of {len(CHECKS)}</span>' in builtin and "team:" not in builtin
    assert '<span class="count">2 of 3</span> <span class="chip failed">✗ predict_matches_forward</span>' in team
    assert "predict_matches_forward: failed — AssertionError: bert: predict() differs</li>" in team
    assert 'data-checks="team:&lt;b&gt;odd&lt;/b&gt;:passed team:loader_round_trip:passed team:predict_matches_forward:failed"' in team
    plain = build(Dashboard(load_night(write_results(tmp_path / "plain", [model("vit", "vision")]))), tmp_path / "plain-site").read_text()
    assert "team-checks" not in plain and "team checks" not in plain  # without team checks: the page of before


def test_a_check_that_only_skipped_is_shown_as_skipped(tmp_path: Path) -> None:
    """On a CPU machine, device_matches_cpu skips everywhere: no '0 / 10' and no empty bar; a row counts the checks that
    ran (skipped, expected failures and not applicable apart), as coverage does."""
    from hfguard.results import Check

    night = load_night(scenario(tmp_path)["tonight"])
    for name, result in night.models.items():
        result.checks["device_matches_cpu"] = Check("skipped", "no accelerator: CUDA and MPS unavailable")
    index = build(Dashboard(night), tmp_path / "site")
    html = index.read_text()
    row = html.split('<tr data-name="device_matches_cpu">')[1].split("</tr>")[0]
    assert "<td>—</td><td>0</td><td>10</td><td>0</td>" in row and "skipped, did not run" in row and "<svg" not in row
    data = json.loads((index.parent / "dashboard.json").read_text())["overview"]["checks"]
    assert data["device_matches_cpu"] == {"ran": 0, "passed": 0, "failed": 0, "skipped": 10, "not_applicable": 0}
    assert data["kv_cache"] == {"ran": 6, "passed": 5, "failed": 1, "skipped": 1, "not_applicable": 3}  # clip skipped
    bert = html.split('id="m-bert"')[1].split("</tr>")[0]
    assert '<span class="count">4 of 4</span>' in bert and "device_matches_cpu: skipped — no accelerator" in bert
