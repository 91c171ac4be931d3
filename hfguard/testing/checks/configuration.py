"""Configuration: the tiny config survives every round trip transformers' ``ConfigTester`` makes, and an attention
implementation reaches the config and every sub-config, however it is given (transformers' testers'
``test_config_attn_implementation_setter``, ``test_internal_model_config_and_subconfig_are_same``,
``test_can_set_attention_dynamically(_composite_model)``, ``test_attn_implementation_composite_models`` and
``test_sdpa_can_dispatch_*``).

Everything here compares settings (strings, numbers, object identity) exactly; nothing runs a forward pass.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from typing import Any

from hfguard.testing.checks.loading import checkpoint, load, model_class, quiet, shown
from hfguard.testing.checks.registry import check
from hfguard.testing.tensors import CheckFailure

# keys of a config's dict that record where and how it was written, not a setting
# (``attn_implementation`` is the request ``from_dict`` consumes, not a setting it keeps)
BOOKKEEPING = ("transformers_version", "architectures", "_name_or_path", "model_type", "_attn_implementation_internal",
               "_attn_implementation", "attn_implementation", "_experts_implementation_internal", "dtype", "torch_dtype",
               "id2label", "label2id")
LABELS = (5, 3)


def settings(config: Any) -> dict[str, Any]:
    """The config's settings that differ from its class defaults (``to_diff_dict``), as constructor arguments: the ones
    its class declares (a default instance has them; not a legacy argument its ``__init__`` consumes)."""
    diff = config.to_diff_dict()
    try:
        with quiet():
            declared = set(type(config)().to_dict())
    except Exception:  # noqa: BLE001 - a config class without defaults (has_no_defaults_at_init): every key
        declared = set(diff)
    return {key: value for key, value in diff.items() if key not in BOOKKEEPING and key in declared}


def _plain(config: Any, given: dict[str, Any]) -> dict[str, Any]:
    """The settings of ``given`` that are not sub-configs (a composite given a sub-config as a dict may derive some of
    its settings from its own: the sub-configs are compared in the round trips through files that follow)."""
    from transformers import PreTrainedConfig

    return {key: value for key, value in given.items() if not isinstance(vars(config).get(key), PreTrainedConfig)}


def _read(cls: Any, text: str) -> dict[str, Any]:
    """A config's JSON text as transformers reads it back (its tagged non-finite floats decoded)."""
    decode = getattr(cls, "_decode_special_floats", None)
    return decode(json.loads(text)) if decode else json.loads(text)


def _json(value: Any) -> Any:
    """``value`` as JSON gives it back (tuples become lists)."""
    return json.loads(json.dumps(value))


def _differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    keys = sorted(set(expected) | set(actual))
    return [f"{key} ({expected.get(key, '-')!r:.40} -> {actual.get(key, '-')!r:.40})" for key in keys
            if _json(expected.get(key)) != _json(actual.get(key))]


@check()
def config_round_trip(case: Any, model: Any) -> None:
    cls = type(model.config)
    given = settings(model.config)
    with quiet():
        config = cls(**copy.deepcopy(given))
    written = _read(cls, config.to_json_string())
    kept = _plain(config, given)
    lost = _differences(kept, {key: written.get(key) for key in kept})
    if lost:
        raise CheckFailure(f"{case.model_type}: {cls.__name__}(**settings).to_json_string() loses {len(lost)} settings: {shown(lost)}")
    expected = config.to_dict()
    with tempfile.TemporaryDirectory(prefix="hfguard-config-") as folder, quiet():
        config.to_json_file(os.path.join(folder, "config.json"))
        _same(case, expected, cls.from_json_file(os.path.join(folder, "config.json")).to_dict(), "to_json_file -> from_json_file")
        config.save_pretrained(os.path.join(folder, "saved"))
        _same(case, expected, cls.from_pretrained(os.path.join(folder, "saved")).to_dict(), "save_pretrained -> from_pretrained")
        _same(case, expected, cls.from_pretrained(folder, subfolder="saved").to_dict(), "save_pretrained -> from_pretrained(subfolder=)")
        try:
            cls.from_pretrained(os.path.join(folder, "absent"))
        except OSError:
            pass
        else:
            raise CheckFailure(f"{case.model_type}: {cls.__name__}.from_pretrained of a folder without a config does not raise OSError")
        _sub_configs_load_alone(case, config, os.path.join(folder, "saved"))
    with quiet():
        labelled = cls(**{**copy.deepcopy(given), "num_labels": LABELS[0]})
    counts = [(len(labelled.id2label), len(labelled.label2id))]
    labelled.num_labels = LABELS[1]
    counts.append((len(labelled.id2label), len(labelled.label2id)))
    if counts != [(LABELS[0],) * 2, (LABELS[1],) * 2]:
        raise CheckFailure(f"{case.model_type}: num_labels={LABELS[0]}, then {LABELS[1]}, give id2label/label2id of "
                           f"{counts[0]}, then {counts[1]} labels")
    _builds_without_arguments(case, cls)


