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
          "outputs", "dtype_device", "decoding",
          "loading", "configuration", "embeddings", "interface", "export")
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
    "init_weights_complete": ("loading", "Loading without a checkpoint gives every weight the value __init__ gives it (_init_weights initialises every weight; none left on meta)."),
    "init_weights_buffers": ("loading", "Built on the meta device, init_weights() gives every buffer the value __init__ gives it."),
    "meta_device_build": ("loading", "Built on the meta device and materialised, the model runs (every tensor it reads is a parameter or buffer); from_pretrained refuses a meta device context."),
    "state_dict_round_trip": ("loading", "from_pretrained(None, state_dict=...) and torch.save/load_state_dict give back every weight exactly; parameters stay contiguous."),
    "dtype_on_load": ("loading", "Loaded in float16 or bfloat16 every weight has that dtype except the keep-in-fp32 modules (each entry names a module); torch_dtype= loads what dtype= loads."),
    "mismatched_shapes_load": ("loading", "A checkpoint with another number of labels is refused, or with ignore_mismatched_sizes reinitialises exactly the head."),
    "tied_weights_declared": ("loading", "With tie_word_embeddings=True every _tied_weights_keys entry is tied, and every tied weight is declared."),
    "untied_save_load": ("loading", "With tie_word_embeddings=False the embeddings stay apart, and save/load keeps every weight with none missing."),
    "config_round_trip": ("configuration", "The tiny config survives to/from JSON, save/load (also from a subfolder; each sub-config alone), num_labels and building without arguments."),
    "attn_implementation_switch": ("configuration", "An attention implementation reaches the config and every sub-config: at init, by the setter, as a dict per sub-config, by set_attn_implementation (an unknown one refused)."),
    "attn_implementation_on_load": ("configuration", "Loaded by default every part runs SDPA where it supports it; loaded with eager (also per sub-config) no part runs another implementation."),
    "input_embeddings_get_set": ("embeddings", "set_input_embeddings installs the module get_input_embeddings then returns and the forward reads; output embeddings are None or an nn.Linear."),
    "resize_token_embeddings": ("embeddings", "resize_token_embeddings (+10, -15, padded to a multiple of 64) resizes the embeddings, the tied output embedding, the logits and the config, keeping the old rows."),
    "resize_embeddings_untied": ("embeddings", "With untied embeddings, resize_token_embeddings resizes the output embedding and its bias too, new rows around the old mean."),
    "resize_position_embeddings": ("embeddings", "resize_position_embeddings (+10, -5) resizes the config and the matrices, keeping the old rows, and the model still runs."),
    "tuple_matches_dict": ("interface", "return_dict=False returns the dict output's to_tuple(), also with labels, hidden states and attentions."),
    "problem_type_losses": ("interface", "With problem_type single-label, multi-label or regression, the loss is that problem's loss of the returned logits (no broadcasting) and backpropagates."),
    "retain_grad_outputs": ("interface", "The backward of the main output reaches the first returned hidden state and attention map of every stack."),
    "torch_export_matches_eager": ("export", "torch.export (non-strict) exports the model, and the exported program gives the eager outputs."),
    "checkpointing_switch": ("interface", "Gradient checkpointing is off after a build, on in every module once enabled (also with an adapter loaded or from the config), off again once disabled."),
    "main_input_name": ("interface", "The class's main_input_name is its forward's first argument."),
    "missing_keys_reported": ("loading", "Loading reports exactly the weights a checkpoint lacks: every weight for an empty one (ignore patterns aside), the head's for the base model's."),
    "keys_to_ignore_on_save": ("loading", "Keys of _keys_to_ignore_on_save exist, are left out of the checkpoint, and come back identical on loading."),
}

# Tiers: the nightly tier holds the checks that cost the most for what a pull request changes: an export, every
# loading and initialisation check (loads without a checkpoint, on the meta device, several loads), the model-API
# plumbing checks that run many forwards (tuple vs dict, retain_grad, the checkpointing and attention switches, resizing)
# and beam search and sampling (several generate() calls each). A run with HFGUARD_TIER=pr (the pull-request run) skips
# them, each saying so, which keeps its sweep within 3.5x the pre-checks baseline (benchmarks/sweep-results.md); any
# other run runs every check. Every check records the tier that ran in its JUnit properties, so a report says which
# one it shows.
TIER_ENV = "HFGUARD_TIER"
TIERS = ("pr", "nightly")
TIER_PROPERTY = "hfguard_tier"
NIGHTLY = frozenset({"torch_export_matches_eager", "init_weights_complete", "init_weights_buffers", "meta_device_build",
                     "state_dict_round_trip", "dtype_on_load", "mismatched_shapes_load", "tied_weights_declared",
                     "untied_save_load", "keys_to_ignore_on_save", "missing_keys_reported", "attn_implementation_on_load",
                     "tuple_matches_dict", "retain_grad_outputs", "checkpointing_switch", "attn_implementation_switch",
                     "resize_token_embeddings", "resize_embeddings_untied", "beam_search", "sampling_reproducible"})


def tier(check_id: str) -> str:
    """The tier ``check_id`` belongs to: ``nightly`` (skipped by a pull-request run) or ``pr`` (every run)."""
    return "nightly" if check_id in NIGHTLY else "pr"


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
        order = list(SUMMARIES)  # report order, whichever group module another module imported first
        for name in sorted(CHECKS, key=order.index):
            CHECKS[name] = CHECKS.pop(name)
        return run

    return register


def summaries() -> dict[str, str]:
    """Check id -> its one-line meaning, in report order."""
    return {check_id: summary for check_id, (_, summary) in SUMMARIES.items()}
