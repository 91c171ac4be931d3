"""The config shrinker: a model type's own config class, shrunk to a tiny random-weight size.

One table (``TINY``) gives the tiny value of every size attribute; ``tiny_config`` fills a
config's fields from it (through ``attribute_map``), recursively for sub-configs, keeps the
derived values consistent (heads, head_dim, rotary sections, MoE groups, per-layer lists,
special token ids, backbone stages), then applies the per-model-type overrides and the
registry entry's ``tiny`` values on top.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path
from typing import Any

from hfguard.testing.overrides import config_overrides
from hfguard.testing.recipes.multimodal import consistent_media

WIDTH, FFN, LAYERS, HEADS, KV_HEADS, HEAD_DIM, VOCAB = 32, 64, 2, 4, 2, 8, 99
MAX_PARAMETERS = 20_000_000

# role value -> attribute names. ONE place for the tiny value of each size attribute. Integer
# attributes take the value; lists of integers are scaled so their first element takes it
# (widths, heads) or are capped by it (depths).
_ROLES: dict[tuple[str, int], tuple[str, ...]] = {
    ("width", WIDTH): (
        "hidden_size", "d_model", "n_embd", "n_embed", "dim", "embed_dim", "d_embed", "word_embed_proj_dim",
        "projection_dim", "embedding_size", "hidden_sizes", "embed_dims", "embed_dim_per_stage", "text_embed_dim",
        "vision_embed_dim", "out_hidden_size", "projection_size", "output_hidden_size", "decoder_hidden_size",
        "text_hidden_size", "projector_hidden_size", "conv_dim", "classifier_proj_size", "codevector_dim",
        "proj_codevector_dim", "xvector_output_dim", "tdnn_dim", "embedding_dim", "pooler_output_size",
        "neck_hidden_sizes", "fusion_hidden_size", "fpn_hidden_size", "d_latents", "hidden_size_per_layer_input",
        "encoder_hidden_dim", "decoder_hidden_dim", "mask_feature_size", "feature_size_encoder",
        "vision_output_dim", "image_text_hidden_size", "audio_hidden_size", "backbone_hidden_size",
        "projection_hidden_dim", "projection_hidden_size", "text_encoder_width", "mamba_d_ssm", "attention_hidden_size", "upsample_groups", "entity_emb_size", "encoder_hidden_size",
        "linear_key_head_dim", "linear_value_head_dim", "cross_hidden_size", "adapter_out_dim", "output_dim",
        "mit_hidden_size", "stem_out_channels", "adapter_in_dim", "adapter_input_size", "downsample_hidden_size",
        "base_channels", "latent_channels", "image_token_embed_dim",
        "mask_dim",
    ),
    ("ffn", FFN): (
        "intermediate_size", "ffn_dim", "d_ff", "n_inner", "encoder_ffn_dim", "decoder_ffn_dim", "mlp_dim",
        "decoder_intermediate_size", "dim_feedforward", "encoder_feedforward_dim", "hidden_dim", "d_inner",
        "shared_intermediate_size", "encoder_linear_units", "decoder_linear_units", "intermediate_size_mlp",
        "dense_intermediate_size", "ffn_hidden_size", "dim_ff", "encoder_dim_feedforward", "decoder_dim_feedforward",
        "projection_intermediate_size", "projection_intermediate_dim", "speech_encoder_intermediate_size",
        "t2u_encoder_ffn_dim", "t2u_decoder_ffn_dim", "memory_fuser_intermediate_dim", "mlp_hidden_size",
        "mit_intermediate_size",
    ),
    # SEANet codecs (EnCodec, Mimi) double their base filters at every downsampling: 8 ends at 128, not 512
    ("filters", 8): ("num_filters",),
    # Whisper-style encoders take exactly 2 x max_source_positions mel frames: 60, not 3,000 (tester value)
    ("source-positions", 30): ("max_source_positions",),
    ("moe", 16): (
        "moe_intermediate_size", "shared_expert_intermediate_size", "expert_ffn_hidden_size", "moe_hidden_size",
        "shared_experts_intermediate_size", "moe_shared_expert_intermediate_size", "q_lora_rank", "kv_lora_rank",
        "time_step_rank", "mamba_dt_rank", "laurel_rank",
    ),
    ("depth", LAYERS): (
        "num_hidden_layers", "n_layer", "n_layers", "num_layers", "encoder_layers", "decoder_layers",
        "num_encoder_layers", "num_decoder_layers", "depth", "depths", "decoder_num_layers", "decoder_num_hidden_layers",
        "encoder_num_hidden_layers", "num_self_attends_per_block", "speech_encoder_layers", "t2u_encoder_layers",
        "t2u_decoder_layers", "conf_num_hidden_layers", "blocks_per_stage", "stage_num_blocks", "layers",
        "num_global_layers", "text_encoder_num_layers", "resampler_depth", "l_layers", "x_layers", "r_layers",
        "num_blocks_per_stage", "encoder_num_layers",
    ),
    ("heads", HEADS): (
        "num_attention_heads", "n_head", "n_heads", "num_heads", "encoder_attention_heads", "decoder_attention_heads",
        "attention_heads", "decoder_num_attention_heads", "num_self_attention_heads", "num_cross_attention_heads",
        "num_attention_heads_per_stage", "num_encoder_attention_heads", "num_decoder_attention_heads",
        "decoder_self_attention_heads", "decoder_cross_attention_heads", "conf_num_attention_heads",
        "speech_encoder_attention_heads", "encoder_num_attention_heads", "decoder_num_heads", "resampler_n_heads",
        "t2u_encoder_attention_heads", "t2u_decoder_attention_heads", "cross_num_attention_heads",
        "linear_num_value_heads", "index_n_heads", "swa_num_attention_heads",
        "mit_num_attention_heads", "prompt_num_attention_heads",
    ),
    ("kv-heads", KV_HEADS): (
        "num_key_value_heads", "num_kv_heads", "encoder_num_key_value_heads", "decoder_num_key_value_heads",
        "linear_num_key_heads", "cross_num_key_value_heads", "swa_num_key_value_heads",
    ),
    ("head-dim", HEAD_DIM): (
        "head_dim", "d_kv", "d_head", "dim_head", "v_head_dim", "qk_nope_head_dim", "qk_rope_head_dim", "kv_channels",
        "index_head_dim", "swa_head_dim", "cross_head_dim", "resampler_head_dim", "mamba_d_head", "mamba_head_dim",
        "linear_head_dim", "attention_head_dim",
    ),
    ("rotary", 4): ("rotary_dim", "rotary_emb_dim"),
    ("experts", 4): ("num_experts", "num_local_experts", "n_routed_experts", "moe_num_experts"),
    ("top-k", 2): ("num_experts_per_tok", "moe_k", "moe_topk", "top_k"),
    ("vocab", VOCAB): (
        "vocab_size", "unpadded_vocab_size", "text_vocab_size", "src_vocab_size", "tgt_vocab_size", "decoder_vocab_size", "entity_vocab_size",
        "encoder_hash_byte_group_vocab", "vocab_size_per_layer_input",
    ),
    ("positions", 128): (
        "max_position_embeddings", "n_positions", "max_target_positions", "max_2d_position_embeddings",
        "t2u_max_position_embeddings", "max_encoder_position_embeddings", "max_decoder_position_embeddings",
    ),
    ("window", 16): ("sliding_window", "attention_chunk_size", "sliding_window_size", "attention_window"),
    ("image", 32): ("image_size", "pretrain_image_size", "crop_size", "max_img_size"),
    ("patch", 4): ("patch_size",),
    ("mel", 16): ("num_mel_bins", "model_in_dim"),  # a vocoder reads the mel bins of its spectrogram model
    ("state", 8): ("state_size", "mamba_d_state", "ssm_state_size", "d_state"),
    ("chunk", 8): ("chunk_size", "mamba_chunk_size"),
    ("ssm-heads", HEADS): ("mamba_n_heads", "mamba_num_heads"),
    ("groups", 2): ("num_conv_pos_embedding_groups", "n_groups", "mamba_n_groups", "num_groups"),
    ("conv-pos", 16): ("num_conv_pos_embeddings",),
    ("media-tokens", 4): ("mm_tokens_per_image",),
    ("queries", 8): ("num_queries", "num_query_tokens", "resampler_n_latents", "num_latents", "latent_query_num"),
    # SpecAugment spans masked in training (frames, features): spans of 10 do not fit the tiny inputs' few frames
    ("mask-span", 2): ("mask_time_length", "mask_feature_length"),
}
TINY: dict[str, tuple[str, int]] = {name: role for role, names in _ROLES.items() for name in names}
# Counts that lists of the same config are sized by: never shrunk, even through an attribute_map alias.
_KEEP = ("num_stages", "num_channels", "num_labels")

# ``rope_parameters.get("mrope_section", [22, 22, 20])``: the sections a model falls back to
_MROPE_DEFAULT = re.compile(r"mrope_section[\"']?\s*,\s*\[([\d,\s]+)\]")
_TOKEN_ID = re.compile(r"(token_id|token_index|token_ids|_start_id|_end_id|_patch_id|_newline_id)$")
_INDEX_LISTS = ("moe_layers", "full_attn_idxs", "cross_attention_layers", "deepstack_visual_indexes",
                "intermediate_layers_indices", "global_attention_blocks", "window_block_indices",
                "spatial_target_layers", "kv_source_layers", "rope_scaling_layers", "target_layer_ids")
_NECK_CHANNELS = ("encoder_in_channels", "in_channels", "backbone_channels", "neck_in_channels", "in_channels_list")
_LAYER_KINDS = ("layer_types", "layers_block_type", "layers_block_types", "block_types", "layer_block_types")
MAX_DEPTH = 8
_OUT_INDICES = ("out_indices", "_out_indices", "backbone_out_indices")


class ConfigBuildError(Exception):
    """A config that cannot be built even after undoing the shrunk values."""


def tiny_config(config_class: str, model_type: str, tiny: dict[str, Any] | None = None) -> Any:
    """An instance of transformers' ``config_class`` shrunk to a tiny size, overrides applied."""
    import transformers

    cls = getattr(transformers, config_class)
    try:
        default = cls()
    except Exception as error:  # noqa: BLE001 - any config error becomes one clear message
        raise ConfigBuildError(f"{model_type}: {config_class}() fails: {first_line(error)}") from error
    overrides = _merge(config_overrides(model_type), tiny or {})
    return _shrink(default, overrides, {}, None, model_type)


