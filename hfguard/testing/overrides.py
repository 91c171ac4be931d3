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

_TIMM = {"needs": "timm"}  # a timm backbone (or TimmWrapper tower); timm needs torchvision, none matches torch 2.13.0
_PIL = {"needs": "PIL"}  # a TimmWrapper vision tower, which needs Pillow (and timm)
# DETR family: transformers' testers' small ResNet instead of the default timm backbone
_DETR = {"use_timm_backbone": False, "backbone_config": {
    "model_type": "resnet", "embeddings_size": 10, "hidden_sizes": [10, 20, 30, 40], "depths": [1, 1, 2, 1],
    "hidden_act": "relu", "out_indices": [2, 3, 4]}}
_SCIPY = {"needs": "scipy"}  # Hungarian-matching losses built with the model
_SAM = {"vision_config": {"output_channels": 32, "num_pos_feats": 16}}  # neck channels = the shrunk prompt/mask width
# Hiera-det: all 12 blocks, so the global-attention block indices stay inside stages; 128 px = 8 px after 16x
_SAM2_HIERA = {"blocks_per_stage": [1, 2, 7, 2], "image_size": [128, 128]}
_SAM2_VISION = {"backbone_config": _SAM2_HIERA, "backbone_channel_list": [256, 128, 64, 32],
                "backbone_feature_sizes": [[32, 32], [16, 16], [8, 8]]}
# HGNetV2 (model tester sizes): its stages' real channels are stage_out_channels, so hidden_sizes equals them
_HGNET = {"stem_channels": [3, 16, 16], "stage_in_channels": [16, 64, 128, 256], "stage_mid_channels": [16, 32, 64, 128],
          "stage_out_channels": [64, 128, 256, 512], "hidden_sizes": [64, 128, 256, 512], "stage_numb_of_layers": [3, 3, 3, 3]}
# PP-OCRv6 detectors (model tester sizes): four 16-channel PP-LCNetV4 stages, all read by the neck
_PPOCR_DET = {"neck_out_channels": 16, "backbone_config": {
    "model_type": "pp_lcnet_v4", "out_indices": [1, 2, 3, 4], "stem_channels": [3, 16, 16],
    "block_configs": [[[3, 16, 16, 1, False]], [[3, 16, 16, 2, False], [3, 16, 16, 1, False]],
                      [[3, 16, 16, 2, False], [3, 16, 16, 1, False]], [[3, 16, 16, 2, False], [5, 16, 16, 1, False]]]}}
_SAM2 = {"vision_config": _SAM2_VISION, "prompt_encoder_config": {"image_size": 128, "patch_size": 16}}

