"""One post for the browser: found by its indexed id, read without leaving
the data folder, rendered from Markdown with the query's matches marked.

An id is looked up in the index first, never in the file system: a path
that the index does not hold (``..``, an absolute path, anything a request
could make up) is an unknown post.  The file of an indexed id is then
opened only if no part of its path below the data folder is a symlink.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path, PurePosixPath

from ..documents import MAX_POST_BYTES
from ..errors import UnknownPostError
from ..models import Hit

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?^---[ \t]*$\n?", re.S | re.M)
#: Characters of a passage's start used to find its block in the post.
_ANCHOR_PROBE = 16


def _unknown(post_id: str) -> UnknownPostError:
    return UnknownPostError(f"no post with id {post_id!r} in the index")


def plausible_id(post_id: str) -> bool:
    """Whether ``post_id`` has the shape of a post id (a relative path
    without ``.`` or ``..`` parts); anything else is unknown at once."""
    if not post_id or "\x00" in post_id or "\\" in post_id or post_id.startswith("/"):
        return False
    parts = post_id.split("/")
    return all(part not in ("", ".", "..") for part in parts) and not PurePosixPath(post_id).is_absolute()


def locate(engine, post_id: str) -> tuple[Hit, Path]:
    """The indexed post ``post_id`` and its file; :class:`UnknownPostError`
    for an id the index does not hold or a file that is now a symlink."""
    if not plausible_id(post_id):
        raise _unknown(post_id)
    hit = engine.get(post_id)
    root = engine.data_dir.resolve()
    path = root / post_id
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise UnknownPostError(f"post {post_id!r} is no longer in the data folder") from None
    if real != path:  # a symlink on the way: it may point anywhere
        raise _unknown(post_id)
    return hit, path


def read_markdown(path: Path, post_id: str) -> str:
    """The Markdown body of a post file (front matter removed).  The file
    is opened without following a symlink, so one swapped in after
    :func:`locate` is refused too."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        raise UnknownPostError(f"post {post_id!r} cannot be read") from None
    with os.fdopen(fd, "rb") as fh:
        raw = fh.read(MAX_POST_BYTES + 1)
    if len(raw) > MAX_POST_BYTES:
        raise UnknownPostError(f"post {post_id!r} is too large to show")
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _FRONT_MATTER.sub("", text, count=1)


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
    env = {"marks": re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))}
    if not words:
        env = {}
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
