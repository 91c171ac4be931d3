"""Escaping where text leaves hfguard: Markdown and HTML (PR comments, job summaries), workflow commands.

Whatever a name or message holds, it stays text: no raw ``<`` (HTML), no ``[x](javascript:…)``
link, no ``@someone`` mention, no backtick that ends a code span early, no newline that starts a
new table row or a new ``::`` workflow command.
"""

from __future__ import annotations

import re

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


def defuse_mentions(markdown: str) -> str:
    """A Markdown body in which no ``@login`` pings anyone (for bodies hfguard did not compose itself)."""
    return _MENTION.sub("@" + ZERO_WIDTH_SPACE, markdown)


def workflow_data(text: str) -> str:
    """The message part of a ``::command::message`` line: ``%``, CR and LF escaped as the runner expects."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str) -> str:
    """A property value of a ``::command key=value::`` line: also ``:`` and ``,`` escaped."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")
