"""The config shrinker on small real configs (no mocks; builds real tiny configs and models)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import transformers  # noqa: E402

from hfguard.testing import overrides  # noqa: E402
from hfguard.testing.shrink import (  # noqa: E402
    FFN as TINY_FFN,
    HEADS,
    LAYERS,
    MAX_PARAMETERS,
    VOCAB,
    WIDTH,
    ConfigBuildError,
    TooLarge,
    build_within_budget,
    tiny_config,
)


@pytest.mark.parametrize(
    ("config_class", "width", "layers", "heads"),
    [
        ("BertConfig", "hidden_size", "num_hidden_layers", "num_attention_heads"),
        ("GPT2Config", "n_embd", "n_layer", "n_head"),
        ("T5Config", "d_model", "num_layers", "num_heads"),
        ("ViTConfig", "hidden_size", "num_hidden_layers", "num_attention_heads"),
    ],
)
def test_sizes_come_from_the_one_table(config_class, width, layers, heads):
    config = tiny_config(config_class, "x")
    assert type(config).__name__ == config_class
    assert (getattr(config, width), getattr(config, layers), getattr(config, heads)) == (WIDTH, LAYERS, HEADS)


def test_attribute_map_aliases_see_the_same_values():
    config = tiny_config("GPT2Config", "gpt2")
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads) == (WIDTH, LAYERS, HEADS)


def test_special_tokens_stay_inside_the_vocabulary():
    config = tiny_config("GPT2Config", "gpt2")  # default bos/eos 50256
    assert config.vocab_size == VOCAB
    assert 0 <= config.bos_token_id < VOCAB and config.eos_token_id == config.bos_token_id


def test_sub_configs_shrink_and_share_one_token_mapping():
    config = tiny_config("LlavaConfig", "llava")
    assert config.vision_config.hidden_size == WIDTH and config.text_config.num_hidden_layers == LAYERS
    assert config.image_token_id < config.text_config.vocab_size
    assert config.image_token_id not in (config.text_config.bos_token_id, config.text_config.eos_token_id)


def test_heads_divide_hidden_size_and_mla_keeps_kv_heads():
    config = tiny_config("DeepseekV3Config", "deepseek_v3")
    assert config.hidden_size % config.num_attention_heads == 0
    assert config.num_key_value_heads == config.num_attention_heads
    assert config.n_routed_experts % config.n_group == 0


def test_layer_type_lists_follow_the_depth():
    config = tiny_config("Gemma3TextConfig", "gemma3_text")
    assert len(config.layer_types) == config.num_hidden_layers == LAYERS


def test_depth_lists_are_capped_and_width_lists_scaled():
    config = tiny_config("ConvNextConfig", "convnext")
    assert all(depth <= LAYERS for depth in config.depths)
    assert config.hidden_sizes[0] == WIDTH and config.hidden_sizes == sorted(config.hidden_sizes)


def test_entry_tiny_overrides_win():
    config = tiny_config("T5Config", "t5", {"d_model": 48, "num_heads": 2})
    assert (config.d_model, config.num_heads) == (48, 2)


def test_table_overrides_apply_before_the_entry(monkeypatch):
    monkeypatch.setitem(overrides.OVERRIDES, "bert", {"hidden_size": 64, "xfail": "reason"})
    assert tiny_config("BertConfig", "bert").hidden_size == 64
    assert tiny_config("BertConfig", "bert", {"hidden_size": 16}).hidden_size == 16


def test_override_model_type_replaces_a_sub_config():
    config = tiny_config("DetrConfig", "detr", {"backbone_config": {"model_type": "resnet", "depths": [1, 1, 1, 1]}})
    assert isinstance(config.backbone_config, transformers.ResNetConfig)
    assert config.backbone_config.depths == [1, 1, 1, 1] and config.d_model == 32


def test_unbuildable_config_names_model_type():
    with pytest.raises(ConfigBuildError, match="bert:.*BertConfig"):
        tiny_config("BertConfig", "bert", {"num_hidden_layers": "two"})


def test_build_within_budget_is_the_plain_build():
    import torch

    config = tiny_config("BertConfig", "bert")
    torch.manual_seed(0)
    plain = transformers.BertModel(config)
    torch.manual_seed(0)
    budgeted = build_within_budget(transformers.BertModel, config)
    assert 0 < sum(p.numel() for p in budgeted.parameters()) < MAX_PARAMETERS
    assert all(torch.equal(a, b) for a, b in zip(plain.state_dict().values(), budgeted.state_dict().values(), strict=True))


def test_a_build_over_budget_stops_while_it_allocates():
    config = transformers.BertConfig(hidden_size=2048, intermediate_size=8192, num_hidden_layers=24, num_attention_heads=16)  # ~1.2e9 elements
    with pytest.raises(TooLarge, match="over 80,000,000 tensor elements while it is built"):
        build_within_budget(transformers.BertModel, config)


def test_a_model_over_the_parameter_limit_fails_after_its_build():
    config = transformers.BertConfig(hidden_size=512, intermediate_size=2048, num_hidden_layers=8, num_attention_heads=8)  # ~41M parameters
    with pytest.raises(TooLarge, match=r"still has 41,[0-9]{3},[0-9]{3} parameters"):
        build_within_budget(transformers.BertModel, config)


def test_rope_per_layer_type_gets_mrope_sections_inside_each_type():
    rope = {"full_attention": {"rope_type": "default", "rope_theta": 10_000.0}}
    config = tiny_config("CohereCompassTextConfig", "x", {"rope_parameters": rope})
    head_dim = config.hidden_size // config.num_attention_heads
    assert set(config.rope_parameters) == {"full_attention"}
    assert sum(config.rope_parameters["full_attention"]["mrope_section"]) == head_dim // 2


def test_tuple_layer_index_lists_follow_the_depth():
    vision = tiny_config("Qwen3VLConfig", "qwen3_vl").vision_config  # default (8, 16, 24) of 27 layers
    assert isinstance(vision.deepstack_visual_indexes, tuple) and vision.deepstack_visual_indexes
    assert all(0 <= index < vision.depth for index in vision.deepstack_visual_indexes)


def test_stem_channels_follow_the_first_stage_width():
    config = tiny_config("TextNetConfig", "textnet")  # stage 1 reads hidden_sizes[0] from the stem
    assert config.stem_out_channels == config.hidden_sizes[0] == WIDTH


def test_mrope_sections_fall_back_to_the_models_default_and_keep_equal_parts_equal():
    text = tiny_config("Ernie4_5_VLMoeConfig", "x").text_config  # no sections in the config; the model's [22, 22, 20]
    sections = text.rope_parameters["mrope_section"]
    assert sections[0] == sections[1] and sum(sections) == text.hidden_size // text.num_attention_heads // 2


def test_oneformer_mask_dim_follows_the_width_its_query_projection_reads():
    config = tiny_config("OneFormerConfig", "oneformer")  # the pixel decoder's mask features feed a hidden_dim conv
    assert config.mask_dim == config.hidden_dim == WIDTH


def test_an_overridden_depth_sizes_the_per_layer_lists_and_shrunk_lists_are_cut():
    # Gemma 3n: per-layer FFN widths (a list) and layer types; the override asks for 4 layers
    config = tiny_config("Gemma3nTextConfig", "gemma3n_text")
    assert config.num_hidden_layers == 4
    assert len(config.layer_types) == len(config.activation_sparsity_pattern) == 4
    assert set(config.layer_types) == {"sliding_attention", "full_attention"}
    assert config.intermediate_size == [TINY_FFN] * 4  # the shrunk widths, not the default 16384s


def test_per_layer_input_vocabulary_shrinks_with_the_vocabulary():
    config = tiny_config("Gemma4TextConfig", "gemma4_text")
    assert config.vocab_size_per_layer_input == config.vocab_size == VOCAB


def test_heterogeneous_layers_keep_their_own_shrunk_overrides():
    # Dots 3 Note: sliding-window layers override heads, ranks and the MLA no-rope width (per_layer_config)
    config = tiny_config("Dots3NoteTextConfig", "dots3_note_text")
    assert config.layer_types == ["indexed_attention", "sliding_attention"]  # one layer of each kind
    sliding = config.per_layer_config[1]
    assert sliding.num_attention_heads == sliding.num_key_value_heads == HEADS
    assert sliding.head_dim == sliding.qk_nope_head_dim + sliding.qk_rope_head_dim  # its default is that sum too
    assert sum(p.numel() for p in build_within_budget(transformers.Dots3NoteForCausalLM, config).parameters()) < MAX_PARAMETERS


def test_heterogeneous_global_layers_lose_their_wide_heads():
    config = tiny_config("Gemma4TextConfig", "gemma4_text")  # full-attention layers default to 512-wide heads
    assert [layer.head_dim for layer in config.per_layer_config] == [8] * len(config.layer_types)


def test_adapter_input_widths_follow_the_tower_width():
    config = tiny_config("Dots3NoteConfig", "dots3_note")  # the adapters check their input against the tower width
    assert config.vision_config.adapter_in_dim == config.vision_config.hidden_size == WIDTH
    assert config.audio_config.adapter_input_size == config.audio_config.hidden_size == WIDTH
