"""Seeing inside the engine: the terms a chain emits and why a post scored
what it scored (``jsearch analyze`` and ``jsearch explain``)."""

from __future__ import annotations

from dataclasses import dataclass

from whoosh import query as wq

from . import analysis
from .errors import UnknownPostError
from .models import Settings, TermInfo
from .query import Plan, unit_query

#: Field name → (description, analyzer factory).
CHAINS = {
    "body": "SudachiTokenizer | PosStopFilter | NormalizedFormFilter | VerbStemFilter | KatakanaStemFilter"
    " (also title, tags, excerpt)",
    "parts": "SudachiTokenizer | PosStopFilter | ShortUnitFilter | NormalizedFormFilter | VerbStemFilter"
    " | KatakanaStemFilter",
    "reading": "SudachiTokenizer | PosStopFilter | ReadingFilter",
    "ngram": "BigramTokenizer",
}


def _analyzer(field: str):
    return {
        "body": analysis.main_analyzer,
        "parts": analysis.parts_analyzer,
        "reading": analysis.reading_analyzer,
        "ngram": analysis.ngram_analyzer,
    }[field]()


def analyze(text: str, field: str | None = None) -> list[TermInfo]:
    """Terms of ``text`` for one field or all of them, with offsets."""
    if field is not None and field not in CHAINS:
        from .errors import QueryError

        raise QueryError(f"unknown field {field!r}; choose from {', '.join(CHAINS)}")
    out = []
    for name in [field] if field else list(CHAINS):
        for t in _analyzer(name)(text, positions=True, chars=True):
            morph = getattr(t, "morph", None)
            out.append(
                TermInfo(
                    field=name,
                    term=t.text,
                    position=t.pos,
                    start=t.startchar,
                    end=t.endchar,
                    surface=text[t.startchar : t.endchar],
                    pos="-".join(p for p in morph.pos if p != "*") if morph else "",
                    normalized=morph.normalized if morph else "",
                    reading=morph.reading if morph else "",
                )
            )
    return out


@dataclass(frozen=True)
class UnitExplanation:
    text: str
    clauses: tuple[str, ...]  # field:term^weight, as Whoosh prints them
    synonyms: tuple[str, ...]
    score: float | None = None  # contribution to the explained post
    spelled: tuple[str, ...] = ()  # a kana unit's spellings in the posts, scored at the reading's weight


@dataclass(frozen=True)
class Explanation:
    query: str  # the compiled Whoosh query
    units: tuple[UnitExplanation, ...]
    excluded: tuple[str, ...]
    min_match: int
    cut: str
    post_id: str | None = None
    total_score: float | None = None
    matched: bool | None = None
    coordination: float | None = None  # factor on the units' sum (free words)
    proximity: float | None = None  # neighbouring units found together (free words)


def _clauses(q: wq.Query) -> tuple[str, ...]:
    if isinstance(q, wq.Or):
        return tuple(str(s) for s in q.subqueries)
    return (str(q),)


def explain(searcher, plan: Plan, settings: Settings, post_id: str | None) -> Explanation:
    docnum = None
    if post_id is not None:
        docnum = searcher.document_number(id=post_id)
        if docnum is None:
            raise UnknownPostError(f"no post with id {post_id!r} in the index")
    units = []
    for unit in plan.units:
        q = unit_query(unit, settings)
        score = _score(searcher, q, docnum) if docnum is not None else None
        units.append(
            UnitExplanation(
                unit.text,
                _clauses(q),
                tuple(" ".join(s) for s in unit.synonyms),
                score,
                tuple(" ".join(u.text for u in spelling) for spelling in unit.spelled),
            )
        )
    total = matched = None
    if docnum is not None:
        total = _score(searcher, plan.query, docnum)
        matched = total > 0
    return Explanation(
        query=str(plan.query),
        units=tuple(units),
        excluded=tuple(u.text for u in plan.excluded),
        min_match=plan.min_match[0] if plan.min_match else (1 if plan.units else 0),
        cut=_describe_cut(plan),
        post_id=post_id,
        total_score=total,
        matched=matched,
    )


def _describe_cut(plan: Plan) -> str:
    """The cut rule that applies to this query, in words (see Engine._cut)."""
    units = plan.ranked[0] if plan.ranked else []
    if any(u.unknown and not u.modifier for u in units):
        return "a noun occurs nowhere: a post must carry half of the query's rarity weight"
    if len(units) >= 3:
        return f"a post must match at least {plan.min_match[0]} of {len(units)} units"
    return "a post must match at least one unit"


def _score(searcher, q: wq.Query, docnum: int) -> float:
    results = searcher.search(q, limit=None, filter={docnum})
    for hit in results:
        return float(hit.score)
    return 0.0
