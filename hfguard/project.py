"""Load what most commands start from: the registry and the catalogue it is checked against."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hfguard.catalogue import FAMILIES, Catalogue, load_catalogue
from hfguard.config import Config, load_config


@dataclass(frozen=True)
class Project:
    """A validated registry with its catalogue (from ``hfguard.lock`` when present)."""

    config: Config
    catalogue: Catalogue


def load_project(config_path: Path | str | None = None) -> Project:
    """Read the registry, load the catalogue, and reject unknown model types and families."""
    config = load_config(config_path)
    catalogue = load_catalogue(config.lock_path)
    config.check_model_types(catalogue.models, FAMILIES)
    return Project(config=config, catalogue=catalogue)
