"""Seeing inside the engine: the terms a chain emits and why a post scored
what it scored (``jsearch analyze`` and ``jsearch explain``)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from whoosh import query as wq

from . import fields, ranking
from .analysis import Chains, describe_chain
from .errors import QueryError
from .models import Settings, TermInfo
from .query import Plan, unit_query


def _chain_fields() -> dict[str, tuple[str, str]]:
    """Field shown for each chain (the last it fills: ``body`` holds the
    title and the body) → (chain, the other fields it fills)."""
    out = {}
    for chain, names in fields.chain_fields().items():
        if names:
            out[names[-1]] = (chain, names[:-1])
    return out


#: Field name → the description of its analysis chain (``jsearch analyze``).
CHAINS = {
    name: describe_chain(getattr(Chains(), chain)) + (f" (also {', '.join(others)})" if others else "")
    for name, (chain, others) in _chain_fields().items()
}


def analyze(text: str, field: str | None = None, chains: Chains | None = None) -> list[TermInfo]:
    """Terms of ``text`` for one field or all of them, with offsets."""
    if field is not None and field not in CHAINS:
        raise QueryError(f"unknown field {field!r}; choose from {', '.join(CHAINS)}")
    chains = chains or Chains()
    by_field = _chain_fields()
    out = []
    for name in [field] if field else list(CHAINS):
        analyzer = getattr(chains, by_field[name][0])
        for t in analyzer(text, positions=True, chars=True):
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
    """One unit of the query: its clauses per field and what it scored."""

    text: str
    clauses: tuple[str, ...]  # field:term^weight, as Whoosh prints them
    synonyms: tuple[str, ...]
    score: float | None = None  # contribution to the explained post
    spelled: tuple[str, ...] = ()  # a kana unit's spellings in the posts, scored at the reading's weight
    modifier: bool = False  # weighs less among other words (see search.ranking)
    part: bool = False  # one word of the compound before it, weak evidence (see search.ranking)
    weight: float = 1.0  # its weight in a post's sum among the query's other units


@dataclass(frozen=True)
class Explanation:
    """How a query is understood and (with a post) what that post scored."""

    query: str  # the compiled query, as text
    units: tuple[UnitExplanation, ...]
    excluded: tuple[str, ...]
    post_id: str | None = None
    total_score: float | None = None
    matched: bool | None = None
    coordination: float | None = None  # factor on the units' sum (free words)
    proximity: float | None = None  # neighbouring units found together (free words)
    section: float | None = None  # the best section's gain over the whole post (free words)


def _clauses(q: wq.Query) -> tuple[str, ...]:
    if isinstance(q, wq.Or):
        return tuple(str(s) for s in q.subqueries)
    return (str(q),)


def explain(searcher, plan: Plan, settings: Settings, post_id: str | None, docnum: int | None) -> Explanation:
    """Units, clauses and synonyms of ``plan``; with a post, each unit's
    score there and the ranking's own total (see :mod:`search.ranking`)."""
    units = []
    weights = ranking.sum_weights(plan.units, settings)
    for unit, weight in zip(plan.units, weights, strict=True):
        q = unit_query(unit, settings)
        score = _score(searcher, q, docnum) if docnum is not None else None
        units.append(
            UnitExplanation(
                unit.text,
                _clauses(q),
                tuple(" ".join(s) for s in unit.synonyms),
                score,
                tuple(" ".join(u.text for u in spelling) for spelling in unit.spelled),
                unit.modifier,
                unit.part,
                weight,
            )
        )
    info = Explanation(
        query=str(plan.query),
        units=tuple(units),
        excluded=tuple(u.text for u in plan.excluded),
        post_id=post_id,
    )
    if docnum is None:
        return info
    parts = ranking.unit_scores(searcher, plan, settings)
    if parts is None:  # not free words: the query's own score
        total = _score(searcher, plan.query, docnum)
        return replace(info, total_score=total, matched=total > 0)
    if docnum not in parts.sums:
        return replace(info, total_score=0.0, matched=False)
    total = parts.total(docnum)
    near = parts.near.get(docnum, 0.0)
    return replace(
        info,
        total_score=total,
        matched=total > 0,
        coordination=parts.factors[docnum],
        proximity=near,
        section=parts.sections.get(docnum, 0.0),
    )


def _score(searcher, q: wq.Query, docnum: int) -> float:
    results = searcher.search(q, limit=None, filter={docnum})
    for hit in results:
        return float(hit.score)
    return 0.0