class TooLarge(Exception):
    """A model build created more tensor elements than a tiny model can have."""


def build_within_budget(model_class: Any, config: Any) -> Any:
    """``model_class(config)``, stopped as soon as the tensors it creates exceed 4 x ``MAX_PARAMETERS`` elements
    (a config the shrinker missed fails before it fills memory), then held to ``MAX_PARAMETERS`` parameters: one
    build, where counting on the meta device first built every model twice."""
    from torch.overrides import TorchFunctionMode

    created, factories = 0, _factories()

    class Budget(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            nonlocal created
            result = func(*args, **(kwargs or {}))
            if func in factories:
                created += result.numel()
                if created > 4 * MAX_PARAMETERS:
                    raise TooLarge(f"its tiny config makes over {4 * MAX_PARAMETERS:,} tensor elements while it is built")
            return result

    with Budget():
        model = model_class(config)
    size = sum(p.numel() for p in model.parameters())
    if size > MAX_PARAMETERS:
        raise TooLarge(f"its tiny config still has {size:,} parameters")
    return model


def _factories() -> set[Any]:
    import torch

    return {torch.empty, torch.zeros, torch.ones, torch.full, torch.rand, torch.randn, torch.randint, torch.empty_strided}


def _shrink(cfg: Any, overrides: dict[str, Any], token_map: dict[int, int], vocab: int | None, model_type: str) -> Any:
    """Shrunk copy of config ``cfg`` (recursing into sub-configs)."""
    from transformers import PreTrainedConfig

    cls = type(cfg)
    names = [f.name for f in dataclasses.fields(cls)] if dataclasses.is_dataclass(cls) else list(cfg.to_dict())
    canonical = {alias: name for alias, name in getattr(cls, "attribute_map", {}).items()}
    values = {name: _get(cfg, name) for name in names}
    values.update(_replaced_sub_configs(values, overrides))
    kwargs = _shrunk_sizes(values, canonical)
    _follow_widths(values, kwargs)
    _keep_out_index_layers(values, kwargs)
    own = {k: v for k, v in overrides.items() if not isinstance(v, dict) or not isinstance(values.get(k), PreTrainedConfig)}
    own_values = {canonical.get(k, k): v for k, v in own.items()}
    old_layers, new_layers = _layer_counts(values, {**kwargs, **own_values})  # an overridden depth sizes the per-layer lists
    shrunk_lists = {k: v for k, v in kwargs.items() if isinstance(values.get(k), list)}  # e.g. per-layer widths
    kwargs.update(_per_layer_lists({**values, **shrunk_lists}, old_layers, new_layers))
    kwargs.update(own_values)
    merged = {**values, **kwargs}
    _consistent(merged, kwargs, _mrope_sections(cls))
    layers = _layer_overrides(cfg, old_layers)
    if layers is not None and "per_layer_config" not in own:
        kwargs["per_layer_config"] = _shrunk_layer_overrides(layers, values, {**merged, **kwargs}, canonical, old_layers, new_layers)
    vocab = merged.get("vocab_size") if isinstance(merged.get("vocab_size"), int) else vocab
    for name, value in values.items():
        if isinstance(value, PreTrainedConfig):
            sub_vocab = vocab if name != "text_config" else None
            sub_overrides = {k: v for k, v in overrides.get(name, {}).items() if k != "model_type"}
            kwargs[name] = _shrink(value, sub_overrides, token_map, sub_vocab, model_type)
            if name in ("text_config", "decoder", "language_config", "llm_config") and vocab is None:
                vocab = getattr(kwargs[name], "vocab_size", None)
    _match_backbone_channels(kwargs, values)
    _clamp_feature_layers(kwargs, values)
    consistent_media(kwargs, values)
    kwargs = {**_set_by_parent(cfg, values), **kwargs}
    if vocab is not None:
        _remap_tokens({**values, **kwargs}, kwargs, vocab, token_map, set(own))
    config = _build(cls, kwargs, set(own), model_type)
    deeper = _depth_covering_layer_kinds(cfg, config, values)
    if deeper is not None and deeper[0] not in own:
        config = _build(cls, {**kwargs, deeper[0]: deeper[1]}, set(own), model_type)
    return config


def _shrunk_sizes(values: dict[str, Any], canonical: dict[str, str]) -> dict[str, Any]:
    """The tiny value of every size attribute among ``values`` that changes (``canonical``: attribute_map)."""
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        alias = next((a for a, c in canonical.items() if c == name), "")  # the alias names the meaning
        role = TINY.get(alias) or TINY.get(name)
        if role is not None and name not in _KEEP:
            new = _tiny_value(role, value)
            if new is not None and new != value and (value is not None or name in TINY):
                kwargs[name] = new
    return kwargs


def _replaced_sub_configs(values: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Sub-configs an override gives another ``model_type`` (e.g. a ResNet backbone instead of timm), built from its class."""
    from transformers import CONFIG_MAPPING

    return {
        name: CONFIG_MAPPING[override["model_type"]]() for name, override in overrides.items()
        if isinstance(override, dict) and "model_type" in override
        and getattr(values.get(name), "model_type", None) != override["model_type"]
    }


def _set_by_parent(cfg: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Field values of a sub-config that differ from its class defaults (its parent chose them)."""
    from transformers import PreTrainedConfig

    try:
        plain = type(cfg)()
    except Exception:  # noqa: BLE001
        return {}
    public = {name: name[1:] if name.startswith("_") and isinstance(getattr(type(cfg), name[1:], None), property) else name
              for name in values}
    return {
        public[name]: value for name, value in values.items()
        if value is not None and not isinstance(value, PreTrainedConfig) and _get(plain, name) != value
        and name not in ("transformers_version", "architectures", "dtype")
    }


def _clamp_feature_layers(kwargs: dict[str, Any], values: dict[str, Any]) -> None:
    """Vision feature layer indices kept inside the shrunk vision tower's hidden states."""
    depth = getattr(kwargs.get("vision_config"), "num_hidden_layers", None)
    if not isinstance(depth, int):
        return
    for name in ("vision_feature_layer", "vision_feature_layers"):
        value = values.get(name)
        if name in kwargs or value is None:
            continue
        clamp = lambda i: max(-depth, min(i, depth))  # noqa: E731 - hidden states hold depth + 1 entries
        kwargs[name] = type(value)(map(clamp, value)) if isinstance(value, (list, tuple)) else clamp(value) if isinstance(value, int) else value


def _match_backbone_channels(kwargs: dict[str, Any], values: dict[str, Any]) -> None:
    """Necks read the channels of the backbone stages they use: keep them equal to the shrunk backbone."""
    backbone = kwargs.get("backbone_config")
    sizes, indices = getattr(backbone, "hidden_sizes", None), getattr(backbone, "out_indices", None)
    if not isinstance(sizes, list) or not indices:
        return
    channels = [sizes[i - 1] for i in indices if 0 < i <= len(sizes)]
    for name in _NECK_CHANNELS:
        value = values.get(name)
        if isinstance(value, (list, tuple)) and len(value) == len(channels) and name not in kwargs:
            kwargs[name] = type(value)(channels)


def _depth_covering_layer_kinds(default: Any, config: Any, values: dict[str, Any]) -> tuple[str, int] | None:
    """(depth field, depth) when the shrunk depth lost a kind of layer (e.g. hybrids: no attention layer left)."""
    for name in _LAYER_KINDS:
        before, after = _get(default, name), _get(config, name)
        if not isinstance(before, list) or not isinstance(after, list) or set(map(repr, after)) >= set(map(repr, before)):
            continue
        kinds = set(map(repr, before))
        depth = next((n for n in range(1, len(before) + 1) if set(map(repr, before[:n])) == kinds), None)
        field = next((k for k in ("num_hidden_layers", "n_layer", "num_layers", "n_layers") if isinstance(values.get(k), int)), None)
        if depth is not None and field is not None and depth <= MAX_DEPTH:
            return field, depth
    return None


def _tiny_value(role: tuple[str, int], value: Any) -> Any:
    kind, tiny = role
    if value is None and kind in ("head-dim", "kv-heads"):  # some models read these without a fallback
        return tiny
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        # only ever lowered: a larger patch could not tile the image, more source positions would need more frames
        return min(value, tiny) if kind in ("patch", "source-positions") else tiny
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        if kind == "depth":
            return [min(v, tiny) for v in value]
        first = value[0] or 1
        if kind == "width":  # widths stay divisible by the tiny head count
            return [max(1, round(v * tiny / first / HEADS) * HEADS if v * tiny / first >= HEADS else round(v * tiny / first))
                    for v in value]
        return [max(1, round(v * tiny / first)) for v in value]
    return None


def _follow_widths(values: dict[str, Any], kwargs: dict[str, Any]) -> None:
    """Lists repeating a shrunk width (e.g. ``decoder_in_channels = [256] * 3``) follow it."""
    widths = {values[k]: v for k, v in kwargs.items() if isinstance(v, int) and isinstance(values.get(k), int)
              and values[k] >= 64 and TINY.get(k, ("",))[0] == "width"}
    for name, value in values.items():
        if name in kwargs or not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, int) for v in value):
            continue
        if len(set(value)) == 1 and value[0] in widths:
            kwargs[name] = type(value)([widths[value[0]]] * len(value))


