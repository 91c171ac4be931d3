"""``ModelCase``: what a generated test file builds from literals, and the shared assertions."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hfguard.testing import synth
from hfguard.testing.inputs import make_inputs
from hfguard.testing.overrides import input_hints, known_issue
from hfguard.testing.shrink import MAX_PARAMETERS, ConfigBuildError, count_parameters, first_line, tiny_config

HUB_ENV = "HFGUARD_HUB_TESTS"
TIMEOUT_ENV = "HFGUARD_TEST_TIMEOUT"
NEW_TOKENS = 3
_MISSING_PACKAGE = re.compile(r"requires the (\S+) librar|No module named '([^']+)'|pip install (\S+)", re.I)
_LM_TASKS = ("causal-lm", "masked-lm", "seq-to-seq-causal-lm", "image-text-to-text", "multimodal-lm", "speech-seq-2-seq")
_CLASSIFICATION = ("sequence-classification", "image-classification", "audio-classification", "video-classification")


class TestTimeout(Exception):
    """A tiny model took longer than the per-test deadline."""


@contextlib.contextmanager
def deadline(seconds: int | None = None) -> Iterator[None]:
    """Raise ``TestTimeout`` after ``seconds`` (env ``HFGUARD_TEST_TIMEOUT``, default 120); main thread only."""
    seconds = seconds or int(os.environ.get(TIMEOUT_ENV, "120"))
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TestTimeout(f"no result within {seconds}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def hub_tests_enabled() -> bool:
    """Opt-in hub tests run only with ``HFGUARD_HUB_TESTS=1``."""
    return os.environ.get(HUB_ENV) == "1"


@dataclass
class ModelCase:
    """One model type's tiny test subject, built from the literals of a generated file."""

    model_type: str
    family: str
    task: str | None
    config_class: str
    model_class: str
    tiny: dict[str, Any] = field(default_factory=dict)
    _inputs: dict[int, dict[str, Any]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def known_issues(self) -> list[Any]:
        """pytest marks from the overrides table: missing ``needs`` package, ``skip``, ``xfail``."""
        import pytest

        issue = known_issue(self.model_type)
        marks = []
        if "needs" in issue and importlib.util.find_spec(issue["needs"]) is None:
            marks.append(pytest.mark.skip(reason=f"needs the optional package '{issue['needs']}'"))
        if "skip" in issue:
            marks.append(pytest.mark.skip(reason=issue["skip"]))
        if "xfail" in issue:
            marks.append(pytest.mark.xfail(reason=issue["xfail"], strict=False))
        return marks

    def config(self) -> Any:
        """The tiny config (a clear failure naming the model type when it cannot be built)."""
        import pytest

        try:
            return tiny_config(self.config_class, self.model_type, self.tiny)
        except ConfigBuildError as error:
            pytest.fail(f"unbuildable tiny config: {error}", pytrace=False)

    def build(self) -> Any:
        """The tiny random-weight model in eval mode, seeded; skips when an optional package is missing."""
        import pytest
        import torch
        import transformers

        config = self.config()
        with deadline():
            try:
                model_class = getattr(transformers, self.model_class)
                size = count_parameters(model_class, config)
                if size > MAX_PARAMETERS:
                    pytest.fail(f"{self.model_type}: tiny config still has {size:,} parameters", pytrace=False)
                torch.manual_seed(0)
                model = model_class(config)
                _wake_zero_matrices(model)
            except ImportError as error:
                missing = _MISSING_PACKAGE.search(str(error))
                name = next((g for g in missing.groups() if g), "?") if missing else "?"
                pytest.skip(f"{self.model_type} needs an optional package ({name}): {first_line(error)}")
        return model.eval()

    def inputs(self, model: Any) -> dict[str, Any]:
        """The family's synthetic inputs for ``model`` (deterministic; fresh tensors on every call)."""
        if id(model) not in self._inputs:
            hints = input_hints(self.model_type)
            with deadline():
                inputs = make_inputs(model, self.family, hints, self.task)
            batch = hints.get("batch")  # a model that runs only this many samples at once (a transformers bug)
            self._inputs[id(model)] = inputs if batch is None else {k: v[:batch] if hasattr(v, "shape") else v
                                                                    for k, v in inputs.items()}
        return {k: v.clone() if hasattr(v, "clone") else v for k, v in self._inputs[id(model)].items()}

    def forward(self, model: Any, inputs: dict[str, Any] | None = None) -> Any:
        """One forward pass under ``torch.no_grad()``, seeded (models that sample, e.g. masking, repeat)."""
        import torch

        inputs = inputs if inputs is not None else self.inputs(model)
        torch.manual_seed(0)
        with deadline(), torch.no_grad():
            return model(**inputs)

    # shared assertions -------------------------------------------------------------------

    def assert_forward_shapes(self, model: Any) -> None:
        """The main output has the batch size and the sizes the config and task imply."""
        inputs = self.inputs(model)
        output = self.forward(model, inputs)
        main = _main_tensor(output)
        assert main is not None, f"{self.model_type}: forward returned no tensor"
        folded = self.family == "text-to-audio" and main.shape[0] % synth.BATCH == 0  # (batch x codebooks) rows
        folded |= "pixel_position_ids" in inputs and main.shape[0] % synth.BATCH == 0  # pooled tokens of all images packed
        folded |= main.shape[0] == _codebook_rows(inputs)
        hints = input_hints(self.model_type)
        batch = hints.get("batch", synth.BATCH)
        batched = batch in tuple(main.shape[:2])  # codecs put chunks before the batch
        packed = hints.get("packed_output", False)  # one sequence: each image's tokens in turn
        main = _one_sequence(main) if packed else main
        assert not packed or main.shape[0] == 1 and main.shape[1] % synth.BATCH == 0, (
            f"{self.model_type}: packed output {tuple(main.shape)} is not one sequence of {synth.BATCH} images' tokens"
        )
        assert packed or batched or folded or _first_input(inputs).shape[0] != batch, (
            f"{self.model_type}: output batch {tuple(main.shape)} does not match input batch {batch}"
        )
        config = model.config
        dims = hints.get("logits_dims")  # the config attributes sizing logits that are not over a vocabulary
        if dims is not None:
            expected = (synth.BATCH, *(getattr(config, name) for name in dims))
            assert tuple(output.logits.shape) == expected, f"logits {tuple(output.logits.shape)} vs {expected} {dims}"
        elif self.task in _LM_TASKS and getattr(output, "logits", None) is not None:
            vocab = synth.vocab_size(config)
            assert output.logits.shape[-1] == vocab, f"logits {tuple(output.logits.shape)} vs vocab {vocab}"
            ids = inputs.get("decoder_input_ids", inputs.get("input_ids"))
            if ids is not None and output.logits.dim() == 3:  # models may expand media placeholders themselves
                assert output.logits.shape[1] >= ids.shape[1], f"logits {tuple(output.logits.shape)} vs ids {tuple(ids.shape)}"
        elif self.task in _CLASSIFICATION:
            queries = hints.get("pooling_queries")  # an attention-pooling head may keep its query axis
            expected = (synth.BATCH, config.num_labels) if queries is None else (synth.BATCH, queries, config.num_labels)
            assert tuple(output.logits.shape) == expected, f"logits {tuple(output.logits.shape)} vs {expected}"
        elif self.task == "token-classification":
            assert tuple(output.logits.shape) == (*inputs["input_ids"].shape, config.num_labels)
        elif self.family in ("encoder-only", "decoder-only") and getattr(output, "last_hidden_state", None) is not None:
            hidden = output.last_hidden_state
            # one state per token, or per embedding of models fed embeddings (a Q-Former's queries)
            positions = inputs["input_ids"].shape if "input_ids" in inputs else \
                next(v.shape[:2] for k, v in inputs.items() if k.endswith("embeds"))
            assert tuple(hidden.shape[:2]) == tuple(positions), f"hidden {tuple(hidden.shape)} vs {tuple(positions)}"

    def assert_finite(self, model: Any) -> None:
        """Every floating output is finite, except a documented -inf padding of text-token logits (an
        ``inputs.neg_inf_padded_to`` hint names the config field they are padded to): exactly -inf beyond the text."""
        inputs = self.inputs(model)
        output = self.forward(model, inputs)
        padded = input_hints(self.model_type).get("neg_inf_padded_to")
        padded_width = getattr(model.config, padded) if padded else None
        for name, tensor in _tensors(output):
            if tensor.is_floating_point():
                if padded_width is not None and tensor.shape[-1] == padded_width:
                    text = inputs["input_ids"].shape[-1]
                    assert tensor[..., text:].isneginf().all(), f"{self.model_type}: {name} is not -inf beyond the text"
                    tensor = tensor[..., :text]
                assert tensor.isfinite().all(), f"{self.model_type}: non-finite values in {name}"

    def assert_deterministic(self, model: Any) -> None:
        """Two runs on the same inputs give the same outputs."""
        import torch

        inputs = self.inputs(model)
        first, second = dict(_tensors(self.forward(model, inputs))), dict(_tensors(self.forward(model, inputs)))
        assert first.keys() == second.keys()
        for name, tensor in first.items():
            if tensor.is_floating_point():
                torch.testing.assert_close(tensor, second[name], msg=lambda m, n=name: f"{n} differs between runs: {m}")

    def assert_generates(self, model: Any) -> None:
        """Greedy ``generate`` adds exactly the requested new tokens (pad set from eos when missing)."""
        import pytest

        if not model.can_generate():
            pytest.skip(f"{self.model_class} has no generate()")
        inputs = self.inputs(model)
        config = model.generation_config
        pad = config.pad_token_id if config.pad_token_id is not None else config.eos_token_id
        pad = pad[0] if isinstance(pad, list) else pad
        with deadline():
            out = model.generate(**inputs, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False,
                                 pad_token_id=pad)
        sequences = getattr(out, "sequences", out)
        # block-diffusion models add whole blocks (their decoder input is the canvas, not a prompt)
        block = input_hints(self.model_type).get("generation_block")  # the config attribute sizing a block
        size = getattr(model.config, block) if block else 1
        # encoder-decoders continue the decoder prompt
        prompt = inputs["input_ids"] if block else inputs.get("decoder_input_ids", inputs["input_ids"])
        new = -(-NEW_TOKENS // size) * size
        assert tuple(sequences.shape) == (prompt.shape[0], prompt.shape[1] + new), tuple(sequences.shape)
        assert (sequences[:, : prompt.shape[1]] == prompt).all(), "generate() changed the prompt"

    def assert_decoder_starts(self, model: Any) -> None:
        """Encoder-decoder ``generate`` starts from the decoder start token and grows by the new tokens."""
        import pytest

        if not model.can_generate():
            pytest.skip(f"{self.model_class} has no generate()")
        inputs = {k: v for k, v in self.inputs(model).items() if not k.startswith("decoder_")}
        start = model.generation_config.decoder_start_token_id
        start = synth.decoder_start(model.config) if start is None else start
        with deadline():
            out = model.generate(**inputs, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False,
                                 decoder_start_token_id=start)
        sequences = getattr(out, "sequences", out)
        assert sequences.shape[0] == synth.BATCH and sequences.shape[1] <= NEW_TOKENS + 1 + 4
        assert (sequences[:, 0] == start).all(), f"decoder did not start from {start}: {sequences[:, 0].tolist()}"

    def assert_missing_decoder_inputs(self, model: Any) -> None:
        """Without decoder inputs, a model derives them or refuses with a deliberate ValueError, never a crash."""
        import pytest

        inputs = {k: v for k, v in self.inputs(model).items() if not k.startswith("decoder_")}
        try:
            output = self.forward(model, inputs)
        except ValueError:
            return
        except (TypeError, AttributeError, RuntimeError, IndexError) as error:  # a crash, not a check
            pytest.fail(f"{self.model_type}: cryptic error without decoder inputs: {first_line(error)}")
        assert _main_tensor(output).shape[0] in (synth.BATCH, _codebook_rows(self.inputs(model)))

    def assert_rejects_wrong_channels(self, model: Any) -> None:
        """Images with one channel too many are refused with an error, not silently accepted."""
        import pytest

        inputs = self.inputs(model)
        pixels = inputs.get("pixel_values")
        if pixels is None or pixels.dim() < 4:
            pytest.skip("flattened patches have no channel axis")
        if input_hints(self.model_type).get("reads_first_channel"):
            self._assert_reads_first_channel_only(model, inputs)
            return
        wrong = dict(inputs, pixel_values=synth.pixel_values(model.config, channels=pixels.shape[-3] + 1)
                     if pixels.dim() == 4 else pixels.new_zeros(*pixels.shape[:-3], pixels.shape[-3] + 1, *pixels.shape[-2:]))
        with pytest.raises((ValueError, RuntimeError)):
            self.forward(model, wrong)

    def _assert_reads_first_channel_only(self, model: Any, inputs: dict[str, Any]) -> None:
        """Grayscale models (an ``inputs.reads_first_channel`` hint) take any channel count by design and
        read channel 0 only: other values in the other channels, plus one more channel, give the same outputs."""
        import torch

        pixels = inputs["pixel_values"]
        other = torch.cat([pixels[..., :1, :, :], torch.randn_like(pixels, generator=synth.generator(9))], dim=-3)
        expected = dict(_tensors(self.forward(model, inputs)))
        actual = dict(_tensors(self.forward(model, dict(inputs, pixel_values=other))))
        assert actual.keys() == expected.keys()
        for name, tensor in expected.items():
            torch.testing.assert_close(actual[name], tensor, msg=lambda m, n=name: f"{n} reads channels beyond the first: {m}")

    def assert_batch_independent(self, model: Any) -> None:
        """The first sample's outputs do not depend on the other samples of the batch."""
        import torch

        import pytest

        if input_hints(self.model_type).get("batch", synth.BATCH) < 2:
            pytest.skip("the model runs one sample at a time (its overrides' batch hint)")
        inputs = self.inputs(model)
        if any(v.shape[0] != synth.BATCH for v in inputs.values() if hasattr(v, "shape")):
            pytest.skip("inputs are not batched along their first axis")
        full = _main_tensor(self.forward(model, inputs))
        single = _main_tensor(self.forward(model, {k: v[:1] for k, v in inputs.items()}))
        axis = 1 if full.shape[0] != synth.BATCH and full.dim() > 1 and full.shape[1] == synth.BATCH else 0  # codec chunks first
        if input_hints(self.model_type).get("packed_output", False):  # the first image's tokens lead the packed sequence
            full, single = _one_sequence(full), _one_sequence(single)
            full = full[:, : single.shape[1]]
        torch.testing.assert_close(single.select(axis, 0), full.select(axis, 0), rtol=1e-4, atol=1e-4)

    def assert_media_changes_output(self, model: Any) -> None:
        """The image (or audio, or protein) path is used: other pixels (or sounds, or residues) give other outputs."""
        import torch

        inputs = self.inputs(model)
        key = next(k for k in synth.MEDIA_KEYS if k in inputs)
        first = _main_tensor(self.forward(model, inputs))
        # token media (protein residues): the same valid tokens in reverse order, another sequence
        media = torch.randn_like(inputs[key]) * 3 if inputs[key].is_floating_point() else inputs[key].flip(-1)
        if key == "flattened_patches":  # each patch leads with its (row, column) indices: keep them
            media[..., :2] = inputs[key][..., :2]
        other = dict(inputs, **{key: media})
        second = _main_tensor(self.forward(model, other))
        assert not torch.allclose(first, second), f"{self.model_type}: outputs ignore {key}"

    def assert_hub_checkpoint(self, checkpoint: str) -> None:
        """(opt-in) The real checkpoint loads into the same class and runs the same inputs."""
        import transformers

        model = getattr(transformers, self.model_class).from_pretrained(checkpoint).eval()
        output = self.forward(model)
        assert _main_tensor(output).shape[0] == synth.BATCH


def _wake_zero_matrices(model: Any) -> None:
    """Give all-zero weight matrices (zero-initialised projections, e.g. a media projector) and all-zero
    gates (e.g. tanh-gated cross-attention to images) small random values, so that every path of the
    untrained model carries signal the tests can see."""
    import torch

    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            gate = (leaf.endswith("_gate") or leaf.startswith("gate_")) and not leaf.endswith("bias")  # attn_gate, gate_ffw
            shaped = parameter.dim() >= 2 or gate
            if shaped and parameter.is_floating_point() and not parameter.any():
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.02)


def _tensors(output: Any, prefix: str = "output") -> list[tuple[str, Any]]:
    """(name, tensor) pairs of a model output, recursing into tuples, lists and dicts."""
    import torch

    if isinstance(output, torch.Tensor):
        return [(prefix, output)]
    if isinstance(output, dict):
        items = output.items()
    elif isinstance(output, (tuple, list)):
        items = ((str(i), v) for i, v in enumerate(output))
    else:
        return []
    return [pair for key, value in items for pair in _tensors(value, f"{prefix}.{key}")]


def _one_sequence(packed: Any) -> Any:
    """A packed output as one sequence ``(1, tokens, width)``; some models return it without that leading axis."""
    return packed.unsqueeze(0) if packed.dim() == 2 else packed


def _main_tensor(output: Any) -> Any:
    for name in ("logits", "last_hidden_state", "logits_per_image", "prediction_outputs", "waveform", "spectrogram",
                 "audio_values", "audio_embeds", "speech_embeds"):  # contrastive models: the media's embeddings
        value = output.get(name) if isinstance(output, dict) else None
        if value is not None and hasattr(value, "shape"):
            return value
    pairs = [pair for pair in _tensors(output) if pair[1].dim() > 0] or _tensors(output)  # not a batch-mean loss
    return pairs[0][1] if pairs else None


def _codebook_rows(inputs: dict[str, Any]) -> int | None:
    """batch x codebooks when the decoder inputs carry a codebook axis ``(batch, seq, codebooks)``: such
    decoders may fold the codebooks into the rows of their logits (Dia), else None."""
    ids = inputs.get("decoder_input_ids")
    return ids.shape[0] * ids.shape[-1] if ids is not None and ids.dim() == 3 else None


def _first_input(inputs: dict[str, Any]) -> Any:
    return next(iter(inputs.values()))
