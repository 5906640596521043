"""Posts: reading a Markdown file with YAML front matter into a :class:`Post`.

Only the first ``---`` block at the very top of a file is front matter; the
body may contain ``---`` rules and ``---END---`` lines, which are dropped.
Markdown markup is removed so that it never becomes search text or shows up
in passages, while headings are remembered so that a passage can say which
section it belongs to.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from . import safeio
from .errors import PostError
from .markdown import Section, markdown_to_text, strip_inline

#: File name suffixes treated as posts; everything else in the data
#: directory is ignored.
POST_SUFFIXES = (".md", ".markdown")

#: Posts larger than this are skipped with a reason instead of indexed.
MAX_POST_BYTES = 20 * 1024 * 1024

#: Characters of a post's Markdown body that are read (converted, stored
#: and shown); the rest is dropped, which bounds a post's memory.
MAX_MARKDOWN_CHARS = 2_000_000

#: Posts whose front matter is longer than this are skipped: YAML holds
#: hundreds of bytes per value while it parses, and metadata is short.
MAX_FRONT_MATTER_CHARS = 1_000_000


@dataclass(frozen=True)
class Post:
    """One post, as parsed from its file; ``body`` is plain text."""

    id: str
    title: str
    body: str
    date: datetime | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    excerpt: str = ""
    sections: tuple[Section, ...] = field(default=())


@functools.cache
def _front_matter_loader() -> type:
    """Safe YAML (libyaml's parser where PyYAML has it, several times
    faster) that leaves timestamps as strings: ``parse_date`` reads them,
    so an impossible date (2025-02-30) does not sink the post.  Built on
    first use: a query that only checks whether posts changed never loads
    PyYAML."""
    import yaml

    class FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        pass

    FrontMatterLoader.add_constructor(
        "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
    )
    return FrontMatterLoader


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)(?:\r?\n)?^---[ \t]*$\r?\n?", re.S | re.M)


def read_post(path: Path, root: Path) -> Post:
    """Read and parse the post at ``path``; its id is the path below ``root``."""
    post_id = path.relative_to(root).as_posix()
    return parse_post(read_raw(root, post_id)[0], post_id)


def read_raw(root: Path, post_id: str) -> tuple[bytes, os.stat_result]:
    """The bytes of the post file ``post_id`` below ``root`` and its stat,
    refusing files over :data:`MAX_POST_BYTES`, links and anything that is
    not a regular file (see :mod:`search.safeio`)."""
    try:
        fd = safeio.open_below(root, post_id)
        try:
            st = os.fstat(fd)
            if st.st_size > MAX_POST_BYTES:
                raise PostError(f"{post_id}: larger than {MAX_POST_BYTES // 2**20} MiB")
            raw = safeio.read_fd(fd, MAX_POST_BYTES)
        finally:
            os.close(fd)
    except OSError as exc:
        raise PostError(f"{post_id}: cannot read ({exc.strerror or exc})") from exc
    if len(raw) > MAX_POST_BYTES:
        raise PostError(f"{post_id}: larger than {MAX_POST_BYTES // 2**20} MiB")
    return raw, st


def parse_post(raw: bytes | str, post_id: str) -> Post:
    """Parse the bytes (or text) of a post file."""
    text = _decode(raw, post_id) if isinstance(raw, bytes) else raw
    if not text.strip("\ufeff \t\r\n"):
        raise PostError(f"{post_id}: empty file")
    meta, body_md = _split_front_matter(_normalised(text), post_id)
    body, sections = markdown_to_text(body_md[:MAX_MARKDOWN_CHARS])
    title = _as_text(meta.get("title")) or _first_heading(sections) or post_id
    return Post(
        id=post_id,
        title=strip_inline(title),
        body=body,
        date=parse_date(meta.get("date")),
        categories=_as_list(meta.get("categories")),
        tags=_as_list(meta.get("tags")),
        excerpt=strip_inline(_as_text(meta.get("excerpt"))),
        sections=tuple(sections),
    )


def post_markdown(raw: bytes, post_id: str) -> str:
    """The Markdown of a post file after its front matter, as written (to
    show the post; :func:`parse_post` gives its text)."""
    text = _normalised(_decode(raw, post_id))
    match = _FRONT_MATTER.match(text)
    return text[match.end() :] if match else text


def _normalised(text: str) -> str:
    """``text`` without a byte-order mark, with ``\\n`` line ends."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _decode(raw: bytes, post_id: str) -> str:
    if b"\x00" in raw[:8192]:
        raise PostError(f"{post_id}: binary file (contains NUL bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PostError(f"{post_id}: not valid UTF-8 (byte {exc.start})") from exc


def _split_front_matter(text: str, post_id: str) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    if len(match.group(1)) > MAX_FRONT_MATTER_CHARS:
        raise PostError(f"{post_id}: front matter longer than {MAX_FRONT_MATTER_CHARS:,} characters")
    import yaml

    try:
        meta = _load_yaml(match.group(1))
    except AliasBombError as exc:
        raise PostError(f"{post_id}: front matter {exc}") from exc
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise PostError(f"{post_id}: front matter is not valid YAML{where}") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise PostError(f"{post_id}: front matter is not a mapping")
    return meta, text[match.end() :]


class AliasBombError(ValueError):
    """Front matter whose aliases expand far beyond its own size."""


def _load_yaml(text: str) -> object:
    """Safe YAML, refusing documents whose aliases multiply: the node graph
    is measured as it would be expanded before anything is built from it."""
    loader = _front_matter_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, 2 * len(text) + 100_000)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expansion(root, limit: int) -> None:
    """Raise :class:`AliasBombError` when the document under ``root``
    would hold more than ``limit`` nodes and characters once its aliases
    are expanded, or refers to itself.  Sizes are computed once per node
    (without expanding anything), so this costs as much as the text."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        children = _children(node)
        if finished:
            open_nodes.discard(key)
            size = 1 + (len(node.value) if isinstance(node.value, str) else 0)
            size += sum(sizes[id(c)] for c in children)
            if size > limit:
                raise AliasBombError("expands its aliases too far")
            sizes[key] = size
        elif key in open_nodes:
            raise AliasBombError("refers to itself")
        elif key not in sizes:
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)


def _children(node) -> list:
    if isinstance(node.value, str):
        return []
    return [c for item in node.value for c in (item if isinstance(item, tuple) else (item,))]


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return " ".join(t for t in (_as_text(v) for v in value) if t)
    return str(value).strip()


def _as_list(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, str):
        items = value.split(",") if "," in value else value.split()
    elif isinstance(value, list | tuple | set):
        items = [_as_text(v) for v in value]
    else:
        items = [str(value)]
    seen: dict[str, None] = {}
    for item in items:
        item = item.strip()
        if item:
            seen.setdefault(item, None)
    return tuple(seen)


_ZONE = re.compile(r"\s*([+-]\d{2}):?(\d{2})$")


def parse_date(value: object) -> datetime | None:
    """Turn a front-matter date into an aware datetime (UTC when no zone).

    Unparseable dates yield ``None`` rather than an error: a post with a bad
    date is still worth finding.
    """
    if value is None or value == "":
        return None
    try:
        parsed = _to_datetime(value)
        if parsed is not None:
            parsed.astimezone(UTC)  # a date at the calendar's edge may not exist in UTC
    except (ValueError, OverflowError, TypeError):
        return None
    return parsed


def _to_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value).strip().replace("/", "-")
    text = re.sub(r"\s*(?:UTC|GMT|Z)$", "+00:00", text)
    text = _ZONE.sub(r"\1:\2", text)
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _first_heading(sections: list[Section]) -> str:
    return sections[0].heading if sections else ""


def iter_post_files(root: Path):
    """Yield ``(path, stat)`` for every post file below ``root``, sorted.

    Symlinks are never followed (posts are opened without following them
    either, see :func:`read_raw`); hidden files and folders are skipped.
    """
    stack = [root]
    seen_dirs: set[tuple[int, int]] = set()
    found = []
    while stack:
        folder = stack.pop()
        try:
            st = folder.stat()
            key = (st.st_dev, st.st_ino)
            if key in seen_dirs:
                continue
            seen_dirs.add(key)
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_symlink():
                    continue
                if entry.is_dir():
                    stack.append(entry)
                elif entry.suffix.lower() in POST_SUFFIXES and entry.is_file():
                    found.append((entry, entry.stat()))
            except (OSError, RuntimeError):
                continue
    found.sort(key=lambda item: item[0].as_posix())
    return found
