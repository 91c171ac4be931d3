"""ONE reviewed table of per-model-type facts and exceptions, as data.

Each entry maps a model type to tiny-config overrides (applied after the generic shrinker,
before the registry entry's ``tiny``; a nested table overrides a sub-config) plus reserved keys:

- ``needs``: an optional package the model requires; its tests skip when it is missing;
- ``skip``: a reason; the generated tests are skipped;
- ``xfail``: a known upstream bug (an ``UpstreamBug``: its one-line evidence and the transformers versions it was
  measured on): one for every check, or ``{check id: bug}``; strict on the versions it was measured on, so a check
  that passes there fails with "fixed: remove the xfail"; on other versions a non-strict expectation (a pass there is
  recorded as "fixed upstream in <version>");
- ``off``: ``{check id: reason}``, checks that do not apply to this model for a documented reason
  (reported as ``not applicable: <reason>``), e.g. a model that samples on purpose is not deterministic;
- ``unused_parameters``: ``{regex: reason}``, trainable parameters its training forward does not reach;
- ``inputs``: hints for the synthetic inputs (e.g. ``{"seq_len": 16}``) and the layout of the outputs
  (``packed_output``: one sequence holding the tokens of every image (or audio clip) in turn, as the model documents;
  ``pooling_queries``: classification logits keep an attention-pooling head's query axis; ``batch``: the samples
  a model with a batching bug runs at once; ``hidden_states`` / ``attentions``: how many per-layer tensors a model
  returns that does not return one per layer (plus the embeddings), e.g. one per stage; ``logits_dims``: the config
  attributes sizing logits that are not over a vocabulary; ``logits_prefix``: inputs and config attributes whose
  lengths a decoder prepends to its token logits).

Sizes follow the model testers of transformers' own test suite where one needs more than the generic shrinker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hfguard.testing import export_records
from hfguard.testing.recipes.vq import chameleon_vocabulary, emu3_vocabulary

RESERVED = ("needs", "skip", "xfail", "off", "unused_parameters", "inputs")


@dataclass(frozen=True)
class UpstreamBug:
    """A transformers bug that makes a check fail, with its one-line evidence and the transformers versions on which
    the failure was measured (where its xfail is strict)."""

    evidence: str
    measured: frozenset[str]
    label: str = "transformers bug"  # or "transformers limitation": documented behaviour a check cannot pass (no bug)

    def __str__(self) -> str:
        return f"{self.label}: {self.evidence}"


# the transformers versions the bugs below were measured on (the pinned one and the last upgrade sweep's), unless a
# record names others: fixed in 5.25.0 or found by a check the last upgrade sweep did not run (ON_5_24), or new in it (ON_5_25)
MEASURED = frozenset({"5.24.0", "5.25.0"})
ON_5_24 = frozenset({"5.24.0"})
ON_5_25 = frozenset({"5.25.0"})


def _bug(evidence: str, measured: frozenset[str] = MEASURED) -> UpstreamBug:
    return UpstreamBug(evidence, measured)

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
# Qwen4-Exp: the default layer types include indexed (QSA) attention but the config leaves its indexer unset (tester values)
_QWEN4_EXP_QSA = {"indexer_n_heads": 2, "indexer_kv_heads": 1, "indexer_head_dim": 8, "indexer_budget": 4,
                  "indexer_compress_ratio": 2}
# SAM3 backbones at 64 px: one windowed and one global block
_SAM3_BACKBONE = {"image_size": 64, "window_size": 8, "global_attn_indexes": [1]}
# keypoint matchers read channel 0 of grayscale images replicated to RGB (extract_one_channel_pixel_values)
_GRAYSCALE = {"reads_first_channel": True}
_COMPASS_ROPE = {"rope_parameters": {"full_attention": {"rope_type": "default", "rope_theta": 10_000.0}}}  # tester value
# DeepSeek-OCR style SAM towers (tester values): their two stride-2 downsampling convs end at the width of the
# vision encoder they feed (the shrunk 32); windows fit the 8 x 8 patch grid, one global layer of the two
_SAM_DOWNSAMPLED = {"vision_config": {"sam_config": {"output_channels": 16, "downsample_channels": [16, 32], "window_size": 4,
                                                     "global_attn_indexes": [1]}}}
_SAM2 = {"vision_config": _SAM2_VISION, "prompt_encoder_config": {"image_size": 128, "patch_size": 16}}
# VibeVoice's convolutional tokenizer encoders double their channels at every downsampling stage (six by
# default: 64x the filters): the tester's single stage
_VIBEVOICE_TOKENIZER = {"kernel_size": 3, "num_filters": 4, "downsampling_ratios": [2], "depths": [1, 1]}

OVERRIDES: dict[str, dict[str, Any]] = {
    **dict.fromkeys(("detr", "conditional_detr", "dab-detr", "table-transformer"), _DETR),
    **dict.fromkeys(("omdet-turbo", "timm_backbone", "timm_wrapper", "gemma3n_vision", "edgetam", "edgetam_vision_model",
                     "pe_audio_video", "pe_audio_video_encoder", "pe_video", "pe_video_encoder"), _TIMM),
    **dict.fromkeys(("fast_vlm", "gemma3n", "perception_lm"), _PIL),
    **dict.fromkeys(("mask2former", "maskformer", "inkling_mm_model"), _SCIPY),
    "dinat": {"needs": "natten"},
    "layoutlmv2": {"needs": "detectron2"},
    "autoformer": _FORECAST,
    "informer": _FORECAST,
    "time_series_transformer": _FORECAST,
    "esm": {"vocab_size": 33, "pad_token_id": 1},  # the default config has no vocabulary
    "efficientnet": {**_EFFICIENTNET, "hidden_dim": 320},  # the top conv's width: round_filters(1280) at 0.25
    # image embeds: the last scaled stage (320 * 0.25); the 0.02 init std shrinks activations through the residual-free
    # blocks to ~1e-28, whose L2 norm underflows (0 / 0 in the image embeds): 0.3 is ~1/sqrt(fan-in) of a 3x3 depthwise kernel
    "align": {"vision_config": {**_EFFICIENTNET, "initializer_range": 0.3}, "projection_dim": 80},
    "blip-2": {"qformer_config": {"use_qformer_text_input": True}},  # its image-text retrieval head reads text
    "idefics": {"alpha_initializer": "ones"},  # zero-initialised gates would shut the image cross-attention
    "instructblip": {"image_token_index": 98},  # the default configs have no media placeholder token
    "instructblipvideo": {"video_token_index": 98},
    # the thinker configs lack the field their rope index reads (the upstream testers pass it)
    **dict.fromkeys(("qwen2_5_omni_thinker", "qwen3_omni_moe_thinker"), {"vision_start_token_id": 80}),
    "bridgetower": {"vision_config": {"hidden_size": 64}},  # its vision tower has hidden_size // 64 heads
    # a framed prompt; ResNet downsamples 32x. transformers bug: TvpVisualInputEmbedding.add_2d_positional_embeddings
    # views the (width, hidden) column embeddings as (batch, 1, width, hidden), so only batch 1 runs
    "tvp": {"visual_prompt_size": 4, "num_frames": 2, "max_img_size": 128, "inputs": {"batch": 1}},
    # the default composite configs have no vision tower (optional sub-config): the testers give one
    "gemma4": {"vision_config": {"model_type": "gemma4_vision"}},
    "gemma4_unified": {"vision_config": {"model_type": "gemma4_unified_vision", "mm_embed_dim": 32, "output_proj_dims": 32}},
    # tester values: the Q-Former projector has vision width // 64 heads; a 1/2 window downsampler; one
    # deepstack layer. Five text layers, so the deepstack and the four spatial groups each feed their own layer.
    # The default pinpoints are multiples of 336 while the default CLIP tower sees 224 px: tiles of the tiny tower.
    "granite4_vision": {"vision_config": {"hidden_size": 64}, "text_config": {"num_hidden_layers": 5},
                        "downsample_rate": "1/2", "deepstack_layer_map": [[1, 0]], "spatial_target_layers": [1, 2, 3, 4],
                        "projector_dropout": 0.0, "image_grid_pinpoints": [[32, 64], [64, 32], [64, 64]]},
    "qwen4_exp_text": _QWEN4_EXP_QSA,
    "qwen4_exp": {"text_config": _QWEN4_EXP_QSA},
    # Step3p7TextModel.forward always builds the sliding-window mask, even with only full-attention layers (as the tester)
    "step3p7": {"text_config": {"sliding_window": 16}},
    # the default text config leaves rope_parameters empty, while the rotary embedding reads one entry per layer type
    "cohere_compass_text": _COMPASS_ROPE,
    "cohere_compass": {"text_config": _COMPASS_ROPE},
    # tester values: the pixel-shuffle MLP reads width / ratio² = 4 x 32 channels and outputs the vision output width
    "llama4": {"vision_config": {"intermediate_size": 128, "projector_input_dim": 32, "projector_output_dim": 32},
               "xfail": _bug("Llama4ForConditionalGeneration.forward returns image_outputs=outputs.image_outputs, "
                             "but its language model's MoeCausalLMOutputWithPast has no such field (AttributeError)", ON_5_24)},
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
    # model tester layout at 64 px: 16 x 16 patches, FPN scales 2, 1, 0.5 -> the three feature sizes the tracker
    # reshapes to; one windowed and one global block; the prompt grid matches the smallest (8 x 8) map
    "sam3_tracker": {"vision_config": {"backbone_config": _SAM3_BACKBONE, "scale_factors": [2.0, 1.0, 0.5],
                                       "backbone_feature_sizes": [[32, 32], [16, 16], [8, 8]]},
                     "prompt_encoder_config": {"image_size": 64, "patch_size": 8}},
    # its tracker at 64 px (at 1008 px the tiny model reads 63,504 patches): the default FPN scales 4, 2, 1 give
    # 64, 32 and 16 px maps; the prompt grid and the memory attention's rope match the smallest
    "sam3_video": {"tracker_config": {"image_size": 64, "memory_attention_rope_feat_sizes": [16, 16],
                                      "vision_config": {"backbone_config": _SAM3_BACKBONE},
                                      "prompt_encoder_config": {"image_size": 64, "patch_size": 4}}},
    "hgnet_v2": _HGNET,
    "beit": {"num_hidden_layers": 4, "out_indices": [1, 2, 3, 4]},  # the segmentation head reads 4 layers
    "cvt": {"depth": [1, 2, 3]},  # a stage indexes its drop-path rates by the stage index
    "yolos": {"image_size": [32, 32]},  # square, so the interpolated position embeddings tile it
    "mobilevitv2": {"image_size": 64, "width_multiplier": 0.25},  # five stride-2 stages still leave 2x2 patches
    # DepthPro cuts the image into patch_size tiles for its encoders (whose image_size must equal it); the hooks
    # read layers of the 2-layer patch encoder; list-typed feature dims, which the neck concatenates (tester sizes)
    "depth_pro": {"patch_size": 16, "intermediate_hook_ids": [1, 0], "intermediate_feature_dims": [16, 16],
                  "scaled_images_ratios": [0.5, 1.0], "scaled_images_overlap_ratios": [0.0, 0.2],
                  "scaled_images_feature_dims": [16, 16], **dict.fromkeys(
                      ("image_model_config", "patch_model_config", "fov_model_config"), {"image_size": 16})},
    # hidden_size = last out_features; rope over 4 x head_dim fills hidden_size // 4 only with 8 heads; no match
    # threshold or border so that a random model still matches keypoints (model tester values)
    "efficientloftr": {"out_features": [32, 32, 64], "hidden_size": 64, "num_attention_heads": 8,
                       "stage_num_blocks": [1, 1, 1], "stage_stride": [2, 1, 2], "fine_kernel_size": 2,
                       "coarse_matching_threshold": 0.0, "coarse_matching_border_removal": 0, "inputs": _GRAYSCALE},
    "lightglue": {"inputs": _GRAYSCALE},
    # the default has no head config (the checkpoints set one): two stride-2 upsamplings back to 32 px, one 1x1 conv;
    # the per-layer kv heads are rederived (None) for 4 heads: one full-attention layer, then a grouped-query one
    "sapiens2": {"head_config": {"upsample_out_channels": [16, 8], "conv_out_channels": [8]},
                 "num_key_value_heads_per_layer": None, "num_first_full_attention_layers": 1,
                 "num_last_full_attention_layers": 0, "num_key_value_attention_heads": 2},
    # the default has no projector scale, so no feature level; the ViT backbone (model tester sizes) alternates
    # windowed and global blocks and feeds its global ones to the projector; 64 px = 16 x 16 patches, 4 x 4 windows
    "lw_detr": {"projector_scale_factors": [0.5, 2.0], "backbone_config": {
        "hidden_size": 16, "num_hidden_layers": 4, "num_attention_heads": 2, "window_block_indices": [0, 2],
        "out_indices": [1, 3], "image_size": 64}},
    # the contrastive class head pads the text-token logits to config.max_text_len with -inf (masked fill in
    # GroundingDinoContrastiveEmbedding), so that padding positions get sigmoid probability 0; 128 px images: below,
    # the extra feature level is 1 x 1 and GroupNorm(32 groups of one channel) normalises a single value per group
    **dict.fromkeys(("grounding-dino", "mm-grounding-dino"), {"inputs": {"neg_inf_padded_to": "max_text_len", "image_size": [128, 128]}}),
    # 128 px images: below, the extra feature level is 1 x 1 and GroupNorm(32 groups of one channel) has one value per group
    "deformable_detr": {**_DETR, "inputs": {"image_size": [128, 128]}},
    "oneformer": {**_SCIPY, "inputs": {"image_size": [128, 128]}},
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
    # PixtralVisionModel.forward documents one sequence holding the patches of all images (output batch 1)
    "pixtral": {"inputs": {"packed_output": True}},
    # the prompt and image halves, stacked along the batch axis, are averaged after layer merge_index (tester values)
    "seggpt": {"merge_index": 0, "intermediate_hidden_state_indices": [1]},
    # MiniCPM-V towers read and return the patches of all images packed in one sequence; the window merger
    # runs after layer insert_layer_id (the upstream tester uses 0)
    **dict.fromkeys(("minicpm_ocr_vision", "minicpmv4_7_vision"), {"insert_layer_id": 0, "inputs": {"packed_output": True}}),
    # the head concatenates the maps of all six bridge stages (bridge_connector reads 6 x 128 channels); its
    # reflect padding needs maps wider than 2 after the 16x downsampling
    "uvdoc": {"backbone_config": {"out_indices": [1, 2, 3, 4, 5, 6]}, "inputs": {"image_size": [64, 64]}},
    # its attention-pooling head keeps the one query axis: logits are (batch, 1, labels), as the upstream tester asserts
    "videoprism_vision_model": {"inputs": {"pooling_queries": 1}},
    # its VQ codebook ids become text token ids: the codebook fits in the tiny vocabulary (tester value)
    "glm_image": {"vq_config": {"num_embeddings": 32}},
    # the default config has no (optional) vision tower, so no image path: the tester's Gemma 4 vision tower
    "embedding_gemma2": {"vision_config": {"model_type": "gemma4_vision"}},
    **dict.fromkeys(("d_fine", "deimv2", "pp_doclayout_v4"), {"backbone_config": _HGNET}),
    "pp_doclayout_v3": {"backbone_config": _HGNET, "x4_feat_dim": 64},  # the mask branch reads stage 1 (64 channels)
    # audio codecs (tester values): quantizer width = acoustic + semantic (32 + 32), no grouped-query attention;
    # CTC heads need a vocabulary
    **dict.fromkeys(("xcodec2", "neucodec"), {"quantization_dim": 64, "downsampling_ratios": [2, 2, 4], "num_key_value_heads": 4,
                                                "semantic_model_config": {"num_hidden_layers": 17}}),
    **dict.fromkeys(("wav2vec2-bert", "wav2vec2-conformer"), {"vocab_size": 32}),
    "granite_speech5_encoder": {"num_key_value_heads": 4},  # its keys and values use all heads
    "granite_speech5_ctc": {"encoder_config": {"num_key_value_heads": 4}},
    "fun_asr_nano": {"adaptor_config": {"intermediate_size": 8}},  # its config requires text hidden_size // 4
    "vibevoice_asr": {"acoustic_tokenizer_encoder_config": _VIBEVOICE_TOKENIZER,
                      "semantic_tokenizer_encoder_config": _VIBEVOICE_TOKENIZER},
    "vibevoice": {"audio_config": _VIBEVOICE_TOKENIZER, "semantic_model_config": _VIBEVOICE_TOKENIZER},
    "moonshine": {"encoder_num_key_value_heads": 4, "decoder_num_key_value_heads": 4},  # q is viewed with the kv heads
    "moonshine_streaming": {"num_key_value_heads": 4},  # read by the decoder, not a field of the config
    "voxtral": {"audio_token_id": 24},  # set by the processor, None in the default config
    # tester value: its depth decoder generates one code per codebook for every frame (32 by default)
    "csm": {"num_codebooks": 10, "depth_decoder_config": {"num_codebooks": 10}},
    # no sampled noise (batch-independent waveforms); flows, wavenets and vocoder at tester sizes, two 4x upsamplings
    "timesfm2_5": {"context_length": 256},  # 8 patches of 32 (the default reads 16,384 values: 512 patches)
    "vits": {"noise_scale": 0.0, "noise_scale_duration": 0.0, "flow_size": 32, "spectrogram_bins": 33,
             "duration_predictor_filter_channels": 32, "posterior_encoder_num_wavenet_layers": 2,
             "prior_encoder_num_wavenet_layers": 2, "upsample_initial_channel": 32, "upsample_rates": [4, 4],
             "upsample_kernel_sizes": [8, 8], "resblock_kernel_sizes": [3, 5], "resblock_dilation_sizes": [[1, 3], [1, 3]]},
    "bark": {"skip": "BarkModel has no forward(): it only chains its three sub-models in generate()"},
    "dots1": {"n_routed_experts": 4, "num_experts_per_tok": 2, "n_shared_experts": 1},  # the default names no experts
    "lfm2_moe": {"layer_types": ["conv", "full_attention"], "num_dense_layers": 1},  # None by default
    "granitemoehybrid": {"layer_types": ["linear_attention", "full_attention"]},  # all-Mamba default: no cache to generate
    "reformer": {"axial_pos_embds_dim": [16, 16], "axial_pos_shape": [8, 16]},  # dims sum to the width, shape covers positions
    "bros": {"hidden_size": 64},  # box sinusoids get hidden_size // 4 // dim_bbox // 2 frequencies: at least one
    # DbrxAttention reads attn_config.rope_theta, a field DbrxAttentionConfig lacks, and clamps q/k/v with clip_qkv
    # even when it is None (the default): the tester's values
    "dbrx": {"attn_config": {"rope_theta": 500000, "clip_qkv": 8}},
    # BltModel builds its DynamicCache from BltConfig, which has no num_hidden_layers (the tester sets it after
    # construction); the local decoder reads the global transformer's width as hidden_size_global
    "blt": {"num_hidden_layers": 2, "decoder_config": {"hidden_size_global": 32}},
    # the last 2 of 4 layers reuse the KV cache of earlier layers of their kind (tester: sharing needs both kinds before it)
    "gemma3n_text": {"num_hidden_layers": 4, "num_kv_shared_layers": 2},
    # the config rounds the q/k and v widths up to multiples of 64 for its cache, the layers do not: the tester's 128
    "xlstm": {"hidden_size": 128, "embedding_dim": 128},
    # the shared transformer block is tied across its hybrid layers (two needed) and reads [hidden, embeddings]: 2x wide
    "zamba": {"num_hidden_layers": 3, "layers_block_type": ["linear_attention", "hybrid", "hybrid"],
              "attention_hidden_size": 64, "attention_head_dim": 16},
    "nllb-moe": {"xfail": {"missing_decoder_inputs": _bug("NllbMoeDecoder.forward calls embed_tokens(input_ids) without "
                                                          "checking that decoder_input_ids or decoder_inputs_embeds was given "
                                                          "(M2M100 raises a ValueError), so a missing decoder input crashes "
                                                          "with a TypeError")}},
    "layoutlmv3": {"coordinate_size": 6, "shape_size": 4},  # 4 coordinate + 2 shape embeddings make up the width
    "lilt": {"hidden_size": 24, "num_attention_heads": 6},  # six layout embeddings of width // 6; heads shrunk by 4 (tester)
    # CLVP's rotary embedding is at least 32 wide: one head of 32 (the default 4 heads would be 8 wide)
    "clvp": {"text_config": {"num_attention_heads": 1}, "speech_config": {"num_attention_heads": 1}},
    # a Swin audio tower whose stages double patch_embeds_hidden_size three times up to hidden_size (4 -> 32); the
    # tester's 64-bin spectrogram image, patches and windows, so the last stage still holds a whole window
    "clap": {"audio_config": {"patch_embeds_hidden_size": 4, "num_attention_heads": [1, 2, 4, 8], "spec_size": 64,
                              "patch_size": 2, "patch_stride": [2, 2], "window_size": 4}},
    # no sampled σ-VAE noise: the noise scales are drawn per batch, so the first sample would depend on the batch size
    "vibevoice_acoustic_tokenizer": {**_VIBEVOICE_TOKENIZER, "vae_std": 0.0},
    **dict.fromkeys(("vibevoice_acoustic_tokenizer_encoder", "vibevoice_acoustic_tokenizer_decoder"), _VIBEVOICE_TOKENIZER),
    # Qwen3ASREncoder returns the valid frames of every clip packed in one (frames, width) sequence, which
    # Qwen3ASR scatters into its audio tokens
    "qwen3_asr_encoder": {"inputs": {"packed_output": True}},
    # set by the processor, None in the default config (then the model never reads its images)
    **dict.fromkeys(("minicpm_ocr", "minicpmv4_6", "minicpmv4_7"), {"image_token_id": 90}),
    # the vocabulary holds the text, then the visual codes, then the audio codes (tester sizes)
    "apertus1p5": {"image_token_offset": 40, "audio_token_offset": 60, "vision_config": {"codebook_size": 20},
                   "audio_config": {"codebook_size": 12}},
    # VQ image tokens: a small codebook whose codes map to text ids 10..25 (the default configs have no map)
    "chameleon": {"vq_config": {"num_embeddings": 16}, "vocabulary_map": chameleon_vocabulary(4, 10, 16)},
    # the adapter reads ViT layers by index, which must exist in the tiny tower (tester value)
    "molmo2": {"adapter_config": {"vision_feature_layer": [1]}},
    # robot policies: their logits are the velocities of a chunk of actions (see recipes.robotics)
    **dict.fromkeys(("pi0", "pi05"), {"inputs": {"logits_dims": ("chunk_size", "max_action_dim")}}),
    # every encoder layer has a mixture of experts next to its MLP, which the default config leaves unsized (tester)
    # and a 16-token canvas instead of 256
    "diffusion_gemma": {"text_config": {"num_experts": 4, "top_k_experts": 2, "moe_intermediate_size": 16}, "canvas_length": 16,
                        "inputs": {"generation_block": "canvas_length"}},  # generate() denoises whole canvases
    # Emu3's VQ attention is hidden_size wide and runs on the last stage's channels: the tester's [1, 2, 1]
    "emu3": {"vq_config": {"codebook_size": 16, "channel_multiplier": [1, 2, 1]}, "vocabulary_map": emu3_vocabulary(3, 10, 16)},
    # T5 style: the decoder starts from pad (0), read by _shift_right and generate; unset in the default config
    "udop": {"decoder_start_token_id": 0},
    "bert-generation": {"is_decoder": True},  # a causal decoder (as the upstream tester builds it), so that it caches
    # transformers bug: only the parent T5Gemma2Config.__post_init__ gives the encoder's text config its
    # dropout_rate (read by T5Gemma2TextScaledWordEmbedding); set it as that parent would
    "t5gemma2_encoder": {"text_config": {"dropout_rate": 0.0}},
    # the projector maps a known patch count to its query count: 32 px / 4 px patches = 64 patches, 8 queries
    "aria": {"projector_patch_to_query_dict": {64: 8}},
    # the SAM tower's first global-attention layer's hidden state feeds the neck (tester values; 4 output channels
    # keep the high-resolution projection convs tiny)
    "deepseek_vl_hybrid": {"high_res_vision_config": {"global_attn_indexes": [0], "output_channels": 4}},
    "unlimited_ocr": _SAM_DOWNSAMPLED,
    # DeepSeek-OCR 2's decoder reads a dense/sparse kind per layer, None in the default config (tester value)
    "deepseek_ocr2": {**_SAM_DOWNSAMPLED, "text_config": {"mlp_layer_types": ["dense", "sparse"]}},
    # a lone audio token selects Qwen2-Audio's legacy path that expands it in the model (the processor never sends
    # it, and generate() fails on it): start from a run
    "qwen2_audio": {"inputs": {"least_media_tokens": 2}},
    # 60 mel frames give it 15 audio features for two samples, which no placeholder count matches: 120 frames
    "moss_transcribe_diarize": {"audio_config": {"max_source_positions": 60}},
    # transformers 5.25: 48 heads of 128, 384 experts and a 3584-wide dense MLP stay at 60M parameters; its config
    # requires head_dim a multiple of 16 (NVFP4 key rounding) and index heads within the query heads of a key head
    "kolibri1_1": {"num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "num_local_experts": 4,
                   "num_experts_per_tok": 2, "moe_intermediate_size": 16, "shared_expert_intermediate_size": 16,
                   "mlp_only_intermediate_size": 37, "index_num_heads": 2, "index_topk": 4, "index_pool_size": 64,
                   "index_num_local_tokens": 4, "index_num_sink_tokens": 2, "sliding_window": 16},
}


# ---- check exceptions ----------------------------------------------------------------------------------------
# What the checks found that is not a fault of the test: upstream transformers bugs (``xfail``, strict, each with its
# one-line evidence) and documented behaviours a check does not apply to (``off``, with the reason). Merged into the
# entries above.

# Vision (and audio) towers whose _can_record_outputs["attentions"] names an attention class whose forward returns
# only its output: output_attentions hands back attention outputs (negative values, rows not summing to 1)
_RECORDS_OUTPUTS = {
    "CohereCompassVisionAttention": ("cohere_compass", "cohere_compass_vision"),
    "Qwen3VLVisionAttention": ("cosmos3_omni", "qwen3_vl", "qwen3_vl_vision"),
    "Exaone4_5_VisionAttention": ("exaone4_5", "exaone4_5_vision"),
    "Glm4vVisionAttention": ("glm46v", "glm4v", "glm4v_vision", "glmga"),
    "Glm4vMoeVisionAttention": ("glm4v_moe", "glm4v_moe_vision"),
    "Glm5NextVisionAttention": ("glm5_next", "glm5_next_vision"),
    "GlmImageVisionAttention": ("glm_image", "glm_image_vision"),
    "GlmOcrVisionAttention": ("glm_ocr", "glm_ocr_vision"),
    "Kimi_K25VisionAttention": ("kimi_k25", "kimi_k25_vision"),
    "MuseGlimmerVisionAttention": ("muse_glimmer", "muse_glimmer_vision"),
    "MuseSparkVisionAttention": ("muse_spark", "muse_spark_vision"),
    "Qwen2_5_VLVisionAttention": ("qwen2_5_vl", "qwen2_5_vl_vision", "hyperclovax_vision_v2"),
    "VisionAttention (Qwen2-VL)": ("qwen2_vl",),
    "Qwen2_5OmniVisionAttention": ("qwen2_5_omni_thinker",),
    "Qwen3_5VisionAttention": ("qwen3_5", "qwen3_5_vision"),
    "Qwen3_5MoeVisionAttention": ("qwen3_5_moe", "qwen3_5_moe_vision"),
    "Qwen3VLMoeVisionAttention": ("qwen3_vl_moe", "qwen3_vl_moe_vision"),
    "Qwen3OmniMoeVisionAttention": ("qwen3_omni_moe_thinker",),
    "Qwen4ExpVisionAttention": ("qwen4_exp", "qwen4_exp_vision"),
    "Qwen3ASRAudioAttention": ("qwen3_asr_encoder",),
    "Sam2MultiScaleAttention": ("sam2_vision_model", "sam2_hiera_det_model", "sam2", "sam2_video", "edgetam_video"),
    "Ernie4_5_VLMoeVisionAttention": ("ernie4_5_vl_moe",),
}
# output_attentions=True (eager) returns an empty tuple: the recorded attention layers never report
_NO_ATTENTIONS = ("cosmos3_edge_vision", "gemma3n_audio", "got_ocr2", "hunyuan_vl_vision", "hy_v4_vl_vision", "maskformer",
                  "minicpm_ocr_vision", "minicpmv4_7_vision", "sam", "sam_hq", "sam_hq_vision_model", "sam_vision_model",
                  "sam3_lite_text_text_model")
# eager attention crashes where SDPA runs: "The size of tensor a (4) must match the size of tensor b (8)"
_EAGER_CRASHES = ("nemo_speechlm", "nemotron3_5_transcribe_asr_audio", "nemotron3_5_transcribe_audio",
                  "nemotron3_5_transcribe_word_timestamp", "nemotron3_diarization", "nemotron3_diarization_audio",
                  "unlimited_ocr")
# multimodal RoPE: 3-D positions come from input_ids (where the image tokens are); inputs_embeds alone cannot give them
_MROPE_FROM_IDS = ("cohere_compass", "cosmos3_edge", "cosmos3_omni", "ernie4_5_vl_moe", "glm46v", "glm4v", "glm4v_moe",
                   "glm_ocr", "glmga", "hunyuan_vl", "hy_v4_vl", "paddleocr_vl", "qwen2_5_vl", "qwen2_vl", "qwen3_5",
                   "qwen3_5_moe", "qwen3_vl", "qwen3_vl_moe", "qwen4_exp")
# audio language models place the audio features at their placeholder tokens found in input_ids only
# forward merges input_features only `if input_features is not None and input_ids is not None`, though
# get_placeholder_mask finds the audio positions in inputs_embeds too: with inputs_embeds the audio is silently dropped
_AUDIO_FROM_IDS = ("glmasr", "qwen2_audio", "nemo_speechlm", "moss_transcribe_diarize", "audioflamingo3", "fun_asr_nano",
                   "musicflamingo", "qwen3_asr", "vibevoice_asr", "voxtral")
# ... of which generate from inputs_embeds (vibevoice_asr's prepare_inputs_for_generation takes none)
_AUDIO_GENERATES_FROM_EMBEDS = tuple(name for name in _AUDIO_FROM_IDS if name != "vibevoice_asr")
# ...Model.forward(labels=...) without attention_mask reads encoder_outputs.attention_mask.sum(-1), which is None
_CTC_LENGTHS = ("granite_speech5_ctc", "lasr_ctc", "omniasr_ctc", "parakeet_ctc")
# bfloat16 forwards that mix dtypes: float32 tensors made inside the forward meet bfloat16 weights
_BF16_MIXED = {
    "bros": "expected m1 and m2 to have the same dtype, but got: float != c10::BFloat16",
    "clvp": "mat1 and mat2 must have the same dtype, but got Float and BFloat16",
    "dab-detr": "mat1 and mat2 must have the same dtype, but got Float and BFloat16",
    "fastspeech2_conformer": "Input type (float) and bias type (c10::BFloat16) should be the same",
    "fastspeech2_conformer_with_hifigan": "Input type (float) and bias type (c10::BFloat16) should be the same",
    "inkling2": "expected m1 and m2 to have the same dtype, but got: float != c10::BFloat16",
    "inkling2_loop": "expected m1 and m2 to have the same dtype, but got: float != c10::BFloat16",
    "inkling2_loop_text": "expected m1 and m2 to have the same dtype, but got: float != c10::BFloat16",
    "inkling2_text": "expected m1 and m2 to have the same dtype, but got: float != c10::BFloat16",
    "levit": "expected m1 and m2 to have the same dtype, but got: float != c10::BFloat16",
    "mimi": "expected scalar type Float but found BFloat16",
    "mra": "mat1 and mat2 must have the same dtype, but got Float and BFloat16",
    "tipsv2": "expected m1 and m2 to have the same dtype, but got: float != c10::BFloat16",
    "efficientloftr": "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long",
    "wavtokenizer_encoder": "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long",
    "lightglue": "The size of tensor a (20) must match the size of tensor b (784) at non-singleton dimension 2",
}
_FFT = "it transforms with torch.fft, which has no bfloat16 kernel on CPU"
_SAMPLES = "samples on purpose in every forward"
_VQ_TOKENIZER = "its VQ tokenizer turns images into code tokens (an argmin): the tokenizer learns nothing from the LM loss"
_CODEC_ENCODER = "its encoder's output is quantized into codes (an argmin): the encoder learns nothing from the decoded audio"

# applied in order, later entries merged into earlier ones of the same model type
CHECK_EXCEPTIONS: list[dict[str, dict[str, Any]]] = [
    {name: {"xfail": {"attentions": _bug(f"{cls}.forward returns its attention output only, so output_attentions "
                                          "returns outputs (negative values), not weights")}}
       for cls, names in _RECORDS_OUTPUTS.items() for name in names},
    {name: {"xfail": {"attentions": _bug("output_attentions=True (eager) returns an empty attentions tuple")}}
       for name in _NO_ATTENTIONS},
    {name: {"xfail": {check: _bug("eager attention crashes where SDPA runs: the size of tensor a (4) must match the "
                                    "size of tensor b (8)") for check in ("attentions", "eager_matches_sdpa")}}
       for name in _EAGER_CRASHES},
    {name: {"off": {"generate_from_inputs_embeds": (
        "its multimodal RoPE positions come from input_ids (where the image tokens are), which inputs_embeds alone do not carry")}}
       for name in _MROPE_FROM_IDS},
    {name: {"xfail": {check: _bug("with inputs_embeds the audio features are not merged (they are placed by the placeholder "
                                  "tokens of input_ids only)")
                      for check in ("inputs_embeds_matches_ids", "generate_from_inputs_embeds")
                      if check != "generate_from_inputs_embeds" or name in _AUDIO_GENERATES_FROM_EMBEDS}}
       for name in _AUDIO_FROM_IDS},
    {name: {"xfail": dict.fromkeys(("training_step", "gradient_checkpointing"), _bug(
        "forward(labels=...) without attention_mask reads encoder_outputs.attention_mask.sum(-1), which is None"))}
       for name in _CTC_LENGTHS},
    {name: {"xfail": {"bf16_forward": _bug(f"its bfloat16 forward mixes dtypes: {error}", ON_5_24 if name == "tipsv2" else MEASURED)}}
     for name, error in _BF16_MIXED.items()},
    dict.fromkeys(("autoformer", "fnet"), {"off": {"bf16_forward": _FFT}}),
    {"vit_mae": {"off": dict.fromkeys(("deterministic", "batch_independent"), f"{_SAMPLES}: its random patch masking (unless noise is given)")}},
    {"univnet": {"off": dict.fromkeys(("deterministic", "batch_independent"), f"{_SAMPLES}: its noise_sequence (unless given)")}},
    dict.fromkeys(("vibevoice", "vibevoice_asr"), {"off": dict.fromkeys(
        ("deterministic", "batch_independent"), f"{_SAMPLES}: its acoustic VAE latents (the upstream tester skips determinism too)")}),
    {"rwkv": {"off": {"attentions": "its attentions are RWKV time-mixing states, not softmax weights",
                     **dict.fromkeys(("attention_mask_changes_output", "padding_independent"),
                                     "RwkvModel.forward documents attention_mask as unused")}}},
    {"yoso": {"off": {"attentions": "its attentions are LSH collision estimates, not softmax weights"},
             "xfail": dict.fromkeys(("attention_mask_changes_output", "padding_independent"), _bug(
                 "masking two positions of every sample leaves YosoForMaskedLM's logits unchanged: the mask is not applied"))}},
    {"autoformer": {"off": {"bf16_forward": _FFT, "attentions": "its attentions are auto-correlation weights (signed), not a softmax"}}},
    {"minimax": {"off": {"attentions": "its lightning (linear) attention layers return linear-attention states, not softmax weights"}}},
    {"groupvit": {"off": {"attentions": "its grouping blocks return hard (straight-through) group assignments as attentions"}}},
    dict.fromkeys(("squeezebert", "maskformer-swin"), {"xfail": {"attentions": _bug(
        "output_attentions returns the pre-softmax attention scores, not the weights")}}),
    {"blt": {"off": {**dict.fromkeys(("inputs_embeds_matches_ids", "generate_from_inputs_embeds"),
                                     "it patches bytes by the entropy of input_ids, which inputs_embeds do not carry"),
                    "padding_independent": "its entropy-based byte patches span the padding"}}},
    {"esm": {"off": {"inputs_embeds_matches_ids": "EsmEmbeddings rescales for token dropout from input_ids only (inputs_embeds "
                                                 "are taken as already scaled)"}}},
    {name: {"xfail": dict.fromkeys(("inputs_embeds_matches_ids", "generate_from_inputs_embeds"),
                                   _bug(f"forward(inputs_embeds=...) crashes: {error}"))} for name, error in {
        "deepseek_v4": "'NoneType' object has no attribute 'reshape'", "ibert": "'tuple' object has no attribute 'size'",
        "layoutlmv3": "expand_as(): argument 'other' must be Tensor, not NoneType", "ovis2": "index out of range in self",
        "csm": "the size of tensor a (8) must match the size of tensor b (32) at non-singleton dimension 1"}.items()},
    dict.fromkeys(("granite_speech", "granite_speech_plus"), {"off": dict.fromkeys(("inputs_embeds_matches_ids", "generate_from_inputs_embeds"), (
        "it refuses inputs_embeds beside input_features by design (ValueError): its audio enters through input_ids only"))}),
    {"dia": {"off": {"padding_independent": "its logits stack each sample's 9 audio channels on axis 0 (batch x channels), "
                                            "rows a padded sample's slice does not follow"}}},
    {"voxtral_realtime": {"xfail": {"padding_independent": _bug(
        "a right-padded batch with its attention mask crashes: the size of tensor a (6) must match the size of tensor b (8)")}}},
    {"musicgen_melody": {"off": dict.fromkeys(("cache_matches_full_forward", "cache_format"), (
        "its decoder prepends the text and melody conditioning, so its logits and cache have more positions (251) than the "
        "decoder ids (8) a cached step continues"))}},
    {"chameleon": {"unused_parameters": {r"^model\.vqmodel\.": _VQ_TOKENIZER}}},
    {"emu3": {"unused_parameters": {r"^model\.vqmodel\.": _VQ_TOKENIZER}}},
    {"apertus1p5": {"unused_parameters": {r"^model\.vision_tokenizer\.": _VQ_TOKENIZER}}},
    {name: {"unused_parameters": {r"^encoder\.|^encoder_model\.|^acoustic_encoder\.|^encoder_semantic\.|^semantic_model\.|input_proj\.|^fc\.": _CODEC_ENCODER}}
       for name in ("encodec", "mimi", "wavtokenizer", "xcodec")},
    dict.fromkeys(("neucodec", "xcodec2"), {"unused_parameters": {r"^semantic_encoder\.|^semantic_model\.": (
        "it runs its semantic encoder under torch.no_grad() (a frozen teacher)")}}),
    dict.fromkeys(("pe_audio", "pe_audio_encoder"), {"unused_parameters": {r"(^|\.)embedder\.(dac_encoder|bottleneck)\.": (
        "it runs its DAC encoder and bottleneck under torch.no_grad() (frozen)")}}),
    {"vibevoice": {"unused_parameters": {r"^model\.audio_tower\.": (
        "it runs its acoustic tokenizer under torch.no_grad() (\"not meant to be trainable\", says the code)")}}},
    {"vibevoice_asr": {"unused_parameters": {r"^model\.(acoustic|semantic)_tokenizer_encoder\.": (
        "it runs its acoustic and semantic tokenizers under torch.no_grad() (frozen)")}}},
    {"vits": {"unused_parameters": {r"^duration_predictor\.": "its duration predictor's output becomes integer lengths "
                                                             "(a ceil): the waveform gives it no gradient"}}},
    dict.fromkeys(("fastspeech2_conformer", "fastspeech2_conformer_with_hifigan"), {"off": {
        "training_step": "its training forward needs spectrogram, duration, pitch and energy labels",
        **dict.fromkeys(("padding_independent",), "its spectrogram length follows the durations it predicts for every token, "
                                                  "padding included")}}),
    {"deepseek_v4": {"off": {"padding_independent": "its compressor pools windows of tokens before the mask applies "
                                                   "(the upstream tester skips left padding for this)"}}},
    {"funnel": {"off": {"padding_independent": "it pools (funnels) neighbouring positions, padding included"},
               "inputs": {"hidden_states": 16, "attentions": 14}}},
    {# one per block of each funnel stage
    "paligemma": {"off": {"padding_independent": "its prefix (image and prompt) attends bidirectionally, left padding included"}}},
    dict.fromkeys(("musicgen", "musicgen_melody"), {"off": {"padding_independent": "its decoder rows are (batch x codebooks): "
                                                                                    "the text padding moves every codebook row"}}),
]

def _measured(percent: str) -> str:
    return f"bfloat16 error compounds through its tiny random stack to {percent} (measured; its outputs stay finite)"


_DISCRETE = "its outputs pass through discrete selections (top-k queries, argmax, thresholds, VQ codes) that bfloat16 rounding flips"
_GRAD_CKPT_REFUSED = ("supports_gradient_checkpointing is True on the class, but enabling it raises 'not compatible with "
                      "gradient checkpointing' for a sub-model")

CHECK_EXCEPTIONS += [
    # documented per-layer layouts: how many states or maps it returns
    {"cvt": {"inputs": {"hidden_states": 3}}, "glpn": {"inputs": {"hidden_states": 4}}, "poolformer": {"inputs": {"hidden_states": 4}},
     "pvt_v2": {"inputs": {"hidden_states": 4}}, "segformer": {"inputs": {"hidden_states": 2}},  # one per stage, no embeddings
     "mobilevit": {"inputs": {"hidden_states": 5}}, "mobilevitv2": {"inputs": {"hidden_states": 5}},  # one per stage
     "swiftformer": {"inputs": {"hidden_states": 8}},  # one per stage and per downsampling step
     "patchtst": {"inputs": {"hidden_states": 2}}, "patchtsmixer": {"inputs": {"hidden_states": 2}},  # one per layer, no embeddings
     "mobilenet_v1": {"inputs": {"hidden_states": 26}},  # one per convolution (13 depthwise-separable pairs)
     "mobilenet_v2": {"inputs": {"hidden_states": 16}},  # one per inverted-residual layer
     "efficientnet": {"inputs": {"hidden_states": 8}},  # the stem, then one per block
     "perceiver": {"inputs": {"hidden_states": 3, "attentions": 2}},  # the latents' cross-attention, then its self-attends
     "canine": {"inputs": {"hidden_states": 7, "attentions": 4}},  # its character and molecule (downsampled) stacks
     "blt": {"inputs": {"hidden_states": 5, "attentions": 4}},  # its local encoder, global and local decoder layers
     "lightglue": {"inputs": {"hidden_states": 14, "attentions": 4}},  # keypoint encoder and matcher layers
     # its decoder prepends the text encoder's states and the chroma frames to the decoder ids
     "musicgen_melody": {"inputs": {"logits_prefix": ("input_ids", "chroma_length")}},
     "lxmert": {"inputs": {"hidden_states": {"language_hidden_states": 4, "vision_hidden_states": 4},  # its single-modality layers
                           "attentions": {"language_attentions": 2, "vision_attentions": 2},
                           "logits_dims": ("num_qa_labels",)}},  # question answering scores one answer per label
     "blip_2_qformer": {"inputs": {"attentions": {"attentions": 3, "cross_attentions": 1}}},  # self maps, and its cross layer's
     "instructblipvideo": {"inputs": {"attentions": {"qformer_outputs.attentions": 3, "qformer_outputs.cross_attentions": 1}}},  # its Q-Former's self and cross maps
     "maskformer": {"inputs": {"hidden_states": {"encoder_hidden_states": 4, "hidden_states": 10}}},  # levels; all stages
     **dict.fromkeys(("mask2former", "oneformer"), {"inputs": {"hidden_states": {"encoder_hidden_states": 4},
                                                                            "attentions": {"attentions": 1}}}),  # pixel levels
     **dict.fromkeys(("grounding-dino", "mm-grounding-dino"), {"inputs": {"attentions": {"decoder_attentions": 3}}})},
    # packed image towers: every image's tokens in one sequence
    dict.fromkeys(("hunyuan_vl_vision", "hy_v4_vl_vision"), {"inputs": {"packed_output": True}}),
    dict.fromkeys(("hy_v4_vl", "minimax_m3_vl"), {"off": {"hidden_states": "its image tower's states pack every image in one sequence (no batch axis)"}}),
    dict.fromkeys(("lfm3_vl", "lfm3_vl_vision"), {"off": {"attentions": "its vision tower attends over every image packed in one sequence (no batch axis)"}}),
    {"bridgetower": {"off": {"hidden_states": "its hidden states nest the text and image streams of each layer"}}},
    # output_hidden_states / output_attentions that return nothing
    {name: {"xfail": {"hidden_states": _bug("output_hidden_states=True returns no (or an empty) hidden_states")}}
     for name in ("gemma3n_audio", "sam3_lite_text_text_model", "nemotron3_5_transcribe_audio", "muse_glimmer_assistant")},
    {name: {"xfail": {"attentions": _bug("output_attentions=True (eager) returns no attentions")}}
     for name in ("inkling2_vision", "video_llama_3_vision", "muse_glimmer_assistant")},
    {"prophetnet": {"xfail": {"attentions": _bug("ProphetNet's cross_attentions hold negative values: not attention weights")}}},
    # forwards that take an attention mask and ignore it
    {name: {"xfail": {"attention_mask_changes_output": _bug(f"{name}'s forward takes attention_mask, but masking two positions "
                                                            "of every sample leaves its output unchanged")}}
     for name in ("cpmant", "mra", "mllama", "sam3_lite_text_text_model")},
    {"sam3_lite_text_text_model": {"xfail": {"padding_independent": _bug("its attention mask is not applied: padding reaches the real tokens")}}},
    {name: {"xfail": {"gradient_checkpointing": _bug(f"{cls}.{_GRAD_CKPT_REFUSED}")}}
     for name, cls in (("gemma3n_audio", "Gemma3nAudioEncoder"), ("gemma4_audio", "Gemma4AudioModel"),
                       ("muse_spark_audio", "MuseSparkAudioModel"), ("sam3_lite_text_text_model", "Sam3LiteTextTextModel"))},
    {"xlstm": {"xfail": dict.fromkeys(("training_step", "gradient_checkpointing"), _bug(
        "backward fails: a variable needed for gradient computation was modified by an inplace operation"))}},
    {"pi0": {"xfail": {"gradient_checkpointing": _bug("with checkpointing its forward reads cache.get_seq_length() of a None cache"),
                       "inputs_embeds_matches_ids": _bug("inputs_embeds give other logits than input_ids (by 0.368, scale 0.305)")}}},
    {"phi4_multimodal": {"xfail": {**dict.fromkeys(("attentions", "hidden_states"), _bug(
        "with output_attentions or output_hidden_states its forward reads .size() of None")),
        "eager_matches_sdpa": _bug("eager and SDPA logits differ by 0.424 (scale 0.58)"),
        "inputs_embeds_matches_ids": _bug("inputs_embeds give other logits than input_ids (by 0.732)")}}},
    {"minicpmv4_7": {"xfail": {"generate_from_inputs_embeds": _bug("generate() from inputs_embeds alone gives first-step logits "
                                                                   "0.0073 off the input_ids' (scale 0.317)")}}},
    # the cache and generation
    {"recurrent_gemma": {"off": dict.fromkeys(("cache_matches_full_forward", "cache_format", "generate_continues_from_cache"),
                                              "it keeps its recurrent state inside the model and returns no cache")}},
    {"granite4_vision": {"xfail": dict.fromkeys(("cache_matches_full_forward", "cache_format"),
                                                _bug("forward(use_cache=True) returns no cache"))}},
    {"blt": {"off": dict.fromkeys(("cache_matches_full_forward", "generate_cache_consistent", "beam_search"),
                                  "it regroups bytes into patches by entropy over the whole sequence: a prefix is patched otherwise"),
             "xfail": {"eager_matches_sdpa": _bug("eager and SDPA logits differ by 0.183 (scale 3.21)")}}},
    {"diffusion_gemma": {"off": dict.fromkeys(("cache_matches_full_forward", "generate_continues_from_cache", "padding_independent",
                                               "cache_format"),
                                              "its canvas decoder refines whole blocks: attention within a block is bidirectional")}},
    {"paligemma": {"off": {"cache_matches_full_forward": "its prefix (image and prompt) attends bidirectionally: a shorter prompt "
                                                         "changes every prefix logit"}}},
    {"cpmant": {"xfail": dict.fromkeys(("cache_matches_full_forward", "generate_cache_consistent", "beam_search"), _bug(
        "logits from its cache differ from the full forward's (by 1.87, scale 19.5)"))}},
    {"dory": {"xfail": {**dict.fromkeys(("attentions", "eager_matches_sdpa", "attention_mask_changes_output", "padding_independent",
                                         "generate_continues_from_cache"), _bug(
        "with a padding mask or eager attention its forward fails: the size of tensor a (16) must match the size of tensor b (8)")),
        **dict.fromkeys(("cache_matches_full_forward", "generate_cache_consistent", "gradient_checkpointing", "beam_search"), _bug(
            "its cached and checkpointed passes differ from the plain forward (by up to 0.004, scale 0.05)")),
        "cache_format": _bug("its sliding-window cache layer holds 15 positions after 8 tokens"),
        "static_cache": _bug("generate(cache_implementation='static') fails: index_copy_(): index 11 is out of bounds for "
                             "dimension 2 with size 11")}}},
    {"mllama": {"xfail": {**dict.fromkeys(("cache_matches_full_forward", "generate_cache_consistent", "eager_matches_sdpa",
                                           "padding_independent", "beam_search"), _bug(
        "its cross-attention layers give other logits with a cache, eager attention or padding (by up to 0.0025)")),
        "generate_continues_from_cache": _bug("continuing from the returned cache fails: cannot reshape a tensor of 0 elements")}}},
    {name: {"xfail": dict.fromkeys(("cache_matches_full_forward", "generate_continues_from_cache"), _bug(error))}
     for name, error in (("idefics", "a cached step without a new image raises 'Exactly 1 of pixel_values, image_encoder_"
                                     "embeddings or perceiver_embeddings has to be not-None'"),
                         ("voxtral_realtime", "its audio is added per position: a one-token step reads 5 frames against 8"))},
    {name: {"xfail": {"cache_matches_full_forward": _bug(error)}} for name, error in (
        ("kosmos-2", "a cached step without a new image raises 'You have to specify either pixel_values or image_embeds'"),
        ("kosmos-2.5", "a cached step finds no image positions: shape mismatch [16, 32] vs [0, 32]"))},
    {"switch_transformers": {"xfail": {check: _bug("its encoder stack refuses use_cache=True when the model passes it on", measured)
                                       for check, measured in (("cache_matches_full_forward", MEASURED), ("cache_format", ON_5_24))}}},
    {"git": {"off": dict.fromkeys(("output_shapes", "cache_matches_full_forward", "generate_continues_from_cache", "padding_independent",
                                   "cache_format"), "its logits and cache cover the image tokens it prepends, then the text")}},
    {"voxtral_realtime": {"off": dict.fromkeys(("generates_new_tokens", "generate_cache_consistent", "generate_continues_from_cache",
                                                "sampling_reproducible", "beam_search"),
                                                "its generation config's max_length equals the prompt length of its audio frames")}},
    {"kyutai_speech_to_text": {"xfail": {
        **dict.fromkeys(("generates_new_tokens", "generate_cache_consistent", "generate_continues_from_cache"),
                        _bug("generate() reads .shape of a None audio input")),
        **dict.fromkeys(("sampling_reproducible", "beam_search"), _bug("generate() reads .shape of a None audio input", ON_5_24))}}},
    {"vibevoice": {"off": dict.fromkeys(("generates_new_tokens", "sampling_reproducible", "generate_from_inputs_embeds"),
                                        "its generate() needs the diffusers noise scheduler (an optional package)")},
     "vibevoice_asr": {"off": dict.fromkeys(("generate_cache_consistent", "beam_search"), f"{_SAMPLES}: its acoustic VAE latents")}},
    {name: {"xfail": {"generate_continues_from_cache": _bug(f"continuing generate() from its returned cache gives step logits "
                                                            f"{gap} off one longer run", measured)}}
     for name, gap, measured in (("falcon_mamba", "0.0228", ON_5_24), ("mamba", "0.000318", ON_5_24), ("mamba2", "0.0054", ON_5_24),
                                 ("dia", "0.0174", MEASURED))},
    {"moonshine_streaming": {"xfail": {
        "generate_cache_consistent": _bug("step logits with the cache differ from those without (by 0.002)"),
        "beam_search": _bug("step logits with the cache differ from those without (by 0.002)", ON_5_24),
        "generate_continues_from_cache": _bug("the keys generate() returns differ from its prefill's, replayed (by 0.0044, "
                                              "scale 0.386)", ON_5_24)}}},
    {"prophetnet": {"off": dict.fromkeys(("cache_matches_full_forward", "generate_cache_consistent", "beam_search"),
                                         "its n-gram streams predict ahead: a cached step's main stream sees other future streams")}},
    {"fsmt": {"xfail": {**{check: _bug("a prefill's logits differ from the full forward's (by 0.00155, scale 0.323)", measured)
                           for check, measured in (("cache_matches_full_forward", MEASURED), ("beam_search", ON_5_24))},
                        "padding_independent": _bug("right padding moves the real positions' logits (by 0.00123, scale 0.323)")}}},
    # padding
    {"canine": {"off": {"padding_independent": "it downsamples characters by strided convolution over the padding"}}},
    {"convbert": {"off": {"padding_independent": "its span-based dynamic convolution reads the padded positions"}}},
    dict.fromkeys(("idefics3", "smolvlm"), {"xfail": {"padding_independent": _bug("left padding shifts its image tokens out of the "
                                                                                  "embedding range: index out of range")}}),
    dict.fromkeys(("minicpm_ocr", "minicpmv4_6", "minicpmv4_7"), {"xfail": {"padding_independent": _bug(
        "left padding breaks its image-token scatter: the size of tensor a (128) must match the size of tensor b (64)")}}),
    # batching
    {"molmo2": {"off": {"batch_independent": "its image_token_pooling indexes the patches of the whole batch (one index space)"},
                "xfail": {"media_changes_output": _bug("other pixels move its logits by 1.75e-07 only (scale 0.37)")}}},
    {"efficientloftr": {"off": {"batch_independent": "its matches are discrete (mutual nearest neighbours above a threshold): "
                                                     "near-ties flip between batch sizes"}}},
    dict.fromkeys(("fastspeech2_conformer", "fastspeech2_conformer_with_hifigan"), {"off": {"batch_independent": (
        "its spectrogram follows the durations it predicts; the batch pads each to the longest")}}),
    {"vits": {"off": dict.fromkeys(("batch_independent", "padding_independent"),
                                   "its vocoder's convolutions read the padding after a shorter waveform")}},
    dict.fromkeys(("instructblip", "instructblipvideo"), {"xfail": {"batch_independent": _bug(
        "sample 1 alone and in the batch give logits 0.523 apart")}}),
    {"videoprism": {"off": {"batch_independent": "its video-text logits compare every video with every text of the batch"}}},
    {"deimv2": {"off": {"batch_independent": "its encoder keeps the top-k query positions: near-ties flip between batch sizes"}}},
    # media
    dict.fromkeys(("neucodec", "xcodec2"), {"xfail": {"media_changes_output": _bug(
        "its audio_values are all zeros on the tiny model: neither waveform nor features reach them")}}),
    {"lightglue": {"off": {"media_changes_output": "its matches are discrete: random images give no match either way"}}},
    # save and load
    {"gradium_phonon_tts": {"xfail": {"save_load": _bug("from_pretrained of its own save fails in the automatic weight conversion")}},
     "nemo_speechlm": {"xfail": {"save_load": _bug("from_pretrained of its own save reports mismatched sizes")}}},
    # bfloat16
    {name: {"off": {"bf16_forward": _DISCRETE}} for name in ("rt_detr", "rt_detr_v2", "d_fine", "deimv2", "pp_doclayout_v3",
                                                             "pp_doclayout_v4", "grounding-dino", "mm-grounding-dino", "emu3", "pi0",
                                                             "wavtokenizer")},
    {name: {"off": {"bf16_forward": _measured(percent)}} for name, percent in (
        ("muse_spark", "16.9%"), ("musicflamingo", "20.6%"), ("nemotron3_5_transcribe_audio", "61.5%"), ("swinv2", "11.9%"),
        ("mobilenet_v2", "20.0%"))},
    {"vits": {"off": {"bf16_forward": "its waveform's length follows durations rounded up (a ceil) that bfloat16 rounding moves"}}},
    {"clvp": {"unused_parameters": {r"^conditioning_encoder\.|^speech_decoder_model\.": (
        "its conditioning encoder and speech decoder serve generate() (speech tokens from the text); forward's outputs "
        "(the contrastive embeddings) read neither")}},
     "lightglue": {"unused_parameters": {r"^keypoint_detector\.": "its keypoint detector's scores become discrete keypoints "
                                                                 "(a threshold and top-k): the matches give it no gradient"}},
     "nemo_speechlm": {"unused_parameters": {r"diarization_model\.": "its audio tower thresholds the diarization model's "
                                                                   "speaker probabilities (a discrete step) before the language model reads them"}},
     "phimoe": {"unused_parameters": {r"mlp\.router\.weight": "its SparseMixer top-2 routing gives the router an exactly zero "
                                                             "gradient in this step (measured)"}},
     "reformer": {"off": dict.fromkeys(("training_step", "gradient_checkpointing"), "in training its axial position "
                                       "embeddings need exactly prod(axial_pos_shape) = 128 tokens")},
     "xlstm": {"xfail": {"generate_continues_from_cache": _bug("continuing from its returned cache fails: 'xLSTMCache' object "
                                                               "has no attribute 'is_compileable'")}}},
    {name: {"xfail": {"eager_matches_sdpa": _bug("its eager attention returns inf where SDPA is finite")}}
     for name in ("nemotron3_5_asr", "nemotron_asr_streaming", "nemotron_asr_streaming_encoder")},
    # new in transformers 5.25.0
    {"recurrent_gemma": {"xfail": {"generate_continues_from_cache": _bug(
        "continuing generate() from its returned cache gives step logits 0.161 off one longer run (scale 1.2): the returned "
        "cache's get_seq_length() is 0 (10 in 5.24.0)", ON_5_25)}}},
    {name: {"xfail": {"attentions": _bug("LlavaOnevision15VisionAttention.forward returns its attention output only, so "
                                         "output_attentions returns outputs (negative values), not weights", ON_5_25)}}
     for name in ("llava_onevision1_5", "llava_onevision1_5_vision")},
    {"ovis2_5_vision": {"xfail": {"attentions": _bug("Ovis2_5VisionAttention returns its weights as a Python list (one per "
                                                     "image), which the output recorder drops: output_attentions=True "
                                                     "returns no attentions", ON_5_25)}}},
    {"pi05": {"xfail": {"gradient_checkpointing": _bug("with checkpointing its forward reads cache.get_seq_length() of a None "
                                                       "cache (as PI0's)", ON_5_25)}}},
]

# the checks of issue 23 part B (sampling, beam search, the cache's format, the static cache, generation from
# inputs_embeds, and the checks it extended: hidden_states' last layer, missing decoder inputs on text-to-audio),
# measured on transformers 5.24.0
CHECK_EXCEPTIONS += [
    {"minimax": {"xfail": {"beam_search": _bug("beam search leaves MiniMaxCache.linear_cache in place (Cache.reorder_cache "
                                               "reorders self.layers only): step 2 logits with the cache 0.0075 off those without "
                                               "it (scale 0.338)", ON_5_24)}},
     "recurrent_gemma": {"xfail": {"beam_search": _bug("beam search does not reorder the recurrent state it keeps inside the model: "
                                                       "step 2 logits with the cache 0.0315 off those without it (scale 1.49)", ON_5_24)}},
     "fuyu": {"xfail": {"beam_search": _bug("generate(num_beams=3) expands input_ids, not image_patches: image features and image "
                                            "tokens do not match (tokens 384, features 128)", ON_5_24)}},
     "paligemma": {"xfail": {"beam_search": _bug("without the cache its step logits drift from the cached run's (by 4.6e-05, "
                                                 "9.0e-05, 1.3e-04 at steps 1-3 in float64, scale 0.76)", ON_5_24)}},
     "xlstm": {"xfail": {"cache_format": _bug("forward(use_cache=True) returns an xLSTMCache, not a transformers Cache", ON_5_24)}},
     "cpmant": {"off": {"cache_format": "its cache holds its 32 prompt positions (prompt_length) before the tokens"}},
     "mllama": {"off": dict.fromkeys(("cache_format", "static_cache"), "its cache holds its cross-attention layers' image keys "
                                                                        "(260 positions) beside the text layers'")},
     "gemma4_text": {"xfail": {"generate_from_inputs_embeds": _bug(
         "generate(inputs_embeds=get_input_embeddings()(input_ids)) raises: the inputs_embeds do not exactly match the "
         "embedding weights (it reverses the embedding)", ON_5_24)}},
     "phi4_multimodal": {"xfail": {"generate_from_inputs_embeds": _bug("generate() from inputs_embeds gives first-step logits "
                                                                       "0.219 off the input_ids' (scale 0.288)", ON_5_24)}},
     "csm": {"xfail": {"generate_cache_consistent": _bug("step 1 logits with the cache differ from those without it (by 0.033, "
                                                         "scale 0.364)", ON_5_24)}},
     "patchtst": {"xfail": {"hidden_states": _bug(
         "PatchTSTEncoder.forward adds each layer's input to hidden_states, never the last layer's output "
         "(modeling_patchtst.py:727-739): they end with layer 0's output of 2, not the documented output of each layer",
         ON_5_24)}},
     "musicgen": {"xfail": {"missing_decoder_inputs": _bug(
         "without decoder inputs MusicgenForConditionalGeneration.forward derives them by encoding input_values with its "
         "audio encoder without checking that they were given: EncodecModel.forward raises TypeError: ones_like(): "
         "argument 'input' must be Tensor, not NoneType (modeling_musicgen.py:1545)", ON_5_24)}},
     "higgs_audio_v2": {"xfail": {
         "generate_cache_consistent": _bug("generate(use_cache=False) crashes: mat1 and mat2 shapes cannot be multiplied "
                                           "(2x288 and 32x32)", ON_5_24),
         "sampling_reproducible": _bug("generate(do_sample=True) crashes: probability tensor contains either inf, nan or "
                                       "element < 0", ON_5_24)}}},
]


# torch.export (issue 23, part A): the export records, measured on transformers 5.24.0 (hfguard/testing/export_records.py)
CHECK_EXCEPTIONS += [
    {name: {"xfail": {"torch_export_matches_eager": UpstreamBug(
        f"torch.export (non-strict) stops at its data-dependent control flow: {where}", ON_5_24, "transformers limitation")}}
     for name, where in export_records.DATA_DEPENDENT.items()},
    {name: {"xfail": {"torch_export_matches_eager": _bug(evidence, ON_5_24)}} for name, evidence in export_records.OTHER.items()},
]


# the interface checks of issue 23 part A (retain_grad_outputs, tuple_matches_dict, main_input_name, problem_type_losses,
# checkpointing_switch), measured on transformers 5.24.0
CHECK_EXCEPTIONS += [
    {"xlnet": {"off": {"retain_grad_outputs": (
        "it returns its hidden states and attentions as permuted contiguous copies of the tensors its layers use "
        "(modeling_xlnet.py:1189-1200), which no gradient reaches; transformers' XLNet tester skips "
        "test_retain_grad_hidden_states_attentions ('xlnet cannot keep gradients in attentions or hidden states')")}},
     "reformer": {"off": {"retain_grad_outputs": (
         "its reversible layers run without a graph and recompute activations in backward (modeling_reformer.py:1637-1708): "
         "the attentions it returns are not in the graph; transformers' Reformer tester skips "
         "test_retain_grad_hidden_states_attentions ('Reformer cannot keep gradients in attentions or hidden states')")}},
     "clvp": {"off": {"retain_grad_outputs": (
         "its speech decoder's logits reach the returned outputs only as argmax speech ids (modeling_clvp.py:1522): no "
         "returned prediction is differentiable in the decoder's hidden states")}},
     "wavlm": {"off": {"retain_grad_outputs": (
         "its attentions are the head-averaged weights torch's multi_head_attention_forward returns beside its output "
         "(modeling_wavlm.py:210-243): a side computation its output does not use")}}},
    dict.fromkeys(("grounding-dino", "mm-grounding-dino"), {"off": {"retain_grad_outputs": (
        "its decoder returns layer_norm(hidden_states) of each layer's input, a side copy the next layer does not use "
        "(modeling_grounding_dino.py:1697-1701, 'not through between layers'): no gradient reaches decoder_hidden_states")}}),
    {name: {"xfail": {"retain_grad_outputs": _bug(
        "with eager attention (to return attentions) its outputs hold inf where SDPA's are finite (the eager_matches_sdpa "
        "record): the backward gives non-finite gradients on hidden_states[0] and attentions[0]", ON_5_24)}}
     for name in ("nemotron3_5_asr", "nemotron_asr_streaming", "nemotron_asr_streaming_encoder")},
    {name: {"xfail": {"tuple_matches_dict": _bug(
        f"with output_hidden_states=True and return_dict=False its tuple leaves out reshaped_hidden_states (a tuple of 2, "
        f"the dict output's to_tuple() 3): {where} builds the encoder's tuple without them", ON_5_24)}}
     for name, where in (("donut-swin", "modeling_donut_swin.py:750"), ("focalnet", "modeling_focalnet.py:561"))},
    {"dpr": {"xfail": {"tuple_matches_dict": _bug(
        "with output_hidden_states=True and return_dict=False DPRQuestionEncoder returns (pooler_output,) only, the dict "
        "output also hidden_states: DPREncoder returns outputs[2:] of a BertModel without a pooler, whose tuple has "
        "hidden_states at 1 (modeling_dpr.py:149)", ON_5_24)}},
     "hgnet_v2": {"xfail": {"tuple_matches_dict": _bug(
         "with output_hidden_states=True and return_dict=False HGNetV2ForImageClassification returns (logits,) only, the "
         "dict output also hidden_states: it appends outputs[2:] of an encoder tuple (last_hidden_state, hidden_states) "
         "(modeling_hgnet_v2.py:483)", ON_5_24)}},
     "perceiver": {"xfail": {"tuple_matches_dict": _bug(
         "with output_attentions=True and return_dict=False its tuple is (logits, attentions, a tuple of 1 cross-attention, "
         "a tensor (2, 1, 1, 8)), the dict output's to_tuple() (logits, attentions, cross_attentions of 2): the "
         "cross-attentions are split", ON_5_24)}}},
    {name: {"xfail": {"tuple_matches_dict": _bug(
        "forward(labels=...) without attention_mask reads encoder_outputs.attention_mask.sum(-1), which is None "
        "(AttributeError; the training_step record)", ON_5_24)}}
     for name in _CTC_LENGTHS},
    {name: {"xfail": {"main_input_name": _bug(
        f"{cls}.main_input_name is 'input_ids', inherited from PreTrainedModel (modeling_utils.py:1099), but its forward "
        f"takes no input_ids: its first argument is {first!r}", ON_5_24)}}
     for name, cls, first in (
         ("blip_2_qformer", "Blip2QFormerModel", "query_embeds"),
         ("cohere_compass_vision", "CohereCompassVisionModel", "hidden_states"),
         ("exaone4_5_vision", "Exaone4_5_VisionModel", "hidden_states"), ("gemma4_vision", "Gemma4VisionModel", "pixel_values"),
         ("glm4v_moe_vision", "Glm4vMoeVisionModel", "hidden_states"), ("glm4v_vision", "Glm4vVisionModel", "hidden_states"),
         ("glm5_next_vision", "Glm5NextVisionModel", "hidden_states"), ("glm_ocr_vision", "GlmOcrVisionModel", "hidden_states"),
         ("granite_docling_vision", "GraniteDoclingVisionModel", "pixel_values"),
         ("idefics3_vision", "Idefics3VisionTransformer", "pixel_values"),
         ("kimi_k25_vision", "Kimi_K25VisionModel", "pixel_values"), ("lfm3_vl_vision", "Lfm3VlVisionModel", "pixel_values"),
         ("qwen2_5_vl_vision", "Qwen2_5_VisionTransformerPretrainedModel", "hidden_states"),
         ("qwen3_5_moe_vision", "Qwen3_5MoeVisionModel", "hidden_states"), ("qwen3_5_vision", "Qwen3_5VisionModel", "hidden_states"),
         ("qwen3_vl_moe_vision", "Qwen3VLMoeVisionModel", "hidden_states"), ("qwen3_vl_vision", "Qwen3VLVisionModel", "hidden_states"),
         ("qwen4_exp_vision", "Qwen4ExpVisionModel", "hidden_states"),
         ("smolvlm_vision", "SmolVLMVisionTransformer", "pixel_values"))},
    {"sam3_lite_text_text_model": {"xfail": {"main_input_name": _bug(
        "Sam3LiteTextTextModel.main_input_name is 'pixel_values', inherited from Sam3LiteTextPreTrainedModel "
        "(modeling_sam3_lite_text.py:346), but its forward's first argument is 'input_ids'", ON_5_24)}}},
    {name: {"xfail": {"main_input_name": _bug(
        f"{cls}.main_input_name is 'input_values', inherited from VibeVoiceAcousticTokenizerPreTrainedModel "
        "(modeling_vibevoice_acoustic_tokenizer.py:363), but its forward's first argument is 'hidden_states'", ON_5_24)}}
     for name, cls in (("vibevoice_acoustic_tokenizer_decoder", "VibeVoiceAcousticTokenizerDecoderModel"),
                       ("vibevoice_acoustic_tokenizer_encoder", "VibeVoiceAcousticTokenizerEncoderModel"))},
    {name: {"xfail": {"checkpointing_switch": _bug(f"{cls}.{_GRAD_CKPT_REFUSED}: none of its layers is a "
                                                   "GradientCheckpointingLayer", ON_5_24)}}
     for name, cls in (("gemma3n_audio", "Gemma3nAudioEncoder"), ("gemma4_audio", "Gemma4AudioModel"),
                       ("muse_spark_audio", "MuseSparkAudioModel"), ("sam3_lite_text_text_model", "Sam3LiteTextTextModel"))},
    {name: {"xfail": {"checkpointing_switch": _bug(
        f"{cls}.supports_gradient_checkpointing is True, but it is a backbone and a pooling only (its checkpointable "
        f"blocks are in the recognition head): enabling checkpointing sets its own flag, which its forward never reads "
        f"({where})", ON_5_24)}}
     for name, cls, where in (("pp_ocrv5_server_rec", "PPOCRV5ServerRecModel", "modeling_pp_ocrv5_server_rec.py:324"),
                              ("pp_ocrv6_small_rec", "PPOCRV6SmallRecModel", "modeling_pp_ocrv6_small_rec.py:328"))},
]


# issue 23 part A, loading and initialisation (init_weights_complete, init_weights_buffers, and the loading checks of a
# model that cannot load its own save), measured on transformers 5.24.0: "left as allocated" is what a real
# from_pretrained(None, config, state_dict={}) of the tiny model (or, for buffers, a meta build materialised by to_empty
# and init_weights()) leaves in the tensor, where __init__ gives the value in brackets
_LOGIT_SCALE = "never sets {cls}.logit_scale: loading without it leaves it as allocated ({got}; __init__ 2.6592)"
_XIELU = ("no _init_weights of it sets XIELUActivation's (activations.py:231) parameters alpha_p, alpha_n nor its buffers "
          "beta, eps (PreTrainedModel._init_weights, modeling_utils.py:2304, knows no such module): {got}")
_OWN_SAVE = {
    "gradium_phonon_tts": ("from_pretrained of its own save_pretrained raises: the checkpoint conversion's PermuteForRope "
                           "cannot view q_proj.weight (core_model_loading.py:486: shape '[4, 2, 2, 768]' is invalid for "
                           "input of size 16896), then 'We encountered some issues during automatic conversion of the "
                           "weights' (loading_report.py:311)"),
    "nemo_speechlm": ("from_pretrained of its own save_pretrained raises 'You set ignore_mismatched_sizes to False' "
                      "(loading_report.py:316): the saved q/k/v_proj of its word_timestamp_encoder and audio towers come "
                      "back as [27, 32] and [26, 32] against the model's [32, 32] and [16, 32]"),
}
CHECK_EXCEPTIONS += [
    {name: {"xfail": {"init_weights_complete": _bug(f"{owner} ({where}) " + _LOGIT_SCALE.format(cls=cls, got=got), ON_5_24)}}
     for name, owner, where, cls, got in (
         ("clip", "CLIPPreTrainedModel._init_weights", "modeling_clip.py:409", "CLIPModel", "1.33e+21, then 1.37e-25"),
         ("altclip", "AltCLIPPreTrainedModel._init_weights", "modeling_altclip.py:639", "AltCLIPModel", "5.55e-07"),
         ("blip", "BlipPreTrainedModel._init_weights", "modeling_blip.py:403", "BlipModel", "3.56e-07"),
         ("chinese_clip", "ChineseCLIPPreTrainedModel._init_weights", "modeling_chinese_clip.py:533", "ChineseCLIPModel",
          "-5.64e-21"),
         ("clipseg", "CLIPSegPreTrainedModel._init_weights", "modeling_clipseg.py:430", "CLIPSegModel", "3.56e-07"),
         ("vision-text-dual-encoder", "PreTrainedModel._init_weights", "modeling_utils.py:2304", "VisionTextDualEncoderModel",
          "3.56e-07"))},
    {"xclip": {"xfail": {"init_weights_complete": _bug(
        "XCLIPPreTrainedModel._init_weights (modeling_x_clip.py:435) never sets logit_scale nor prompts_generator.alpha: "
        "loading without them leaves them as allocated (0.0 and 0.0; __init__ 2.6592 and 0.1)", ON_5_24)}},
     "groupvit": {"xfail": {"init_weights_complete": _bug(
         "GroupViTPreTrainedModel._init_weights (modeling_groupvit.py:724) never sets logit_scale, the vision "
         "position_embeddings nor the stages' group_token: loading without them leaves them as allocated (logit_scale "
         "-0.0315, the others 1.6e-43, 1.4e-43; __init__ 2.6592 and zeros)", ON_5_24)}},
     # a head's bias of its own, tied to the decoder's: the decoder Linear's init reaches another tensor than the one kept
     "data2vec-text": {"xfail": {"init_weights_complete": _bug(
         "Data2VecTextPreTrainedModel._init_weights (modeling_data2vec_text.py:482) never sets lm_head.bias (tied to "
         "lm_head.decoder.bias): loading without it leaves it as allocated (3.56e-07, 4.6e-41, nan; __init__ zeros)", ON_5_24)}},
     "fnet": {"xfail": {"init_weights_complete": _bug(
         "FNetPreTrainedModel._init_weights (modeling_fnet.py:369) never sets cls.predictions.bias (tied to "
         "cls.predictions.decoder.bias): loading without it leaves it as allocated (3.56e-07, -3.03e+38; __init__ zeros)",
         ON_5_24)}},
     "nystromformer": {"xfail": {"init_weights_complete": _bug(
         "NystromformerPreTrainedModel._init_weights (modeling_nystromformer.py:403) never sets cls.predictions.bias (tied "
         "to cls.predictions.decoder.bias): loading without it leaves it as allocated (2.07e-27, 1.28e-26; __init__ zeros)",
         ON_5_24)}},
     "longformer": {"xfail": {"init_weights_complete": _bug(
         "no _init_weights of it sets lm_head.bias (tied to lm_head.decoder.bias; PreTrainedModel._init_weights, "
         "modeling_utils.py:2304): loading without it leaves it as allocated (7.0 after a freed tensor of 7.0, then "
         "-6.08e-05; __init__ zeros)", ON_5_24)}},
     "luke": {"xfail": {"init_weights_complete": _bug(
         "LukePreTrainedModel._init_weights (modeling_luke.py:769) never sets entity_predictions.bias: loading without it "
         "leaves it as allocated (-1.36e+38, -3.02e+38; __init__ zeros)", ON_5_24)}},
     "reformer": {"xfail": {"init_weights_complete": _bug(
         "ReformerPreTrainedModel._init_weights (modeling_reformer.py:1855) never sets lm_head.bias: loading without it "
         "leaves it as allocated (-0.0592, -0.0731, 1.4e-41; __init__ zeros)", ON_5_24)}},
     # Conv1D layers (pytorch_utils.Conv1D is no nn.Linear)
     "imagegpt": {"xfail": {"init_weights_complete": _bug(
         "ImageGPTPreTrainedModel._init_weights (modeling_imagegpt.py:367) never sets the Conv1D layers' weights and biases "
         "(attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj): loading without them leaves them as allocated (c_attn.weight "
         "3.56e-07, 7.3e-39; c_attn.bias -1.23e+38; __init__ normal std 0.02 and zeros)", ON_5_24)}},
     "openai-gpt": {"xfail": {"init_weights_complete": _bug(
         "OpenAIGPTPreTrainedModel._init_weights (modeling_openai.py:259) never sets the Conv1D layers' weights and biases "
         "(attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj): loading without them leaves them as allocated (c_attn.weight "
         "1.01e+18, 6.23e+22; c_proj.bias nan; __init__ normal std 0.02 and zeros)", ON_5_24)}},
     "levit": {"xfail": {"init_weights_complete": _bug(
         "LevitPreTrainedModel._init_weights (modeling_levit.py:475) never sets the attention layers' attention_biases: "
         "loading without them leaves them as allocated (0.0208, 3.56e-07, -1.14e+38; __init__ zeros)", ON_5_24)}},
     "regnet": {"xfail": {"init_weights_complete": _bug(
         "RegNetPreTrainedModel._init_weights (modeling_regnet.py:265) sets the convolutions' weights, never their "
         "biases: the squeeze-excitation convs' attention.0.bias and attention.2.bias stay as allocated (1.4e-45, "
         "-0.0285, -2.68e+38; __init__ torch's uniform init, -0.0414, 0.253)", ON_5_24)}},
     "pe_audio": {"xfail": {"init_weights_complete": _bug(
         "PeAudioPreTrainedModel._init_weights (modeling_pe_audio.py:512) never sets text_audio_logit_scale nor "
         "text_audio_logit_bias: loading without them leaves them as allocated (-1.24e+38; __init__ 0.0)", ON_5_24)}},
     **{name: {"xfail": {"init_weights_complete": _bug(
         "Sam3LiteTextPreTrainedModel._init_weights (modeling_sam3_lite_text.py:354) never sets the layers' layer_scale "
         "nor token_mixer.layer_scale: loading without them leaves them as allocated (-7.4e-04, 8.97e-44, nan; __init__ "
         "1e-05)", ON_5_24)}} for name in ("sam3_lite_text", "sam3_lite_text_text_model")},
     "sew-d": {"xfail": {"init_weights_complete": _bug(
         "SEWDPreTrainedModel._init_weights (modeling_sew_d.py:1137) never sets masked_spec_embed: loading without it "
         "leaves it as allocated (0.0, 1.4e-45; __init__ uniform, 0.553)", ON_5_24)}},
     "moonshine_streaming": {"xfail": {"init_weights_complete": _bug(
         "MoonshineStreamingPreTrainedModel._init_weights (modeling_moonshine_streaming.py:343) sets the layer norms' "
         "gamma only and never the encoder embedder's comp.log_k (a Parameter, log(k_init), :86): loading without it "
         "leaves it as allocated (7.67e+21, 7.83e+21; __init__ -0.288)", ON_5_24)}},
     "timesformer": {"xfail": {"init_weights_complete": _bug(
         "TimesformerPreTrainedModel._init_weights (modeling_timesformer.py:450) never sets embeddings.time_embeddings: "
         "loading without it leaves it as allocated (4.2e-22, 5.4e-22; __init__ zeros)", ON_5_24)}},
     "vilt": {"xfail": {"init_weights_complete": _bug(
         "ViltPreTrainedModel._init_weights (modeling_vilt.py:503) never sets embeddings.cls_token nor "
         "embeddings.position_embeddings: loading without them leaves them as allocated (3.56e-07, 4.6e-41; __init__ "
         "zeros)", ON_5_24)}},
     "vit_mae": {"xfail": {"init_weights_complete": _bug(
         "ViTMAEPreTrainedModel._init_weights (modeling_vit_mae.py:602) never sets embeddings.cls_token nor "
         "embeddings.position_embeddings: loading without them leaves them as allocated (2.8e-45, 3.56e-07; __init__ "
         "zeros)", ON_5_24)}},
     "yolos": {"xfail": {"init_weights_complete": _bug(
         "no _init_weights of it sets embeddings.cls_token, detection_tokens, position_embeddings nor "
         "encoder.interpolation.mid_position_embeddings (PreTrainedModel._init_weights, modeling_utils.py:2304): loading "
         "without them leaves them as allocated (1.5e-08, 4.5e-44, 5.6e-44; __init__ zeros)", ON_5_24)}},
     "diffusion_gemma": {"xfail": dict.fromkeys(("init_weights_complete", "init_weights_buffers"), _bug(
         "DiffusionGemmaPreTrainedModel._init_weights (modeling_diffusion_gemma.py:856) sets layer_scalar of "
         "DiffusionGemmaDecoderTextLayer only, not of DiffusionGemmaEncoderTextLayer (:606): the encoder layers' "
         "layer_scalar buffer stays as allocated (nan, -9.5e+37 after a load; 9.35e+31 after a meta build and "
         "init_weights(); __init__ 1.0)", ON_5_24))}},
    {name: {"xfail": dict.fromkeys(("init_weights_complete", "init_weights_buffers"), _bug(_XIELU.format(got=got), ON_5_24))}
     for name, got in (
         ("apertus", ("loading without them leaves alpha_p 0.0, -1.37e+38 (__init__ 0.2034); a meta build and "
                      "init_weights() leave beta 1.7e-18 and eps 2.08e+13 (0.5 and -1e-06)")),
         ("apertus1p5", ("loading without them leaves alpha_p 1.1e-41 (__init__ 0.2034); a meta build and "
                         "init_weights() leave beta 2.08e+13 (0.5)")),
         ("apertus1p5_text", ("loading without them leaves alpha_n nan (__init__ -1.0502); a meta build and "
                              "init_weights() leave beta and eps 1.87e+32 (0.5 and -1e-06)")))},
    {name: {"xfail": dict.fromkeys(checks, _bug(_OWN_SAVE[name], ON_5_24))} for name, checks in (
        ("gradium_phonon_tts", ("attn_implementation_on_load", "dtype_on_load", "missing_keys_reported", "state_dict_round_trip")),
        ("nemo_speechlm", ("attn_implementation_on_load", "dtype_on_load", "missing_keys_reported", "state_dict_round_trip",
                           "untied_save_load")))},
]


CHECK_EXCEPTIONS += [
    # configuration and embeddings (config_round_trip, attn_implementation_switch, input_embeddings_get_set, resize_*)
    {"pvt": {"xfail": {"config_round_trip": _bug(
        "PvtConfig declares num_labels as a field (configuration_pvt.py:80), hiding PreTrainedConfig's num_labels property "
        "that fills id2label/label2id (configuration_utils.py:567): PvtConfig(num_labels=5).id2label is None", ON_5_24)}},
     "fsmt": {"xfail": {
         "input_embeddings_get_set": _bug(
             "FSMTForConditionalGeneration.get_output_embeddings gives the decoder's input nn.Embedding "
             "(modeling_fsmt.py:1045-1046), not decoder.output_projection, the nn.Linear that computes the logits "
             "(modeling_fsmt.py:643)", ON_5_24),
         "resize_token_embeddings": _bug(
             "resize_token_embeddings(109) resizes the encoder's and the decoder's nn.Embedding (get_output_embeddings "
             "gives decoder.embed_tokens, modeling_fsmt.py:1046) and sets tgt_vocab_size 109, but leaves "
             "decoder.output_projection at 99 rows and src_vocab_size at 99: the logits keep 99 columns", ON_5_24)}},
     "esm": {"xfail": dict.fromkeys(("resize_token_embeddings", "resize_embeddings_untied"), _bug(
         "EsmLMHead adds its own bias Parameter of vocab_size entries (modeling_esm.py:868) that resizing leaves alone: "
         "after resize_token_embeddings(43) the forward raises RuntimeError: The size of tensor a (43) must match the "
         "size of tensor b (33) (modeling_esm.py:876)", ON_5_24))},
     "mobilebert": {"xfail": {"resize_token_embeddings": _bug(
         "MobileBertForMaskedLM.resize_token_embeddings(new_num_tokens) (modeling_mobilebert.py:781) drops "
         "PreTrainedModel's pad_to_multiple_of and mean_resizing: TypeError: unexpected keyword argument "
         "'pad_to_multiple_of'", ON_5_24)}},
     "blt": {"xfail": {"resize_token_embeddings": _bug(
         "resize_token_embeddings(+10) leaves BltPatcher.embed_tokens (modeling_blt.py:861) at vocab_size rows: a new "
         "token id raises IndexError: index out of range in self (modeling_blt.py:889)", ON_5_24)}},
     "deepseek_v4": {"xfail": {"resize_token_embeddings": _bug(
         "resize_token_embeddings(+10) leaves the hash-routed MoE layers' tid2eid buffer (vocab_size rows, "
         "modeling_deepseek_v4.py:1115) at the old size: a new token id raises IndexError: index 108 is out of bounds "
         "for dimension 0 with size 99 (modeling_deepseek_v4.py:1123)", ON_5_24)}},
     "pegasus_x": {"xfail": {"resize_position_embeddings": _bug(
         "PegasusXForConditionalGeneration.get_position_embeddings (modeling_pegasus_x.py:1253) calls "
         "PegasusXDecoder.get_position_embeddings, which PegasusXDecoder does not implement: NotImplementedError", ON_5_24)}}},
]


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = {**merged.get(key, {}), **value} if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
    return merged


for _table in CHECK_EXCEPTIONS:
    for _name, _extra in _table.items():
        OVERRIDES[_name] = _merged(OVERRIDES.get(_name, {}), _extra)


def config_overrides(model_type: str) -> dict[str, Any]:
    """Tiny-config overrides of ``model_type`` (without the reserved keys)."""
    return {k: v for k, v in OVERRIDES.get(model_type, {}).items() if k not in RESERVED}


def known_issue(model_type: str) -> dict[str, str]:
    """The ``needs`` / ``skip`` data of ``model_type``."""
    return {k: v for k, v in OVERRIDES.get(model_type, {}).items() if k in ("needs", "skip")}


def expected_failure(model_type: str, check_id: str) -> UpstreamBug | str | None:
    """The recorded upstream bug that makes ``check_id`` fail for ``model_type``, or None."""
    xfail = OVERRIDES.get(model_type, {}).get("xfail")
    return xfail.get(check_id) if isinstance(xfail, dict) else xfail


def check_exception(model_type: str, check_id: str) -> str | None:
    """Why ``check_id`` does not apply to ``model_type`` (the ``off`` data), or None."""
    return OVERRIDES.get(model_type, {}).get("off", {}).get(check_id)


def unused_parameters(model_type: str) -> dict[str, str]:
    """Regexes of the trainable parameters of ``model_type`` its training forward does not reach, with the reason."""
    return dict(OVERRIDES.get(model_type, {}).get("unused_parameters", {}))


def input_hints(model_type: str) -> dict[str, Any]:
    """Hints for the synthetic inputs of ``model_type``."""
    return dict(OVERRIDES.get(model_type, {}).get("inputs", {}))
