"""The sweep's pieces: shards, selection, JUnit parsing, tables, and the command's usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hfguard.commands import sweep as sweep_command
from hfguard.errors import HfguardError
from hfguard.sweep import ModelResult, markdown, parse_junit, parse_shard, select, summary


def test_parse_shard_accepts_one_based_index():
    assert parse_shard("1/1") == (1, 1)
    assert parse_shard("3/4") == (3, 4)
    for bad in ("0/4", "5/4", "x/2", "2"):
        with pytest.raises(ValueError, match="--shard"):
            parse_shard(bad)


def test_bad_shard_is_a_usage_error(capsys):
    assert sweep_command.main(["--shard", "9/2"]) == 2
    assert "need 1 <= I <= N" in capsys.readouterr().err


def test_shards_partition_the_sorted_types(real_catalogue):
    every = [info.model_type for info in select(real_catalogue)]
    assert every == sorted(every) and len(every) > 500
    shards = [[info.model_type for info in select(real_catalogue, shard=(i, 3))] for i in (1, 2, 3)]
    assert sorted(sum(shards, [])) == every
    assert shards == [[info.model_type for info in select(real_catalogue, shard=(i, 3))] for i in (1, 2, 3)]


def test_family_and_limit_narrow_the_selection(real_catalogue):
    chosen = select(real_catalogue, family="vision", limit=3)
    assert len(chosen) == 3 and {info.family for info in chosen} == {"vision"}
    assert [i.model_type for i in select(real_catalogue, model_types=["gpt2", "bert"])] == ["bert", "gpt2"]


def test_junit_results_per_model_type(tmp_path: Path, real_catalogue):
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_hf_bert.py").write_text("def test_a():\n    assert True\n\ndef test_b():\n    assert 1 == 2, 'boom'\n")
    (tests / "test_hf_gpt2.py").write_text("import pytest\n\ndef test_a():\n    pytest.skip('needs timm')\n")
    (tests / "test_hf_t5.py").write_text("def test_a():\n    pass\n")
    (tests / "test_hf_vit.py").write_text(
        "import pytest\n\n@pytest.mark.xfail(reason='known: shapes')\ndef test_a():\n    assert False\n"
    )
    junit = tmp_path / "junit.xml"
    subprocess.run([sys.executable, "-m", "pytest", str(tests), f"--junitxml={junit}", "-q", "-p", "no:cacheprovider",
                    "--rootdir", str(tests), "-o", "addopts="], cwd=tests, capture_output=True, check=False)
    infos = select(real_catalogue, model_types=["bert", "gpt2", "t5", "vit", "clip"])
    results = {r.model_type: r for r in parse_junit(junit, infos)}
    assert results["bert"].status == "failing" and "boom" in results["bert"].message
    assert results["gpt2"].status == "skipped" and "needs timm" in results["gpt2"].message
    assert results["t5"].status == "passing" and results["t5"].tests == 1
    assert results["vit"].status == "xfail" and "known: shapes" in results["vit"].message
    assert results["clip"].status == "error"


def test_summary_and_markdown_count_every_status():
    results = [
        ModelResult("bert", "encoder-only", "passing", 1.0, 4),
        ModelResult("roberta", "encoder-only", "failing", 2.0, 4, "AssertionError: x | y"),
        ModelResult("vit", "vision", "skipped", 0.0, 4, "needs timm"),
    ]
    table = summary(results)
    assert table["encoder-only"] == {"total": 2, "passing": 1, "failing": 1, "error": 0, "xfail": 0, "skipped": 0}
    assert table["all"]["total"] == 3
    text = markdown(results, 12.0)
    assert "| encoder-only | 2 | 1 | 1 | 0 | 0 | 0 | 50% |" in text
    assert "| `roberta` | encoder-only | failing | 2.0 | AssertionError: x \\| y |" in text
    assert "| `bert` |" not in text
    json.dumps(table)


def test_sweep_with_a_relative_out_dir_runs_real_tests(tmp_path: Path, lock_text: str):
    (tmp_path / "hfguard.lock").write_text(lock_text)
    result = subprocess.run(
        [sys.executable, "-m", "hfguard", "sweep", "bert", "--out", "relative-out", "--jobs", "0", "--lock", "hfguard.lock"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads((tmp_path / "relative-out" / "results.json").read_text())
    [bert] = data["models"]
    assert (bert["model_type"], bert["status"]) == ("bert", "passing") and bert["tests"] >= 3


def test_a_folder_an_earlier_sweep_wrote_is_emptied_before_the_next(tmp_path: Path):
    from hfguard.sweep import MARKER, fresh_folder

    out = tmp_path / "out"
    fresh_folder(out)
    (out / "tests").mkdir()
    (out / "tests" / "conftest.py").write_text("raise SystemExit('a committed conftest.py never loads')\n")
    (out / "link").symlink_to(tmp_path)  # removed as a link, never followed
    fresh_folder(out)
    assert sorted(path.name for path in out.iterdir()) == [MARKER] and tmp_path.is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(HfguardError, match="is a file, not a folder"):
        fresh_folder(tmp_path / "file")
