"""The table of checks: each check's id, group and one-line meaning (data, light enough for ``hfguard verify``),
and the registry the check modules fill with the function that runs each and the capability it needs.

A check module registers each of its checks with ``@check(applies=...)``; ``hfguard.testing.checks.CHECKS``
imports every group module on first use (torch is imported inside the check functions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# (case, model) -> None when the check applies, else the reason it does not (decided from the model)
Applies = Callable[[Any, Any], "str | None"]

GROUPS = ("contracts", "sensitivity", "determinism", "batching", "training", "persistence", "generation", "attention",
          "outputs", "dtype_device", "decoding")
# check id -> (group, one line: what it checks; the generated test's docstring), in report order
SUMMARIES: dict[str, tuple[str, str]] = {
    "output_shapes": ("contracts", "The main output has exactly the batch, positions and widths the inputs and config imply."),
    "outputs_finite": ("contracts", "Every floating output is finite (a documented -inf padding of text logits excepted)."),
    "rejects_wrong_channel_count": ("contracts", "Images with one channel too many are refused with an error, not silently read."),
    "missing_decoder_inputs": ("contracts", "Without decoder inputs the model derives them or refuses with a ValueError, never a crash."),
    "text_changes_output": ("sensitivity", "Other token ids (special and media placeholder tokens kept) change the main output."),
    "attention_mask_changes_output": ("sensitivity", "Masking out two text positions of every sample changes the main output."),
    "media_changes_output": ("sensitivity", "Other values of each media input (pixels, audio, video, proteins, past values) change the main output."),
    "deterministic": ("determinism", "Two forward passes on the same inputs agree, without reseeding the random generator between them."),
    "batch_independent": ("batching", "Every sample gives the same outputs alone as inside the batch."),
    "padding_independent": ("batching", "A sample padded inside a batch (left for decoders, right for encoders) with its attention mask gives its unpadded outputs."),
    "training_step": ("training", "One training step: a finite loss from labels, and a finite non-zero gradient on every trainable parameter."),
    "gradient_checkpointing": ("training", "Gradient checkpointing gives the same gradients as a plain backward pass."),
    "save_load": ("persistence", "save_pretrained then from_pretrained gives identical weights, tied weights, keys and outputs."),
    "generates_new_tokens": ("generation", "Greedy generate() keeps the prompt and adds exactly the requested new tokens."),
    "generate_starts_from_decoder_start": ("generation", "Encoder-decoder generate() starts the decoder from its start token."),
    "cache_matches_full_forward": ("generation", "A prefill then one-token steps on the key/value cache give the full forward's logits."),
    "generate_cache_consistent": ("generation", "Greedy generate() picks the same tokens with and without the key/value cache."),
    "generate_continues_from_cache": ("generation", "Continuing generate() from the cache it returned gives the tokens of one longer run."),
    "eager_matches_sdpa": ("attention", "Eager attention and SDPA give the same outputs in fp32 (with a padding mask where the model takes one)."),
    "hidden_states": ("outputs", "output_hidden_states gives one state per layer plus the embeddings, batch-first, of one shape per stack."),
    "attentions": ("outputs", "output_attentions (eager) gives one map per layer, (batch, heads, queries, keys), each query's weights summing to 1."),
    "inputs_embeds_matches_ids": ("outputs", "inputs_embeds taken from the model's input embedding give the same outputs as the input_ids."),
    "bf16_forward": ("dtype_device", "A bfloat16 copy gives finite outputs close to fp32 (relative RMS error within 10%)."),
    "device_matches_cpu": ("dtype_device", "On the accelerator named by HFGUARD_DEVICE the outputs agree with CPU fp32."),
    "cache_format": ("generation", "forward(use_cache=True) returns a Cache of one layer per decoder layer, keys and values (batch, heads, positions, head size)."),
    "static_cache": ("generation", "Greedy generate() with a static cache picks the dynamic cache's tokens and step logits."),
    "generate_from_inputs_embeds": ("generation", "Greedy generate() from inputs_embeds picks the input_ids' tokens and step logits; other embeddings change them."),
    "sampling_reproducible": ("decoding", "Sampling repeats its tokens and scores under one seed and samples other tokens under other seeds."),
    "beam_search": ("decoding", "Beam search picks the same beams, step logits and sequence scores with and without the key/value cache."),
}


@dataclass(frozen=True)
class Check:
    """One check a generated test runs."""

    id: str
    group: str
    summary: str
    run: Callable[[Any, Any], None]
    applies: Applies


CHECKS: dict[str, Check] = {}


def always(case: Any, model: Any) -> None:
    """Applies to every model."""
    return None


def check(applies: Applies = always) -> Callable[[Callable[[Any, Any], None]], Callable[[Any, Any], None]]:
    """Register the decorated ``(case, model)`` function as the check of ``SUMMARIES`` named after it."""
    def register(run: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        group, summary = SUMMARIES[run.__name__]
        run.__doc__ = summary
        CHECKS[run.__name__] = Check(run.__name__, group, summary, run, applies)
        return run

    return register


def summaries() -> dict[str, str]:
    """Check id -> its one-line meaning, in report order."""
    return {check_id: summary for check_id, (_, summary) in SUMMARIES.items()}
