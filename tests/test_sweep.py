"""The sweep's pieces: the selection (the registry's entries with their settings, or every standalone type), shards,
JUnit parsing, tables, and the command's usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from hfguard.catalogue import Catalogue
from hfguard.commands import sweep as sweep_command
from hfguard.config import load_config
from hfguard.errors import HfguardError
from hfguard.sweep import ModelResult, markdown, parse_junit, parse_shard, render_tests, select, summary
from tests.conftest import run_hfguard


def test_parse_shard_accepts_one_based_index():
    assert parse_shard("1/1") == (1, 1)
    assert parse_shard("3/4") == (3, 4)
    for bad in ("0/4", "5/4", "x/2", "2"):
        with pytest.raises(ValueError, match="--shard"):
            parse_shard(bad)


def test_bad_shard_is_a_usage_error(capsys):
    assert sweep_command.main(["--shard", "9/2"]) == 2
    assert "need 1 <= I <= N" in capsys.readouterr().err


def names(planned) -> list[str]:
    return [item.model_type for item in planned]


def test_shards_partition_the_sorted_types(real_catalogue, tmp_path: Path):
    selection = select(real_catalogue, tmp_path)
    every = names(selection.planned)
    assert every == sorted(every) and len(every) > 500 and selection.source == "catalogue"
    shards = [names(selection.shard((i, 3))) for i in (1, 2, 3)]
    assert sorted(sum(shards, [])) == every
    assert shards == [names(select(real_catalogue, tmp_path).shard((i, 3))) for i in (1, 2, 3)]


def test_family_and_limit_narrow_the_selection(real_catalogue, tmp_path: Path):
    chosen = select(real_catalogue, tmp_path, family="vision").planned
    assert len(chosen) > 3 and {item.family for item in chosen} == {"vision"}
    assert names(select(real_catalogue, tmp_path, model_types=["gpt2", "bert"]).planned) == ["bert", "gpt2"]


REGISTRY = """\
tests_dir = "tests/models"
templates_dir = "house"

[models.bert]
tiny = { num_attention_heads = 5 }

[models.gpt2]
skip = "the team tests gpt2 elsewhere"

[models.t5]
xfail = "known: the team's t5 fork"

[models.vit]
task = "image-classification"
"""


@pytest.fixture
def team_repo(tmp_path: Path, lock_text: str) -> Path:
    """A repository whose registry sets tiny, skip, xfail and task, with a template of its own for vision."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "house").mkdir()
    (repo / "house" / "vision.j2").write_text('{% extends "_base.j2" %}\n{% set family_checks = ["media_changes_output"] %}\n')
    (repo / "hfguard.toml").write_text(REGISTRY)
    (repo / "hfguard.lock").write_text(lock_text)
    return repo


def test_the_registry_is_swept_with_its_settings_rendered_as_generate_renders_them(team_repo: Path, real_catalogue: Catalogue):
    """One truth: the sweep's files are byte for byte the files 'hfguard generate' writes for the pull request."""
    generated = run_hfguard("generate", cwd=team_repo)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    registry = load_config(team_repo / "hfguard.toml")
    selection = select(real_catalogue, team_repo / "sweep", registry)
    assert selection.source == "registry" and names(selection.planned) == ["bert", "gpt2", "t5", "vit"]
    paths = render_tests(selection, selection.planned)
    for name, path in paths.items():
        assert path.parent == team_repo / "sweep" / "tests"
        assert path.read_text() == (team_repo / "tests" / "models" / path.name).read_text(), name
    assert "num_attention_heads\": 5" in paths["bert"].read_text() and "pytest.mark.skip(reason=" in paths["gpt2"].read_text()
    assert "xfail=\"known: the team's t5 fork\"" in paths["t5"].read_text()
    assert "def test_media_changes_output" in paths["vit"].read_text() and "def test_attentions" not in paths["vit"].read_text()


def test_named_types_keep_their_settings_and_all_sweeps_beyond_the_registry(team_repo: Path, real_catalogue: Catalogue):
    registry = load_config(team_repo / "hfguard.toml")
    [bert] = select(real_catalogue, team_repo / "s", registry, ["bert"]).planned
    assert bert.entry.tiny == {"num_attention_heads": 5}
    with pytest.raises(HfguardError, match=r"'llama' has no registry entry; add \[models.llama\], or sweep beyond the registry with --all"):
        select(real_catalogue, team_repo / "s", registry, ["llama"])
    beyond = select(real_catalogue, team_repo / "s", registry, all_types=True)
    assert beyond.source == "registry+all" and len(beyond.planned) > 500
    by_name = {item.model_type: item for item in beyond.planned}
    assert by_name["bert"].entry.tiny == {"num_attention_heads": 5} and by_name["llama"].entry.tiny == {}
    every = select(real_catalogue, team_repo / "s", replace(registry, target="all"))
    assert names(every.planned) == names(beyond.planned) and every.source == "registry+all"


def test_an_entry_this_transformers_does_not_know_is_named_not_swept(team_repo: Path, real_catalogue: Catalogue):
    older = Catalogue(real_catalogue.transformers_version, {k: v for k, v in real_catalogue.models.items() if k != "t5"},
                      real_catalogue.common_config_keys)
    selection = select(older, team_repo / "s", load_config(team_repo / "hfguard.toml"))
    assert names(selection.planned) == ["bert", "gpt2", "vit"] and selection.not_model_types == ["t5"]
    assert "Not model types of this transformers, so not swept (1): `t5`." in markdown([], 1.0, selection)


def test_a_misspelt_model_type_gets_a_close_match(tmp_path: Path, lock_text: str, team_repo: Path):
    (tmp_path / "hfguard.lock").write_text(lock_text)
    outside = run_hfguard("sweep", "lama", "--lock", "hfguard.lock", cwd=tmp_path)
    assert outside.returncode == 2 and outside.stderr.startswith("hfguard: unknown model type 'lama' (did you mean 'llama', ")
    assert outside.stderr.count("\n") == 1 and not (tmp_path / "hfguard-sweep").exists()
    inside = run_hfguard("sweep", "bret", "--lock", "hfguard.lock", cwd=team_repo)
    assert inside.returncode == 2 and "unknown model type 'bret' (did you mean 'bert'" in inside.stderr


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
    families = {name: real_catalogue.get(name).family for name in ("bert", "gpt2", "t5", "vit", "clip")}
    results = {r.model_type: r for r in parse_junit(junit, families)}
    assert results["bert"].status == "failing" and results["bert"].message == "test_b: boom"
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
