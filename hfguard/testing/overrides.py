"""ONE reviewed table of per-model-type quirks, as data.

Each entry maps a model type to tiny-config overrides (applied after the generic shrinker,
before the registry entry's ``tiny``; a nested table overrides a sub-config) plus reserved keys:

- ``needs``: an optional package the model requires; its tests skip when it is missing;
- ``skip`` / ``xfail``: a reason; the generated tests are skipped / expected to fail;
- ``inputs``: hints for the synthetic inputs (e.g. ``{"seq_len": 16}``).

Sizes follow the model testers of transformers' own test suite where one needs more than the generic shrinker.
"""

from __future__ import annotations

from typing import Any

RESERVED = ("needs", "skip", "xfail", "inputs")

_FORECAST = {"prediction_length": 4, "context_length": 8, "lags_sequence": [1, 2], "num_time_features": 1}
_EFFICIENTNET = {"width_coefficient": 0.25, "depth_coefficient": 0.2}  # compound scaling of the B7 default
_SWIN = {"window_size": 4, "image_size": 128}  # every stage keeps at least one full window

_TIMM = {"needs": "timm"}  # a timm backbone by default
_PIL = {"needs": "PIL"}  # a TimmWrapper vision tower, which needs Pillow (and timm)
_SCIPY = {"needs": "scipy"}  # Hungarian-matching losses built with the model

OVERRIDES: dict[str, dict[str, Any]] = {
    **dict.fromkeys(("detr", "conditional_detr", "dab-detr", "deformable_detr", "omdet-turbo", "table-transformer",
                     "timm_backbone"), _TIMM),
    **dict.fromkeys(("timm_wrapper", "fast_vlm", "gemma3n", "gemma3n_vision", "edgetam", "edgetam_vision_model",
                     "perception_lm", "pe_audio_video", "pe_audio_video_encoder", "pe_video", "pe_video_encoder"), _PIL),
    **dict.fromkeys(("mask2former", "maskformer", "oneformer", "inkling_mm_model"), _SCIPY),
    "dinat": {"needs": "natten"},
    "layoutlmv2": {"needs": "detectron2"},
    "autoformer": _FORECAST,
    "informer": _FORECAST,
    "time_series_transformer": _FORECAST,
    "esm": {"vocab_size": 33, "pad_token_id": 1},  # the default config has no vocabulary
    "efficientnet": _EFFICIENTNET,
    "align": {"vision_config": _EFFICIENTNET},
    "bamba": {"attn_layer_indices": [1]},  # the default has no attention layer, so no cache to generate with
    "swin": _SWIN,
    "swinv2": _SWIN,
    "donut-swin": _SWIN,
    "maskformer-swin": _SWIN,
    "swin2sr": {"window_size": 4, "image_size": 16},
}


