"""The model catalogue: every model type the installed transformers knows, placed in one family.

The family of a model type is decided in one function, ``classify``, from transformers' own
auto mappings (``modeling_auto.*_MAPPING_NAMES``); types that sit only in the base mapping get
theirs from their config and forward signature. ``hfguard lock`` snapshots the result into
``hfguard.lock`` so that every other command can work without importing transformers.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hfguard.errors import HfguardError, Problem
from hfguard.names import CLASS_NAME, TASK, VERSION, is_model_type, printable, shown
from hfguard.paths import read_text

LOCK_SCHEMA = 2
READABLE_SCHEMAS = (1, 2)  # a schema-1 lock lacks the config keys and inputs; the checks that need them wait for 'hfguard lock'
MAX_REASON = 1000  # characters of a model type's reason in the lock
SETTING = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")  # a config setting's name

# Families in the order hfguard shows them. ``unsupported`` always carries a reason.
FAMILIES = (
    "encoder-only",
    "decoder-only",
    "encoder-decoder",
    "vision",
    "vision-dense",
    "speech",
    "speech-seq2seq",
    "text-to-audio",
    "vision-text",
    "multimodal-lm",
    "video",
    "time-series",
    "unsupported",
)

# Kinds of model type: a model of its own (in the base mapping), only task heads, a sub-config
# of another model type, or a config with no model class at all.
KINDS = ("standalone", "head-only", "sub-config", "no-model")

# task (from the mapping name) -> family it votes for, strongest first. Tasks not listed here
# (e.g. ``decision``, whose 5.24 mapping points qwen2 and gemma4 at JevForDecision) never vote.
TASK_FAMILIES: tuple[tuple[str, str], ...] = (
    ("time-series-prediction", "time-series"),
    ("time-series-classification", "time-series"),
    ("time-series-regression", "time-series"),
    ("video-classification", "video"),
    ("speech-seq-2-seq", "speech-seq2seq"),
    ("text-to-spectrogram", "text-to-audio"),
    ("text-to-waveform", "text-to-audio"),
    ("ctc", "speech"),
    ("rnnt", "speech"),
    ("tdt", "speech"),
    ("audio-classification", "speech"),
    ("audio-frame-classification", "speech"),
    ("audio-xvector", "speech"),
    ("zero-shot-image-classification", "vision-text"),
    ("image-text-to-text", "multimodal-lm"),
    ("multimodal-lm", "multimodal-lm"),
    ("visual-question-answering", "multimodal-lm"),
    ("zero-shot-object-detection", "vision-dense"),
    ("object-detection", "vision-dense"),
    ("semantic-segmentation", "vision-dense"),
    ("instance-segmentation", "vision-dense"),
    ("universal-segmentation", "vision-dense"),
    ("image-segmentation", "vision-dense"),
    ("depth-estimation", "vision-dense"),
    ("keypoint-detection", "vision-dense"),
    ("keypoint-matching", "vision-dense"),
    ("mask-generation", "vision-dense"),
    ("pose-estimation", "vision-dense"),
    ("normal-estimation", "vision-dense"),
    ("pointmap-estimation", "vision-dense"),
    ("image-matting", "vision-dense"),
    ("image-to-image", "vision-dense"),
    ("image-classification", "vision"),
    ("backbone", "vision"),
    ("masked-image-modeling", "vision"),
    ("causal-image-modeling", "vision"),
    ("image", "vision"),
    ("seq-to-seq-causal-lm", "encoder-decoder"),
    # Encoders such as bert also carry a causal-LM head (BertLMHeadModel); a masked-LM head
    # marks an encoder, so it outranks causal-lm.
    ("masked-lm", "encoder-only"),
    ("causal-lm", "decoder-only"),
    ("sequence-classification", "encoder-only"),
    ("token-classification", "encoder-only"),
    ("question-answering", "encoder-only"),
    ("multiple-choice", "encoder-only"),
    ("next-sentence-prediction", "encoder-only"),
    ("text-encoding", "encoder-only"),
    ("pretraining", "encoder-only"),
)
_TASK_RANK = {task: rank for rank, (task, _) in enumerate(TASK_FAMILIES)}
# Families a base-only model's forward signature can point to, most specific first: a forward
# that takes input_ids and input_features (clap) is speech, not encoder-only; one that takes
# input_ids and pixel_values is vision-text even when it also takes videos or audio.
HINT_ORDER = (
    "time-series",
    "vision-text",
    "video",
    "speech",
    "vision",
    "encoder-decoder",
    "decoder-only",
    "encoder-only",
)
_TASK_FAMILY = dict(TASK_FAMILIES)

# What a family's input recipes feed: a forward fits the family when it takes a name of every group.
_TEXT = frozenset({"input_ids", "inputs_embeds"})
_IMAGE = frozenset({"pixel_values", "flattened_patches", "image_pixel_values", "pixel_values_images", "grid_thw"})
_VIDEO = frozenset({"pixel_values_videos", "pixel_values"})
_AUDIO = frozenset({"input_values", "input_features", "audio_values", "audio_codes", "audio_mel"})
FAMILY_INPUTS: dict[str, tuple[frozenset[str], ...]] = {
    "encoder-only": (_TEXT,),
    "decoder-only": (_TEXT,),
    "text-to-audio": (_TEXT,),
    "encoder-decoder": (_TEXT, frozenset({"decoder_input_ids", "decoder_inputs_embeds"})),
    "vision": (_IMAGE,),
    "vision-dense": (_IMAGE,),
    "video": (_VIDEO,),
    "speech": (_AUDIO,),
    "speech-seq2seq": (_AUDIO | _TEXT,),
    "vision-text": (_TEXT, _IMAGE | _VIDEO),
    "multimodal-lm": (_TEXT, _IMAGE | _VIDEO | _AUDIO | {"protein_input_ids"}),
    "time-series": (frozenset({"past_values"}),),
}
FAMILY_INPUT_NAMES = frozenset().union(*(group for groups in FAMILY_INPUTS.values() for group in groups))


def family_misfit(info: ModelInfo, family: str) -> str | None:
    """Why ``info``'s model cannot be tested as ``family`` (its forward lacks the family's inputs), or None.

    A model type's own family always fits; unknown inputs (an old lock) are given the benefit of the doubt.
    """
    if family == info.family or info.inputs is None or family not in FAMILY_INPUTS:
        return None
    inputs = set(info.inputs)

    def missing(name: str) -> list[frozenset[str]]:
        return [group for group in FAMILY_INPUTS[name] if not group & inputs]

    if not missing(family):
        return None
    takes = ", ".join(info.inputs) or "none of the inputs hfguard's families feed"
    fitting = [name for name in FAMILY_INPUTS if name == info.family or not missing(name)]
    return (f"its forward ({info.model_class()}) takes {takes}, but '{family}' feeds one of "
            f"{', '.join(sorted(missing(family)[0]))}; families that fit: {', '.join(fitting)}")


@dataclass(frozen=True)
class ModelInfo:
    """What hfguard knows about one model type."""

    model_type: str
    family: str
    kind: str
    config_class: str
    base_class: str | None = None
    heads: dict[str, str] = field(default_factory=dict)
    task: str | None = None
    reason: str = ""
    # the config's settings beyond ``Catalogue.common_config_keys``, space-separated to keep the lock small
    # (None: its default config cannot be built)
    config_keys: str | None = None
    sub_configs: dict[str, str | None] = field(default_factory=dict)  # setting -> model type of its sub-config
    inputs: list[str] | None = None  # the family inputs (``FAMILY_INPUT_NAMES``) the tested class's forward takes

    @property
    def standalone(self) -> bool:
        """A model of its own: the denominator of coverage and the scope of ``--all``."""
        return self.kind == "standalone"

    @property
    def generatable(self) -> bool:
        """Has a model class hfguard can build a test around."""
        return self.kind in ("standalone", "head-only") and self.family != "unsupported"

    def model_class(self, task: str | None = None) -> str | None:
        """Class name for ``task`` (default: the family's task), falling back to the base model."""
        chosen = task or self.task
        if chosen and chosen in self.heads:
            return self.heads[chosen]
        return self.base_class

    def as_dict(self) -> dict[str, Any]:
        """Plain data, as stored in ``hfguard.lock``."""
        return asdict(self)


@dataclass
class Catalogue:
    """Every model type one transformers version knows."""

    transformers_version: str
    models: dict[str, ModelInfo]
    common_config_keys: list[str] = field(default_factory=list)  # settings every config has (PretrainedConfig's)
    schema: int = LOCK_SCHEMA  # of the lock it was read from

    def __contains__(self, model_type: str) -> bool:
        return model_type in self.models

    def get(self, model_type: str) -> ModelInfo:
        """The info of a known model type (KeyError for unknown ones)."""
        return self.models[model_type]

    def standalone(self) -> list[ModelInfo]:
        """Standalone model types, sorted by name."""
        return [info for _, info in sorted(self.models.items()) if info.standalone]

    def by_family(self, infos: list[ModelInfo] | None = None) -> dict[str, list[ModelInfo]]:
        """Model types grouped by family, in ``FAMILIES`` order."""
        groups: dict[str, list[ModelInfo]] = {family: [] for family in FAMILIES}
        for info in infos if infos is not None else list(self.models.values()):
            groups[info.family].append(info)
        return groups

    def to_json(self) -> str:
        """Deterministic JSON for ``hfguard.lock``."""
        data = {
            "schema": LOCK_SCHEMA,
            "generator": "hfguard lock",
            "transformers_version": self.transformers_version,
            "common_config_keys": self.common_config_keys,
            "models": {name: self.models[name].as_dict() for name in sorted(self.models)},
        }
        return json.dumps(data, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, path: Path) -> Catalogue:
        """Read ``hfguard.lock`` text; a clear error when it is damaged."""
        try:
            data = json.loads(text)
            if data.get("schema") not in READABLE_SCHEMAS:
                raise ValueError(f"schema {shown(str(data.get('schema')))}, expected {LOCK_SCHEMA}")
            models = {name: _model_info(name, info) for name, info in data["models"].items()}
            if not _matches(VERSION, data["transformers_version"]):
                raise ValueError(f"invalid transformers_version {shown(str(data['transformers_version']))}")
            common = data.get("common_config_keys", [])
            if not isinstance(common, list) or not all(_matches(SETTING, key) for key in common):
                raise ValueError("invalid common_config_keys")
            return cls(transformers_version=data["transformers_version"], models=models, common_config_keys=common,
                       schema=data["schema"])
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            raise HfguardError(
                Problem(f"unreadable lock file ({_reason(error)}); run 'hfguard lock' to rewrite it", path)
            ) from None


def _model_info(name: str, info: Any) -> ModelInfo:
    """One entry of ``hfguard.lock``, every field checked: names reach generated files, comments and terminals."""
    if not is_model_type(name):
        raise ValueError(f"invalid model type {shown(name)}")
    model = ModelInfo(**info)
    valid = {
        "model_type": model.model_type == name,
        "family": model.family in FAMILIES,
        "kind": model.kind in KINDS,
        "config_class": _matches(CLASS_NAME, model.config_class),
        "base_class": model.base_class is None or _matches(CLASS_NAME, model.base_class),
        "heads": isinstance(model.heads, dict)
        and all(_matches(TASK, task) and _matches(CLASS_NAME, head) for task, head in model.heads.items()),
        "task": model.task is None or _matches(TASK, model.task),
        "reason": isinstance(model.reason, str) and printable(model.reason, MAX_REASON) == model.reason,
        "config_keys": model.config_keys is None
        or isinstance(model.config_keys, str) and all(_matches(SETTING, key) for key in model.config_keys.split()),
        "sub_configs": isinstance(model.sub_configs, dict) and all(
            _matches(SETTING, key) and (sub is None or is_model_type(sub)) for key, sub in model.sub_configs.items()),
        "inputs": model.inputs is None or isinstance(model.inputs, list) and set(model.inputs) <= FAMILY_INPUT_NAMES,
    }
    wrong = [key for key, ok in valid.items() if not ok]
    if wrong:
        raise ValueError(f"model type '{name}' has an invalid {', '.join(wrong)}")
    return model


def _matches(pattern: re.Pattern[str], value: Any) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _reason(error: BaseException) -> str:
    """An exception as one short line (a KeyError of a huge key, a TypeError naming a bad field)."""
    text = "nested too deeply" if isinstance(error, RecursionError) else str(error)
    return printable(text, 200)


def task_from_mapping_name(name: str) -> str:
    """``MODEL_FOR_CAUSAL_LM_MAPPING_NAMES`` -> ``causal-lm``; ``MODEL_MAPPING_NAMES`` -> ``base``."""
    if name == "MODEL_MAPPING_NAMES":
        return "base"
    return name.removeprefix("MODEL_FOR_").removesuffix("_MAPPING_NAMES").lower().replace("_", "-")


def classify(tasks: set[str], hints: dict[str, str] | None = None) -> tuple[str, str | None, str]:
    """Decide (family, task, reason) from the tasks a model type has heads for.

    The strongest voting task wins (see ``TASK_FAMILIES``). With no voting task, ``hints`` --
    families inferred from the config and forward signature (see ``infer_hints``) -- decide.
    """
    voting = sorted((t for t in tasks if t in _TASK_RANK), key=_TASK_RANK.__getitem__)
    if voting:
        task = voting[0]
        return _TASK_FAMILY[task], task, f"head: {task}"
    hints = hints or {}
    for family in HINT_ORDER:
        if family in hints:
            return family, None, f"base model only; {hints[family]}"
    detail = f"; {hints['unsupported']}" if "unsupported" in hints else ""
    return "unsupported", None, (
        "no task head, and no input hfguard's families build (input_ids, pixel_values, audio, past_values)" + detail
    )


def load_catalogue(lock_path: Path | None = None) -> Catalogue:
    """The catalogue from ``hfguard.lock`` when it exists, else from the installed transformers."""
    text = read_text(lock_path, "lock file") if lock_path is not None else None
    return Catalogue.from_json(text, lock_path) if text is not None else build_catalogue()


def build_catalogue() -> Catalogue:
    """Classify every model type of the installed transformers (imports transformers)."""
    import transformers
    from transformers.models.auto import configuration_auto, modeling_auto

    mappings = {
        task_from_mapping_name(name): getattr(modeling_auto, name)
        for name in dir(modeling_auto)
        if name.startswith("MODEL") and name.endswith("_MAPPING_NAMES")
    }
    base = mappings.pop("base")
    quiet = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # default configs of some types warn about their own ids
    try:
        sub_config_of = _sub_config_owners(configuration_auto.CONFIG_MAPPING)
        models = _classify_all(transformers, configuration_auto.CONFIG_MAPPING_NAMES, base, mappings, sub_config_of)
        common = sorted(_settings(transformers.PretrainedConfig) or ())
        models = {name: _with_facts(transformers, info, set(common)) for name, info in models.items()}
    finally:
        transformers.logging.set_verbosity(quiet)
    return Catalogue(transformers_version=transformers.__version__, models=models, common_config_keys=common)


def _classify_all(
    transformers: Any,
    config_names: dict[str, str],
    base: dict[str, Any],
    mappings: dict[str, dict[str, Any]],
    sub_config_of: dict[str, list[str]],
) -> dict[str, ModelInfo]:
    models = {}
    for model_type, config_class in config_names.items():
        heads = {task: _first(mapping[model_type]) for task, mapping in mappings.items() if model_type in mapping}
        base_class = _first(base[model_type]) if model_type in base else None
        if base_class is not None or heads:
            kind = "standalone" if base_class is not None else "head-only"
            hints = {} if set(heads) & set(_TASK_RANK) else infer_hints(transformers, model_type, base_class)
            family, task, reason = classify(set(heads), hints)
            if family == "encoder-decoder":
                family, reason = _refine_seq2seq(transformers, heads[task], family, reason)
            elif family == "multimodal-lm":
                family, reason = _refine_media_lm(transformers, heads[task], config_class, family, reason)
        else:
            owners = sub_config_of.get(model_type)
            kind = "sub-config" if owners else "no-model"
            family, task = "unsupported", None
            reason = f"sub-config of {', '.join(owners)}; tested through it" if owners else "no model class in the auto mappings"
        models[model_type] = ModelInfo(
            model_type=model_type,
            family=family,
            kind=kind,
            config_class=config_class,
            base_class=base_class,
            heads=dict(sorted(heads.items())),
            task=task,
            reason=reason,
        )
    return models


def infer_hints(transformers: Any, model_type: str, base_class: str | None) -> dict[str, str]:
    """Families a base-only model type's forward signature and config point to, with the evidence.

    With no family in sight, the one key ``unsupported`` says what the forward takes instead.
    """
    import inspect

    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    model_class, signature = None, None
    try:
        model_class = getattr(transformers, base_class) if base_class else None
        signature = inspect.signature(model_class.forward) if model_class is not None else None
        forward = list(signature.parameters) if signature is not None else []
        params = set(forward)
        unknown = _unknown_forward(model_class, signature) if model_class is not None else "its forward takes nothing"
    except Exception as error:  # noqa: BLE001 - optional packages missing or a broken lazy import
        params = set()
        unknown = f"its model class {base_class} cannot be imported ({str(error).strip().splitlines()[0]})"
    config_class = CONFIG_MAPPING[model_type]
    sub_keys = set(getattr(config_class, "sub_configs", {}) or {})
    keys = _config_keys(config_class)
    hints: dict[str, str] = {}

    def hint(family: str, evidence: set[str], where: str) -> None:
        if evidence:
            hints.setdefault(family, f"{where} {', '.join(sorted(evidence))}")

    hint("time-series", params & {"past_values"}, "forward takes")
    hint("time-series", keys & {"prediction_length"}, "config has")
    hint("video", params & {"pixel_values_videos"}, "forward takes")
    hint("video", sub_keys & {"video_config", "audio_video_config"}, "config has")
    hint("speech", params & {"input_values", "input_features", "audio_values", "audio_codes", "audio_mel"}, "forward takes")
    hint("speech", keys & {"sampling_rate"}, "config has")
    if "pixel_values" in params:
        hint("vision-text", params & {"input_ids"}, "forward takes pixel_values and")
        hint("vision", {"pixel_values"}, "forward takes")
    if {"hidden_states", "grid_thw"} <= params:
        hint("vision", {"hidden_states", "grid_thw"}, "forward takes patch")
    hint("encoder-decoder", params & {"decoder_input_ids"}, "forward takes")
    if "input_ids" in params:
        _text_hint(hint, keys, "input_ids")
    if not hints and signature is not None:  # the forward names its main input generically
        _generic_input_hints(hint, model_class, signature, keys)
    return hints or {"unsupported": unknown}


_DECODER_KEYS = frozenset({"num_key_value_heads", "layer_types", "rope_parameters"})
# what a class's main input (``main_input_name``) says of a generically named first forward input
_MAIN_INPUT_FAMILIES = {"input_values": "speech"}  # the main inputs hfguard's recipes build under another name


def _text_hint(hint: Any, keys: set[str], text_input: str) -> None:
    """A text model reading ``text_input``: decoder-only when its config has decoder attention fields, else encoder-only."""
    decoder_keys = keys & _DECODER_KEYS
    hint("decoder-only", decoder_keys, f"forward takes {text_input}; config has")
    hint("encoder-only", set() if decoder_keys else {text_input}, "forward takes")


def _generic_input_hints(hint: Any, model_class: Any, signature: Any, keys: set[str]) -> None:
    """Families of a forward whose main input has no family's name, from what the model class declares.

    Embeddings (a required ``*_embeds``, e.g. a Q-Former's ``query_embeds``) are read in the modality the
    class declares (``input_modalities``): text embeddings make a text model, audio ones a speech model. A
    bare first input (see ``hfguard.testing.synth.bare_main_input``) is the class's ``main_input_name`` under another name:
    audio for ``input_values`` (VibeVoice's tokenizer encoder and decoder: a waveform, or its latents).
    """
    required = [p for name, p in list(signature.parameters.items())[1:] if p.default is p.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    embeds = [p.name for p in required if p.name.endswith("embeds")]
    declared = getattr(model_class, "input_modalities", ())
    modalities = {declared} if isinstance(declared, str) else set(declared)
    if embeds and "text" in modalities:
        _text_hint(hint, keys, embeds[0])
    elif embeds and "audio" in modalities:
        hint("speech", set(embeds), "forward takes embeddings of its declared audio input,")
    from hfguard.testing.synth import bare_main_input

    bare = bare_main_input(model_class, tuple(_MAIN_INPUT_FAMILIES))
    if not embeds and bare is not None:
        main = model_class.main_input_name
        hint(_MAIN_INPUT_FAMILIES[main], {main}, f"forward's {bare} is its class's main input,")


def _unknown_forward(model_class: Any, signature: Any) -> str:
    """What a forward no family reads takes instead: nothing of its own, a non-tensor object, or its parameters."""
    if getattr(model_class.forward, "__name__", "") == "_forward_unimplemented":
        return f"its model class {model_class.__name__} has no forward of its own (nn.Module's raises NotImplementedError)"
    params = [p for name, p in list(signature.parameters.items())[1:] if name != "kwargs"]
    first = params[0] if params else None
    if first is not None and isinstance(first.annotation, type) and first.annotation.__module__.startswith("transformers."):
        return f"its forward takes {first.name}, a {first.annotation.__name__} object, not tensors"
    return f"its forward takes {', '.join(p.name for p in params[:5]) or 'nothing'}"


def _refine_seq2seq(transformers: Any, head_class: str, family: str, reason: str) -> tuple[str, str]:
    """A seq-to-seq head whose forward takes audio or images and no decoder inputs is an audio/vision LM.

    transformers files such LMs (audioflamingo3, musicflamingo) under the seq-to-seq mapping.
    """
    import inspect

    try:
        params = set(inspect.signature(getattr(transformers, head_class).forward).parameters)
    except Exception:  # noqa: BLE001 - an optional package is missing: keep the mapping's word
        return family, reason
    if "decoder_input_ids" in params:
        return family, reason
    if params & {"input_features", "input_values"}:
        return "speech-seq2seq", f"{reason}; forward takes audio and no decoder inputs"
    if "pixel_values" in params:
        return "multimodal-lm", f"{reason}; forward takes pixel_values and no decoder inputs"
    return family, reason


_MEDIA_PARAMS = ("pixel", "image", "video", "audio", "input_features", "input_values", "protein", "flattened_patches")


def _refine_media_lm(transformers: Any, head_class: str, config_class: str, family: str, reason: str) -> tuple[str, str]:
    """A media-LM head whose forward takes no media input and whose config has no media sub-config is a text LM.

    transformers files such text-only heads (mistral4's Mistral4ForCausalLM) under image-text-to-text.
    """
    import inspect

    try:
        params = inspect.signature(getattr(transformers, head_class).forward).parameters
        config_keys = _config_keys(getattr(transformers, config_class))
    except Exception:  # noqa: BLE001 - an optional package is missing: keep the mapping's word
        return family, reason
    if any(media in name for name in params for media in _MEDIA_PARAMS):
        return family, reason
    if any(key.endswith("_config") and key != "text_config" for key in config_keys):
        return family, reason  # media reaches a sub-model through **kwargs (diffusion_gemma)
    return "decoder-only", f"{reason}; but its forward takes no media input and its config has no media sub-config"


def _config_keys(config_class: Any) -> set[str]:
    """Attribute names of a config class's default instance (empty when it cannot be built)."""
    config = _default_config(config_class)
    return set() if config is None else set(vars(config)) | set(getattr(config_class, "attribute_map", {}) or {})


@functools.cache
def _default_config(config_class: Any) -> Any:
    try:
        return config_class()
    except Exception:  # noqa: BLE001 - some configs cannot be built with defaults: no config facts
        return None


def _settings(config_class: Any) -> set[str] | None:
    """What a registry's ``tiny`` may set on a config class: its default instance's attributes, their
    ``attribute_map`` aliases, its settable properties (``num_labels``) and its constructor's parameters
    (None: the default cannot be built)."""
    import inspect

    if _default_config(config_class) is None:
        return None
    init = {name for name, p in inspect.signature(config_class.__init__).parameters.items()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and name != "self"}
    settable = {name for name, member in inspect.getmembers(config_class) if isinstance(member, property) and member.fset}
    return _config_keys(config_class) | init | settable


def _with_facts(transformers: Any, info: ModelInfo, common: set[str]) -> ModelInfo:
    """``info`` with what the registry checks need: its config's settings and sub-configs, and its forward's inputs."""
    import dataclasses
    import inspect

    config_class = getattr(transformers, info.config_class, None)
    settings = _settings(config_class) if config_class is not None else None
    default = _default_config(config_class) if config_class is not None else None
    values = vars(default) if default is not None else {}
    sub_configs = {name: getattr(value, "model_type", None) or None for name, value in sorted(values.items())
                   if hasattr(value, "to_dict") and not isinstance(value, dict)}
    inputs = None
    if info.generatable:
        try:
            params = inspect.signature(getattr(transformers, info.model_class()).forward).parameters
            inputs = sorted(set(params) & FAMILY_INPUT_NAMES)
        except Exception:  # noqa: BLE001 - an optional package is missing: its inputs stay unknown
            inputs = None
    return dataclasses.replace(info, config_keys=None if settings is None else " ".join(sorted(settings - common)),
                               sub_configs=sub_configs, inputs=inputs)


def _sub_config_owners(config_mapping: Any) -> dict[str, list[str]]:
    owners: dict[str, list[str]] = {}
    for owner in config_mapping.keys():
        for sub in (getattr(config_mapping[owner], "sub_configs", None) or {}).values():
            sub_type = getattr(sub, "model_type", None)
            if sub_type and sub_type != owner:
                owners.setdefault(sub_type, []).append(owner)
    return {name: sorted(set(found)) for name, found in owners.items()}


def _first(names: str | tuple[str, ...]) -> str:
    return names if isinstance(names, str) else names[0]
