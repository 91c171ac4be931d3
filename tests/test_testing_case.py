"""ModelCase: how a check runs (does not apply, turned off, expected to fail, strict), and the per-type hints of the
overrides table, on real tiny models (no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

from hfguard.testing import ModelCase, overrides  # noqa: E402
from hfguard.testing.overrides import input_hints  # noqa: E402
from hfguard.testing.tensors import main_tensor  # noqa: E402
from tiny_models import run_check  # noqa: E402


@pytest.fixture(scope="module")
def bert():
    subject = ModelCase("bert", "encoder-only", "masked-lm", "BertConfig", "BertForMaskedLM")
    return subject, subject.build()


def test_a_check_that_does_not_apply_skips_with_its_reason(bert):
    subject, model = bert
    with pytest.raises(pytest.skip.Exception, match=r"^not applicable: BertForMaskedLM.can_generate\(\) is False$"):
        subject.check("generates_new_tokens", model)


def test_a_check_turned_off_in_the_overrides_does_not_apply_and_says_where(bert, monkeypatch):
    subject, model = bert
    monkeypatch.setitem(overrides.OVERRIDES, "bert", {"off": {"deterministic": "samples on purpose"}})
    with pytest.raises(pytest.skip.Exception, match=r"^not applicable: samples on purpose \(overrides: bert\)$"):
        subject.check("deterministic", model)


def test_an_expected_failure_is_a_strict_xfail(bert, monkeypatch):
    subject, model = bert
    monkeypatch.setitem(overrides.OVERRIDES, "bert", {"xfail": {"outputs_finite": "transformers bug: NaN"}})
    with pytest.raises(pytest.fail.Exception, match=r"^fixed: remove the xfail \(hfguard/testing/overrides.py: 'bert'\)$"):
        subject.check("outputs_finite", model)  # it passes: the xfail is stale
    registry = ModelCase("bert", "encoder-only", "masked-lm", "BertConfig", "BertForMaskedLM", xfail="known: broken")
    with pytest.raises(pytest.fail.Exception, match=r"fixed: remove the xfail \(registry entry \[models.bert\]\)"):
        registry.check("outputs_finite", model)
    monkeypatch.setitem(overrides.OVERRIDES, "bert", {"xfail": {"text_changes_output": "transformers bug: ids ignored"}})
    constant = ModelCase("bert", "encoder-only", "masked-lm", "BertConfig", "BertForMaskedLM")
    broken = constant.build()
    from hfguard.testing.mutations import KINDS

    KINDS["constant_output"].apply(constant, broken)
    with pytest.raises(pytest.xfail.Exception, match=r"^transformers bug: ids ignored \(AssertionError: bert: "):
        constant.check("text_changes_output", broken)


def test_an_unknown_check_fails_naming_the_known_ones(bert):
    subject, model = bert
    with pytest.raises(pytest.fail.Exception, match="unknown hfguard check 'shapes' \\(known: output_shapes, "):
        subject.check("shapes", model)


def test_every_generated_test_carries_the_hfguard_marker(bert):
    subject, _ = bert
    assert [mark.name for mark in subject.marks()] == ["hfguard"]


@pytest.fixture(scope="module")
def grounding_dino():
    subject = ModelCase("grounding-dino", "vision-dense", "zero-shot-object-detection", "GroundingDinoConfig",
                        "GroundingDinoForObjectDetection")
    return subject, subject.build()


def test_text_logits_are_finite_on_the_text_and_exactly_minus_inf_beyond(grounding_dino):
    subject, model = grounding_dino
    assert input_hints("grounding-dino")["neg_inf_padded_to"] == "max_text_len"
    text = subject.inputs(model)["input_ids"].shape[-1]
    logits = subject.forward(model).logits
    assert logits.shape[-1] == model.config.max_text_len > text
    assert logits[..., :text].isfinite().all() and logits[..., text:].isneginf().all()
    run_check(subject, model, "outputs_finite")


def test_without_the_padding_hint_the_minus_inf_padding_is_non_finite(grounding_dino):
    _, model = grounding_dino
    unhinted = ModelCase("grounding-dino-unhinted", "vision-dense", "zero-shot-object-detection", "GroundingDinoConfig",
                         "GroundingDinoForObjectDetection")
    with pytest.raises(AssertionError, match="non-finite values? \\(first at"):
        run_check(unhinted, model, "outputs_finite")


def test_grayscale_matcher_reads_only_the_first_channel_and_the_unhinted_check_sees_no_refusal():
    subject = ModelCase("efficientloftr", "vision-dense", "keypoint-matching", "EfficientLoFTRConfig",
                        "EfficientLoFTRForKeypointMatching")
    model = subject.build()
    assert input_hints("efficientloftr")["reads_first_channel"]
    run_check(subject, model, "rejects_wrong_channel_count")  # same outputs with other values in the other channels plus one more
    pixels = subject.inputs(model)["pixel_values"]
    darker = dict(subject.inputs(model), pixel_values=pixels - 1)  # channel 0 changes: the keypoints move
    assert not subject.forward(model).keypoints.equal(subject.forward(model, darker).keypoints)
    unhinted = ModelCase("efficientloftr-unhinted", "vision-dense", "keypoint-matching", "EfficientLoFTRConfig",
                         "EfficientLoFTRForKeypointMatching")
    with pytest.raises(AssertionError, match="images of 4 channels were accepted"):
        run_check(unhinted, model, "rejects_wrong_channel_count")


def test_a_packed_output_without_its_leading_axis_is_one_sequence_of_every_clip():
    subject = ModelCase("qwen3_asr_encoder", "speech", None, "Qwen3ASREncoderConfig", "Qwen3ASREncoder")
    assert input_hints("qwen3_asr_encoder")["packed_output"]
    model = subject.build()
    frames = subject.forward(model).last_hidden_state
    assert frames.dim() == 2  # (frames of all clips, width): no batch axis
    run_check(subject, model, "output_shapes")
    run_check(subject, model, "batch_independent")  # the first clip's frames lead the packed sequence
    unhinted = ModelCase("qwen3_asr_encoder-unhinted", "speech", None, "Qwen3ASREncoderConfig", "Qwen3ASREncoder")
    with pytest.raises(AssertionError, match="no batch axis of 2 samples"):
        run_check(unhinted, model, "output_shapes")


def test_a_contrastive_speech_model_is_judged_by_its_speech_embeddings():
    subject = ModelCase("clvp", "speech", None, "ClvpConfig", "ClvpModelForConditionalGeneration")
    model = subject.build()
    output = subject.forward(model)
    assert tuple(output.logits_per_speech.shape) == (2, 2)  # one row per clip, one column per text
    assert main_tensor(output) is output.speech_embeds  # (batch, projection), batch-first like CLAP's audio_embeds
    run_check(subject, model, "batch_independent")


_VECTOR_WIDTH_PROBE = """
import json, torch
from hfguard.testing import ModelCase
from hfguard.testing.checks import CHECKS
subject = ModelCase("wavtokenizer", "speech", None, "WavTokenizerConfig", "WavTokenizerModel")
model = subject.build()
CHECKS["batch_independent"].run(subject, model)
codebook = model.encoder_model.quantizer.codebook.embed
print(json.dumps({"codebook_set": bool(codebook.any()), "capability": torch.backends.cpu.get_cpu_capability(),
                  "audio": subject.reference(model).audio_values.flatten()[::50].tolist()}))
"""


@pytest.mark.slow
def test_outputs_do_not_depend_on_the_cpus_vector_width():
    """A zero-initialised VQ codebook made every code tie and fed WavTokenizer's decoder constant signals whose
    normalisation amplified rounding noise, so its outputs (and batch independence) depended on the SIMD width
    the CPU dispatches to; with the codebook given values like other zero weights, scalar and vector kernels agree."""
    import json
    import os
    import subprocess
    import sys

    import torch

    runs = []
    for capability in ("default", "avx2", "avx512"):
        env = {**os.environ, "ATEN_CPU_CAPABILITY": capability, "OMP_NUM_THREADS": "1"}
        result = subprocess.run([sys.executable, "-c", _VECTOR_WIDTH_PROBE], env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-2000:]
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    assert all(run["codebook_set"] for run in runs)
    assert runs[0]["capability"] == "DEFAULT" and len({run["capability"] for run in runs}) > 1
    reference = torch.tensor(runs[0]["audio"])
    for run in runs[1:]:
        assert torch.allclose(torch.tensor(run["audio"]), reference, rtol=0, atol=1e-3 * float(reference.abs().max()))
