"""Loading and initialisation: what transformers' own testers check of ``from_pretrained`` and ``_init_weights``.

Every check here builds fresh models of the model's class from a copy of its tiny config (never by name), so a
breakage made in the class (``hfguard mutate``'s subclasses) reaches every build. Nothing here compares numbers that
rounding could decide: weights are compared exactly (``torch.equal``), dtypes, names, shapes and errors as they are.

Where transformers' testers compare with uninitialised memory (``torch.empty`` left by ``to_empty`` or by loading a
checkpoint without a weight), whatever that memory happens to hold could equal the expected value (fresh pages are
zeros): here every tensor that loading leaves to ``_init_weights`` first holds a placeholder value, so a weight that
``_init_weights`` never sets is found on every run, named as such.
"""

from __future__ import annotations

import contextlib
import copy
import re
import tempfile
import warnings
import weakref
from collections.abc import Iterator
from typing import Any

from hfguard.testing.checks.persistence import save, stored_tensors
from hfguard.testing.checks.registry import check
from hfguard.testing.tensors import CheckFailure, main_output

PLACEHOLDER = 123  # what a tensor left to _init_weights holds before it runs (fits every dtype; it must be overwritten)
SEED = 42  # transformers' seeded_weight_init: the generator is reseeded before each module's init
_SHOWN = 4
# torch.nn.utils.parametrizations keep their originals apart; they are not the module's weights (transformers too)
_PARAMETRIZATION = re.compile(r"\.parametrizations\..*?\.original[01]$")
_META_ERRORS = ("meta", "Cannot copy out of meta tensor")


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """transformers' loading reports and progress bars off (a load without a checkpoint lists every weight)."""
    from transformers.utils import logging

    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)


def model_class(model: Any) -> Any:
    """The class fresh models are built from: the model's own (a mutation's subclass included)."""
    return type(model)


def fresh_config(model: Any) -> Any:
    """A copy of the model's tiny config (a build or a load may change the config it is given)."""
    return copy.deepcopy(model.config)


def shown(names: list[str]) -> str:
    """The first few of ``names`` and how many more."""
    names = sorted(names)
    return ", ".join(names[:_SHOWN]) + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


class _Checkpoint:
    """The one saved checkpoint of this process's current model (``save_pretrained`` once, read by every loading check
    of the model; the folder of the previous model is removed when another model asks)."""

    owner: Any = None
    folder: Any = None


def checkpoint(model: Any) -> str:
    """The folder ``model`` was saved into (``save_pretrained``, safetensors), saved on the first call."""
    if _Checkpoint.owner is None or _Checkpoint.owner() is not model:
        if _Checkpoint.folder is not None:
            _Checkpoint.folder.cleanup()
        _Checkpoint.owner, _Checkpoint.folder = None, tempfile.TemporaryDirectory(prefix="hfguard-checkpoint-")
        with quiet():
            save(model, _Checkpoint.folder.name)
        _Checkpoint.owner = weakref.ref(model)
    return _Checkpoint.folder.name


@contextlib.contextmanager
def seeded_init(seed: int = SEED) -> Iterator[None]:
    """Every module's ``_init_weights`` from the same seed (transformers' ``seeded_weight_init``), and every tensor a load
    leaves to it holding ``PLACEHOLDER`` first (not whatever memory ``torch.empty`` gave)."""
    from transformers import PreTrainedModel, set_seed

    initialize, initialize_missing = PreTrainedModel._initialize_weights, PreTrainedModel._initialize_missing_keys

    def seeded(self: Any, module: Any, *args: Any, **kwargs: Any) -> Any:
        set_seed(seed)
        return initialize(self, module, *args, **kwargs)

    def placeholders_first(self: Any, *args: Any, **kwargs: Any) -> Any:
        fill_uninitialised(self)
        return initialize_missing(self, *args, **kwargs)

    PreTrainedModel._initialize_weights = seeded
    PreTrainedModel._initialize_missing_keys = placeholders_first
    try:
        yield
    finally:
        PreTrainedModel._initialize_weights = initialize
        PreTrainedModel._initialize_missing_keys = initialize_missing


