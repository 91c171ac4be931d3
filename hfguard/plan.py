"""What the registry says should be generated: one planned file per entry, with its inputs hash.

Shared by ``generate`` (which renders the plan) and ``verify`` (which checks files against it);
light enough for hooks: no jinja2, transformers or git.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hfguard.catalogue import Catalogue, ModelInfo
from hfguard.config import Config, ModelEntry
from hfguard.errors import HfguardError, Problem
from hfguard.stamp import inputs_hash, template_sources, test_file_name
from hfguard.testing.checks.registry import summaries


@dataclass(frozen=True)
class PlannedFile:
    """One test file the registry asks for."""

    model_type: str
    family: str
    task: str | None
    path: Path
    entry: ModelEntry
    info: ModelInfo
    inputs: str
    team_checks: tuple[str, ...] = ()  # the registry's team modules: the generated file imports them at collection

    def render_context(self) -> dict[str, Any]:
        """The values a template sees (all enter generated code as Python literals)."""
        return {
            "model_type": self.model_type,
            "family": self.family,
            "task": self.task,
            "model_class": self.info.model_class(self.task),
            "config_class": self.info.config_class,
            "checkpoint": self.entry.checkpoint,
            "tiny": dict(self.entry.tiny),
            "skip": self.entry.skip,
            "xfail": self.entry.xfail,
            "check_summaries": summaries(),
            "team_checks": list(self.team_checks),
            "off": dict(self.entry.off),
            "xfail_checks": dict(self.entry.xfail_checks),
        }


def entries_for(config: Config, catalogue: Catalogue, all_types: bool = False) -> list[ModelEntry]:
    """The registry's entries; with ``all_types``, also every standalone model type not in it."""
    entries = dict(config.models)
    if all_types or config.target == "all":
        for info in catalogue.standalone():
            if info.generatable:
                entries.setdefault(info.model_type, ModelEntry(model_type=info.model_type, line=0))
    return [entries[name] for name in sorted(entries)]


def plan_file(config: Config, catalogue: Catalogue, entry: ModelEntry) -> PlannedFile:
    """The planned file of one entry; a clear error when its model type cannot be generated."""
    if entry.model_type not in catalogue:
        config.check_model_types(catalogue.models, ())
    info = catalogue.get(entry.model_type)
    family = entry.family or info.family
    if info.model_class() is None:  # no class to build, whatever family is set
        raise HfguardError(Problem(f"'{entry.model_type}' cannot be generated ({info.kind}, {info.reason}): it has no model "
                                   "class to test; remove the entry", config.path, entry.line or None))
    if family == "unsupported" or not info.generatable and entry.family is None:
        raise HfguardError(
            Problem(
                f"'{entry.model_type}' cannot be generated ({info.kind}, {info.reason}); "
                "set 'family' explicitly or remove the entry",
                config.path,
                entry.line or None,
            )
        )
    task = entry.task or (info.task if family == info.family else None)
    if entry.task and entry.task not in info.heads:
        raise HfguardError(
            Problem(
                f"'{entry.model_type}' has no '{entry.task}' head; known: {', '.join(sorted(info.heads)) or 'none'}",
                config.path,
                entry.line or None,
            )
        )
    sources = template_sources(family, config.templates_dir)
    if f"{family}.j2" not in sources:
        raise HfguardError(Problem(f"no template '{family}.j2' for family '{family}'", config.path, entry.line or None))
    planned_info = {"model_type": info.model_type, "config_class": info.config_class, "model_class": info.model_class(task),
                    "checks": summaries()}  # the generated docstrings come from the runtime's table of checks
    team = {"team_checks": list(config.checks)} if config.checks else {}  # no team modules: the hash of before
    inputs = inputs_hash({**entry.as_dict(), "family": family, "task": task, **team}, planned_info, sources)
    return PlannedFile(
        model_type=entry.model_type,
        family=family,
        task=task,
        path=config.tests_dir / test_file_name(entry.model_type),
        entry=entry,
        info=info,
        inputs=inputs,
        team_checks=config.checks,
    )


def plan(config: Config, catalogue: Catalogue, all_types: bool = False) -> list[PlannedFile]:
    """Planned files of every entry (and, with ``all_types``, every standalone model type)."""
    return [plan_file(config, catalogue, entry) for entry in entries_for(config, catalogue, all_types)]
