"""Output and input contracts: exact output shapes per family and task, finite outputs, and the refusals a
model owes bad inputs (a wrong channel count, missing decoder inputs)."""

from __future__ import annotations

from typing import Any

from hfguard.testing import capabilities, synth
from hfguard.testing.checks.registry import check
from hfguard.testing.overrides import input_hints
from hfguard.testing.shrink import first_line
from hfguard.testing.tensors import CheckFailure, assert_finite, main_output, named_tensors

LM_TASKS = ("causal-lm", "masked-lm", "seq-to-seq-causal-lm", "image-text-to-text", "multimodal-lm", "speech-seq-2-seq")
CLASSIFICATION = ("sequence-classification", "image-classification", "audio-classification", "video-classification")
SEGMENTATION = ("semantic-segmentation",)


@check()
def output_shapes(case: Any, model: Any) -> None:
    inputs = case.inputs(model)
    output = case.reference(model)
    name, main = main_output(output)
    subject = f"{case.model_type}: {name} {tuple(main.shape) if main is not None else ''}"
    if main is None:
        raise CheckFailure(f"{case.model_type}: forward returned no tensor")
    batch = case.batch_size()
    hints = input_hints(case.model_type)
    if hints.get("packed_output", False):  # one sequence: each image's tokens in turn
        packed = one_sequence(main)
        if packed.shape[0] != 1 or packed.shape[1] % batch:
            raise CheckFailure(f"{subject} is not one sequence of {batch} samples' tokens")
    elif not _batch_first(main, inputs, batch, case.family):
        raise CheckFailure(f"{subject}: no batch axis of {batch} samples")
    config = model.config
    _pairs_match(case, output)
    dims = hints.get("logits_dims")  # the config attributes sizing logits that are not over a vocabulary
    logits = getattr(output, "logits", None)
    if logits is main and case.task in SEGMENTATION and main.dim() == 4:
        if main.shape[1] != config.num_labels:
            raise CheckFailure(f"{subject}: axis 1 is not the {config.num_labels} labels")
    elif dims is not None:
        _expect(subject, main, (batch, *(getattr(config, attr) for attr in dims)), f"(batch, {', '.join(dims)})")
    elif case.task in LM_TASKS and logits is not None and logits is main:
        vocab = synth.vocab_size(config)
        if main.shape[-1] != vocab:
            raise CheckFailure(f"{subject}: last axis is not the vocabulary ({vocab})")
        _one_per_token(subject, main, inputs)
    elif case.task == "ctc" and logits is main:  # one distribution over the vocabulary per audio frame
        if main.dim() != 3 or main.shape[-1] != config.vocab_size:
            raise CheckFailure(f"{subject}: not (batch, frames, vocabulary {config.vocab_size})")
        frames = _feature_frames(model, inputs)
        if frames is None:
            _follows_last_hidden_state(case, model, name, main)
        elif main.shape[1] != frames:
            raise CheckFailure(f"{subject}: {main.shape[1]} frames, not the {frames} of its feature extractor")
    elif name == "output.waveform" and (hop := _vocoder_hop(config)) and \
            (spectrogram := getattr(output, "spectrogram", None)) is not None:
        frames = spectrogram.shape[1:]  # (frames, bins) or (bins, frames): the vocoder makes hop samples per frame
        if main.shape[-1] not in {hop * count for count in frames}:
            raise CheckFailure(f"{subject}: not {hop} samples per spectrogram frame of {tuple(spectrogram.shape)}")
    elif case.task == "depth-estimation" and main.dim() == 3 and "pixel_values" in inputs:
        height, width = inputs["pixel_values"].shape[-2:]
        if main.shape[1] * width != main.shape[2] * height:  # the depth map keeps the image's aspect ratio
            raise CheckFailure(f"{subject}: not the {height} x {width} image's aspect ratio")
    elif logits is main and main.dim() == 3 and isinstance(getattr(config, "num_queries", None), int) and "detection" in (case.task or ""):
        if main.shape[1] != config.num_queries:
            raise CheckFailure(f"{subject}: axis 1 is not the {config.num_queries} object queries")
    elif case.task in CLASSIFICATION and logits is main:
        queries = hints.get("pooling_queries")  # an attention-pooling head may keep its query axis
        expected = (batch, config.num_labels) if queries is None else (batch, queries, config.num_labels)
        _expect(subject, main, expected, "(batch, num_labels)")
    elif case.task == "token-classification" and logits is main:
        _expect(subject, main, (*inputs["input_ids"].shape, config.num_labels), "(batch, tokens, num_labels)")
    elif case.family in ("encoder-only", "decoder-only") and getattr(output, "last_hidden_state", None) is main:
        # one state per token, or per embedding of models fed embeddings (a Q-Former's queries)
        positions = inputs["input_ids"].shape if "input_ids" in inputs else \
            next(v.shape[:2] for k, v in inputs.items() if k.endswith("embeds"))
        if tuple(main.shape[:2]) != tuple(positions):
            raise CheckFailure(f"{subject}: not one state per position {tuple(positions)}")
    else:  # no rule of the task: token logits keep the tokens; a last hidden state, the final hidden state's positions
        if main.dim() == 2 and main.shape[0] != batch and main.shape[-1] not in declared_sizes(config):
            raise CheckFailure(f"{subject}: its rows pack the samples' tokens, and {main.shape[-1]} is no width its config declares")
        if logits is main and main.dim() == 3 and main.shape[-1] == synth.vocab_size(config):
            prefix = sum(inputs[part].shape[1] if part in inputs else getattr(config, part)
                         for part in hints.get("logits_prefix", ()))  # conditioning positions a decoder prepends
            _one_per_token(subject, main, inputs, prefix, same_rows_only=True)
        _follows_last_hidden_state(case, model, name, main)


