"""Values that cross module boundaries: results, passages, update reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Passage:
    """A readable piece of a post with highlight spans ``[start, end)``
    into :attr:`text`, and the heading of the section it is in."""

    text: str
    heading: str = ""
    highlights: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Hit:
    """One post that matched, with the passages that show why."""

    id: str
    path: str
    title: str
    date: datetime | None
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    score: float
    passages: tuple[Passage, ...] = ()

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "categories": list(self.categories),
            "tags": list(self.tags),
            "score": round(self.score, 4),
            "passages": [
                {"text": p.text, "heading": p.heading, "highlights": [list(h) for h in p.highlights]}
                for p in self.passages
            ],
        }


@dataclass(frozen=True)
class SearchResult:
    """The answer to one query: a page of hits and the total count."""

    query: str
    total: int
    took_ms: float
    hits: tuple[Hit, ...]
    offset: int = 0
    facets: dict[str, dict[str, int]] | None = None
    suggestion: str | None = None

    def to_json(self) -> dict:
        out = {
            "query": self.query,
            "total": self.total,
            "took_ms": round(self.took_ms, 2),
            "offset": self.offset,
            "hits": [h.to_json() for h in self.hits],
        }
        if self.facets is not None:
            out["facets"] = self.facets
        if self.suggestion is not None:
            out["suggestion"] = self.suggestion
        return out


@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed, and why."""

    id: str
    reason: str


@dataclass(frozen=True)
class UpdateReport:
    """What an index update did."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    skipped: tuple[Skipped, ...] = ()
    seconds: float = 0.0
    rebuilt: bool = False
    reason: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.rebuilt)

    def to_json(self) -> dict:
        return {
            "added": list(self.added),
            "updated": list(self.updated),
            "removed": list(self.removed),
            "unchanged": self.unchanged,
            "skipped": [{"id": s.id, "reason": s.reason} for s in self.skipped],
            "seconds": round(self.seconds, 3),
            "rebuilt": self.rebuilt,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class TermInfo:
    """One term an analysis chain emits (for ``jsearch analyze``)."""

    field: str
    term: str
    position: int
    start: int
    end: int
    surface: str
    pos: str = ""
    normalized: str = ""
    reading: str = ""


@dataclass(frozen=True)
class Settings:
    """Ranking settings: field weights and the cut for long queries.  They
    change scores only, never what is indexed, so they need no rebuild."""

    title_boost: float = 1.5
    tags_boost: float = 1.5
    excerpt_boost: float = 1.0
    body_boost: float = 1.0
    parts_boost: float = 0.4
    reading_boost: float = 0.5
    ngram_boost: float = 0.3
    synonym_boost: float = 0.5
    variant_boost: float = 0.7
    loose_boost: float = 0.3
    #: A one-word unit made of several short units (ユーザーID) written
    #: apart in the post (ユーザ ID), against the word itself.
    apart_boost: float = 1.0
    #: Fraction of a long query's units a post must match (see query.py).
    min_match_ratio: float = 0.5
    #: A free-word query's score is scaled by (units matched / units) to
    #: this power, so a post with all the words outranks one that repeats
    #: a single word (0 turns it off).
    coordination: float = 0.5
    #: Weight of a modifier unit's score next to other words; the
    #: coordination factor does not count it either.  Modifiers are verbs
    #: and adjectives, which a text that answers a question often phrases
    #: differently (作る in the question, 作成 in the answer), and
    #: demonstratives and interrogatives (この, どの), which name nothing.
    modifier_weight: float = 0.5
    #: Weight of two neighbouring units found next to each other in a post
    #: (within ``proximity_slop`` positions, so a particle may sit between);
    #: 0 turns it off.
    proximity_boost: float = 0.5
    proximity_slop: int = 2
