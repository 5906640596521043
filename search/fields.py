"""The fields a post becomes in the index: one registry that the schema,
the indexer, the query compiler, the query syntax and ``explain`` read.

Adding a field is one :class:`Field` entry below (plus its analysis chain
in :mod:`search.analysis` if no existing chain fits): a text field with a
``weight`` is searched by every free word of a query, a field with
``filters`` names becomes ``name:value`` in the query syntax, a
``facet`` is counted by ``--facets``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .documents import Post

#: The kinds of field (see :func:`search.schema.build_schema`): analysed
#: text, exact comma-separated values, a date, the post id, the stored
#: record (:mod:`search.records`), the section positions
#: (:mod:`search.sections`).
KINDS = ("text", "keyword", "date", "id", "record", "sections")
#: The analysis chains a text field may use (attributes of
#: :class:`search.analysis.Chains`).
CHAINS = ("main", "parts", "reading", "ngram")


@dataclass(frozen=True)
class Field:
    """One index field: what fills it, how it is analysed and searched."""

    name: str
    kind: str
    #: What a post puts in the field (None: not indexed from the post).
    source: Callable[[Post], object] | None = None
    #: The analysis chain of a text field.
    chain: str | None = None
    #: Default weight of a free word's match in this field (0: not searched
    #: by free words); ``Settings.field_weights`` may override it.
    weight: float = 0.0
    #: Names that select the field in the query syntax (``title:``).
    filters: tuple[str, ...] = ()
    #: Counted by facets (keyword fields).
    facet: bool = False
    #: A one-word unit is also searched as its short units written apart
    #: (ユーザーID as ユーザ ID) in this field.
    apart: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"field {self.name!r}: kind {self.kind!r} is not one of {KINDS}")
        if (self.kind == "text") != (self.chain in CHAINS):
            raise ValueError(f"field {self.name!r}: a text field names one of the chains {CHAINS}")


def _all_text(post: Post) -> str:
    return f"{post.title}\n\n{post.body}"


def _sections(post: Post) -> tuple[str, list[int]]:
    # the body field's text and where each section starts in it
    skip = len(post.title) + 2
    return _all_text(post), [skip + s.start for s in post.sections]


def _keywords(values: tuple[str, ...]) -> str:
    return ",".join(v.replace(",", " ") for v in values)


def _utc(post: Post):
    # Whoosh stores naive datetimes: UTC
    return None if post.date is None else post.date.astimezone(UTC).replace(tzinfo=None)


FIELDS: tuple[Field, ...] = (
    Field("id", "id", lambda p: p.id),
    # the order of the main-chain fields is the order of a unit's clauses
    Field("title", "text", lambda p: p.title, "main", 1.5, filters=("title", "タイトル"), apart=True),
    Field("tags", "text", lambda p: "\n".join(p.tags), "main", 1.5),
    Field("excerpt", "text", lambda p: p.excerpt, "main", 1.0),
    # body holds the title too, so that a phrase may span both
    Field("body", "text", _all_text, "main", 1.0, apart=True),
    Field("parts", "text", _all_text, "parts", 0.4),
    Field("reading", "text", _all_text, "reading", 0.5),
    Field("ngram", "text", _all_text, "ngram", 0.3),
    Field("tag", "keyword", lambda p: _keywords(p.tags), filters=("tag", "tags", "タグ"), facet=True),
    Field(
        "category",
        "keyword",
        lambda p: _keywords(p.categories),
        filters=("category", "categories", "カテゴリ"),
        facet=True,
    ),
    Field("date", "date", _utc, filters=("date", "日付")),
    Field("doc", "record"),
    Field("sections", "sections", _sections),
)

#: The field that holds all of a post's text (title and body), for
#: phrases across both, proximity, suggestions and key terms.
ALL_TEXT = "body"

# The tables below are read from FIELDS at each call (a dozen entries), so
# that every reader sees one registry.


def field(name: str) -> Field:
    """The registry entry of ``name``."""
    for f in FIELDS:
        if f.name == name:
            return f
    raise KeyError(name)


def word_fields() -> tuple[str, ...]:
    """Fields every free word searches with its long units, in clause
    order."""
    return tuple(f.name for f in FIELDS if f.chain == "main" and f.weight)


def filters() -> dict[str, str]:
    """Query-syntax name (or alias) → field name."""
    return {alias: f.name for f in FIELDS for alias in f.filters}


def facets() -> tuple[str, ...]:
    """Keyword fields counted by facets."""
    return tuple(f.name for f in FIELDS if f.facet)


def chain_fields() -> dict[str, tuple[str, ...]]:
    """Each analysis chain and the text fields it fills."""
    return {c: tuple(f.name for f in FIELDS if f.chain == c) for c in CHAINS}


def signature() -> list[list[str | None]]:
    """Each field's name, kind and chain, for the index fingerprint (lists,
    as the manifest's JSON reads back): an index built with other fields
    is rebuilt."""
    return [[f.name, f.kind, f.chain] for f in FIELDS]
