"""Escaping where text leaves hfguard: Markdown and HTML (PR comments, job summaries), terminals, workflow commands.

Whatever a name or message holds, it stays text: no raw ``<`` (HTML), no ``&#64;`` entity, no
``[x](javascript:…)`` link or autolink, no ``@someone`` mention, no backtick that ends a code span early,
no newline that starts a new table row or a new ``::`` workflow command, no escape sequence that drives
a terminal.

Markdown is rendered for one of two readers (``Markup``): ``GITHUB`` (comments, issues, job summaries,
files a workflow publishes) escapes for GitHub's renderer; ``TERMINAL`` (what a command prints) keeps the
text as it reads (``"`` stays ``"``, no backslashes) and only blanks what would move or recolour the
cursor. A renderer takes the ``Markup`` of its reader; every escape of either kind is made here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# What can start markup inside a line: emphasis, code, links and images, tables, strikethrough, GitHub's math.
# Other punctuation (``-``, ``.``, ``:``...) stays as it is, so messages stay readable in a terminal too.
_MARKDOWN_PUNCTUATION = set("\\`*_[]|~$")
_AUTOLINK = re.compile(r"(?<=[A-Za-z0-9])(:)(?=//)|(?<![A-Za-z0-9])(?i:www)(\.)")  # scheme:// and www. start autolinks
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_MENTION = re.compile(r"@(?=[A-Za-z0-9_-])")
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
ZERO_WIDTH_SPACE = "\u200b"


def markdown_text(text: str) -> str:
    """``text`` as literal inline Markdown (also safe inside a table cell and in raw HTML blocks)."""
    escaped = "".join(
        _ENTITIES.get(char) or (f"\\{char}" if char in _MARKDOWN_PUNCTUATION else char)
        for char in _LINE_BREAKS.sub(" ", text)
    )
    unlinked = _AUTOLINK.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], escaped)
    return _MENTION.sub("@" + ZERO_WIDTH_SPACE, unlinked)


def markdown_code(text: str, in_table: bool = False) -> str:
    """``text`` as one inline code span that no backtick inside it can end (``|`` escaped in a table cell)."""
    text = _LINE_BREAKS.sub(" ", text)
    if in_table:
        text = text.replace("|", "\\|")
    if not text.strip(" "):
        return markdown_text(text)
    fence = "`" * (1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    pad = " " if text[0] == "`" or text[-1] == "`" or text[0] == text[-1] == " " else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# What a terminal would act on: C0 and C1 controls (ESC starts colour and cursor sequences), DEL, the line and
# paragraph separators and the bidirectional overrides (which reorder what a reader sees).
_TERMINAL_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: str) -> str:
    """``text`` for a terminal: as it reads, with every control character (and line break) a space."""
    return _TERMINAL_CONTROLS.sub(" ", text)


def terminal_code(text: str, in_table: bool = False) -> str:
    """``text`` for a terminal, quoted in backticks as Markdown writes code (``|`` escaped in a table cell)."""
    text = terminal_text(text)
    if in_table:
        text = text.replace("|", "\\|")
    return f"`{text}`"


@dataclass(frozen=True)
class Markup:
    """How a renderer writes text and code for its reader (``GITHUB`` or ``TERMINAL``)."""

    name: str
    text: Callable[[str], str]
    code: Callable[..., str]  # (text, in_table=False)


GITHUB = Markup("github", markdown_text, markdown_code)
TERMINAL = Markup("terminal", terminal_text, terminal_code)


def defuse_mentions(markdown: str) -> str:
    """A Markdown body in which no ``@login`` pings anyone (for bodies hfguard did not compose itself)."""
    return _MENTION.sub("@" + ZERO_WIDTH_SPACE, markdown)


def workflow_data(text: str) -> str:
    """The message part of a ``::command::message`` line: ``%``, CR and LF escaped as the runner expects."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str) -> str:
    """A property value of a ``::command key=value::`` line: also ``:`` and ``,`` escaped."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")
