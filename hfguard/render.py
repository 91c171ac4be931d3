"""Render a planned test file from its family's jinja2 template.

Registry values reach generated code only through the ``py`` filter, which emits Python
literals (``repr`` of plain data), so a hostile checkpoint string stays data. Templates may come
from the repository (``templates_dir``), that is from a pull request: they render in jinja2's
sandbox (no attribute of Python internals, so no code of the template's own), through a loader
that never follows a link or leaves its folder, within a time limit.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from hfguard.config import Config
from hfguard.errors import HfguardError, Problem
from hfguard.literal import py_literal
from hfguard.paths import read_text, refuse_link
from hfguard.plan import PlannedFile
from hfguard.stamp import builtin_templates_dir, header, seal

_VERSION = re.compile(r"hfguard-template-version:\s*(\d+)")
TIMEOUT_ENV = "HFGUARD_TEMPLATE_TIMEOUT"
TIMEOUT = 10.0  # seconds one file may take to render
MAX_REPEAT = 1_000_000  # longest string or list a template may build with '*'
MAX_POWER = 1_000  # largest exponent of '**'


class Renderer:
    """A sandboxed jinja2 environment over the user's template directory, then the built-in one."""

    def __init__(self, config: Config) -> None:
        self.config = config
        folders = [config.templates_dir] if config.templates_dir is not None else []
        self.env = _Sandbox(
            loader=_FolderLoader([*folders, builtin_templates_dir()]),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            autoescape=False,
        )
        self.env.filters["py"] = py_literal
        self.timeout = _timeout(os.environ.get(TIMEOUT_ENV))

    def render(self, planned: PlannedFile) -> str:
        """The full text of ``planned``: header, rendered template, content hash sealed in."""
        name = f"{planned.family}.j2"
        what = f"template error while rendering '{planned.model_type}'"
        try:
            with _time_limit(self.timeout):
                template = self.env.get_template(name)
                body = template.render(**planned.render_context())
        except HfguardError:
            raise
        except _Timeout:
            raise HfguardError(Problem(f"{what}: still rendering after {self.timeout:g} s (an endless loop?); "
                                       f"fix the template (or raise ${TIMEOUT_ENV})", name)) from None
        except jinja2.TemplateSyntaxError as error:
            raise HfguardError(Problem(f"{what}: {error.message}", _where(error.filename, name), error.lineno)) from None
        except Exception as error:  # noqa: BLE001 - any template failure becomes one readable line
            filename, line = _template_frame(error, name)
            raise HfguardError(Problem(f"{what}: {error}", filename, line)) from None
        source = self.env.loader.get_source(self.env, template.name)[0] if template.name else ""
        text = header(planned.model_type, planned.family, planned.family, template_version(source), planned.inputs) + body
        return seal(text)


class _Sandbox(SandboxedEnvironment):
    """jinja2's sandbox, also refusing ``*`` and ``**`` results too large to build in a moment."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > MAX_POWER:
            raise SecurityError(f"exponent {right} is above the template limit {MAX_POWER}")
        if operator == "*" and _repeat_size(left, right) > MAX_REPEAT:
            raise SecurityError(f"a result of more than {MAX_REPEAT:,} items is above the template limit")
        return super().call_binop(context, operator, left, right)


def _repeat_size(left: Any, right: Any) -> int:
    """Length of ``left * right`` when it repeats a sequence, else 0."""
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
            return len(sequence) * count
    return 0


class _FolderLoader(jinja2.BaseLoader):
    """Templates from the first folder that has them; a link, or a name leaving the folder ('..'), is refused."""

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)
        for folder in self.folders:
            path = folder
            for piece in pieces:
                path = path / piece
                refuse_link(path, "template")
            text = read_text(path, "template")
            if text is not None:
                return text, str(path), lambda: True
        raise jinja2.TemplateNotFound(template)


def _timeout(value: str | None) -> float:
    """Seconds from ``$HFGUARD_TEMPLATE_TIMEOUT`` (default ``TIMEOUT``)."""
    try:
        seconds = float(value) if value else TIMEOUT
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise HfguardError(f"${TIMEOUT_ENV} must be a positive number of seconds, not '{value}'")
    return seconds


class _Timeout(Exception):
    """Rendering took longer than the time limit."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise ``_Timeout`` in the block after ``seconds`` (on the main thread of a POSIX system; elsewhere no limit)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def template_version(source: str) -> int:
    """The ``hfguard-template-version: N`` a template declares in a comment (default 1)."""
    match = _VERSION.search(source)
    return int(match.group(1)) if match else 1


def _where(filename: str | None, name: str) -> str:
    return filename or name


def _template_frame(error: BaseException, name: str) -> tuple[str, int | None]:
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith(".j2"):
            return frame.filename, frame.lineno
    return name, None
