"""Values that cross module boundaries: results, passages, update reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

#: Largest page of results one search may return.
MAX_LIMIT = 1000


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
    #: The query's words, as typed, that the post does not contain (a
    #: ranked hit need not hold every word; ``--all`` makes them required).
    missing: tuple[str, ...] = ()

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
            "missing": list(self.missing),
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
    """Every ranking constant, in one place (see :mod:`search.ranking` for
    the rule they tune).  They change scores and the order of hits only,
    never what is indexed, so changing them needs no rebuild."""

    #: Weights of a free word's match per field, over the defaults in the
    #: field registry (:data:`search.fields.FIELDS`: title and tags 1.5,
    #: excerpt and body 1.0, reading 0.5, parts 0.4, ngram 0.3).
    field_weights: Mapping[str, float] = field(default_factory=dict)
    #: BM25's length normalisation (0: none, 1: full) and term-frequency
    #: saturation, as in Lucene and Whoosh.
    bm25_b: float = 0.75
    bm25_k1: float = 1.2
    #: A synonym from Sudachi's dictionary, against the word typed (in the
    #: body; in the title it is multiplied by the title's weight too).
    synonym_boost: float = 0.5
    #: Most synonyms one unit is expanded to.
    max_synonyms: int = 8
    #: A word's other indexed form (a verb's stem: 変え for 変える).
    variant_boost: float = 0.7
    #: All parts of a compound somewhere in the post (メモリの割り当て for
    #: メモリ割り当て), against the compound itself.
    loose_boost: float = 0.3
    #: A one-word unit made of several short units (ユーザーID) written
    #: apart in the post (ユーザ ID), against the word itself.
    apart_boost: float = 1.0
    #: Posts a kana unit's spellings are learnt from (the best by reading),
    #: and the most spellings it keeps (あっしゅく → 圧縮).
    spelling_sources: int = 2
    #: Longest kana reading (in characters) cut into indexed readings, and
    #: the longest piece tried: a longer one is searched by bigrams only.
    reading_max_chars: int = 40
    reading_max_piece: int = 12
    #: A free-word query's score is scaled by its coverage (the rarity-
    #: weighted share of its units a post matches) to this power, so a
    #: post with all the words outranks one that repeats a single word
    #: (0 turns it off).
    coordination: float = 0.5
    #: Weight of one word of a compound typed as one word (液浸 of
    #: 液浸冷却) found on its own, next to the compound itself.
    part_weight: float = 0.3
    #: Coverage credit of a compound whose phrase a post lacks, for all of
    #: its words found apart (half of them: half of this).
    part_credit: float = 0.5
    #: Weight of a modifier unit's score next to other words.  Modifiers
    #: are verbs and adjectives, which a text that answers a question often
    #: phrases differently (作る in the question, 作成 in the answer),
    #: demonstratives and interrogatives (この, どの), which name nothing,
    #: and adverbs (しばらく), which say how.
    modifier_weight: float = 0.5
    #: What a modifier counts in the coordination factor: next to nothing,
    #: so missing it is no evidence against a post, while a post that
    #: matches only the modifier stays above zero.
    modifier_count: float = 0.01
    #: Weight of two neighbouring units found next to each other in a post
    #: (within ``proximity_slop`` positions, so a particle may sit between);
    #: 0 turns it off.
    proximity_boost: float = 0.5
    proximity_slop: int = 2
    #: Best posts of a free-word query whose scores proximity and the best
    #: section refine (their position checks cost more than all the units'
    #: scores).  30 scored as 50 on every set but the man pages, where it
    #: was 0.007 higher (20 scored as 30).
    rescore_window: int = 30
    #: Weight of what a post's best heading-bounded section scores beyond
    #: its whole body (BM25 of the units' words over the section's own
    #: length, times its coverage; negative when the words are spread over
    #: sections): a long post that answers in one section ranks as that
    #: section would (0 turns it off).  0.5, 0.7 and 1.0 all lifted the
    #: Debian Reference development set; 1.0 lowered another set by more
    #: than the 0.01 a kept rule may.
    section_weight: float = 0.7
    #: What each highlight adds to a passage's worth besides the units it
    #: shows, up to ``passage_bonus_cap`` highlights: among passages that
    #: show the same units, the one that shows them more often.
    passage_bonus: float = 0.1
    passage_bonus_cap: int = 5

    def weight(self, fieldname: str) -> float:
        """The weight of a free word's match in ``fieldname``."""
        from .fields import field

        if fieldname in self.field_weights:
            return self.field_weights[fieldname]
        return field(fieldname).weight