_PAIRS = (("logits_per_image", "logits_per_text", "image_embeds", "text_embeds"),
          ("logits_per_video", "logits_per_text", "video_embeds", "text_embeds"),
          ("logits_per_audio", "logits_per_text", "audio_embeds", "text_embeds"))


def _pairs_match(case: Any, output: Any) -> None:
    """A contrastive model's similarity logits are (its media, its texts) one way and the transpose the other, one row
    per media embedding and one column per text embedding."""
    for media, text, media_embeds, text_embeds in _PAIRS:
        forward, backward = (output.get(key) if isinstance(output, dict) else None for key in (media, text))
        if not hasattr(forward, "shape") or not hasattr(backward, "shape") or forward.dim() != 2:
            continue
        expected = tuple(backward.shape[::-1])
        rows = [getattr(output.get(key), "shape", (None,))[0] for key in (media_embeds, text_embeds)]
        if tuple(forward.shape) != expected or all(rows) and tuple(forward.shape) != tuple(rows):
            raise CheckFailure(f"{case.model_type}: output.{media} {tuple(forward.shape)} is not the transpose of output.{text} "
                               f"{tuple(backward.shape)}, (its {media_embeds}, its {text_embeds}) = {tuple(rows)}")


def declared_sizes(config: Any) -> set[int]:
    """Every positive integer the config and its sub-configs declare (alone or in lists): the sizes an axis that does
    not follow the inputs can have."""
    values = config.to_dict() if hasattr(config, "to_dict") else dict(config)
    found: set[int] = set()
    for value in values.values():
        items = value if isinstance(value, list) else [value]
        found |= {v for v in items if isinstance(v, int) and not isinstance(v, bool) and v > 0}
        if isinstance(value, dict):
            found |= declared_sizes(value)
    return found


def _one_per_token(subject: str, logits: Any, inputs: dict[str, Any], prefix: int = 0, same_rows_only: bool = False) -> None:
    """Logits over a vocabulary have one position per (decoder) input token, after the ``prefix`` positions of a
    conditioning the decoder prepends. Language-model logits always; other heads' (``same_rows_only``) where their
    rows are the rows of the ids."""
    ids = inputs.get("decoder_input_ids", inputs.get("input_ids"))
    if ids is None or logits.dim() != 3 or ids.dim() != 2 or same_rows_only and ids.shape[0] != logits.shape[0]:
        return
    if logits.shape[1] != prefix + ids.shape[1]:
        conditioning = f"{prefix} conditioning + " if prefix else ""
        raise CheckFailure(f"{subject}: {logits.shape[1]} positions for {conditioning}{ids.shape[1]} tokens")


def _vocoder_hop(config: Any) -> int | None:
    """Samples per spectrogram frame of a HiFi-GAN style vocoder: the product of its upsample rates."""
    import math

    for owner in (config, getattr(config, "vocoder_config", None)):
        rates = getattr(owner, "upsample_rates", None)
        if rates:
            return math.prod(rates)
    return None


def _feature_frames(model: Any, inputs: dict[str, Any]) -> int | None:
    """The frames a waveform model's convolutional feature extractor makes of its inputs, where it says so."""
    import torch

    lengths = getattr(model, "_get_feat_extract_output_lengths", None)
    values = inputs.get("input_values")
    if lengths is None or values is None:
        return None
    return int(lengths(torch.tensor(values.shape[-1])))


def _follows_last_hidden_state(case: Any, model: Any, name: str, main: Any) -> None:
    """A model's last hidden state (an encoder's too), or its frame logits, have the batch and axis 1 (positions, or
    channels) of the final state of the matching ``output_hidden_states``."""
    from hfguard.testing.checks.outputs import hidden_forward, per_layer

    frame_logits = case.task == "ctc" and name == "output.logits"  # CTC logits without a frame count of their own
    if not (name.endswith("last_hidden_state") or frame_logits) or main.dim() != 3 \
            or capabilities.records_outputs("hidden_states")(case, model):
        return  # (batch, positions, width) only: feature maps come channels first or last
    groups = per_layer(hidden_forward(case, model), "hidden_states")
    matching = name.replace("last_hidden_state", "hidden_states")  # output.encoder_last_hidden_state: encoder_hidden_states
    finals = ([states[-1] for group, states in groups.items() if group == matching] or [states[-1] for states in groups.values()])[:1]
    finals = [final for final in finals if hasattr(final, "dim") and final.dim() == main.dim()]  # one tensor per layer
    if finals and not any(tuple(final.shape[:2]) == tuple(main.shape[:2]) for final in finals):
        shapes = ", ".join(str(tuple(final.shape)) for final in finals)
        raise CheckFailure(f"{case.model_type}: {name} {tuple(main.shape)} has other positions than the final hidden state {shapes}")


