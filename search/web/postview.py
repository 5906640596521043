"""One post for the browser: found by its indexed id, read without leaving
the data folder, rendered from Markdown with the query's matches marked.

An id is looked up in the index first, never in the file system: a path
that the index does not hold (``..``, an absolute path, anything a request
could make up) is an unknown post.  The file of an indexed id is then
read as the indexer reads it (:func:`search.documents.read_raw`).
"""

from __future__ import annotations

import functools
import re

from ..documents import read_raw
from ..errors import PostError, UnknownPostError
from ..models import Hit

#: Characters of a passage's start used to find its block in the post.
_ANCHOR_PROBE = 16


def source(engine, post_id: str) -> tuple[Hit, bytes]:
    """The indexed post ``post_id`` and the bytes of its file, read as the
    indexer reads posts: no link followed anywhere below the data folder,
    regular files only, never blocking.  :class:`UnknownPostError` for an
    id the index does not hold (``..``, absolute paths: any id a request
    makes up) or a file that can no longer be read that way."""
    hit = engine.get(post_id)
    try:
        raw, _ = read_raw(engine.data_dir, post_id)
    except PostError:
        raise UnknownPostError(f"post {post_id!r} cannot be read from the data folder") from None
    return hit, raw


@functools.cache
def _markdown():
    """CommonMark with tables and strikethrough; raw HTML in posts is
    shown as text, never passed through."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.add_render_rule("text", _render_text)
    return md


def _render_text(self, tokens, idx, options, env) -> str:
    """A text token, escaped, with the query's words in ``<mark>``."""
    from markdown_it.common.utils import escapeHtml

    content = tokens[idx].content
    pattern = env.get("marks")
    if pattern is None:
        return escapeHtml(content)
    out = []
    pos = 0
    for m in pattern.finditer(content):
        out.append(escapeHtml(content[pos : m.start()]))
        out.append("<mark>" + escapeHtml(m.group()) + "</mark>")
        pos = m.end()
    out.append(escapeHtml(content[pos:]))
    return "".join(out)


def render(markdown: str, words: set[str], anchor_text: str = "") -> str:
    """HTML of a post body: every occurrence of ``words`` marked, and the
    block where ``anchor_text`` starts given ``id="passage"``."""
    md = _markdown()
    words = {w for w in words if w.strip()}
    env = {}
    if words:
        env["marks"] = re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))
    tokens = md.parse(markdown, env)
    if anchor_text:
        _set_anchor(tokens, anchor_text)
    return md.renderer.render(tokens, md.options, env)


def _set_anchor(tokens, anchor_text: str) -> None:
    """Give the first block whose text holds the start of ``anchor_text``
    the id ``passage`` (the post view's URL ends in ``#passage``)."""
    probe = _squash(anchor_text)[:_ANCHOR_PROBE]
    if not probe:
        return
    for i, token in enumerate(tokens):
        if token.type != "inline" or i == 0:
            continue
        plain = _squash("".join(c.content for c in token.children or () if c.type in ("text", "code_inline")))
        if probe in plain and tokens[i - 1].nesting == 1:
            tokens[i - 1].attrSet("id", "passage")
            return


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)
