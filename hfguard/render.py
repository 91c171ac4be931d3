"""Render a planned test file from its family's jinja2 template.

Registry values reach generated code only through the ``py`` filter, which emits Python
literals (``repr`` of plain data), so a hostile checkpoint string stays data.
"""

from __future__ import annotations

import math
import re
import traceback
from pathlib import Path
from typing import Any

import jinja2

from hfguard.config import Config
from hfguard.errors import HfguardError, Problem
from hfguard.plan import PlannedFile
from hfguard.stamp import builtin_templates_dir, header, seal

_VERSION = re.compile(r"hfguard-template-version:\s*(\d+)")


class Renderer:
    """A jinja2 environment over the user's template directory, then the built-in one."""

    def __init__(self, config: Config) -> None:
        self.config = config
        folders = [str(config.templates_dir)] if config.templates_dir and config.templates_dir.is_dir() else []
        folders.append(str(builtin_templates_dir()))
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folders),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            autoescape=False,
        )
        self.env.filters["py"] = py_literal

    def render(self, planned: PlannedFile) -> str:
        """The full text of ``planned``: header, rendered template, content hash sealed in."""
        name = f"{planned.family}.j2"
        try:
            template = self.env.get_template(name)
            body = template.render(**planned.render_context())
        except jinja2.TemplateSyntaxError as error:
            raise HfguardError(
                Problem(f"template error while rendering '{planned.model_type}': {error.message}", _where(error.filename, name), error.lineno)
            ) from None
        except Exception as error:  # noqa: BLE001 - any template failure becomes one readable line
            filename, line = _template_frame(error, name)
            raise HfguardError(
                Problem(f"template error while rendering '{planned.model_type}': {error}", filename, line)
            ) from None
        version = template_version(Path(template.filename).read_text(encoding="utf-8")) if template.filename else 1
        text = header(planned.model_type, planned.family, planned.family, version, planned.inputs) + body
        return seal(text)


def template_version(source: str) -> int:
    """The ``hfguard-template-version: N`` a template declares in a comment (default 1)."""
    match = _VERSION.search(source)
    return int(match.group(1)) if match else 1


def py_literal(value: Any) -> str:
    """A Python literal for plain data; anything else is refused."""
    if isinstance(value, str):
        text = repr(value)
        # black's quote style: double quotes unless the string holds one (repr then escapes safely)
        return f'"{text[1:-1]}"' if text.startswith("'") and '"' not in value else text
    if value is None or isinstance(value, (bool, int)):
        return repr(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"non-finite float {value!r} cannot be a literal")
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(py_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{py_literal(str(key))}: {py_literal(item)}" for key, item in value.items())
        return "{" + items + "}"
    raise TypeError(f"{type(value).__name__} values cannot enter generated code")


def _where(filename: str | None, name: str) -> str:
    return filename or name


def _template_frame(error: BaseException, name: str) -> tuple[str, int | None]:
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith(".j2"):
            return frame.filename, frame.lineno
    return name, None