@check()
def outputs_finite(case: Any, model: Any) -> None:
    inputs = case.inputs(model)
    output = case.reference(model)
    padded = input_hints(case.model_type).get("neg_inf_padded_to")
    padded_width = getattr(model.config, padded) if padded else None
    for name, tensor in named_tensors(output):
        if not tensor.is_floating_point():
            continue
        if padded_width is not None and tensor.shape[-1] == padded_width:
            text = inputs["input_ids"].shape[-1]
            if not tensor[..., text:].isneginf().all():
                raise CheckFailure(f"{case.model_type}: {name} is not -inf beyond the {text} text tokens")
            tensor = tensor[..., :text]
        assert_finite(tensor, f"{case.model_type}: {name}")


@check(applies=capabilities.reads_images)
def rejects_wrong_channel_count(case: Any, model: Any) -> None:
    import torch

    inputs = case.inputs(model)
    pixels = inputs["pixel_values"]
    if input_hints(case.model_type).get("reads_first_channel"):
        _reads_first_channel_only(case, model, inputs)
        return
    extra = pixels.shape[-3] + 1
    wrong = torch.cat([pixels, pixels[..., :1, :, :]], dim=-3)  # the same images (or patches) with one channel more
    try:
        case.forward(model, dict(inputs, pixel_values=wrong))
    except (ValueError, RuntimeError, torch.OutOfMemoryError):
        return
    raise CheckFailure(f"{case.model_type}: images of {extra} channels were accepted (expected {extra - 1})")


def _reads_first_channel_only(case: Any, model: Any, inputs: dict[str, Any]) -> None:
    """Grayscale models (an ``inputs.reads_first_channel`` hint) take any channel count by design and read
    channel 0 only: other values in the other channels, plus one more channel, give the same outputs."""
    import torch

    from hfguard.testing.tensors import assert_close, floating

    pixels = inputs["pixel_values"]
    other = torch.cat([pixels[..., :1, :, :], torch.randn_like(pixels, generator=synth.generator(9))], dim=-3)
    expected = floating(case.reference(model))
    actual = floating(case.forward(model, dict(inputs, pixel_values=other)))
    for name, tensor in expected.items():
        assert_close(actual[name], tensor, f"{case.model_type}: {name} reads channels beyond the first", rel=0.0)


@check(applies=capabilities.has_decoder_inputs)
def missing_decoder_inputs(case: Any, model: Any) -> None:
    inputs = {k: v for k, v in case.inputs(model).items() if not k.startswith("decoder_")}
    try:
        output = case.forward(model, inputs)
    except ValueError:
        return
    except (TypeError, AttributeError, RuntimeError, IndexError) as error:  # a crash, not a check
        raise CheckFailure(f"{case.model_type}: cryptic error without decoder inputs: {first_line(error)}") from None
    main = main_output(output)[1]
    rows = main.shape[0] if main is not None else None
    if rows not in (case.batch_size(), codebook_rows(case.inputs(model))):
        raise CheckFailure(f"{case.model_type}: without decoder inputs the output has {rows} rows for {case.batch_size()} samples")


def _batch_first(main: Any, inputs: dict[str, Any], batch: int, family: str) -> bool:
    """The output leads with the batch: directly, as (batch x codebooks) rows, or after codec chunks."""
    if main.dim() == 0:
        return False
    rows = main.shape[0]
    if rows == batch or batch in tuple(main.shape[1:2]) and family in ("speech", "text-to-audio"):  # codecs: chunks first
        return True
    packed = inputs.keys() & {"pixel_position_ids", "grid_thw", "image_grid_thw"}  # all images' patches in one sequence
    folded = rows % batch == 0 and (family == "text-to-audio" or bool(packed))  # rows per sample
    return folded or rows == codebook_rows(inputs)


def _expect(subject: str, main: Any, expected: tuple[int, ...], meaning: str) -> None:
    if tuple(main.shape) != tuple(expected):
        raise CheckFailure(f"{subject} is not {meaning} = {tuple(expected)}")


def one_sequence(packed: Any) -> Any:
    """A packed output as one sequence ``(1, tokens, width)``; some models return it without that leading axis."""
    return packed.unsqueeze(0) if packed.dim() == 2 else packed


def codebook_rows(inputs: dict[str, Any]) -> int | None:
    """batch x codebooks when the decoder inputs carry a codebook axis ``(batch, seq, codebooks)``: such
    decoders may fold the codebooks into the rows of their logits (Dia), else None."""
    ids = inputs.get("decoder_input_ids")
    return ids.shape[0] * ids.shape[-1] if ids is not None and ids.dim() == 3 else None
