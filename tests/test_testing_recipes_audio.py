"""Audio layout recipes on real tiny configs and models (no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import torch  # noqa: E402
import transformers  # noqa: E402

from hfguard.testing import inputs, recipes_audio  # noqa: E402
from hfguard.testing.shrink import tiny_config  # noqa: E402


def test_required_multiple_is_the_largest_number_named():
    message = "Qwen3ASREncoder expects `padded_feature_length` to be a multiple of `n_window * 2` (100), but got 16."
    assert recipes_audio._required_multiple(message) == 100
    assert recipes_audio._required_multiple("shapes do not match") == 0


def test_projection_refusal_resizes_the_feature_axis():
    features = {"input_features": torch.zeros(2, 32, 80)}
    retry = recipes_audio._retry(features, "input_features", 1, "mat1 and mat2 shapes cannot be multiplied (16x640 and 1024x32)")
    assert retry is not None and tuple(retry[0]["input_features"].shape) == (2, 32, 128)


def test_mono_codec_gets_a_channel_axis():
    torch.manual_seed(0)
    model = transformers.DacModel(tiny_config("DacConfig", "dac")).eval()
    fitted = recipes_audio.fitted_audio_inputs(model)
    assert tuple(fitted["input_values"].shape) == (inputs.BATCH, 1, inputs.AUDIO_SAMPLES)
