"""Every reader validates what it reads (issue 19, case 6): the event file, the Action's inputs, a saved comment's meta,
the retry knob, thresholds, JUnit files and shard markers give one line and exit 2 (or a note), never a traceback or
a hang. Real ``hfguard`` subprocesses and the Action's plan step, in temp folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfguard import github
from tests.action_runner import action_module
from tests.conftest import run_hfguard

EVENTS = {
    "not JSON": (b"{not json", "GITHUB_EVENT_PATH is not JSON"),
    "a list": (b"[1, 2]", "GITHUB_EVENT_PATH holds a JSON list, not the event object"),
    "nested too deeply": (b"[" * 100_000, "GITHUB_EVENT_PATH is nested too deeply to be the event object"),
    "not UTF-8": (b'{"pull_request": "\xff"}', "GITHUB_EVENT_PATH is not UTF-8 text (byte 18)"),
    "a base that is no object": (b'{"pull_request": {"number": 7, "base": "x"}}', "the event's pull_request.base is not an object (str)"),
    "a base commit that is no text": (b'{"pull_request": {"number": 7, "base": {"sha": 5}}}', "pull_request.base.sha is not a commit id"),
    "a pull request that is no object": (b'{"pull_request": 7}', "the event's pull_request is not an object (int)"),
}


@pytest.mark.parametrize("case", EVENTS)
def test_a_bad_event_file_is_one_line_and_exit_2_in_the_action(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, message = EVENTS[case]
    (tmp_path / "event.json").write_bytes(data)
    env = {"GITHUB_EVENT_PATH": str(tmp_path / "event.json"), "GITHUB_OUTPUT": str(tmp_path / "output"), "INPUT_RUN": "all"}
    assert action_module("plan").main(env) == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("::error title=hfguard::") and message in out, out
    assert (tmp_path / "output").read_text() == ""  # no decision is handed on


def test_a_bad_event_file_is_one_line_and_exit_2_for_the_cli(tmp_path: Path, project_dir: Path) -> None:
    (tmp_path / "event.json").write_bytes(EVENTS["not UTF-8"][0])
    result = run_hfguard("comment", "--save", "saved", cwd=project_dir, env={"GITHUB_EVENT_PATH": str(tmp_path / "event.json")})
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "is not UTF-8 text" in result.stderr, result.stderr


@pytest.mark.parametrize(("name", "value", "message"), [
    ("minimum-coverage", "nan", "input 'minimum-coverage' must be a percentage from 0 to 100, not 'nan'"),
    ("minimum-coverage", "1e400", "input 'minimum-coverage' must be a percentage from 0 to 100, not '1e400'"),
    ("run-tests", "yes", "input 'run-tests' must be true or false, not 'yes'"),
    ("publish-mode", "Direct\n::warning::x", "input 'publish-mode' must be one of auto, compute, publish, direct, not 'Direct\\n::warning::x'"),
])
def test_a_bad_input_is_one_line_and_exit_2(name: str, value: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = {f"INPUT_{name.upper().replace('-', '_')}": value, "GITHUB_OUTPUT": str(tmp_path / "output")}
    assert action_module("plan").main(env) == 2
    assert capsys.readouterr().out == f"::error title=hfguard::{message}\n"


def test_a_threshold_of_nan_is_refused_by_the_cli(tmp_path: Path) -> None:
    result = run_hfguard("coverage", "--fail-under", "nan", cwd=tmp_path)
    assert result.returncode == 2 and "argument --fail-under: 'nan' is not a percentage from 0 to 100" in result.stderr


@pytest.mark.parametrize("meta", ['{"pr": 1e400, "scope": "default"}', '{"pr": true, "scope": "default"}', '{"pr": 7, "scope": 1}', "[7]",
                                  '{"pr": -1, "scope": "default"}'])
def test_a_saved_comment_with_bad_meta_is_one_line_and_exit_2(meta: str, tmp_path: Path) -> None:
    (tmp_path / "saved").mkdir()
    (tmp_path / "saved" / github.COMMENT_FILE).write_text(github.marker("default") + "\nbody\n")
    (tmp_path / "saved" / "hfguard-comment.json").write_text(meta)
    result = run_hfguard("comment", "--publish-from", "saved", cwd=tmp_path, env={"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b"})
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "not a saved comment's meta" in result.stderr, result.stderr


@pytest.mark.parametrize("backoff", ["inf", "1e9", "nan", "-"])
def test_a_retry_backoff_that_would_hang_or_overflow_is_one_line(backoff: str, tmp_path: Path) -> None:
    (tmp_path / "saved").mkdir()
    (tmp_path / "saved" / github.COMMENT_FILE).write_text(github.marker("default") + "\nbody\n")
    (tmp_path / "saved" / "hfguard-comment.json").write_text('{"pr": 7, "scope": "default"}')
    env = {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b", "GITHUB_API_URL": "http://127.0.0.1:9", github.BACKOFF_ENV: backoff}
    result = run_hfguard("comment", "--publish-from", "saved", cwd=tmp_path, env=env)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"{github.BACKOFF_ENV} must be a number of seconds from 0 to 60" in result.stderr


def test_a_junit_file_over_the_size_cap_is_refused_before_it_is_parsed(tmp_path: Path, project_dir: Path) -> None:
    from hfguard.check_results import MAX_JUNIT_BYTES

    huge = project_dir / "junit.xml"
    with huge.open("wb") as handle:  # sparse: no disk or memory spent on it
        handle.truncate(MAX_JUNIT_BYTES + 1)
    result = run_hfguard("coverage", "--junit", str(huge), cwd=project_dir)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "over hfguard's limit of 32 MiB" in result.stderr, result.stderr


@pytest.mark.parametrize("marker", ['{"shard": 1, "of": 1e400, "transformers": "pinned", "plan": {}}', "[]", "\xff",
                                    '{"shard": 3, "of": 2, "transformers": "pinned", "plan": {}}',
                                    '{"shard": 1, "of": 1, "transformers": "<b>x</b>", "plan": {}}',
                                    '{"shard": 1, "of": 1, "transformers": "pinned", "plan": {"1": ["a\\nb"]}}'])
def test_a_bad_shard_marker_is_one_line(marker: str, tmp_path: Path) -> None:
    nightly = action_module("nightly")
    (tmp_path / "shard").mkdir()
    (tmp_path / "shard" / "shard.json").write_bytes(marker.encode("utf-8", "surrogateescape") if marker != "\xff" else b"\xff")
    with pytest.raises(nightly.HfguardError, match="shard.json: (not a shard marker|unreadable shard marker)") as caught:
        nightly.find_shards(tmp_path)
    assert "\n" not in str(caught.value)

