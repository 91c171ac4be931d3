"""The nightly history: records, trust (branch and event), appending, and "failing since night N"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hfguard.errors import HfguardError
from hfguard.history import TRUSTED_EVENTS, append_record, failing_since, make_record, read_history
from hfguard.results import load_night
from tests.nights import scenario


def test_only_records_of_this_branch_and_of_scheduled_or_manual_runs_are_trusted(tmp_path: Path) -> None:
    paths = scenario(tmp_path)
    records, dropped = read_history(paths["history"], "main", TRUSTED_EVENTS)
    assert [r["night"] for r in records] == [1, 2, 3, 4] and dropped == 1  # the feature branch's manual run
    with_push = paths["history"].read_text() + json.dumps({"night": 5, "branch": "main", "event": "push"}) + "\n"
    paths["history"].write_text(with_push)
    assert read_history(paths["history"], "main", TRUSTED_EVENTS)[1] == 2
    assert len(read_history(paths["history"])[0]) == 6  # unfiltered: everything
    assert read_history(tmp_path / "absent.jsonl", "main") == ([], 0)


def test_a_damaged_line_is_one_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text('{"night": 1}\n{oops\n')
    with pytest.raises(HfguardError, match=r"history.jsonl:2:2: not a JSON line"):
        read_history(path)
    path.write_text("[1, 2]\n")
    with pytest.raises(HfguardError, match="must be a JSON object"):
        read_history(path)


def test_record_counts_families_checks_and_leaves_unknown_types_out(tmp_path: Path) -> None:
    paths = scenario(tmp_path)
    records = read_history(paths["history"], "main", TRUSTED_EVENTS)[0]
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
    records = read_history(scenario(tmp_path)["history"], "main", TRUSTED_EVENTS)[0]
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
