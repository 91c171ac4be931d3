"""The Action's inputs (``INPUT_*``), read and normalised one way for every step: install, plan, checks and GitHub.

A value is stripped of surrounding whitespace; a boolean (``true``/``false``) and a choice (``run``, ``publish-mode``,
``transformers``) are also lower-cased, so ``"true "`` and ``"True"`` mean ``true`` everywhere. ``action.yml``
never compares an input itself: it compares the outputs of the plan step, which normalised them here.
This module needs only the standard library: the install step uses it before hfguard is installed.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

RUNS = ("verify", "generate", "test", "coverage", "comment", "all", "sweep", "report", "save-history")
PUBLISH_MODES = ("auto", "compute", "publish", "direct")
TRANSFORMERS = ("pinned", "latest")
BOOLEANS = ("true", "false")


class InputError(ValueError):
    """An input value the Action cannot use; its message is the one line to show."""


def text(env: Mapping[str, str], name: str, default: str = "") -> str:
    """Input ``name`` (``INPUT_<NAME>``, upper-cased, ``-`` as ``_``, as the runner passes it) stripped; ``default`` when empty."""
    return env.get(f"INPUT_{name.upper().replace('-', '_')}", "").strip() or default


def choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    """Input ``name`` lower-cased, one of ``allowed``."""
    value = text(env, name, default).lower()
    if value not in allowed:
        raise InputError(f"input '{name}' must be {_one_of(allowed)}, not {text(env, name)!r}")
    return value


def flag(env: Mapping[str, str], name: str, default: str) -> bool:
    """Input ``name`` as a boolean: ``true`` or ``false`` in any case, surrounding whitespace ignored."""
    return choice(env, name, default, BOOLEANS) == "true"


def _one_of(allowed: tuple[str, ...]) -> str:
    return " or ".join(allowed) if len(allowed) == 2 else f"one of {', '.join(allowed)}"


@dataclass(frozen=True)
class Inputs:
    """The action's inputs, validated and normalised."""

    run: str
    config: Path | None  # None: the registry the CLI finds in the workspace (hfguard.toml, or [tool.hfguard])
    base_ref: str
    run_tests: bool
    fail_on_drop: bool
    minimum_coverage: float | None
    comment: bool
    scope: str
    publish_mode: str
    comment_dir: Path
    shard: str
    jobs: str
    transformers: str
    shard_reports: Path
    previous_dir: Path
    data_branch: str = ""
    upgrade_check: bool = True
    install: tuple[str, ...] = ()  # pip arguments for the code the tests import (the user's package), before the tests

    @property
    def config_args(self) -> tuple[str, ...]:
        """``--config`` for hfguard's commands when the input names a registry."""
        return ("--config", str(self.config)) if self.config else ()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Inputs:
        """The inputs of this step's environment; InputError names the first bad one."""
        config = text(env, "config")
        return cls(
            run=choice(env, "run", "all", RUNS), config=Path(config) if config else None, base_ref=text(env, "base-ref"),
            run_tests=flag(env, "run-tests", "false"), fail_on_drop=flag(env, "fail-on-coverage-drop", "false"),
            minimum_coverage=_percentage(text(env, "minimum-coverage")), comment=flag(env, "comment", "true"),
            scope=text(env, "scope", "default"), publish_mode=choice(env, "publish-mode", "auto", PUBLISH_MODES),
            comment_dir=Path(text(env, "comment-dir", "hfguard-comment")), shard=text(env, "shard", "1/1"),
            jobs=text(env, "jobs", "auto"), transformers=choice(env, "transformers", "pinned", TRANSFORMERS),
            shard_reports=Path(text(env, "shard-reports", "hfguard-shards")),
            previous_dir=Path(text(env, "previous-dir", "hfguard-previous")), data_branch=text(env, "data-branch"),
            upgrade_check=flag(env, "upgrade-check", "true"), install=_pip_arguments(text(env, "install")),
        )

    @property
    def runs_tests(self) -> bool:
        """Whether this run executes generated tests in the workspace (``test``, ``sweep``, or ``run-tests``)."""
        return self.run in ("test", "sweep") or self.run_tests and self.run in ("all", "coverage", "comment")


def _percentage(value: str) -> float | None:
    """``minimum-coverage``: '' for none, else a finite percentage from 0 to 100."""
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not 0 <= number <= 100:  # also refuses nan and inf
        raise InputError(f"input 'minimum-coverage' must be a percentage from 0 to 100, not {value!r}")
    return number


def _pip_arguments(value: str) -> tuple[str, ...]:
    """The ``install`` input as pip arguments (shell-like quoting, never a shell); '' is none."""
    try:
        return tuple(shlex.split(value))
    except ValueError as error:
        raise InputError(f"input 'install' is not a list of pip arguments ({error}): e.g. '.' or '-r requirements.txt'") from None
