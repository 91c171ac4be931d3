"""The catalogue: families from transformers' own auto mappings, and the lock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_hfguard, run_listing_heavy_imports
from hfguard.catalogue import FAMILIES, KINDS, Catalogue, ModelInfo, classify, task_from_mapping_name
from hfguard.errors import HfguardError

PINNED = {
    "bert": "encoder-only",
    "hubert": "speech",
    "vits": "text-to-audio",
    "speecht5": "speech-seq2seq",
    "whisper": "speech-seq2seq",
    "musicgen": "text-to-audio",
    "qwen2_vl": "multimodal-lm",
    "opt": "decoder-only",
    "gpt2": "decoder-only",
    "qwen2": "decoder-only",
    "gemma4": "multimodal-lm",
    "t5": "encoder-decoder",
    "bart": "encoder-decoder",
    "vit": "vision",
    "detr": "vision-dense",
    "segformer": "vision-dense",
    "clip": "vision-text",
    "siglip": "vision-text",
    "encodec": "speech",
    "clap": "speech",
    "dpr": "encoder-only",
    "time_series_transformer": "time-series",
    "videomae": "video",
    "audioflamingo3": "speech-seq2seq",
    "embedding_gemma2": "vision-text",
    "mistral4": "decoder-only",  # filed under image-text-to-text, but its head and config are text-only
    "diffusion_gemma": "multimodal-lm",  # its head takes no pixels itself: they reach the encoder through **kwargs
    # forwards reading a generically named input: embeddings, or a bare tensor for the class's main input
    "blip_2_qformer": "encoder-only",
    "muse_glimmer_assistant": "decoder-only",
    "nemotron3_5_transcribe_word_timestamp": "speech",
    "vibevoice_acoustic_tokenizer_encoder": "speech",
    "vibevoice_acoustic_tokenizer_decoder": "speech",
    "sam3_tracker_video": "unsupported",
    "glm_image_vqmodel": "unsupported",
}


def test_task_names_from_mapping_names() -> None:
    assert task_from_mapping_name("MODEL_FOR_CAUSAL_LM_MAPPING_NAMES") == "causal-lm"
    assert task_from_mapping_name("MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING_NAMES") == "speech-seq-2-seq"
    assert task_from_mapping_name("MODEL_MAPPING_NAMES") == "base"


@pytest.mark.parametrize(
    ("tasks", "family", "task"),
    [
        ({"masked-lm", "causal-lm", "sequence-classification"}, "encoder-only", "masked-lm"),
        ({"causal-lm", "sequence-classification", "decision"}, "decoder-only", "causal-lm"),
        ({"zero-shot-image-classification", "image-classification"}, "vision-text", "zero-shot-image-classification"),
        ({"speech-seq-2-seq", "causal-lm", "audio-classification"}, "speech-seq2seq", "speech-seq-2-seq"),
        ({"text-to-waveform", "causal-lm"}, "text-to-audio", "text-to-waveform"),
        ({"ctc", "sequence-classification"}, "speech", "ctc"),
    ],
)
def test_strongest_task_decides(tasks: set[str], family: str, task: str) -> None:
    assert classify(tasks)[:2] == (family, task)


def test_non_voting_task_falls_back_to_hints_or_unsupported() -> None:
    assert classify({"decision"}, {"speech": "forward takes input_values"}) == (
        "speech",
        None,
        "base model only; forward takes input_values",
    )
    family, task, reason = classify({"decision"}, {"unsupported": "its forward takes states, actions"})
    assert (family, task) == ("unsupported", None)
    assert reason.endswith("; its forward takes states, actions")


@pytest.mark.parametrize(("model_type", "family"), sorted(PINNED.items()))
def test_pinned_families(real_catalogue: Catalogue, model_type: str, family: str) -> None:
    assert real_catalogue.get(model_type).family == family


def test_every_type_has_one_family_and_kind(real_catalogue: Catalogue) -> None:
    from transformers.models.auto import configuration_auto, modeling_auto

    assert set(real_catalogue.models) == set(configuration_auto.CONFIG_MAPPING_NAMES)
    for info in real_catalogue.models.values():
        assert info.family in FAMILIES and info.kind in KINDS
        assert info.reason, info.model_type
        if info.family != "unsupported" and info.task:
            assert info.task in info.heads
    standalone = real_catalogue.standalone()
    assert len(standalone) == len(modeling_auto.MODEL_MAPPING_NAMES)
    assert real_catalogue.get("aimv2_text_model").kind == "sub-config"


@pytest.mark.parametrize(
    ("model_type", "evidence"),
    [
        ("blip_2_qformer", "forward takes query_embeds"),
        ("muse_glimmer_assistant", "forward takes noise_embeds; config has"),
        ("nemotron3_5_transcribe_word_timestamp", "embeddings of its declared audio input, inputs_embeds"),
        ("vibevoice_acoustic_tokenizer_encoder", "forward's hidden_states is its class's main input, input_values"),
        ("sam3_tracker_video", "inference_session, a Sam3TrackerVideoInferenceSession object, not tensors"),
        ("glm_image_vqmodel", "GlmImageVQVAE has no forward of its own"),
        ("decision_transformer", "its forward takes states, actions, rewards, returns_to_go, timesteps"),
    ],
)
def test_generic_inputs_are_read_from_class_declarations(real_catalogue: Catalogue, model_type: str, evidence: str) -> None:
    assert evidence in real_catalogue.get(model_type).reason


def test_decision_trap_is_not_a_head_vote(real_catalogue: Catalogue) -> None:
    qwen2 = real_catalogue.get("qwen2")
    assert qwen2.heads.get("decision") == "JevForDecision"
    assert (qwen2.task, qwen2.model_class()) == ("causal-lm", "Qwen2ForCausalLM")


def test_lock_is_deterministic_and_round_trips(real_catalogue: Catalogue, lock_text: str, tmp_path: Path) -> None:
    from hfguard.catalogue import build_catalogue

    assert build_catalogue().to_json() == lock_text
    again = Catalogue.from_json(lock_text, tmp_path / "hfguard.lock")
    assert again.models == real_catalogue.models
    assert again.to_json() == lock_text
    assert json.loads(lock_text)["transformers_version"] == real_catalogue.transformers_version


def test_damaged_lock_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HfguardError, match="run 'hfguard lock'"):
        Catalogue.from_json('{"schema": 1}', tmp_path / "hfguard.lock")


def test_model_class_falls_back_to_base() -> None:
    info = ModelInfo("x", "vision", "standalone", "XConfig", base_class="XModel", heads={"backbone": "XBackbone"})
    assert info.model_class() == "XModel" and info.model_class("backbone") == "XBackbone"


def test_lock_command_and_check(project_dir: Path, lock_text: str) -> None:
    lock = project_dir / "hfguard.lock"
    lock.unlink()
    first = run_hfguard("lock", "--check", cwd=project_dir)
    assert first.returncode == 1 and "missing" in first.stdout
    written = run_hfguard("lock", cwd=project_dir)
    assert written.returncode == 0, written.stderr
    assert lock.read_text() == lock_text
    assert run_hfguard("lock", "--check", cwd=project_dir).returncode == 0
    data = json.loads(lock_text)
    data["transformers_version"] = "0.0.1"
    del data["models"]["bert"]
    lock.write_text(json.dumps(data))
    stale = run_hfguard("lock", "--check", cwd=project_dir)
    assert stale.returncode == 1
    assert "transformers 0.0.1 ->" in stale.stdout and "new model type bert (encoder-only)" in stale.stdout
    as_json = run_hfguard("lock", "--check", "--json", cwd=project_dir)
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["up_to_date"] is False and report["new"] == {"bert": "encoder-only"}
    assert report["transformers"]["lock"] == "0.0.1" and report["removed"] == []


def test_models_from_lock_does_not_import_transformers(project_dir: Path) -> None:
    result, loaded = run_listing_heavy_imports(["models", "--json", "--family", "speech"], project_dir)
    assert result.returncode == 0, result.stderr
    assert loaded == []
    report = json.loads(result.stdout)
    assert report["count"] == len(report["models"]) > 0
    assert {m["family"] for m in report["models"]} == {"speech"}
    assert "hubert" in {m["model_type"] for m in report["models"]}


def test_a_lock_of_an_older_schema_still_reads_and_check_says_why_it_changes(project_dir: Path, lock_text: str) -> None:
    data = json.loads(lock_text)
    data["schema"] = 1
    del data["common_config_keys"]
    for info in data["models"].values():
        for key in ("config_keys", "sub_configs", "inputs"):
            info.pop(key)
    lock = project_dir / "hfguard.lock"
    lock.write_text(json.dumps(data))
    assert run_hfguard("generate", cwd=project_dir).returncode == 0  # old locks keep working
    check = run_hfguard("lock", "--check", cwd=project_dir)
    assert check.returncode == 1
    assert "hfguard.lock: written by an older hfguard (lock schema 1); 'hfguard lock' adds" in check.stdout
    assert "classes or tasks changed" not in check.stdout  # nothing of transformers changed
