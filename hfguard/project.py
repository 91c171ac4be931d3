"""Load what most commands start from: the registry and the catalogue it is checked against."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hfguard.catalogue import FAMILIES, Catalogue, ModelInfo, family_misfit, load_catalogue
from hfguard.config import Config, ModelEntry, load_config
from hfguard.errors import HfguardError, Problem


@dataclass(frozen=True)
class Project:
    """A validated registry with its catalogue (from ``hfguard.lock`` when present)."""

    config: Config
    catalogue: Catalogue


def load_project(config_path: Path | str | None = None) -> Project:
    """Read the registry, load the catalogue, and validate the registry against it (see ``validate``)."""
    config = load_config(config_path)
    catalogue = load_catalogue(config.lock_path)
    validate(config, catalogue)
    return Project(config=config, catalogue=catalogue)


def validate(config: Config, catalogue: Catalogue) -> None:
    """Raise one problem per mistake the catalogue can see: unknown model types and families, a ``family`` the
    model's forward cannot be fed as, and ``tiny`` settings its config does not have (a typo would do nothing)."""
    config.check_model_types(catalogue.models, FAMILIES)
    problems = []
    for entry in config.models.values():
        info = catalogue.get(entry.model_type)
        misfit = family_misfit(info, entry.family) if entry.family else None
        if misfit is not None:
            problems.append(Problem(f"family '{entry.family}' does not fit '{entry.model_type}': {misfit}",
                                    config.path, entry.key_lines.get("family") or entry.line))
        line = entry.key_lines.get("tiny") or entry.line
        problems += [Problem(message, config.path, line) for message in _tiny_mistakes(entry, info, catalogue)]
    if problems:
        raise HfguardError(*problems)


def _tiny_mistakes(entry: ModelEntry, info: ModelInfo, catalogue: Catalogue) -> list[str]:
    """One message per ``tiny`` key (nested tables: per sub-config key) that is no setting of its config."""
    mistakes: list[str] = []

    def check(values: dict[str, Any], owner: ModelInfo, where: str) -> None:
        if owner.config_keys is None:
            return  # its default config cannot be built (or the lock predates these facts): nothing to check against
        allowed = set(owner.config_keys.split()) | set(catalogue.common_config_keys)
        for key, value in values.items():
            if key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                mistakes.append(f"{where}.{key} of '{entry.model_type}' is not a setting of {owner.config_class}{hint}; "
                                "a misspelt key would silently do nothing")
            elif isinstance(value, dict):
                sub_type = value.get("model_type") if isinstance(value.get("model_type"), str) else owner.sub_configs.get(key)
                if sub_type in catalogue:
                    check({k: v for k, v in value.items() if k != "model_type"}, catalogue.get(sub_type), f"{where}.{key}")
            elif key in owner.sub_configs:
                sub_type = owner.sub_configs[key]
                sub_class = catalogue.get(sub_type).config_class if sub_type in catalogue else "its sub-config"
                mistakes.append(f"{where}.{key} of '{entry.model_type}' is a sub-config: give a table of {sub_class} "
                                "settings, e.g. { hidden_size = 16 }")

    check(entry.tiny, info, "tiny")
    return mistakes
