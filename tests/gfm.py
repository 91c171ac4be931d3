"""GitHub-flavoured Markdown as GitHub renders it (cmark-gfm, ``cmarkgfm``), and texts that try to break out of it."""

from __future__ import annotations

import pytest

cmarkgfm = pytest.importorskip("cmarkgfm", reason="cmarkgfm (GitHub's Markdown renderer) is in the dev extra")
from cmarkgfm.cmark import Options  # noqa: E402

HOSTILE = [
    "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "@octocat", "a`b``c", "`", "x | y", "line\nbreak",
    "</details><script>alert(1)</script>", "**bold** _it_ ~~s~~ # h", "&lt; &amp;", "\\`escaped", "<!-- c -->", "  ",
    "see https://evil.example/x, www.evil.example and me@evil.example", "a \\| b", "| --- |",
]


def render(markdown: str) -> str:
    """HTML of GitHub-flavoured Markdown, raw HTML kept (GitHub's sanitizer comes only after this)."""
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