def fill_uninitialised(model: Any) -> None:
    """``PLACEHOLDER`` in every parameter and buffer of ``model`` not on meta and not marked initialised."""
    import torch

    with torch.no_grad():
        for tensor in [*model.parameters(), *model.buffers()]:
            if tensor.device.type != "meta" and not getattr(tensor, "_is_hf_initialized", False) and tensor.numel():
                tensor.fill_(PLACEHOLDER)


def _differing(expected: dict[str, Any], actual: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(names whose tensor still holds the placeholder, names whose tensor holds another value) of ``actual``."""
    import torch

    placeholder, other = [], []
    for name, tensor in expected.items():
        value = actual[name]
        if value.dtype == tensor.dtype and value.shape == tensor.shape and torch.equal(value, tensor):
            continue
        if value.numel() and value.device.type != "meta" and bool((value == PLACEHOLDER).all()):
            placeholder.append(name)
        else:
            other.append(name)
    return placeholder, other


def _seed_independent(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """The tensors of ``first`` that ``second`` (built from another seed) holds identically: values the code sets, not
    random draws."""
    import torch

    return {name: tensor for name, tensor in first.items()
            if name in second and tensor.shape == second[name].shape and torch.equal(tensor, second[name])}


@check()
def init_weights_complete(case: Any, model: Any) -> None:
    cls = model_class(model)
    with quiet(), seeded_init():
        built = cls(fresh_config(model))
        loaded = cls.from_pretrained(None, config=fresh_config(model), state_dict={})
    on_meta = [name for name, tensor in [*loaded.named_parameters(), *loaded.named_buffers()] if tensor.device.type == "meta"]
    if on_meta:
        raise CheckFailure(f"{case.model_type}: loading without a checkpoint leaves {len(on_meta)} tensors on the meta "
                           f"device (tied weights or buffers never materialised): {shown(on_meta)}")
    expected, actual = built.state_dict(), loaded.state_dict()
    if expected.keys() != actual.keys():
        raise CheckFailure(f"{case.model_type}: loading without a checkpoint gives other weights than __init__: "
                           f"{shown(list(expected.keys() ^ actual.keys()))}")
    expected = {name: tensor for name, tensor in expected.items() if not _PARAMETRIZATION.search(name)}
    never, otherwise = _differing(expected, actual)
    if never:
        raise CheckFailure(f"{case.model_type}: _init_weights never initialises {len(never)} of {len(expected)} weights "
                           f"(loading without a checkpoint leaves them as allocated): {shown(never)}")
    if otherwise:
        raise CheckFailure(f"{case.model_type}: _init_weights initialises {len(otherwise)} of {len(expected)} weights "
                           f"otherwise than __init__ (same seed): {shown(otherwise)}")


@contextlib.contextmanager
def weights_left_as_built() -> Iterator[None]:
    """``_init_weights`` skipped (transformers' ``skip_weight_init``): tensors keep what the modules' ``__init__`` gave."""
    from transformers import PreTrainedModel

    initialize = PreTrainedModel._initialize_weights
    PreTrainedModel._initialize_weights = lambda self, module, *args, **kwargs: None
    try:
        yield
    finally:
        PreTrainedModel._initialize_weights = initialize


def meta_built(model: Any) -> Any:
    """A fresh model of ``model``'s class built on the meta device, materialised on CPU (``to_empty``: every tensor
    holding ``PLACEHOLDER``) and initialised by ``init_weights()``, as transformers loads large models."""
    import torch

    with quiet():
        with torch.device("meta"):
            built = model_class(model)(fresh_config(model))
        built.to_empty(device="cpu")
        fill_uninitialised(built)
        built.init_weights()
    return built.eval()


def has_buffers(case: Any, model: Any) -> str | None:
    """The model holds buffers (persistent or not)."""
    return None if next(model.buffers(), None) is not None else "it holds no buffers"


@check(applies=has_buffers)
def init_weights_buffers(case: Any, model: Any) -> None:
    import torch

    cls = model_class(model)
    with quiet(), weights_left_as_built():
        builds = []
        for seed in (0, 1):  # buffers that differ between two seeds are random by design (not compared)
            torch.manual_seed(seed)
            builds.append(dict(cls(fresh_config(model)).named_buffers()))
    expected, other = builds
    actual = dict(meta_built(model).named_buffers())
    if expected.keys() != actual.keys():
        raise CheckFailure(f"{case.model_type}: built on the meta device it has other buffers than __init__ gives: "
                           f"{shown(list(expected.keys() ^ actual.keys()))}")
    compared = _seed_independent(expected, other)
    never, otherwise = _differing(compared, actual)
    if never:
        raise CheckFailure(f"{case.model_type}: init_weights() never sets {len(never)} of {len(compared)} buffers (after "
                           f"building on the meta device they hold what was allocated): {shown(never)}")
    if otherwise:
        raise CheckFailure(f"{case.model_type}: init_weights() sets {len(otherwise)} of {len(compared)} buffers otherwise "
                           f"than __init__: {shown(otherwise)}")


def copy_tensors(source: Any, target: Any) -> None:
    """Every parameter and buffer of ``source`` (non-persistent ones too) into the same-named one of ``target``."""
    import torch

    params, buffers = dict(target.named_parameters(remove_duplicate=False)), dict(target.named_buffers(remove_duplicate=False))
    with torch.no_grad():
        for name, tensor in [*source.named_parameters(remove_duplicate=False), *source.named_buffers(remove_duplicate=False)]:
            slot = params.get(name, buffers.get(name))
            if slot is not None and slot.shape == tensor.shape:
                slot.copy_(tensor)


@check()
def meta_device_build(case: Any, model: Any) -> None:
    import torch

    built = meta_built(model)
    copy_tensors(model, built)  # only what is neither a parameter nor a buffer can still be on the meta device
    try:
        output = case.forward(built, case.inputs(model))
    except Exception as error:  # noqa: BLE001 - any failure of the materialised model is the finding
        from hfguard.testing.shrink import first_line

        line = first_line(error)[:200]
        if any(word in line for word in _META_ERRORS):
            raise CheckFailure(f"{case.model_type}: built on the meta device and materialised, its forward meets a tensor "
                               f"that is neither a parameter nor a buffer: {line}") from None
        raise CheckFailure(f"{case.model_type}: built on the meta device and materialised, its forward fails: {line}") from None
    expected_name, expected = main_output(case.reference(model))
    name, actual = main_output(output)
    if (name, tuple(getattr(actual, "shape", ()))) != (expected_name, tuple(expected.shape)):
        raise CheckFailure(f"{case.model_type}: built on the meta device it returns {name} "
                           f"{tuple(getattr(actual, 'shape', ()))}, built on CPU {expected_name} {tuple(expected.shape)}")
    folder = checkpoint(model)
    with quiet(), torch.device("meta"):
        try:
            model_class(model).from_pretrained(folder)
        except RuntimeError as error:
            if "meta device context manager" in str(error):
                return
            raise CheckFailure(f"{case.model_type}: from_pretrained under a meta device context fails with another "
                               f"error than the documented refusal: {str(error).splitlines()[0][:200]}") from None
    raise CheckFailure(f"{case.model_type}: from_pretrained under a meta device context loads instead of refusing")


def load(model: Any, folder: str, **options: Any) -> tuple[Any, dict[str, Any]]:
    """(``from_pretrained(folder, **options)`` of ``model``'s class in eval mode, its loading info), quietly."""
    with quiet():
        loaded, info = model_class(model).from_pretrained(folder, output_loading_info=True, **options)
    return loaded.eval(), info


def tied_groups(state: dict[str, Any]) -> list[set[str]]:
    """Groups of state-dict names that share one storage (tied weights), as transformers finds them."""
    from transformers.pytorch_utils import id_tensor_storage

    groups: dict[Any, set[str]] = {}
    for name, tensor in state.items():
        groups.setdefault(id_tensor_storage(tensor), set()).add(name)
    return [names for names in groups.values() if len(names) > 1]


def with_tied_embeddings(config: Any, tie: bool) -> Any:
    """``config`` (a copy) with ``tie_word_embeddings`` set to ``tie`` on it and its text config."""
    config = copy.deepcopy(config)
    config.tie_word_embeddings = tie
    with contextlib.suppress(Exception):  # a config without a separate text config
        config.get_text_config().tie_word_embeddings = tie
    return config


def declares_ties(case: Any, model: Any) -> str | None:
    """The model declares tied weights (``_tied_weights_keys``) or its config ties the word embeddings."""
    from transformers.modeling_utils import _get_tied_weight_keys

    if _get_tied_weight_keys(model) or getattr(_text_config(model.config), "tie_word_embeddings", False):
        return None
    return f"{type(model).__name__} declares no tied weights and its config does not tie the word embeddings"


def _text_config(config: Any) -> Any:
    try:
        return config.get_text_config()
    except Exception:  # noqa: BLE001 - a config without the method
        return config


@check(applies=declares_ties)
def tied_weights_declared(case: Any, model: Any) -> None:
    from transformers.modeling_utils import _get_tied_weight_keys

    with quiet():
        tied = model_class(model)(with_tied_embeddings(model.config, True))
    declared = _get_tied_weight_keys(tied)
    groups = tied_groups(tied.state_dict())
    unmatched = [key for key in declared if not any(re.search(key, name) for group in groups for name in group)]
    if unmatched:
        raise CheckFailure(f"{case.model_type}: _tied_weights_keys names weights that share no storage with another "
                           f"(with tie_word_embeddings=True): {shown(unmatched)}")
    undeclared = [sorted(names) for names in ({n for n in group if not any(re.search(key, n) for key in declared)} for group in groups)
                  if len(names) > 1]
    if undeclared:
        raise CheckFailure(f"{case.model_type}: weights share storage without a _tied_weights_keys entry (all but one must "
                           f"be declared): {'; '.join(', '.join(group) for group in undeclared[:2])}")


def has_output_embeddings(case: Any, model: Any) -> str | None:
    """The model has output embeddings and its config a ``tie_word_embeddings`` setting."""
    if _output_embeddings(model) is None:
        return f"{type(model).__name__}.get_output_embeddings() gives no module"
    if not hasattr(_text_config(model.config), "tie_word_embeddings") and not hasattr(model.config, "tie_word_embeddings"):
        return "its config has no tie_word_embeddings setting"
    return None


def _output_embeddings(model: Any) -> Any:
    try:
        return model.get_output_embeddings()
    except (NotImplementedError, AttributeError):
        return None


def _input_embeddings(model: Any) -> Any:
    try:
        return model.get_input_embeddings()
    except (NotImplementedError, AttributeError):
        return None


def _shares_embeddings(model: Any) -> bool:
    """The input and output embeddings' weights share one storage."""
    from transformers.pytorch_utils import id_tensor_storage

    source, target = _input_embeddings(model), _output_embeddings(model)
    weights = [getattr(module, "weight", None) for module in (source, target)]
    return all(w is not None for w in weights) and id_tensor_storage(weights[0]) == id_tensor_storage(weights[1])


@check(applies=has_output_embeddings)
def untied_save_load(case: Any, model: Any) -> None:
    import torch

    with quiet():
        untied = model_class(model)(with_tied_embeddings(model.config, False)).eval()
    if _shares_embeddings(untied):
        raise CheckFailure(f"{case.model_type}: built with tie_word_embeddings=False its input and output embeddings "
                           "still share one weight (a tie hard-coded in __init__)")
    with tempfile.TemporaryDirectory(prefix="hfguard-untied-") as folder:
        with quiet():
            save(untied, folder)
        loaded, info = load(untied, folder)
    missing = sorted(str(key) for key in info.get("missing_keys") or ())
    if missing:
        raise CheckFailure(f"{case.model_type}: with tie_word_embeddings=False, reloading reports {len(missing)} missing "
                           f"weights (left out when saving as if tied): {shown(missing)}")
    expected, actual = stored_tensors(untied), stored_tensors(loaded)
    changed = [name for name, tensor in expected.items() if name not in actual or not torch.equal(actual[name], tensor)]
    if changed:
        raise CheckFailure(f"{case.model_type}: with tie_word_embeddings=False, {len(changed)} weights change across "
                           f"save/load: {shown(changed)}")
    if _shares_embeddings(loaded):
        raise CheckFailure(f"{case.model_type}: with tie_word_embeddings=False, the reloaded input and output embeddings "
                           "share one weight")


def ignores_keys_on_save(case: Any, model: Any) -> str | None:
    """The model declares weights left out of its checkpoints (``_keys_to_ignore_on_save``)."""
    return None if getattr(model, "_keys_to_ignore_on_save", None) else \
        f"{type(model).__name__} declares no _keys_to_ignore_on_save"


@check(applies=ignores_keys_on_save)
def keys_to_ignore_on_save(case: Any, model: Any) -> None:
    import torch
    from safetensors import safe_open

    ignored = sorted(model._keys_to_ignore_on_save)
    state = model.state_dict()
    unknown = [key for key in ignored if key not in state]
    if unknown:
        raise CheckFailure(f"{case.model_type}: _keys_to_ignore_on_save names keys its state dict does not have: {shown(unknown)}")
    folder = checkpoint(model)
    with safe_open(f"{folder}/model.safetensors", framework="pt") as saved:
        written = [key for key in ignored if key in set(saved.keys())]
    if written:
        raise CheckFailure(f"{case.model_type}: save_pretrained writes keys of _keys_to_ignore_on_save: {shown(written)}")
    loaded, _ = load(model, folder)
    expected, actual = stored_tensors(model), stored_tensors(loaded)
    lost = [key for key in ignored if key in expected and (key not in actual or not torch.equal(actual[key], expected[key]))]
    if lost:
        raise CheckFailure(f"{case.model_type}: weights of _keys_to_ignore_on_save do not come back when the checkpoint is "
                           f"loaded (they are lost, not recomputed): {shown(lost)}")


def _named(entry: str, names: set[str]) -> bool:
    """``entry`` of a keep-in-fp32 list names a module of these state-dict names (transformers' testers' rule)."""
    return any(re.search(rf"(?:^|\.){entry}(?:\.|$)", name) for name in names)


def _modeling_sources(model: Any) -> list[str]:
    """The source of every module (Python file) defining a class of ``model``'s submodules (torch's own left out)."""
    import inspect
    import sys

    files = {type(module).__module__ for module in model.modules() if module is not model}
    sources = []
    for name in sorted(files):
        if name.split(".")[0] != "torch" and name in sys.modules:
            with contextlib.suppress(OSError, TypeError):
                sources.append(inspect.getsource(sys.modules[name]))
    return sources


def _in_code(entry: str, sources: list[str]) -> bool:
    """Every dotted part of ``entry`` (its ``*`` globs and torch's own ``weight`` / ``bias`` aside) is defined in one of
    these sources, as an attribute (``self.<part> =``) or a registered name (``"<part>"``): the entry names a module or
    weight that the model's code defines, though this build may not hold it (a layer kind the tiny config has none of,
    or one of another class sharing the same pretrained base). A word in a comment or docstring does not count."""
    parts = [part for part in entry.split(".") if part and "*" not in part and part not in ("weight", "bias")]
    return bool(parts) and any(all(re.search(rf"self\.{re.escape(part)}\s*[:=]|[\"']{re.escape(part)}[\"']", source)
                                   for part in parts) for source in sources)


@check()
def dtype_on_load(case: Any, model: Any) -> None:
    import torch

    keep = set(getattr(model, "_keep_in_fp32_modules", None) or ())
    strict = set(getattr(model, "_keep_in_fp32_modules_strict", None) or ())
    names = set(model.state_dict())
    unheld = [entry for entry in keep | strict if not _named(entry, names)]
    sources = _modeling_sources(model) if unheld else []
    unknown = sorted(entry for entry in unheld if not _in_code(entry, sources))
    if unknown:
        raise CheckFailure(f"{case.model_type}: _keep_in_fp32_modules{'_strict' * bool(set(unknown) <= strict - keep)} names "
                           f"no module of it, nor a name of its modeling code: {shown(unknown)}")
    folder = checkpoint(model)
    for dtype, kept in ((torch.float16, keep | strict), (torch.bfloat16, strict)) if keep or strict else ():
        loaded, _ = load(model, folder, dtype=dtype)
        wrong = [f"{name} ({str(tensor.dtype).removeprefix('torch.')})" for name, tensor in loaded.state_dict().items()
                 if tensor.is_floating_point() and tensor.dtype != (torch.float32 if any(_named(e, {name}) for e in kept) else dtype)]
        if wrong:
            raise CheckFailure(f"{case.model_type}: loaded in {str(dtype).removeprefix('torch.')}, {len(wrong)} weights have "
                               f"another dtype than the keep-in-fp32 lists imply: {shown(wrong)}")
    by_name, _ = load(model, folder, dtype=torch.float16)
    with warnings.catch_warnings():  # torch_dtype is deprecated, still honoured
        warnings.simplefilter("ignore")
        legacy, _ = load(model, folder, torch_dtype=torch.float16)
    expected, actual = stored_tensors(by_name), stored_tensors(legacy)
    differ = [name for name, tensor in expected.items()
              if name not in actual or actual[name].dtype != tensor.dtype or not torch.equal(actual[name], tensor)]
    if differ or expected.keys() != actual.keys():
        raise CheckFailure(f"{case.model_type}: from_pretrained(torch_dtype=float16) loads other weights than "
                           f"dtype=float16: {shown(differ or list(expected.keys() ^ actual.keys()))}")


MORE_LABELS = 3  # a checkpoint's head is loaded into one with this many more labels


def label_weights(case: Any, model: Any) -> list[str]:
    """The weights whose shape follows ``config.num_labels`` (a classification head), learned by building the class on
    the meta device with more labels (once per model)."""
    import torch

    def learn() -> list[str]:
        config = fresh_config(model)
        config.num_labels = config.num_labels + MORE_LABELS
        with quiet(), torch.device("meta"):
            wider = model_class(model)(config)
        shapes = {name: tensor.shape for name, tensor in model.state_dict().items()}
        return sorted(name for name, tensor in wider.state_dict().items() if name in shapes and tensor.shape != shapes[name])

    return case.memo(model, "label_weights", learn)


def classifies(case: Any, model: Any) -> str | None:
    """The model has a classification head: weights whose shape follows ``config.num_labels``."""
    if not isinstance(getattr(model.config, "num_labels", None), int):
        return "its config has no num_labels"
    return None if label_weights(case, model) else f"no weight of {type(model).__name__} follows config.num_labels (no classification head)"


@check(applies=classifies)
def mismatched_shapes_load(case: Any, model: Any) -> None:
    import torch

    labels = model.config.num_labels + MORE_LABELS
    folder = checkpoint(model)
    try:
        load(model, folder, num_labels=labels)
    except RuntimeError:
        pass
    else:
        raise CheckFailure(f"{case.model_type}: a checkpoint with {model.config.num_labels} labels loads into a head of "
                           f"{labels} without an error (ignore_mismatched_sizes was not given)")
    config = fresh_config(model)
    config.num_labels = labels
    with quiet(), seeded_init():
        loaded, info = load(model, folder, num_labels=labels, ignore_mismatched_sizes=True)
        built = model_class(model)(config)
    with quiet(), seeded_init(SEED + 1):
        reseeded = model_class(model)(copy.deepcopy(config)).state_dict()
    mismatched = {str(item[0] if isinstance(item, tuple) else item) for item in info.get("mismatched_keys") or ()}
    # a tied weight is reported once, under one of its group's names (as it is saved)
    tied = {name: frozenset(group) for group in tied_groups(model.state_dict()) for name in group}
    heads = set(label_weights(case, model))
    if {tied.get(name, name) for name in mismatched} != {tied.get(name, name) for name in heads}:
        raise CheckFailure(f"{case.model_type}: ignore_mismatched_sizes reinitialises {shown(list(mismatched)) or 'nothing'}, "
                           f"not the weights sized by num_labels ({shown(list(heads))})")
    before, after = stored_tensors(model), stored_tensors(loaded)
    changed = [name for name, tensor in before.items() if name not in heads
               and (name not in after or not torch.equal(after[name], tensor))]
    if changed:
        raise CheckFailure(f"{case.model_type}: loading with ignore_mismatched_sizes changes weights outside the head: {shown(changed)}")
    # none is left as allocated (holding the placeholder), and what _init_weights sets whatever the seed (a class prior,
    # a buffer of class weights, zero biases) is exactly what it gives a model built with as many labels; random draws
    # are not compared (a head initialised as a whole draws another sequence when part of it was loaded)
    state, built_heads = loaded.state_dict(), {name: tensor for name, tensor in built.state_dict().items() if name in heads}
    never = _differing(built_heads, state)[0]
    if never:
        raise CheckFailure(f"{case.model_type}: ignore_mismatched_sizes leaves {shown(never)} as allocated (never reinitialised)")
    otherwise = _differing(_seed_independent(built_heads, reseeded), state)[1]
    if otherwise:
        raise CheckFailure(f"{case.model_type}: ignore_mismatched_sizes reinitialises {shown(otherwise)} otherwise than "
                           f"_init_weights sets them (whatever the seed) in a model built with {labels} labels")
    name, before = main_output(case.reference(model))
    after = main_output(case.forward(loaded, case.inputs(model)))[1]
    grown = [axis for axis, (a, b) in enumerate(zip(after.shape, before.shape)) if a != b]
    if after.dim() != before.dim() or len(grown) != 1 or after.shape[grown[0]] - before.shape[grown[0]] != MORE_LABELS:
        raise CheckFailure(f"{case.model_type}: with {labels} labels instead of {model.config.num_labels}, {name} has shape "
                           f"{tuple(after.shape)} (before {tuple(before.shape)}): not {MORE_LABELS} more along one axis")


@check()
def state_dict_round_trip(case: Any, model: Any) -> None:
    import os

    import torch
    from transformers.modeling_utils import load_state_dict

    strided = [name for name, parameter in model.named_parameters() if not parameter.is_contiguous()]
    if strided:
        raise CheckFailure(f"{case.model_type}: {len(strided)} parameters are not contiguous after __init__: {shown(strided)}")
    expected = stored_tensors(model)
    state = model.state_dict()
    with quiet():
        loaded = model_class(model).from_pretrained(None, config=fresh_config(model), state_dict=state)
    _assert_same(case, expected, stored_tensors(loaded), "from_pretrained(None, state_dict=model.state_dict())")
    with tempfile.TemporaryDirectory(prefix="hfguard-torch-save-") as folder:
        path = os.path.join(folder, "pytorch_model.bin")
        for zipped in (True, False):
            torch.save(state, path, _use_new_zipfile_serialization=zipped)
            _assert_same(case, state, load_state_dict(path), f"torch.save ({'zip' if zipped else 'legacy'} format) then load_state_dict")
    loaded, _ = load(model, checkpoint(model))
    strided = [name for name, parameter in loaded.named_parameters() if not parameter.is_contiguous()]
    if strided:
        raise CheckFailure(f"{case.model_type}: {len(strided)} parameters are not contiguous after from_pretrained: {shown(strided)}")


def _assert_same(case: Any, expected: dict[str, Any], actual: dict[str, Any], how: str) -> None:
    import torch

    if expected.keys() != actual.keys():
        raise CheckFailure(f"{case.model_type}: {how} gives other weights: {shown(list(expected.keys() ^ actual.keys()))}")
    changed = [name for name, tensor in expected.items()
               if actual[name].dtype != tensor.dtype or actual[name].shape != tensor.shape or not torch.equal(actual[name], tensor)]
    if changed:
        raise CheckFailure(f"{case.model_type}: {how} changes {len(changed)} of {len(expected)} weights: {shown(changed)}")


def _ignored_missing(model: Any, names: set[str]) -> set[str]:
    """The names the model's ``_keys_to_ignore_on_load_missing`` patterns cover."""
    patterns = getattr(model, "_keys_to_ignore_on_load_missing", None) or ()
    return {name for name in names if any(re.search(pattern, name) for pattern in patterns)}


@check()
def missing_keys_reported(case: Any, model: Any) -> None:
    import shutil

    from safetensors.torch import save_file
    from transformers.modeling_utils import SAFE_WEIGHTS_NAME

    with tempfile.TemporaryDirectory(prefix="hfguard-empty-") as folder:  # its config, and a checkpoint of no weight
        for name in ("config.json", "generation_config.json"):
            with contextlib.suppress(FileNotFoundError):
                shutil.copy(f"{checkpoint(model)}/{name}", folder)
        import torch

        save_file({"tensor": torch.tensor([1, 2])}, f"{folder}/{SAFE_WEIGHTS_NAME}", metadata={"format": "pt"})
        loaded, info = load(model, folder)
    missing = {str(key) for key in info.get("missing_keys") or ()}
    names = {name for name, _ in [*loaded.named_parameters(), *loaded.named_buffers()]}
    extra = missing - names
    for group in tied_groups(loaded.state_dict()):  # a tied weight is reported under its group's names
        if group - extra:
            extra -= group
    if extra:
        raise CheckFailure(f"{case.model_type}: loading a checkpoint without weights reports {len(extra)} missing keys that "
                           f"are no weight of the model: {shown(list(extra))}")
    persistent = set(loaded.state_dict())
    unreported = {name for name in names - missing if name in persistent}
    excused = _ignored_missing(loaded, names)
    if unreported - excused:
        raise CheckFailure(f"{case.model_type}: loading a checkpoint without weights does not report {len(unreported - excused)} "
                           f"missing weights: {shown(list(unreported - excused))}")
    _head_weights_reported(case, model)


def head_weights(model: Any) -> set[str]:
    """The persistent weights of a head on a base model (outside ``base_model_prefix``; none for a base model), less the
    names ``_keys_to_ignore_on_load_missing`` lists (as transformers' tester leaves them out)."""
    prefix = getattr(model, "base_model_prefix", "")
    if model.base_model is model or not prefix or not hasattr(model, prefix):
        return set()
    declared = set(getattr(model, "_keys_to_ignore_on_load_missing", None) or ())
    persistent = set(model.state_dict())  # a tied head weight is named once, under its source (as transformers' tester)
    return {name for name, _ in [*model.named_parameters(), *model.named_buffers()]
            if name in persistent and not name.startswith(prefix) and name not in declared}


def _head_weights_reported(case: Any, model: Any) -> None:
    """The base model's checkpoint loaded into the head class reports the head's weights missing (and keeps the base's)."""
    import torch

    head = head_weights(model)
    if not head:
        return
    with tempfile.TemporaryDirectory(prefix="hfguard-base-") as folder:
        with quiet():
            save(model.base_model, folder)
        loaded, info = load(model, folder)
    if not info.get("missing_keys"):
        raise CheckFailure(f"{case.model_type}: the base model's checkpoint loaded into {type(model).__name__} reports no "
                           f"missing weights, though the head's are not in it ({shown(list(head))})")
    before, after = stored_tensors(model.base_model), stored_tensors(loaded.base_model)
    changed = [name for name, tensor in before.items() if name in after and not torch.equal(after[name], tensor)]
    if changed:
        raise CheckFailure(f"{case.model_type}: the base model's weights change when its checkpoint is loaded into "
                           f"{type(model).__name__}: {shown(changed)}")