def _same(case: Any, expected: dict[str, Any], actual: dict[str, Any], how: str) -> None:
    differ = _differences(expected, actual)
    if differ:
        raise CheckFailure(f"{case.model_type}: {how} changes {len(differ)} settings: {shown(differ)}")


def _sub_configs_load_alone(case: Any, config: Any, folder: str) -> None:
    """Each sub-config's class loads its part of the composite file, as it is in the composite config (where the class
    alone finds that part: see ``_part_found``)."""
    whole = config.to_dict()
    for key, sub_class in getattr(config, "sub_configs", {}).items():
        part = whole.get(key)
        if not isinstance(part, dict):
            continue
        if sub_class.__name__ == "AutoConfig":
            sub_class = type(getattr(config, key))
        if _part_found(sub_class, whole) != key:
            continue
        with quiet():
            loaded = sub_class.from_pretrained(folder).to_dict()
        loaded.pop("transformers_version", None)
        part = _compared(part)
        differ = _differences(part, _compared(loaded))
        if differ:
            raise CheckFailure(f"{case.model_type}: {sub_class.__name__}.from_pretrained of the composite config gives "
                               f"another {key} ({len(differ)} settings: {shown(differ)})")


def _compared(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` without the bookkeeping keys, ``model_type`` kept (a sub-config's part names its type)."""
    return {key: value for key, value in settings.items() if key not in BOOKKEEPING or key == "model_type"}


def _part_found(sub_class: Any, whole: dict[str, Any]) -> str | None:
    """The key of the composite config's part that ``sub_class.from_pretrained`` loads from the composite file, as
    transformers finds it: the part under the class's ``base_config_key``, else the one part of the class's
    ``model_type`` (None when there are several, or several base keys: the class alone cannot tell them apart)."""
    base = getattr(sub_class, "base_config_key", "")
    if not isinstance(base, str):
        return None
    if base and isinstance(whole.get(base), dict):
        return base
    typed = [key for key, part in whole.items() if isinstance(part, dict) and part.get("model_type") == sub_class.model_type]
    return typed[0] if len(typed) == 1 else None


def _builds_without_arguments(case: Any, cls: Any) -> None:
    """The config class builds with its defaults, or refuses with a ValueError when it declares it has none."""
    with quiet():
        try:
            cls()
        except ValueError:
            if not getattr(cls, "has_no_defaults_at_init", False):
                raise CheckFailure(f"{case.model_type}: {cls.__name__}() raises a ValueError although it does not declare "
                                   "has_no_defaults_at_init") from None
            return
    if getattr(cls, "has_no_defaults_at_init", False):
        raise CheckFailure(f"{case.model_type}: {cls.__name__}() builds although it declares has_no_defaults_at_init")


def _nested_configs(config: Any, path: str = "config") -> list[tuple[str, Any]]:
    """(path, config) of ``config`` and every config held in its attributes, at any depth."""
    from transformers import PreTrainedConfig

    found = [(path, config)]
    for name, value in vars(config).items():
        if isinstance(value, PreTrainedConfig) and value is not config:
            found += _nested_configs(value, f"{path}.{name}")
    return found


def _sub_configs(config: Any) -> list[tuple[str, Any]]:
    """(key, config) of the config's registered sub-configs that are set."""
    return [(key, getattr(config, key)) for key in getattr(config, "sub_configs", {}) if getattr(config, key, None) is not None]


def _not(implementation: str, configs: list[tuple[str, Any]]) -> list[str]:
    return [f"{path} ({config._attn_implementation})" for path, config in configs if config._attn_implementation != implementation]


def _submodels(model: Any) -> list[Any]:
    from transformers import PreTrainedModel

    return [module for module in model.modules() if isinstance(module, PreTrainedModel)]


@check()
def attn_implementation_switch(case: Any, model: Any) -> None:
    cls, config = model_class(model), model.config
    _setter_reaches_nested_configs(case, config)
    _subconfig_objects_shared(case, model)
    per_part = _per_part(config)
    eager = copy.deepcopy(config)
    eager._attn_implementation = per_part if len(per_part) > 1 else "eager"
    with quiet():
        built = cls(eager)
    _runs_eager(case, built, f"built from a config set to {eager._attn_implementation!r}")
    mixed = copy.deepcopy(config)
    mixed._attn_implementation = None
    text_config = mixed.get_text_config(decoder=True)
    # a composite: the default everywhere but the text config's eager (a config it holds: a flat encoder-decoder's
    # get_text_config gives a copy with its decoder's settings, no part of the config)
    if len(per_part) > 1 and any(held is text_config for _, held in _nested_configs(mixed)):
        text_config._attn_implementation = "eager"
        with quiet():
            text = cls(mixed).config.get_text_config(decoder=True)._attn_implementation
        if text != "eager":
            raise CheckFailure(f"{case.model_type}: built with the text config set to eager and the rest by default, the "
                               f"text config runs {text}")
    if _dynamic(built):
        _switches(case, built)


def _per_part(config: Any) -> dict[str, str]:
    """``attn_implementation`` as a dict: eager for the config and each of its sub-configs."""
    return {"": "eager", **{key: "eager" for key, _ in _sub_configs(config)}}


@check()
def attn_implementation_on_load(case: Any, model: Any) -> None:
    folder = checkpoint(model)
    loaded, _ = load(model, folder)
    wrong = [f"{type(part).__name__} ({part.config._attn_implementation})" for part in _submodels(loaded)
             if part.config._attn_implementation != ("sdpa" if type(part)._supports_sdpa else "eager")]
    if wrong:
        raise CheckFailure(f"{case.model_type}: loaded by default, parts do not run SDPA where they support it (else eager): "
                           f"{shown(wrong)}")
    per_part = _per_part(model.config)
    for requested in ("eager", per_part) if len(per_part) > 1 else ("eager",):
        loaded, _ = load(model, folder, attn_implementation=copy.deepcopy(requested))
        _runs_eager(case, loaded, f"loaded with attn_implementation={requested!r}")


def _setter_reaches_nested_configs(case: Any, config: Any) -> None:
    """``attn_implementation`` given at init, then the setter, reach every nested config."""
    arguments = {k: v for k, v in config.to_diff_dict().items() if k not in ("_attn_implementation_internal", "_attn_implementation")}
    with quiet():
        built = type(config)(**copy.deepcopy(arguments), attn_implementation="eager")
    for implementation, how in (("eager", "attn_implementation='eager' at init"), ("sdpa", "config._attn_implementation = 'sdpa'"),
                                ("eager", "config._attn_implementation = 'eager'")):
        if how.startswith("config."):
            built._attn_implementation = implementation
        wrong = _not(implementation, _nested_configs(built))
        if wrong:
            raise CheckFailure(f"{case.model_type}: after {how}, nested configs keep another implementation: {shown(wrong)}")


def _runs_eager(case: Any, model: Any, how: str) -> None:
    """Every config of ``model`` and every attention layer's says eager."""
    wrong = [f"{name} ({type(module).__name__}: {module.config._attn_implementation})" for name, module in model.named_modules()
             if _attention(module) and hasattr(getattr(module, "config", None), "_attn_implementation")
             and module.config._attn_implementation != "eager"]
    wrong += _not("eager", _nested_configs(model.config))
    if wrong:
        raise CheckFailure(f"{case.model_type}: {how}, parts run another implementation: {shown(wrong)}")


def _attention(module: Any) -> bool:
    """``module`` is an attention layer (its class is named so)."""
    return type(module).__name__.endswith("Attention")


def _subconfig_objects_shared(case: Any, model: Any) -> None:
    """A sub-model with attention layers has for config the very object its parent config holds, at any depth (not a
    copy: an attention setting on one would miss the other)."""
    held = [sub for _, sub in _nested_configs(model.config)[1:]]
    for submodel in _submodels(model):
        config = submodel.config
        if type(config) is type(model.config) or not any(_attention(module) for module in submodel.modules()):
            continue
        same_class = [sub for sub in held if type(sub) is type(config)]
        if same_class and not any(sub is config for sub in same_class):
            raise CheckFailure(f"{case.model_type}: {type(submodel).__name__}.config is a copy of the parent config's "
                               f"{type(config).__name__}, not the same object (a setting on one misses the other)")


def _dynamic(model: Any) -> bool:
    """Every part of the model can switch its attention at run time and supports SDPA (transformers' condition)."""
    return all(part._can_set_attn_implementation() and part._supports_sdpa for part in _submodels(model))


def _switches(case: Any, model: Any) -> None:
    """``set_attn_implementation`` reaches every config; an unknown name is refused and changes nothing; ``{"": ...}``
    switches only the top config."""
    configs = _nested_configs(model.config)
    with quiet():
        model.set_attn_implementation("sdpa")
    wrong = _not("sdpa", configs)
    if wrong:
        raise CheckFailure(f"{case.model_type}: set_attn_implementation('sdpa') leaves configs on another implementation: {shown(wrong)}")
    try:
        with quiet():
            model.set_attn_implementation("foo")
    except ValueError as error:
        if 'attn_implementation="foo"' not in str(error):
            raise CheckFailure(f"{case.model_type}: set_attn_implementation('foo') raises another ValueError: "
                               f"{str(error).splitlines()[0][:150]}") from None
    else:
        raise CheckFailure(f"{case.model_type}: set_attn_implementation('foo') accepts an unknown implementation")
    wrong = _not("sdpa", configs)
    if wrong:
        raise CheckFailure(f"{case.model_type}: a refused set_attn_implementation('foo') changes configs: {shown(wrong)}")
    if not _sub_configs(model.config):
        return
    with quiet():
        model.set_attn_implementation("eager")
        model.set_attn_implementation({"": "sdpa"})
    subs = [(f"config.{key}", sub) for key, sub in _sub_configs(model.config)]
    if model.config._attn_implementation != "sdpa" or _not("eager", subs):
        raise CheckFailure(f"{case.model_type}: set_attn_implementation({{'': 'sdpa'}}) gives the top config "
                           f"{model.config._attn_implementation} and sub-configs {shown(_not('eager', subs)) or 'eager'}: only the top should switch")
