"""Markdown to plain text, with the headings that start each section.

The body is parsed as CommonMark (markdown-it-py) with GitHub's tables and
strikethrough, so that markup never becomes search text or shows up in
passages: setext headings, tables, indented and fenced code, HTML blocks,
escapes and entities are read as a Markdown reader would.  What a reader
sees is kept (link and image text, code, cell text); what only a renderer
sees is not (URLs, tags, pipes, fences).

Two conventions of the posts go beyond CommonMark: a line that is bold from
end to end is a heading, and a ``---END---`` line is dropped.

>>> text, sections = markdown_to_text("Title\\n=====\\n\\nSee [the docs](https://x.example).")
>>> text
'Title\\n\\nSee the docs.'
>>> sections
[Section(start=0, heading='Title')]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

#: Bump when the text made from Markdown changes: it is part of the index
#: fingerprint, so that existing indexes are rebuilt rather than mixed.
TEXT_VERSION = 2

_END_MARKER = re.compile(r"^[ \t]*---END---[ \t]*$", re.M)
# Characters that can start inline markup; text without them is left as is.
_INLINE_MARK = re.compile(r"[\\!\[<*_`&~]")
# Elements after which rendered HTML starts a new line or cell.
_HTML_BREAKS = frozenset(
    "address article aside blockquote br dd details div dl dt figcaption footer h1 h2 h3 h4 h5 h6"
    " header hr li main nav ol p pre section summary table td th tr ul".split()
)
_HTML_HIDDEN = frozenset({"script", "style", "template"})
# Bold marks CommonMark leaves unmatched, mostly beside Japanese punctuation
# ("**「強調」**です" does not close): markup all the same, never text.  Runs
# of underscores are left alone: in identifiers (__NR_open) they are text.
_STRAY_STRONG = re.compile(r"\*\*+")


@dataclass(frozen=True)
class Section:
    """A heading and where its section starts in :attr:`Post.body`."""

    start: int
    heading: str


@functools.cache
def _parser() -> MarkdownIt:
    """CommonMark plus tables and strikethrough, which markdown-it-py has
    built in (its "gfm-like" preset would also need linkify-it-py).  Escapes
    and entities stay tokens of their own (no "text_join"), so that an
    escaped ``\\*\\*`` is not taken for a stray bold mark.  Built on first
    use: commands that never parse a post do not import it."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).disable("text_join")


def strip_inline(text: str) -> str:
    """Plain text of inline Markdown (emphasis, code, links, escapes), as
    for a title or excerpt."""
    if not _INLINE_MARK.search(text):
        return text.strip()  # most titles have no markup at all
    tokens = _parser().parseInline(text)
    return _inline_text(tokens[0].children or []) if tokens else ""


def markdown_to_text(markdown: str) -> tuple[str, list[Section]]:
    """Plain text of a Markdown body, one paragraph per line, and its sections.

    Paragraphs are separated by a blank line; headings stay in the text as
    their own paragraph (so they are searchable) and are recorded as
    :class:`Section` starts.  A list item, a table row and each blank-line
    separated part of a code block is a paragraph of its own.
    """
    text = _Text()
    depth = 0  # lists and block quotes around the current block
    row: list[str] | None = None
    heading = False
    for token in _parser().parse(_END_MARKER.sub("", markdown)):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open", "blockquote_open"):
            depth += 1
        elif kind in ("bullet_list_close", "ordered_list_close", "blockquote_close"):
            depth -= 1
        elif kind == "heading_open":
            heading = True
        elif kind == "heading_close":
            heading = False
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            text.paragraph(" ".join(cell for cell in row or () if cell))
            row = None
        elif kind == "inline":
            children = token.children or []
            if heading:
                text.heading(_inline_text(children))
            elif row is not None:
                row.append(_inline_text(children))
            elif depth:
                text.paragraph(_inline_text(children))
            else:
                _paragraph_lines(children, text)
        elif kind in ("code_block", "fence"):
            for part in re.split(r"\n[ \t]*\n", token.content):
                text.paragraph(_join_lines(part))
        elif kind == "html_block":
            text.paragraph(_join_lines(_html_text(token.content)))
    return text.result()


class _Text:
    """Paragraphs being collected, with the offset the next one starts at."""

    def __init__(self) -> None:
        self.paragraphs: list[str] = []
        self.sections: list[Section] = []
        self.offset = 0

    def paragraph(self, para: str) -> None:
        if para:
            self.paragraphs.append(para)
            self.offset += len(para) + 2

    def heading(self, title: str) -> None:
        if title:
            self.sections.append(Section(self.offset, title))
            self.paragraph(title)

    def result(self) -> tuple[str, list[Section]]:
        return "\n\n".join(self.paragraphs), self.sections


def _paragraph_lines(children: Sequence[Token], text: _Text) -> None:
    """A top-level paragraph, where a line that is bold from end to end
    is a heading of its own and the lines around it are paragraphs."""
    lines: list[list[Token]] = [[]]
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            lines.append([])
        elif child.type != "text" or child.content:
            lines[-1].append(child)
    pending: list[str] = []
    for line in lines:
        if _is_bold(line):
            text.paragraph(" ".join(pending))
            pending.clear()
            text.heading(_inline_text(line))
        elif line_text := _inline_text(line):
            pending.append(line_text)
    text.paragraph(" ".join(pending))


def _is_bold(line: Sequence[Token]) -> bool:
    """Whether one strong span covers the whole line."""
    if len(line) < 3 or line[0].type != "strong_open":
        return False
    closes = [i for i, t in enumerate(line) if t.type == "strong_close"]
    return closes == [len(line) - 1]


def _inline_text(children: Sequence[Token]) -> str:
    """What a reader sees of inline tokens: text, code and image
    descriptions, with line breaks as spaces; no tags, URLs (autolinks
    included: in the manual pages they only lengthen the credits) or marks."""
    parts: list[str] = []
    in_autolink = False  # <https://…>: its text is the URL itself
    for child in children:
        if child.type in ("link_open", "link_close") and child.markup == "autolink":
            in_autolink = child.type == "link_open"
        elif in_autolink:
            continue
        elif child.type == "text":
            parts.append(_STRAY_STRONG.sub("", child.content))
        elif child.type in ("text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child.children or []))
    return "".join(parts).strip()


def _join_lines(block: str) -> str:
    return " ".join(line.strip() for line in block.split("\n") if line.strip())


def _html_text(html: str) -> str:
    """The text of an HTML block, without tags, comments or scripts."""
    reader = _HTMLText()
    reader.feed(html)
    reader.close()
    return "".join(reader.parts)


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _HTML_HIDDEN:
            self.hidden += 1
        elif tag in _HTML_BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _HTML_BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)
