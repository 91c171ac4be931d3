"""``hfguard.escape``: whatever a text holds, escaped it stays that text, in GitHub's own Markdown renderer.

cmark-gfm (``cmarkgfm``, the renderer GitHub uses) in its unsafe mode, that is what the raw Markdown means
before GitHub's sanitizer; hypothesis draws the texts.
"""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from hfguard.escape import GITHUB, TERMINAL, ZERO_WIDTH_SPACE, markdown_code, markdown_text, workflow_data, workflow_property
from tests.gfm import HOSTILE, render


def cmark_escaped(text: str) -> str:
    """``text`` as cmark-gfm writes it into HTML: line breaks as spaces, & < > " as entities."""
    text = re.sub(r"[\x00-\x1f\x7f\x85\u2028\u2029]", " ", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def plain(text: str) -> str:
    """What an escaped text must read as: line breaks as spaces, mentions broken by a zero-width space."""
    return re.sub(r"@(?=[A-Za-z0-9_-])", "@" + ZERO_WIDTH_SPACE, re.sub(r"[\x00-\x1f\x7f\x85\u2028\u2029]", " ", text))


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from(HOSTILE)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_escaped_text_renders_as_itself_in_a_table_cell(text: str) -> None:
    rendered = render(f"| a |\n|---|\n| {markdown_text(text)} |\n")
    cell = re.fullmatch(r"(?s).*<td>(.*)</td>\n</tr>\n</tbody>\n</table>\n", rendered)
    assert cell is not None, rendered
    assert html.unescape(cell.group(1)) == plain(text).strip(" \t")


@settings(max_examples=300, deadline=None)
@given(TEXT.filter(lambda text: cmark_escaped(text).strip(" ")))  # a code span needs something besides spaces
def test_a_code_span_holds_exactly_its_text_in_and_out_of_tables(text: str) -> None:
    expected = cmark_escaped(text)
    assert render(f"- {markdown_code(text)}\n") == f"<ul>\n<li><code>{expected}</code></li>\n</ul>\n"
    rendered = render(f"| a | b |\n|---|---|\n| {markdown_code(text, in_table=True)} | x |\n")
    assert f"<td><code>{expected}</code></td>\n<td>x</td>" in rendered, rendered


def test_workflow_commands_cannot_be_split_or_forged() -> None:
    forged = "x\n::add-mask::secret\r\n::warning file=a.py::b %0A"
    assert "\n" not in workflow_data(forged) and "\r" not in workflow_data(forged)
    assert workflow_data(forged) == "x%0A::add-mask::secret%0D%0A::warning file=a.py::b %250A"
    assert workflow_property("a,b:c\n") == "a%2Cb%3Ac%0A"


def test_the_terminal_renderer_keeps_text_as_it_reads_and_cannot_drive_the_terminal() -> None:
    """Issue 22, point 6: text meant for a terminal has no '&quot;' and no backslashes; what would move or recolour the
    cursor or reorder what a reader sees is blanked. The GitHub renderer escapes the same text for GitHub."""
    text = 'config "hidden_size" & <b>x</b> `y`'
    assert TERMINAL.text(text) == text and "&quot;" in GITHUB.text(text)
    assert TERMINAL.text("red \x1b[31mtext\u202egnp.exe\r\nnext") == "red  [31mtext gnp.exe  next"
    assert TERMINAL.code("a|b", in_table=True) == "`a\\|b`" and TERMINAL.code("bert") == "`bert`"
