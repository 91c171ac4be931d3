"""The nightly history: records, trust (branch and event), appending, and "failing since night N"."""

from __future__ import annotations

import json
from pathlib import Path

from hfguard.history import TRUSTED_EVENTS, append_record, damaged_note, failing_since, make_record, read_history
from hfguard.results import load_night
from tests.nights import scenario


def test_only_records_of_this_branch_and_of_scheduled_or_manual_runs_are_trusted(tmp_path: Path) -> None:
    paths = scenario(tmp_path)
    found = read_history(paths["history"], "main", TRUSTED_EVENTS)
    assert [r["night"] for r in found.records] == [1, 2, 3, 4] and found.untrusted == 1  # the feature branch's manual run
    assert found.last["branch"] == "feature"  # the newest record, trusted or not
    with_push = paths["history"].read_text() + json.dumps({"night": 5, "branch": "main", "event": "push"}) + "\n"
    paths["history"].write_text(with_push)
    assert read_history(paths["history"], "main", TRUSTED_EVENTS).untrusted == 2
    assert len(read_history(paths["history"]).records) == 6  # unfiltered: everything
    assert read_history(tmp_path / "absent.jsonl", "main") == ([], 0, (), None)


def test_records_of_the_wrong_type_are_left_out_with_a_note_and_counted(tmp_path: Path) -> None:
    """Issue 19, case 6: history comes from the data branch; one bad record must not break every later night."""
    path = tmp_path / "history.jsonl"
    good = {"night": 1, "branch": "main", "event": "schedule", "passing_pct": 50.0, "missing_shards": [2], "not_passing": {"t5": "failing"}}
    bad = [{"night": "abc"}, {"night": 2, "passing_pct": "x"}, {"night": 3, "missing_shards": 5}, {"night": True},
           {"night": 4, "families": {"vision": [1]}}, {"night": 5, "passing_pct": 1e400}]
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in [good, *bad]) + b"{oops\n[1, 2]\n\xff\xfe\n")
    found = read_history(path, "main", TRUSTED_EVENTS)
    assert found.records == [good] and len(found.damaged) == 9
    assert list(found.damaged[:3]) == ["line 2: 'night' is \"abc\", not a whole number",
                                 "line 3: 'passing_pct' is \"x\", not a percentage from 0 to 100",
                                 "line 4: 'missing_shards' is 5, not a list of whole numbers"]
    assert list(found.damaged[-3:]) == ["line 8: not a JSON line (Expecting property name enclosed in double quotes)",
                                  "line 9: not a JSON object", "line 10: not UTF-8 text"]
    assert damaged_note("history.jsonl", found.damaged) == (
        "9 lines of history.jsonl are no valid history record and left out (first: line 2: 'night' is \"abc\", not a whole number)")
    night = load_night(scenario(tmp_path / "n")["tonight"])
    assert make_record(night, found.records, date="d")["night"] == 2  # the next night counts on from the valid records


def test_record_counts_families_checks_and_leaves_unknown_types_out(tmp_path: Path) -> None:
    paths = scenario(tmp_path)
    records = read_history(paths["history"], "main", TRUSTED_EVENTS).records
    night = load_night(paths["tonight"])
    record = make_record(night, records, date="2026-03-06", sha="abc", run_id="7", branch="main", event="schedule",
                         unknown={"llama", "vit"}, missing_shards=[2], shards=2)
    assert record["night"] == 5 and record["total"] == 8 and record["passing"] == 3 and record["passing_pct"] == 37.5
    assert record["families"]["decoder-only"] == [2, 1] and "vision" in record["families"]
    assert record["checks"]["kv_cache"] == [6, 4]  # applies to 6 of 8 counted types (bert, siglip: n/a), passed by 4
    assert record["not_passing"]["whisper"] == "error" and "llama" not in record["not_passing"]
    assert (record["unknown"], record["missing_shards"], record["shards"]) == (["llama", "vit"], [2], 2)
    assert make_record(night, [], date="d")["night"] == 1


def test_failing_since_skips_nights_without_a_result_and_stops_at_a_pass(tmp_path: Path) -> None:
    records = read_history(scenario(tmp_path)["history"], "main", TRUSTED_EVENTS).records
    assert failing_since(records, "whisper")["night"] == 2  # error in 2 and 4; no result in 3 (its shard was missing)
    assert failing_since(records, "siglip")["night"] == 4
    assert failing_since(records, "clip") is None  # skipped is not failing
    assert failing_since(records, "bert") is None
    assert failing_since([], "whisper") is None


def test_append_keeps_every_earlier_line_untouched(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text('{"night": 1, "branch": "other", "note": "kept as written"}')  # no final newline
    append_record(path, {"night": 2})
    assert path.read_text().splitlines() == ['{"night": 1, "branch": "other", "note": "kept as written"}', '{"night": 2}']
