"""The config shrinker on small real configs (no mocks; builds real tiny configs and models)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import transformers  # noqa: E402

from hfguard.testing import overrides  # noqa: E402
from hfguard.testing.shrink import (  # noqa: E402
    HEADS,
    LAYERS,
    MAX_PARAMETERS,
    VOCAB,
    WIDTH,
    ConfigBuildError,
    count_parameters,
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


def test_parameter_count_on_meta_device_is_tiny():
    config = tiny_config("BertConfig", "bert")
    size = count_parameters(transformers.BertModel, config)
    assert 0 < size < MAX_PARAMETERS
    assert size == sum(p.numel() for p in transformers.BertModel(config).parameters())