# Model types whose tiny tests still fail with the shared recipes (sweep on transformers 5.24.0):
# the generated tests run and are expected to fail with this first error; fixing the shared
# shrinker/inputs turns them into XPASS, then the line goes.
_KNOWN_FAILURES: dict[str, str] = {
    'align': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x32 and 80x2)',
    'apertus1p5': 'apertus1p5: tiny config still has 8,288,126,304 parameters',
    'aria': "KeyError: 'Number of patches 64 not found in patch_to_query_dict amongst possible values dict_key...",
    'audioflamingo3': 'AssertionError',
    'bark': "TypeError: _forward_unimplemented() got an unexpected keyword argument 'input_ids'",
    'beit': 'ValueError: BeitForSemanticSegmentation requires config.out_indices to be a list of 4 integers, s...',
    'blip': 'AssertionError: blip: outputs ignore pixel_values',
    'blip-2': "AttributeError: 'Blip2QFormerLayer' object has no attribute 'intermediate'",
    'blt': "AttributeError: 'BltConfig' object has no attribute 'num_hidden_layers'",
    'bridgetower': 'ValueError: embed_dim and num_heads must be greater than 0, got embed_dim=32 and num_heads=0 instead',
    'bros': "RuntimeError: shape '[1, 1, 1, 0]' is invalid for input of size 1",
    'chameleon': "AttributeError: 'NoneType' object has no attribute 'get'",
    'clap': 'clap: tiny config still has 20,451,866 parameters',
    'clvp': 'ValueError: You have to specify either input_ids or inputs_embeds',
    'cohere_compass': "KeyError: 'full_attention'",
    'cohere_compass_text': "KeyError: 'full_attention'",
    'cvt': 'IndexError: list index out of range',
    'd_fine': 'RuntimeError: Given groups=1, weight of size [32, 64, 1, 1], expected input[2, 512, 4, 4] to have...',
    'dac': 'RuntimeError: Given groups=1, weight of size [32, 1, 7], expected input[1, 2, 1600] to have 1 cha...',
    'data2vec-vision': 'RuntimeError: Given groups=1, weight of size [32, 128, 3, 3], expected input[2, 64, 32, 32] to ha...',
    'dbrx': "AttributeError: 'DbrxAttentionConfig' object has no attribute 'rope_theta'",
    'deepseek_ocr2': "TypeError: 'NoneType' object is not subscriptable",
    'deepseek_v2': "TypeError: topk(): argument 'k' must be int, not NoneType",
    'deepseek_vl_hybrid': 'ValueError: Both pixel_values and high_res_pixel_values should be specified at the same time',
    'deimv2': 'RuntimeError: Given groups=1, weight of size [32, 64, 1, 1], expected input[2, 512, 4, 4] to have...',
    'depth_pro': 'unbuildable tiny config: depth_pro: DepthProConfig rejects the tiny values: StrictDataclassClassV...',
    'dia': 'ValueError: You should either provide text ids or the cached text encodings. Neither has been found.',
    'diffusion_gemma': "TypeError: empty(): argument 'size' (position 1) must be tuple of ints, but found element of type...",
    'dots1': 'TypeError: empty() takes 1 positional argument but 3 were given',
    'dots3_note': 'dots3_note: tiny config still has 128,910,248 parameters',
    'dots3_note_text': 'dots3_note_text: tiny config still has 39,239,880 parameters',
    'dpt': 'ValueError: The number of hidden states should be equal to the number of neck hidden sizes.',
    'edgetam_video': 'ZeroDivisionError: integer modulo by zero',
    'efficientloftr': 'RuntimeError: The expanded size of the tensor (64) must match the existing size (128) at non-sing...',
    'efficientnet': 'RuntimeError: running_mean should contain 320 elements not 64',
    'embedding_gemma2': 'ValueError: You must specify exactly one of input_ids or inputs_embeds',
    'emu3': "AttributeError: 'NoneType' object has no attribute 'get'",
    'encodec': "AssertionError: The values for attribute 'shape' do not match: torch.Size([1, 2, 5]) != torch.Siz...",
    'ernie4_5_vl_moe': 'RuntimeError: stack expects each tensor to be equal size, but got [2, 24, 2] at entry 0 and [2, 2...',
    'evolla': 'AssertionError: evolla: outputs ignore pixel_values',
    'fastspeech2_conformer_with_hifigan': 'RuntimeError: The size of tensor a (16) must match the size of tensor b (80) at non-singleton dim...',
    'florence2': 'AssertionError: logits (2, 1, 99) vs ids (2, 13)',
    'fun_asr_nano': 'unbuildable tiny config: fun_asr_nano: FunAsrNanoConfig rejects the tiny values: StrictDataclassC...',
    'fun_asr_nano_encoder': 'RuntimeError: The size of tensor a (16) must match the size of tensor b (112) at non-singleton di...',
    'fuyu': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (192x32 and 48x32)',
    'gemma3n_text': 'ValueError: The set of layer types producing a cache is different than the set of layer types usi...',
    'gemma4': "TypeError: 'NoneType' object is not callable",
    'gemma4_audio': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (16x640 and 1024x32)',
    'gemma4_unified': "TypeError: 'NoneType' object is not callable",
    'gemma4_vision': "TypeError: Gemma4VisionModel.forward() missing 1 required positional argument: 'pixel_position_ids'",
    'glm_image': "TypeError: 'NoneType' object is not subscriptable",
    'glmasr': 'RuntimeError: Given groups=1, weight of size [32, 16, 3], expected input[2, 32, 16] to have 16 ch...',
    'glmasr_encoder': 'RuntimeError: Given groups=1, weight of size [32, 16, 3], expected input[2, 32, 16] to have 16 ch...',
    'got_ocr2': 'AssertionError: got_ocr2: outputs ignore pixel_values',
    'granite4_vision': "TypeError: object of type 'NoneType' has no len()",
    'granite_docling': "AttributeError: 'NoneType' object has no attribute 'sum'",
    'granite_speech': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (90x64 and 32x32)',
    'granite_speech5_ctc': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x16 and 64x32)',
    'granite_speech5_encoder': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x16 and 64x32)',
    'granite_speech_plus': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (90x64 and 32x32)',
    'granitemoehybrid': 'ValueError: `get_seq_length` can only be called on Attention layers, and the current Cache seem t...',
    'grounding-dino': 'AssertionError: grounding-dino: non-finite values in output.logits',
    'hgnet_v2': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x2048 and 256x2)',
    'hiera': 'RuntimeError: The size of tensor a (81) must match the size of tensor b (64) at non-singleton dim...',
    'hunyuan_vl': 'ValueError: Image features and image tokens do not match: tokens: 32, features 44',
    'hy_v4_vl': 'ValueError: Image features and image tokens do not match, tokens: 32, features: 40',
    'idefics': 'ValueError: not enough values to unpack (expected 4, got 3)',
    'imagegpt': 'ValueError: You have to specify either input_ids or inputs_embeds',
    'inkling2': 'RuntimeError: The size of tensor a (128) must match the size of tensor b (512) at non-singleton d...',
    'inkling2_loop': 'RuntimeError: The size of tensor a (128) must match the size of tensor b (512) at non-singleton d...',
    'inkling2_loop_text': 'AssertionError: logits (2, 8, 200058) vs vocab 99',
    'inkling2_text': 'AssertionError: logits (2, 8, 200058) vs vocab 99',
    'inkling2_vision': 'RuntimeError: The size of tensor a (128) must match the size of tensor b (512) at non-singleton d...',
    'instructblip': "AttributeError: 'bool' object has no attribute 'unsqueeze'",
    'instructblipvideo': 'ValueError: not enough values to unpack (expected 5, got 4)',
    'janus': 'janus: tiny config still has 73,474,531 parameters',
    'kimi_k25': 'RuntimeError: Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [12...',
    'kimi_k25_vision': 'RuntimeError: Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [12...',
    'kosmos-2': "AttributeError: 'NoneType' object has no attribute 'to'",
    'kosmos-2.5': 'AssertionError: kosmos-2.5: outputs ignore pixel_values',
    'kyutai_speech_to_text': 'RuntimeError: The size of tensor a (8) must match the size of tensor b (33) at non-singleton dime...',
    'layoutlmv3': 'RuntimeError: The size of tensor a (32) must match the size of tensor b (768) at non-singleton di...',
    'levit': 'RuntimeError: The size of tensor a (4) must match the size of tensor b (64) at non-singleton dime...',
    'lfm2_moe': "TypeError: 'NoneType' object is not subscriptable",
    'lfm2_vl': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (192x32 and 48x32)',
    'lightglue': 'DID NOT RAISE any of (ValueError, RuntimeError)',
    'lilt': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (16x30 and 32x8)',
    'llama4': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (32x128 and 64x4096)',
    'llava_next': "TypeError: 'NoneType' object is not iterable",
    'llava_next_video': "TypeError: 'NoneType' object is not iterable",
    'llava_onevision': "TypeError: object of type 'NoneType' has no len()",
    'lw_detr': 'ValueError: torch.cat(): expected a non-empty list of Tensors',
    'mimi_decoder': "TypeError: MimiDecoderModel.forward() missing 1 required positional argument: 'latents'",
    'minicpm_ocr': 'AssertionError: minicpm_ocr: outputs ignore pixel_values',
    'minicpm_ocr_vision': "AttributeError: 'NoneType' object has no attribute 'device'",
    'minicpmv4_6': 'AssertionError: minicpmv4_6: outputs ignore pixel_values',
    'minicpmv4_7': 'AssertionError: minicpmv4_7: outputs ignore pixel_values',
    'minicpmv4_7_vision': "AttributeError: 'NoneType' object has no attribute 'device'",
    'mistral4': 'AssertionError: mistral4: outputs ignore pixel_values',
    'mllama': 'ValueError: `aspect_ratio_ids` must be provided if `pixel_values` is provided',
    'mm-grounding-dino': 'AssertionError: mm-grounding-dino: non-finite values in output.logits',
    'mobilevit': 'ValueError: The hidden size 43 is not a multiple of the number of attention heads 4.',
    'mobilevitv2': 'RuntimeError: Given input with spatial size (2, 2), kernel_size=(4, 4), dilation=(1, 1), padding=...',
    'molmo2': 'molmo2: tiny config still has 382,546,352 parameters',
    'moonshine': "RuntimeError: shape '[2, 2, 2, 8]' is invalid for input of size 128",
    'moonshine_streaming': "AttributeError: 'MoonshineStreamingConfig' object has no attribute 'num_key_value_heads'",
    'muse_glimmer': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (128x48 and 96x32)',
    'muse_glimmer_vision': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (128x48 and 96x32)',
    'muse_spark': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (128x48 and 96x32)',
    'muse_spark_audio': 'ValueError: `input_values` length 1600 is not a multiple of 1920. Prepare the audio with `MuseSpa...',
    'muse_spark_vision': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (128x48 and 96x32)',
    'musicflamingo': 'AssertionError',
    'nemo_speechlm': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (8x640 and 128x32)',
    'nemotron3_5_transcribe_audio': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (8x640 and 128x32)',
    'neucodec': "TypeError: NeuCodecModel.forward() missing 1 required positional argument: 'input_features'",
    'nllb-moe': "nllb-moe: cryptic error without decoder inputs: TypeError: embedding(): argument 'indices' (posit...",
    'omniasr': 'RuntimeError: Given groups=1, weight of size [32, 1, 10], expected input[1, 2, 1600] to have 1 ch...',
    'omniasr_audio': 'RuntimeError: Given groups=1, weight of size [32, 1, 10], expected input[1, 2, 1600] to have 1 ch...',
    'omniasr_ctc': 'RuntimeError: Given groups=1, weight of size [32, 1, 10], expected input[1, 2, 1600] to have 1 ch...',
    'paddleocr_vl': 'ValueError: not enough values to unpack (expected 5, got 3)',
    'pe_audio': 'RuntimeError: Given groups=1, weight of size [32, 1, 7], expected input[1, 2, 1600] to have 1 cha...',
    'pe_audio_encoder': 'RuntimeError: Given groups=1, weight of size [32, 1, 7], expected input[1, 2, 1600] to have 1 cha...',
    'phi4_multimodal': 'AssertionError: phi4_multimodal: outputs ignore pixel_values',
    'pi0': "TypeError: PI0ForConditionalGeneration.forward() missing 1 required positional argument: 'state'",
    'pixtral': 'AssertionError: pixtral: output batch (1, 128, 32) does not match input batch 2',
    'pocket_tts_audio_tokenizer_decoder': 'TypeError: PocketTTSAudioTokenizerDecoderModel.forward() missing 1 required positional argument: ...',
    'pp_doclayout_v3': 'RuntimeError: Given groups=1, weight of size [32, 64, 1, 1], expected input[2, 512, 4, 4] to have...',
    'pp_doclayout_v4': 'RuntimeError: Given groups=1, weight of size [32, 64, 1, 1], expected input[2, 512, 4, 4] to have...',
    'pp_ocrv5_mobile_rec': 'RuntimeError: Given input size: (384x1x1). Calculated output size: (384x0x0). Output size is too ...',
    'pp_ocrv5_server_rec': 'RuntimeError: Given input size: (2048x2x8). Calculated output size: (2048x0x4). Output size is to...',
    'pp_ocrv6_medium_det': "TypeError: 'NoneType' object is not subscriptable",
    'pp_ocrv6_small_det': 'RuntimeError: Given groups=1, weight of size [96, 12, 1, 1], expected input[2, 384, 2, 8] to have...',
    'pp_ocrv6_small_rec': 'RuntimeError: Given input size: (384x2x8). Calculated output size: (384x0x4). Output size is too ...',
    'pp_ocrv6_tiny_rec': 'RuntimeError: Given input size: (384x2x8). Calculated output size: (384x0x4). Output size is too ...',
    'qwen2_5_omni_thinker': "AttributeError: 'Qwen2_5OmniThinkerConfig' object has no attribute 'vision_start_token_id'",
    'qwen2_audio': "TypeError: 'NoneType' object is not subscriptable",
    'qwen3_asr': 'ValueError: Qwen3ASREncoder expects `padded_feature_length` to be a multiple of `n_window * 2` (1...',
    'qwen3_asr_encoder': 'ValueError: Qwen3ASREncoder expects `padded_feature_length` to be a multiple of `n_window * 2` (1...',
    'qwen3_omni_moe_thinker': "AttributeError: 'Qwen3OmniMoeThinkerConfig' object has no attribute 'vision_start_token_id'",
    'qwen4_exp': "TypeError: unsupported operand type(s) for //: 'NoneType' and 'NoneType'",
    'qwen4_exp_text': "TypeError: unsupported operand type(s) for //: 'NoneType' and 'NoneType'",
    'reformer': 'ValueError: Make sure that config.axial_pos_embds factors: (64, 192) sum to config.hidden_size: 32',
    'sam': 'RuntimeError: The size of tensor a (256) must match the size of tensor b (32) at non-singleton di...',
    'sam2': 'ZeroDivisionError: integer modulo by zero',
    'sam2_hiera_det_model': 'ZeroDivisionError: integer modulo by zero',
    'sam2_video': 'ZeroDivisionError: integer modulo by zero',
    'sam2_vision_model': 'ZeroDivisionError: integer modulo by zero',
    'sam3_tracker': "RuntimeError: shape '[2, -1, 288, 288]' is invalid for input of size 8192",
    'sam_hq': 'RuntimeError: Given transposed=1, weight of size [32, 8, 2, 2], expected input[2, 256, 8, 8] to h...',
    'sapiens2': "TypeError: 'NoneType' object is not subscriptable",
    'seamless_m4t': 'RuntimeError: Given normalized_shape=[160], expected input with shape [*, 160], but got input of ...',
    'seamless_m4t_v2': 'RuntimeError: Given normalized_shape=[160], expected input with shape [*, 160], but got input of ...',
    'seggpt': "TypeError: SegGptModel.forward() missing 2 required positional arguments: 'prompt_pixel_values' a...",
    'siglip2': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (192x32 and 48x32)',
    'siglip2_vision_model': "TypeError: Siglip2VisionModel.forward() missing 2 required positional arguments: 'pixel_attention...",
    'step3p7': 'ValueError: Could not find a `sliding_window` argument in the config, or it is not set',
    'swin2sr': "RuntimeError: shape '[2, 32, 16, 16]' is invalid for input of size 1024",
    't5gemma2': 'ValueError: You must specify exactly one of input_ids or inputs_embeds',
    't5gemma2_encoder': "AttributeError: 'T5Gemma2TextConfig' object has no attribute 'dropout_rate'",
    'textnet': 'RuntimeError: Given groups=1, weight of size [32, 32, 3, 3], expected input[2, 64, 16, 16] to hav...',
    'tvp': 'RuntimeError: The size of tensor a (32) must match the size of tensor b (448) at non-singleton di...',
    'udop': 'ValueError: You must specify exactly one of decoder_input_ids or decoder_inputs_embeds',
    'unlimited_ocr': 'RuntimeError: Sizes of tensors must match except in dimension 1. Expected size 32 but got size 10...',
    'uvdoc': 'RuntimeError: Given groups=1, weight of size [128, 768, 1, 1], expected input[2, 128, 2, 2] to ha...',
    'vibevoice': 'vibevoice: tiny config still has 391,518,371 parameters',
    'vibevoice_acoustic_tokenizer': 'vibevoice_acoustic_tokenizer: tiny config still has 260,970,785 parameters',
    'vibevoice_asr': 'vibevoice_asr: tiny config still has 261,000,160 parameters',
    'video_llama_3': "AttributeError: 'NoneType' object has no attribute 'tolist'",
    'video_llama_3_vision': "TypeError: VideoLlama3VisionModel.forward() missing 1 required positional argument: 'merge_sizes'",
    'videoprism_vision_model': 'AssertionError',
    'vipllava': 'IndexError: tuple index out of range',
    'vits': 'AssertionError: Tensor-likes are not close!',
    'vjepa2': 'vjepa2: tiny config still has 21,401,602 parameters',
    'voxtral': "AttributeError: 'bool' object has no attribute 'sum'",
    'voxtral_realtime': 'RuntimeError: The size of tensor a (16) must match the size of tensor b (32) at non-singleton dim...',
    'voxtral_realtime_encoder': 'RuntimeError: Given groups=1, weight of size [32, 16, 3], expected input[2, 32, 18] to have 16 ch...',
    'wav2vec2-bert': "ValueError: You are trying to instantiate <class 'transformers.models.wav2vec2_bert.modeling_wav2...",
    'wav2vec2-conformer': "ValueError: You are trying to instantiate <class 'transformers.models.wav2vec2_conformer.modeling...",
    'xclip': 'RuntimeError: The size of tensor a (32) must match the size of tensor b (512) at non-singleton di...',
    'xcodec': 'ValueError: Audio must be mono, but got 1600',
    'xcodec2': "TypeError: Xcodec2Model.forward() missing 1 required positional argument: 'input_features'",
    'xlstm': 'RuntimeError: The expanded size of the tensor (8) must match the existing size (16) at non-single...',
    'yolos': "RuntimeError: shape '[1, 32, 8, 13]' is invalid for input of size 3456",
    'zamba': 'ValueError: There is an issue with your definition of `tie_weights_keys` for ^layers.1.shared_tra...',
}
OVERRIDES.update(
    {name: {"xfail": f"not yet tiny-testable: {reason}", **OVERRIDES.get(name, {})} for name, reason in _KNOWN_FAILURES.items()}
)


def config_overrides(model_type: str) -> dict[str, Any]:
    """Tiny-config overrides of ``model_type`` (without the reserved keys)."""
    return {k: v for k, v in OVERRIDES.get(model_type, {}).items() if k not in RESERVED}


def known_issue(model_type: str) -> dict[str, str]:
    """The ``needs`` / ``skip`` / ``xfail`` data of ``model_type``."""
    return {k: v for k, v in OVERRIDES.get(model_type, {}).items() if k in ("needs", "skip", "xfail")}


def input_hints(model_type: str) -> dict[str, Any]:
    """Hints for the synthetic inputs of ``model_type``."""
    return dict(OVERRIDES.get(model_type, {}).get("inputs", {}))