def _keep_out_index_layers(values: dict[str, Any], kwargs: dict[str, Any]) -> None:
    """A layer-stack model whose neck reads k distinct layers (out indices) keeps at least k layers."""
    reads = max((len(set(values[k])) for k in _OUT_INDICES if isinstance(values.get(k), (list, tuple))), default=0)
    field = next((k for k in ("num_hidden_layers", "n_layer", "num_layers", "n_layers", "depth") if k in kwargs), None)
    if "depths" not in values and field is not None and isinstance(kwargs[field], int) and kwargs[field] < reads <= MAX_DEPTH:
        kwargs[field] = reads


def _layer_counts(values: dict[str, Any], kwargs: dict[str, Any]) -> tuple[int | None, int | None]:
    for name in ("num_hidden_layers", "n_layer", "num_layers", "n_layers", "depth", "decoder_layers"):
        old = values.get(name)
        if isinstance(old, int) and not isinstance(old, bool):
            return old, kwargs.get(name, old)
    return None, None


def _per_layer_lists(values: dict[str, Any], old: int | None, new: int | None) -> dict[str, Any]:
    """Per-layer lists cut to the new depth (keeping one layer of every kind), index lists remapped."""
    if not old or not new or old == new:
        return {}
    cut: dict[str, Any] = {}
    for name, value in values.items():
        indices = name in _INDEX_LISTS or name in _OUT_INDICES
        if not isinstance(value, (list, tuple) if indices else list) or name in _OUT_INDICES and "depths" in values:  # stage indices stay
            continue
        if indices:
            if all(isinstance(v, int) for v in value):
                cut[name] = sorted({min(new - 1 if name not in _OUT_INDICES else new, max(0, v * new // old)) for v in value})
                if isinstance(value, tuple) and name in _INDEX_LISTS:  # e.g. deepstack_visual_indexes = (8, 16, 24)
                    cut[name] = tuple(cut[name])
                if name in _OUT_INDICES and len(cut[name]) < len(set(value)) <= new:  # distinct layers stay distinct
                    cut[name] = list(range(new - len(set(value)) + 1, new + 1))
        elif len(value) == old:
            kinds = list(dict.fromkeys(map(repr, value)))
            if len(kinds) > 1 and len(kinds) <= new:
                picked = [value[[repr(v) for v in value].index(k)] for k in kinds]
                cut[name] = (picked + value[len(picked):])[:new]
            else:
                cut[name] = value[:new]
    return cut


def _layer_overrides(cfg: Any, depth: int | None) -> list[dict[str, Any]] | None:
    """Per layer, the values a heterogeneous config's layer overrides (``per_layer_config``; ``{}``: the global
    values); ``None`` for a homogeneous config."""
    if not getattr(cfg, "is_heterogeneous", False):
        return None
    overrides = {int(i): dict(layer) for i, layer in (cfg.to_dict().get("per_layer_config") or {}).items()}
    depth = depth or max(overrides, default=-1) + 1
    return [overrides.get(i, {}) for i in range(depth)]


def _shrunk_layer_overrides(layers: list[dict[str, Any]], values: dict[str, Any], merged: dict[str, Any],
                            canonical: dict[str, str], old: int | None, new: int | None) -> dict[int, dict[str, Any]]:
    """Per-layer overrides shrunk like the global ``values`` (shrunk: ``merged``), each layer kept consistent, cut to
    the tiny depth like the other per-layer lists; only values that still differ from the global ones remain."""
    shrunk = []
    for layer in layers:
        kwargs = _shrunk_sizes(layer, canonical)
        _consistent({**merged, **layer, **kwargs}, kwargs, None)
        effective, before = {**merged, **layer, **kwargs}, {**values, **layer}
        parts = ("head_dim", "qk_nope_head_dim", "qk_rope_head_dim")
        if all(isinstance(before.get(k), int) for k in parts) and before["head_dim"] == before[parts[1]] + before[parts[2]]:
            kwargs["head_dim"] = effective[parts[1]] + effective[parts[2]]  # MLA heads: the no-rope and rope parts
        shrunk.append({k: v for k, v in {**layer, **kwargs}.items() if v != merged.get(k)})
    cut = _per_layer_lists({"per_layer_config": shrunk}, old, new).get("per_layer_config", shrunk)
    return {i: layer for i, layer in enumerate(cut) if layer}


def _mrope_sections(cls: type) -> list[int] | None:
    """The mrope sections the modeling code next to the config class falls back to (``[2, 3, 3]`` when it
    names none); ``None`` when it does not split rotary dims into mrope sections."""
    module = sys.modules.get(cls.__module__)
    source = Path(module.__file__).with_name(Path(module.__file__).name.replace("configuration_", "modeling_")) if module else None
    text = source.read_text(encoding="utf-8") if source and source.is_file() else ""
    if "mrope_section" not in text:
        return None
    default = _MROPE_DEFAULT.search(text)
    return [int(n) for n in default.group(1).split(",")] if default else [2, 3, 3]


def _consistent(merged: dict[str, Any], kwargs: dict[str, Any], mrope: list[int] | None) -> None:
    """Keep values that depend on each other consistent after shrinking (edits ``kwargs``)."""
    if isinstance(merged.get("initializer_range"), float) and merged["initializer_range"] < 1e-4:
        kwargs["initializer_range"] = 0.02  # near-zero default weights would make outputs ignore the inputs
    if isinstance(merged.get("kv_lora_rank"), int) and isinstance(merged.get("num_attention_heads"), int):
        kwargs["num_key_value_heads"] = merged["num_attention_heads"]  # MLA
    experts = next((merged[k] for k in ("num_experts", "n_routed_experts", "num_local_experts") if isinstance(merged.get(k), int)), None)
    if experts:
        if isinstance(merged.get("n_group"), int):
            kwargs["n_group"] = 2 if experts % 2 == 0 else 1
        if isinstance(merged.get("topk_group"), int):
            kwargs["topk_group"] = 1
        if "num_experts_per_tok" in merged and merged["num_experts_per_tok"] is None:  # routed experts need a top-k
            kwargs["num_experts_per_tok"] = TINY["num_experts_per_tok"][1]
    if all(isinstance(merged.get(k), int) for k in ("expand", "num_heads", "head_dim", "hidden_size")):
        kwargs["num_heads"] = merged["expand"] * merged["hidden_size"] // merged["head_dim"]  # SSM heads
    rope = merged.get("rope_parameters")
    text = isinstance(merged.get("num_attention_heads"), int) and "vocab_size" in merged
    if isinstance(rope, dict) and rope and all(params is None or isinstance(params, dict) for params in rope.values()):
        # rope parameters per layer type (None: that type has no rope): each fitted alone
        fitted = {kind: _fitted_rope(params, merged, mrope, text) if params else params for kind, params in rope.items()}
        if any(fitted[kind] is not params for kind, params in rope.items()):
            kwargs["rope_parameters"] = fitted
    elif isinstance(rope, dict) and (fitted := _fitted_rope(rope, merged, mrope, text)) is not rope:
        kwargs["rope_parameters"] = fitted


def _fitted_rope(rope: dict[str, Any], merged: dict[str, Any], mrope: list[int] | None, text: bool) -> dict[str, Any]:
    """One rope parameter dict fitted to the shrunk sizes (``rope`` itself when nothing needs fitting): mrope
    sections that split the tiny rotary half, a short original context."""
    fitted = rope
    if isinstance(rope.get("mrope_section"), list) or mrope is not None and text:
        heads = merged.get("num_attention_heads") or HEADS
        head_dim = merged.get("head_dim") or merged["hidden_size"] // heads
        factor = rope.get("partial_rotary_factor", merged.get("partial_rotary_factor")) or 1.0
        sections = rope.get("mrope_section") or mrope  # the model's fallback keeps its proportions (and equal parts)
        fitted = {**rope, "mrope_section": _split(int(head_dim * factor) // 2, sections)}
    if isinstance(rope.get("original_max_position_embeddings"), int):
        fitted = {**fitted, "original_max_position_embeddings": 64}
    return fitted


def _split(total: int, parts: list[int]) -> list[int]:
    """``total`` split in ``len(parts)`` positive parts, proportional to ``parts``."""
    weight = sum(parts) or 1
    out = [max(1, p * total // weight) for p in parts]
    extra = total - sum(out)
    # a positive remainder goes to a part no other part equals, so equal parts stay equal
    # (Ernie 4.5 VL stacks its equal height and width sections)
    index = next((i for i, p in enumerate(parts) if parts.count(p) == 1), 0) if extra > 0 else 0
    out[index] += extra
    return out


def _remap_tokens(merged: dict[str, Any], kwargs: dict[str, Any], vocab: int, token_map: dict[int, int], keep: set[str]) -> None:
    """Special token ids outside the vocabulary moved inside it, distinct ids kept distinct."""

    def inside(token: int) -> int:
        if token < vocab:
            return token
        if token not in token_map:
            token_map[token] = vocab - 1 - len(token_map)
        return token_map[token]

    for name, value in merged.items():
        if name in keep or not _TOKEN_ID.search(name):
            continue
        if isinstance(value, int) and not isinstance(value, bool) and value >= vocab:
            kwargs[name] = inside(value)
        elif isinstance(value, list) and value and all(isinstance(v, int) for v in value) and max(value) >= vocab:
            kwargs[name] = [inside(v) for v in value]


def _build(cls: type, kwargs: dict[str, Any], keep: set[str], model_type: str) -> Any:
    """``cls(**kwargs)``; when validation rejects it, undo shrunk values one by one."""
    try:
        return cls(**kwargs)
    except Exception as error:  # noqa: BLE001 - validation raises many types
        first = error
    # scalars first (last shrunk first), cumulatively; a sub-config is only ever undone alone
    scalars = [k for k in reversed(list(kwargs)) if k not in keep and not hasattr(kwargs[k], "to_dict")]
    subs = [k for k in kwargs if k not in keep and hasattr(kwargs[k], "to_dict")]
    undone = dict(kwargs)
    for name in scalars:
        for trial in ({k: v for k, v in kwargs.items() if k != name}, {k: v for k, v in undone.items() if k != name}):
            try:
                return cls(**trial)
            except Exception:  # noqa: BLE001
                continue
        undone.pop(name)
    for name in subs:
        try:
            return cls(**{k: v for k, v in kwargs.items() if k != name})
        except Exception:  # noqa: BLE001
            continue
    raise ConfigBuildError(f"{model_type}: {cls.__name__} rejects the tiny values: {first_line(first)}")


def _get(cfg: Any, name: str) -> Any:
    try:
        return getattr(cfg, name)
    except Exception:  # noqa: BLE001 - heterogeneous configs refuse global access to per-layer values: read the stored one
        return vars(cfg).get(name)


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def first_line(error: BaseException) -> str:
    """``Type: first line of the message`` of an exception."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"
