"""The record stored with each post: what a hit shows and what an update
compares.  :func:`encode` writes it at indexing, :func:`decode` is the one
place that reads it back."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from .passages import pack_spans, split_passages, unpack_spans

if TYPE_CHECKING:
    from .documents import Post

#: The stored field that holds the record (see :mod:`search.fields`).
RECORD_FIELD = "doc"


def encode(post: Post, state: tuple[int, int, str]) -> dict:
    """The stored record of ``post`` read from a file of ``state`` (size,
    mtime in ns, content digest); the body and its passage spans are
    compressed."""
    return {
        "title": post.title,
        "date": post.date,
        "categories": post.categories,
        "tags": post.tags,
        "excerpt": post.excerpt,
        "body": zlib.compress(post.body.encode("utf-8"), 6),
        "sections": tuple((s.start, s.heading) for s in post.sections),
        "passages": pack_spans(split_passages(post.body)),
        "state": state,
    }


@dataclass(frozen=True)
class Record:
    """A post as the index stored it; the body and passage spans are
    decompressed when first read."""

    id: str
    title: str
    excerpt: str
    sections: tuple[tuple[int, str], ...]  # (start in body, heading)
    date: datetime | None
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    state: tuple[int, int, str]  # the file's size, mtime in ns and digest
    packed_body: bytes
    packed_passages: bytes | None

    @cached_property
    def body(self) -> str:
        return zlib.decompress(self.packed_body).decode("utf-8")

    @cached_property
    def passages(self) -> list[tuple[int, int]] | None:
        """The body's passage spans, or None for a post indexed without
        them (the highlighter then cuts the body itself)."""
        return unpack_spans(self.packed_passages) if self.packed_passages else None


def decode(fields: dict) -> Record:
    """The record of one post from its stored fields."""
    doc = fields[RECORD_FIELD]
    return Record(
        id=fields["id"],
        title=doc["title"],
        excerpt=doc["excerpt"],
        date=doc["date"],
        categories=tuple(doc["categories"]),
        tags=tuple(doc["tags"]),
        sections=tuple(doc["sections"]),
        state=tuple(doc["state"]),
        packed_body=doc["body"],
        packed_passages=doc.get("passages"),
    )
