"""Embeddings: the input embedding can be read and replaced, and resizing the vocabulary (tied and untied output
embeddings) or the position embeddings resizes everything that depends on it, keeps the old rows and still runs
(transformers' testers' ``test_model_get_set_embeddings``, ``test_resize_tokens_embeddings``,
``test_resize_embeddings_untied`` and ``test_resize_position_vector_embeddings``).

The model is resized in place and put back exactly afterwards (``model_state.restored``). Kept rows are compared exactly;
the one loose bound is transformers' own on freshly initialised rows: their mean is the old rows' mean (the new rows
are drawn around it with a covariance of 1e-9 of the old rows'), within 1e-3.
"""

from __future__ import annotations

import copy
from typing import Any

from hfguard.testing import synth
from hfguard.testing.checks.loading import _input_embeddings, _output_embeddings, model_class, quiet, with_tied_embeddings
from hfguard.testing.checks.registry import check
from hfguard.testing.model_state import restored
from hfguard.testing.tensors import CheckFailure, assert_changed, main_output

GROW, SHRINK, MULTIPLE = 10, 15, 64  # transformers' testers' sizes
MEAN = 1e-3  # new rows' mean vs the old rows' (absolute and relative), transformers' bound
CHANGED = 1e-6  # relative to the output's scale: a replaced embedding moves the output by more


def embeds(case: Any, model: Any) -> str | None:
    """The model exposes its input embedding module and can replace it (setting the module it has back is accepted)."""
    import torch

    embedding = _input_embeddings(model)
    if not isinstance(embedding, torch.nn.Module):
        return f"{type(model).__name__}.get_input_embeddings() gives {'no module' if embedding is None else f'a {type(embedding).__name__}, not a module'}"
    try:
        model.set_input_embeddings(embedding)
    except NotImplementedError:
        return f"{type(model).__name__}.set_input_embeddings is not implemented (NotImplementedError)"
    return None


def _rows_permuted(module: Any) -> Any:
    """A copy of ``module`` whose parameters have their rows (first axis) rolled by one: every token reads another
    token's vector, a change no normalisation after the embedding cancels (doubling the weights, a layer norm does)."""
    import torch

    replacement = copy.deepcopy(module)
    with torch.no_grad():
        for parameter in replacement.parameters():
            if parameter.dim():
                parameter.copy_(parameter.roll(1, 0))
    return replacement


def _output_heads(module: Any) -> list[Any]:
    """The output embedding's heads: the module, or each of a list of them (one head per codebook)."""
    import torch

    return list(module) if isinstance(module, (torch.nn.ModuleList, list, tuple)) else [module]


@check(applies=embeds)
def input_embeddings_get_set(case: Any, model: Any) -> None:
    import torch

    original = _input_embeddings(model)
    output = _output_embeddings(model)
    if output is not None and not all(isinstance(head, torch.nn.Linear) for head in _output_heads(output)):
        raise CheckFailure(f"{case.model_type}: get_output_embeddings() gives a {type(output).__name__}, not None or an "
                           "nn.Linear (one per codebook)")
    replacement = _rows_permuted(original)
    with restored(model):
        model.set_input_embeddings(replacement)
        got = _input_embeddings(model)
        if got is not replacement:
            raise CheckFailure(f"{case.model_type}: after set_input_embeddings(new), get_input_embeddings() gives "
                               f"{'the old module' if got is original else type(got).__name__}, not the new one")
        changed = main_output(case.forward(model))[1]
    if _input_embeddings(model) is not original:
        raise CheckFailure(f"{case.model_type}: the original input embedding could not be put back")
    name, expected = main_output(case.reference(model))
    if expected.is_floating_point() and _read_on_inputs(case, model, original, expected):
        assert_changed(changed, expected, f"{case.model_type}: {name} does not change when set_input_embeddings installs "
                                          "an embedding with its rows permuted (the forward does not read it)", CHANGED)


def _read_on_inputs(case: Any, model: Any, original: Any, expected: Any) -> bool:
    """Permuting the rows of the installed input embedding in place changes the main output: the forward reads it on
    these inputs (an embedding of another modality's tokens, absent from them, is not read)."""
    if not any(parameter.dim() and parameter.shape[0] > 1 for parameter in original.parameters()):
        return False
    with restored(model):
        for target, source in zip(original.parameters(), _rows_permuted(original).parameters()):
            target.data.copy_(source.data)
        permuted = main_output(case.forward(model))[1]
    try:
        assert_changed(permuted, expected, "", CHANGED)
    except CheckFailure:
        return False
    return True


