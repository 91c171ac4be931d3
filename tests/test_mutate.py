"""``hfguard mutate`` end to end on a small sample: every kind of breakage of issue 11's table is caught by the
generated tests of every sample type it applies to (real tiny models, real pytest)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hfguard.commands import mutate as mutate_command
from hfguard.testing.mutations import KINDS, TABLE

SAMPLE = ["gpt2", "t5", "vit"]
KINDS_RUN = [*TABLE, "extra_channel_accepted"]  # the kinds asserted on below (TABLE holds attention_mask_ignored)


@pytest.fixture(scope="module")
def mutated(tmp_path_factory: pytest.TempPathFactory, lock_text: str) -> dict:
    pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")
    folder = tmp_path_factory.mktemp("mutate")
    (folder / "hfguard.lock").write_text(lock_text)
    run = subprocess.run([sys.executable, "-m", "hfguard", "mutate", *SAMPLE, "--lock", "hfguard.lock", "--out", "out",
                          "--kinds", ",".join(KINDS_RUN), "--jobs", "2", "--fail-under", "100"], cwd=folder, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "| one output element is NaN | `nan_element` |" in run.stdout
    return json.loads((folder / "out" / "mutate.json").read_text())


@pytest.mark.slow
def test_every_kind_of_the_table_applies_to_the_sample_and_is_caught(mutated):
    assert mutated["schema_version"] == 1 and mutated["model_types"] == SAMPLE
    for kind in TABLE:
        result = mutated["kinds"][kind]
        assert result["applies"] >= 1 and result["missed"] == [], (kind, result)
        assert set(result["caught_by"]) & set(KINDS[kind].checks), (kind, result["caught_by"])  # by the check written for it


@pytest.mark.slow
def test_kinds_that_do_not_apply_say_why(mutated):
    mask = mutated["kinds"]["attention_mask_ignored"]
    assert mask["applies"] == 2 and sum(len(names) for names in mask["not_applicable"].values()) == 1  # vit reads no tokens
    assert "vit" in next(iter(mask["not_applicable"].values()))
    assert mutated["kinds"]["extra_channel_accepted"]["caught_types"] == {"vit": ["rejects_wrong_channel_count"]}


def test_list_and_unknown_kinds(capsys):
    assert mutate_command.main(["--list"]) == 0
    assert "batch_leak: other samples of the batch leak into sample 0 (caught by batch_independent)" in capsys.readouterr().out
    assert mutate_command.main(["gpt2", "--kinds", "nan_element,melted"]) == 2
    assert "unknown kind of breakage: melted" in capsys.readouterr().err


def test_a_kind_whose_check_is_a_recorded_upstream_failure_is_not_measured(tmp_path: Path):
    """qwen2_audio's inputs_embeds path is broken upstream (xfail): breaking it again is no miss of the suite."""
    from hfguard.check_results import CheckResult
    from hfguard.mutate import judge

    (tmp_path / "embeds_path_differs").mkdir()
    for name in ("qwen2_audio", "llama"):
        (tmp_path / "embeds_path_differs" / f"{name}.json").write_text(json.dumps({"applied": True, "reason": ""}))
    results = {"baseline": {"qwen2_audio": {"output_shapes": CheckResult("passed"), "inputs_embeds_matches_ids": CheckResult("xfail")},
                            "llama": {"output_shapes": CheckResult("passed"), "inputs_embeds_matches_ids": CheckResult("passed")}},
               "embeds_path_differs": {"qwen2_audio": {"inputs_embeds_matches_ids": CheckResult("xfail")},
                                       "llama": {"inputs_embeds_matches_ids": CheckResult("passed")}}}
    [judged] = judge(["embeds_path_differs"], ["qwen2_audio", "llama"], results, tmp_path)
    assert judged.missed == ["llama"] and judged.applies == 1
    assert judged.not_measured == {"qwen2_audio": "inputs_embeds_matches_ids: a recorded upstream failure (xfail) on the unbroken model"}


@pytest.mark.slow
def test_an_output_one_position_short_is_caught_beyond_language_models(tmp_path: Path, lock_text: str):
    """CTC logits (hubert: the feature extractor's frame count), an encoder's last hidden state (autoformer: its
    final encoder state) and a vocoder's waveform (fastspeech2: samples per spectrogram frame) one position short fail
    output_shapes; a main output of indices (lightglue's matches) has nothing to shorten, which is said."""
    pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")
    (tmp_path / "hfguard.lock").write_text(lock_text)
    types = ["hubert", "autoformer", "fastspeech2_conformer_with_hifigan", "lightglue"]
    run = subprocess.run([sys.executable, "-m", "hfguard", "mutate", *types, "--kinds", "short_output",
                          "--lock", "hfguard.lock", "--out", "out", "--jobs", "2"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    short = json.loads((tmp_path / "out" / "mutate.json").read_text())["kinds"]["short_output"]
    assert short["caught_types"] == dict.fromkeys(types[:3], ["output_shapes"]), short
    assert short["not_applicable"] == {
        "its main output output.matches is not floating point (indices): there is nothing to perturb": ["lightglue"]}


def test_own_checks_runs_only_the_checks_written_for_the_kind(tmp_path: Path, lock_text: str):
    """With --own-checks a broken gpt2 runs batch_independent alone (every other test of its folder is deselected),
    and still catches batch_leak; the unbroken baseline runs every check."""
    pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")
    (tmp_path / "hfguard.lock").write_text(lock_text)
    run = subprocess.run([sys.executable, "-m", "hfguard", "mutate", "gpt2", "--kinds", "batch_leak", "--own-checks",
                          "--lock", "hfguard.lock", "--out", "out", "--jobs", "0"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    leak = json.loads((tmp_path / "out" / "mutate.json").read_text())["kinds"]["batch_leak"]
    assert leak["caught_types"] == {"gpt2": ["batch_independent"]}, leak
    junit = (tmp_path / "out" / "junit.xml").read_text()
    assert junit.count('classname="batch_leak.') == 1 and junit.count('name="test_deterministic"') == 1  # the baseline's


def test_with_own_checks_a_failing_unrelated_check_does_not_exclude_a_type(tmp_path: Path):
    """llama's unbroken config_round_trip fails: a whole-suite run cannot tell what caught batch_leak there, a run of
    the kind's own checks can (batch_independent passes unbroken and fails broken)."""
    from hfguard.check_results import CheckResult
    from hfguard.mutate import judge

    (tmp_path / "batch_leak").mkdir()
    (tmp_path / "batch_leak" / "llama.json").write_text(json.dumps({"applied": True, "reason": ""}))
    results = {"baseline": {"llama": {"batch_independent": CheckResult("passed"), "config_round_trip": CheckResult("failed")}},
               "batch_leak": {"llama": {"batch_independent": CheckResult("failed"), "config_round_trip": CheckResult("skipped")}}}
    [whole] = judge(["batch_leak"], ["llama"], results, tmp_path)
    assert whole.not_measured == {"llama": "its unbroken tests do not pass (config_round_trip)"}
    [own] = judge(["batch_leak"], ["llama"], results, tmp_path, own_checks=True)
    assert own.caught == {"llama": ["batch_independent"]} and not own.not_measured