OVERRIDES: dict[str, dict[str, Any]] = {
    **dict.fromkeys(("detr", "conditional_detr", "dab-detr", "deformable_detr", "table-transformer"), _DETR),
    **dict.fromkeys(("omdet-turbo", "timm_backbone", "timm_wrapper", "gemma3n_vision", "edgetam", "edgetam_vision_model",
                     "pe_audio_video", "pe_audio_video_encoder", "pe_video", "pe_video_encoder"), _TIMM),
    **dict.fromkeys(("fast_vlm", "gemma3n", "perception_lm"), _PIL),
    **dict.fromkeys(("mask2former", "maskformer", "oneformer", "inkling_mm_model"), _SCIPY),
    "dinat": {"needs": "natten"},
    "layoutlmv2": {"needs": "detectron2"},
    "autoformer": _FORECAST,
    "informer": _FORECAST,
    "time_series_transformer": _FORECAST,
    "esm": {"vocab_size": 33, "pad_token_id": 1},  # the default config has no vocabulary
    "efficientnet": {**_EFFICIENTNET, "hidden_dim": 320},  # the top conv's width: round_filters(1280) at 0.25
    "align": {"vision_config": _EFFICIENTNET, "projection_dim": 80},  # image embeds: the last scaled stage (320 * 0.25)
    "blip-2": {"qformer_config": {"use_qformer_text_input": True}},  # its image-text retrieval head reads text
    "idefics": {"alpha_initializer": "ones"},  # zero-initialised gates would shut the image cross-attention
    "instructblip": {"image_token_index": 98},  # the default configs have no media placeholder token
    "instructblipvideo": {"video_token_index": 98},
    "mistral4": {"xfail": "transformers maps mistral4 under image-text-to-text to the text-only Mistral4ForCausalLM: "
                          "there is no image path to test"},
    # the thinker configs lack the field their rope index reads (the upstream testers pass it)
    **dict.fromkeys(("qwen2_5_omni_thinker", "qwen3_omni_moe_thinker"), {"vision_start_token_id": 80}),
    "bridgetower": {"vision_config": {"hidden_size": 64}},  # its vision tower has hidden_size // 64 heads
    "tvp": {"visual_prompt_size": 4, "num_frames": 2, "max_img_size": 128,  # a framed prompt; ResNet downsamples 32x
            "xfail": "transformers bug: TvpVisualInputEmbedding.add_2d_positional_embeddings views the column "
                     "embeddings with the batch size, so only batch 1 runs"},
    "bamba": {"attn_layer_indices": [1]},  # the default has no attention layer, so no cache to generate with
    "swin": _SWIN,
    "swinv2": _SWIN,
    "donut-swin": _SWIN,
    "maskformer-swin": _SWIN,
    "swin2sr": {"window_size": 4, "image_size": 16},
    "hiera": {"patch_size": [7, 7], "image_size": [64, 64]},  # padded 7x7 patch conv; two mask units per side
    "levit": {"patch_size": 16, "image_size": 64},  # the stem's four stride-2 convs make the 16x16 patches
    "sam": _SAM,
    "sam_hq": {**_SAM, "mask_decoder_config": {"vit_dim": 32}},
    "sam2_hiera_det_model": _SAM2_HIERA,
    "sam2_vision_model": _SAM2_VISION,
    **dict.fromkeys(("sam2", "sam2_video", "edgetam_video"), _SAM2),
    "hgnet_v2": _HGNET,
    "beit": {"num_hidden_layers": 4, "out_indices": [1, 2, 3, 4]},  # the segmentation head reads 4 layers
    "cvt": {"depth": [1, 2, 3]},  # a stage indexes its drop-path rates by the stage index
    "yolos": {"image_size": [32, 32]},  # square, so the interpolated position embeddings tile it
    "mobilevitv2": {"image_size": 64, "width_multiplier": 0.25},  # five stride-2 stages still leave 2x2 patches
    # text-line recognisers: wide images, tall enough for their stride-2 stages and final pooling
    **dict.fromkeys(("pp_ocrv5_server_rec", "pp_ocrv6_small_rec", "pp_ocrv6_tiny_rec"), {"inputs": {"image_size": [48, 320]}}),
    "pp_ocrv5_mobile_rec": {"inputs": {"image_size": [96, 320]}},
    "kimi_k25_vision": {"inputs": {"patch_layout": "chw"}},
    "pp_ocrv6_small_det": {**_PPOCR_DET, "layer_list_out_channels": [16, 16, 16, 16]},
    "pp_ocrv6_medium_det": {**_PPOCR_DET, "kernel_list": [3, 2, 2], "mode": "large", "reduce_factor": 2, "scale_factor": 2,
                            "scale_factor_list": [1, 2, 4, 8], "intraclass_block_number": 4, "intraclass_block_config": {
        "reduce_channel": [1, 1, 0], "return_channel": [1, 1, 0],
        "vertical_long_to_small_conv_longratio": [[7, 1], [1, 1], [3, 0]],
        "vertical_long_to_small_conv_midratio": [[5, 1], [1, 1], [2, 0]],
        "vertical_long_to_small_conv_shortratio": [[3, 1], [1, 1], [1, 0]],
        "horizontal_small_to_long_conv_longratio": [[1, 7], [1, 1], [0, 3]],
        "horizontal_small_to_long_conv_midratio": [[1, 5], [1, 1], [0, 2]],
        "horizontal_small_to_long_conv_shortratio": [[1, 3], [1, 1], [0, 1]],
        "symmetric_conv_long_longratio": [[7, 7], [1, 1], [3, 3]],
        "symmetric_conv_long_midratio": [[5, 5], [1, 1], [2, 2]],
        "symmetric_conv_long_shortratio": [[3, 3], [1, 1], [1, 1]]}},
    "inkling2_vision": {"inputs": {"patch_layout": "merged_hwc"}},
    # the predictor has its own sizes; 2 frames = one tubelet
    "vjepa2": {"pred_hidden_size": 32, "pred_num_hidden_layers": 2, "pred_num_attention_heads": 4, "frames_per_clip": 2},
    "pixtral": {"xfail": "PixtralVisionModel packs the patches of all images into one sequence (output batch 1)"},
    "seggpt": {"xfail": "SegGptModel's hidden states stack the prompt and the image along the batch axis (2 x batch)"},
    **dict.fromkeys(("d_fine", "deimv2", "pp_doclayout_v4"), {"backbone_config": _HGNET}),
    "pp_doclayout_v3": {"backbone_config": _HGNET, "x4_feat_dim": 64},  # the mask branch reads stage 1 (64 channels)
    # audio codecs (tester values): quantizer width = acoustic + semantic (32 + 32), no grouped-query attention;
    # CTC heads need a vocabulary
    **dict.fromkeys(("xcodec2", "neucodec"), {"quantization_dim": 64, "downsampling_ratios": [2, 2, 4], "num_key_value_heads": 4,
                                                "semantic_model_config": {"num_hidden_layers": 17}}),
    **dict.fromkeys(("wav2vec2-bert", "wav2vec2-conformer"), {"vocab_size": 32}),
    "granite_speech5_encoder": {"num_key_value_heads": 4},  # its keys and values use all heads
    "granite_speech5_ctc": {"encoder_config": {"num_key_value_heads": 4}},
    "moonshine": {"encoder_num_key_value_heads": 4, "decoder_num_key_value_heads": 4},  # q is viewed with the kv heads
    "moonshine_streaming": {"num_key_value_heads": 4},  # read by the decoder, not a field of the config
    "voxtral": {"audio_token_id": 24},  # set by the processor, None in the default config
    "vits": {"noise_scale": 0.0, "noise_scale_duration": 0.0},  # no sampled noise: batch-independent waveforms
    "bark": {"skip": "BarkModel has no forward(): it only chains its three sub-models in generate()"},
    "dots1": {"n_routed_experts": 4, "num_experts_per_tok": 2, "n_shared_experts": 1},  # the default names no experts
    "lfm2_moe": {"layer_types": ["conv", "full_attention"], "num_dense_layers": 1},  # None by default
    "granitemoehybrid": {"layer_types": ["linear_attention", "full_attention"]},  # all-Mamba default: no cache to generate
    "reformer": {"axial_pos_embds_dim": [16, 16], "axial_pos_shape": [8, 16]},  # dims sum to the width, shape covers positions
    "bros": {"hidden_size": 64},  # box sinusoids get hidden_size // 4 // dim_bbox // 2 frequencies: at least one
    # set by the processor, None in the default config (then the model never reads its images)
    **dict.fromkeys(("minicpm_ocr", "minicpmv4_6", "minicpmv4_7"), {"image_token_id": 90}),
}