def resizes_vocabulary(case: Any, model: Any) -> str | None:
    """The model reads token ids through an ``nn.Embedding`` with one row per token of its text config's vocabulary."""
    import torch

    embedding = _input_embeddings(model)
    if not isinstance(embedding, torch.nn.Embedding):
        return f"its input embedding is {'missing' if embedding is None else type(embedding).__name__}, not an nn.Embedding"
    vocabulary = getattr(_text_config(model.config), "vocab_size", None)
    if embedding.num_embeddings != vocabulary:
        return f"its input embedding has {embedding.num_embeddings} rows, its text config's vocab_size is {vocabulary}"
    return None if _token_key(case, model) else "its inputs hold no token ids"


def _token_key(case: Any, model: Any) -> str | None:
    """The inputs' key of the token ids the input embedding reads (``decoder_input_ids`` for a decoder fed only those)."""
    inputs = case.inputs(model)
    return next((key for key in ("input_ids", "decoder_input_ids") if key in inputs and not inputs[key].is_floating_point()), None)


def _text_config(config: Any) -> Any:
    try:
        return config.get_text_config()
    except Exception:  # noqa: BLE001 - a config without the method
        return config


def _rows(module: Any) -> int:
    return int(module.weight.shape[0])


def _assert_mean_kept(case: Any, weight: Any, added: int, what: str) -> None:
    """The ``added`` last rows of ``weight`` have the mean of the rows before them (within ``MEAN``)."""
    values = weight.detach().double()
    old, new = values[:-added].mean(0), values[-added:].mean(0)
    gap = float(((new - old).abs() - MEAN * old.abs()).max())
    if gap > MEAN:
        raise CheckFailure(f"{case.model_type}: the {added} new rows of {what} are not initialised around the old rows' mean "
                           f"(off by {gap + MEAN:.3g}, allowed {MEAN:.0e})")


def _ids_within(case: Any, model: Any, vocabulary: int) -> dict[str, Any] | None:
    """The model's inputs with every token id below ``vocabulary`` (ids beyond it clamped), or None when a special or
    media placeholder id would be changed (the inputs would no longer hold what the model expects)."""
    inputs = case.inputs(model)
    if any(token >= vocabulary for token in synth.special_ids(model.config)):
        return None
    for key in ("input_ids", "decoder_input_ids"):
        if key in inputs and not inputs[key].is_floating_point():
            inputs[key] = inputs[key].clamp(max=vocabulary - 1)
    return inputs


def _logits_width(case: Any, output: Any, vocabulary: int) -> None:
    """The logits' last axis (over the vocabulary before resizing) follows the resized vocabulary."""
    name, logits = main_output(output)
    if logits is not None and logits.shape[-1] != vocabulary:
        raise CheckFailure(f"{case.model_type}: after resizing the vocabulary to {vocabulary} tokens, {name} has "
                           f"{logits.shape[-1]} columns (the new tokens cannot be predicted)")


@check(applies=resizes_vocabulary)
def resize_token_embeddings(case: Any, model: Any) -> None:
    import torch

    vocabulary = _input_embeddings(model).num_embeddings
    reference = main_output(case.reference(model))[1]
    logits_over_vocabulary = reference is not None and reference.shape[-1] == vocabulary
    with restored(model):
        old, kind = _input_embeddings(model).weight.detach().clone(), type(_input_embeddings(model))
        torch.manual_seed(0)
        with quiet():
            grown = model.resize_token_embeddings(vocabulary + GROW)
        _resized(case, model, grown, vocabulary + GROW, "resize_token_embeddings(+10)")
        if type(grown) is not kind:
            raise CheckFailure(f"{case.model_type}: resize_token_embeddings turns a {kind.__name__} into a {type(grown).__name__}")
        if not torch.equal(grown.weight[:vocabulary], old):
            raise CheckFailure(f"{case.model_type}: resize_token_embeddings(+{GROW}) changes the existing rows")
        _assert_mean_kept(case, grown.weight, GROW, "the input embedding")
        inputs, key = case.inputs(model), _token_key(case, model)
        inputs[key][..., -1] = vocabulary + GROW - 1  # the highest new token
        output = case.forward(model, inputs)
        if logits_over_vocabulary:
            _logits_width(case, output, vocabulary + GROW)
        with quiet():
            shrunk = model.resize_token_embeddings(vocabulary - SHRINK)
        _resized(case, model, shrunk, vocabulary - SHRINK, f"resize_token_embeddings(-{SHRINK})")
        if not torch.equal(shrunk.weight, old[: vocabulary - SHRINK]):
            raise CheckFailure(f"{case.model_type}: resize_token_embeddings(-{SHRINK}) changes the rows it keeps")
        inputs = _ids_within(case, model, vocabulary - SHRINK)
        if inputs is not None:
            output = case.forward(model, inputs)
            if logits_over_vocabulary:
                _logits_width(case, output, vocabulary - SHRINK)
        with quiet():
            padded = model.resize_token_embeddings(vocabulary + 1, pad_to_multiple_of=MULTIPLE)
        if _rows(padded) % MULTIPLE or _rows(padded) < vocabulary + 1:
            raise CheckFailure(f"{case.model_type}: resize_token_embeddings({vocabulary + 1}, pad_to_multiple_of={MULTIPLE}) "
                               f"gives {_rows(padded)} rows")