# Model types whose tiny tests still fail with the shared recipes (sweep on transformers 5.24.0):
# the generated tests run and are expected to fail with this first error; fixing the shared
# shrinker/inputs turns them into XPASS, then the line goes.
_KNOWN_FAILURES: dict[str, str] = {
    'align': 'AssertionError: align: non-finite values in output.logits_per_image',
    'apertus1p5': 'apertus1p5: tiny config still has 8,288,126,304 parameters',
    'aria': "KeyError: 'Number of patches 64 not found in patch_to_query_dict amongst possible values dict_key...",
    'blt': "AttributeError: 'BltConfig' object has no attribute 'num_hidden_layers'",
    'chameleon': "AttributeError: 'NoneType' object has no attribute 'get'",
    'clap': 'clap: tiny config still has 20,451,866 parameters',
    'clvp': 'ValueError: You have to specify either input_ids or inputs_embeds',
    'cohere_compass': "KeyError: 'full_attention'",
    'cohere_compass_text': "KeyError: 'full_attention'",
    'dbrx': "AttributeError: 'DbrxAttentionConfig' object has no attribute 'rope_theta'",
    'deepseek_ocr2': "TypeError: 'NoneType' object is not subscriptable",
    'deepseek_vl_hybrid': 'ValueError: Both pixel_values and high_res_pixel_values should be specified at the same time',
    'depth_pro': 'unbuildable tiny config: depth_pro: DepthProConfig rejects the tiny values: StrictDataclassClassV...',
    'dia': 'ValueError: You should either provide text ids or the cached text encodings. Neither has been found.',
    'diffusion_gemma': "TypeError: empty(): argument 'size' (position 1) must be tuple of ints, but found element of type...",
    'dots3_note': 'dots3_note: tiny config still has 128,910,248 parameters',
    'dots3_note_text': 'dots3_note_text: tiny config still has 39,239,880 parameters',
    'efficientloftr': 'RuntimeError: The expanded size of the tensor (64) must match the existing size (128) at non-sing...',
    'embedding_gemma2': 'ValueError: You must specify exactly one of input_ids or inputs_embeds',
    'emu3': "AttributeError: 'NoneType' object has no attribute 'get'",
    'ernie4_5_vl_moe': 'RuntimeError: stack expects each tensor to be equal size, but got [2, 24, 2] at entry 0 and [2, 2...',
    'evolla': 'AssertionError: evolla: outputs ignore pixel_values',
    'florence2': 'AssertionError: logits (2, 1, 99) vs ids (2, 13)',
    'fun_asr_nano': 'unbuildable tiny config: fun_asr_nano: FunAsrNanoConfig rejects the tiny values: StrictDataclassC...',
    'gemma3n_text': 'ValueError: The set of layer types producing a cache is different than the set of layer types usi...',
    'gemma4': "TypeError: 'NoneType' object is not callable",
    'gemma4_unified': "TypeError: 'NoneType' object is not callable",
    'glm_image': "TypeError: 'NoneType' object is not subscriptable",
    'granite4_vision': "TypeError: object of type 'NoneType' has no len()",
    'granite_speech': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (90x64 and 32x32)',
    'granite_speech_plus': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (90x64 and 32x32)',
    'grounding-dino': 'AssertionError: grounding-dino: non-finite values in output.logits',
    'inkling2': 'RuntimeError: The size of tensor a (128) must match the size of tensor b (512) at non-singleton d...',
    'inkling2_loop': 'RuntimeError: The size of tensor a (128) must match the size of tensor b (512) at non-singleton d...',
    'inkling_mm_model': 'ValueError: not enough values to unpack (expected 5, got 4)',
    'janus': 'janus: tiny config still has 73,474,531 parameters',
    'kyutai_speech_to_text': 'RuntimeError: The size of tensor a (8) must match the size of tensor b (33) at non-singleton dime...',
    'layoutlmv3': 'RuntimeError: The size of tensor a (32) must match the size of tensor b (768) at non-singleton di...',
    'lightglue': 'DID NOT RAISE any of (ValueError, RuntimeError)',
    'lilt': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (16x30 and 32x8)',
    'llama4': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (32x128 and 64x4096)',
    'lw_detr': 'ValueError: torch.cat(): expected a non-empty list of Tensors',
    'minicpm_ocr_vision': "AttributeError: 'NoneType' object has no attribute 'device'",
    'minicpmv4_7_vision': "AttributeError: 'NoneType' object has no attribute 'device'",
    'mm-grounding-dino': 'AssertionError: mm-grounding-dino: non-finite values in output.logits',
    'molmo2': 'molmo2: tiny config still has 382,546,352 parameters',
    'muse_glimmer': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (128x48 and 96x32)',
    'muse_spark': 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (128x48 and 96x32)',
    'nllb-moe': "nllb-moe: cryptic error without decoder inputs: TypeError: embedding(): argument 'indices' (posit...",
    'oneformer': 'RuntimeError: Given groups=1, weight of size [32, 32, 1, 1], expected input[2, 256, 8, 8] to have 32 ch...',
    'pi0': "TypeError: PI0ForConditionalGeneration.forward() missing 1 required positional argument: 'state'",
    'qwen2_audio': "TypeError: 'NoneType' object is not subscriptable",
    'qwen3_asr_encoder': 'ValueError: Qwen3ASREncoder expects `padded_feature_length` to be a multiple of `n_window * 2` (1...',
    'qwen4_exp': "TypeError: unsupported operand type(s) for //: 'NoneType' and 'NoneType'",
    'qwen4_exp_text': "TypeError: unsupported operand type(s) for //: 'NoneType' and 'NoneType'",
    'sam3_tracker': "RuntimeError: shape '[2, -1, 288, 288]' is invalid for input of size 8192",
    'sapiens2': "TypeError: 'NoneType' object is not subscriptable",
    'step3p7': 'ValueError: Could not find a `sliding_window` argument in the config, or it is not set',
    't5gemma2': 'ValueError: You must specify exactly one of input_ids or inputs_embeds',
    't5gemma2_encoder': "AttributeError: 'T5Gemma2TextConfig' object has no attribute 'dropout_rate'",
    'textnet': 'RuntimeError: Given groups=1, weight of size [32, 32, 3, 3], expected input[2, 64, 16, 16] to hav...',
    'udop': 'ValueError: You must specify exactly one of decoder_input_ids or decoder_inputs_embeds',
    'unlimited_ocr': 'RuntimeError: Sizes of tensors must match except in dimension 1. Expected size 32 but got size 10...',
    'uvdoc': 'RuntimeError: Given groups=1, weight of size [128, 768, 1, 1], expected input[2, 128, 2, 2] to ha...',
    'vibevoice': 'vibevoice: tiny config still has 391,518,371 parameters',
    'vibevoice_acoustic_tokenizer': 'vibevoice_acoustic_tokenizer: tiny config still has 260,970,785 parameters',
    'vibevoice_asr': 'vibevoice_asr: tiny config still has 261,000,160 parameters',
    'video_llama_3': "AttributeError: 'NoneType' object has no attribute 'tolist'",
    'videoprism_vision_model': 'AssertionError',
    'voxtral_realtime': 'RuntimeError: The size of tensor a (16) must match the size of tensor b (32) at non-singleton dim...',
    'xlstm': 'RuntimeError: The expanded size of the tensor (8) must match the existing size (16) at non-single...',
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