def _resized(case: Any, model: Any, returned: Any, rows: int, how: str) -> None:
    """After ``how``, the returned and the installed input embedding, the tied output embedding and the text config all
    have ``rows`` tokens."""
    sizes = {"the returned embedding": _rows(returned), "get_input_embeddings()": _rows(_input_embeddings(model)),
             "the text config's vocab_size": getattr(_text_config(model.config), "vocab_size", None)}
    output = _output_embeddings(model)
    if output is not None and getattr(output, "weight", None) is not None:
        sizes["get_output_embeddings()"] = int(output.weight.shape[0])
        if getattr(output, "bias", None) is not None:
            sizes["the output embedding's bias"] = int(output.bias.shape[0])
    wrong = [f"{what} {size}" for what, size in sizes.items() if size != rows]
    if wrong:
        raise CheckFailure(f"{case.model_type}: after {how} ({rows} tokens): {', '.join(wrong)}")


def resizes_untied(case: Any, model: Any) -> str | None:
    """The model resizes its vocabulary and has output embeddings its config can untie."""
    reason = resizes_vocabulary(case, model)
    if reason:
        return reason
    if _output_embeddings(model) is None:
        return f"{type(model).__name__}.get_output_embeddings() gives no module"
    return None if hasattr(_text_config(model.config), "tie_word_embeddings") or hasattr(model.config, "tie_word_embeddings") \
        else "its config has no tie_word_embeddings setting"


@check(applies=resizes_untied)
def resize_embeddings_untied(case: Any, model: Any) -> None:
    import torch

    with quiet():
        torch.manual_seed(0)
        untied = model_class(model)(with_tied_embeddings(model.config, False)).eval()
    vocabulary = _input_embeddings(untied).num_embeddings
    output = _output_embeddings(untied)
    old_bias = None if getattr(output, "bias", None) is None else output.bias.detach().clone()
    torch.manual_seed(0)
    with quiet():
        untied.resize_token_embeddings(vocabulary + GROW)
    _resized(case, untied, _input_embeddings(untied), vocabulary + GROW, f"resize_token_embeddings(+{GROW}) with untied embeddings")
    resized = _output_embeddings(untied)
    _assert_mean_kept(case, resized.weight, GROW, "the untied output embedding")
    if old_bias is not None and not torch.equal(resized.bias[:vocabulary], old_bias):
        raise CheckFailure(f"{case.model_type}: resizing changes the existing entries of the output embedding's bias")
    case.forward(untied, case.inputs(model))
    with quiet():
        untied.resize_token_embeddings(vocabulary - SHRINK)
    _resized(case, untied, _input_embeddings(untied), vocabulary - SHRINK, f"resize_token_embeddings(-{SHRINK}) with untied embeddings")
    inputs = _ids_within(case, model, vocabulary - SHRINK)
    if inputs is not None:
        case.forward(untied, inputs)


def resizes_positions(case: Any, model: Any) -> str | None:
    """The model's class implements ``resize_position_embeddings`` and ``get_position_embeddings``."""
    from transformers import PreTrainedModel

    cls = model_class(model)
    missing = [name for name in ("resize_position_embeddings", "get_position_embeddings")
               if getattr(cls, name) is getattr(PreTrainedModel, name)]
    return f"{cls.__name__} does not implement {' or '.join(missing)}" if missing else None


def _position_rows(model: Any) -> list[Any]:
    embeddings = model.get_position_embeddings()
    return [e.weight.detach().clone() for e in (embeddings if isinstance(embeddings, tuple) else (embeddings,))]


@check(applies=resizes_positions)
def resize_position_embeddings(case: Any, model: Any) -> None:
    import torch

    positions = model.config.max_position_embeddings
    with restored(model):
        before = _position_rows(model)
        for change in (GROW, -5):
            model.resize_position_embeddings(positions + change)
            after = _position_rows(model)
            sizes = [int(weight.shape[0]) for weight in after]
            expected = [int(weight.shape[0]) + change for weight in before]
            if model.config.max_position_embeddings != positions + change or sizes != expected:
                raise CheckFailure(f"{case.model_type}: after resize_position_embeddings({positions + change}) the config "
                                   f"says {model.config.max_position_embeddings} and the matrices have {sizes} rows (expected {expected})")
            kept = [torch.equal(new[: min(len(new), len(old))], old[: min(len(new), len(old))]) for new, old in zip(after, before)]
            if not all(kept):
                raise CheckFailure(f"{case.model_type}: resize_position_embeddings({positions + change}) changes existing rows")
            case.forward(model)
