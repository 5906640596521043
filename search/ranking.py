"""Ranking: which posts a query returns and in what order.

This module is where posts are chosen and scored; every function here is
a pure function of an index searcher, a compiled :class:`~search.query.Plan`
and :class:`~search.models.Settings`.

The rule, for a query of free words (``plan.ranked``: the units the query
text was cut into, see :mod:`search.units`):

1. **Unit scores.**  Each unit is scored once, as BM25F over its fields
   (:func:`search.query.unit_query`); the same scores serve the cut and
   the ranking.
2. **Candidates (the cut).**  For a query of ``cut_min_units`` units or
   more, a post must match at least ``ceil(units × min_match_ratio)`` of
   them (``plan.min_match``), so a long question does not return every
   post that shares one word with it.  When a noun of the query occurs
   nowhere in the index (the corpus lacks its subject), units are weighed
   by rarity, log(1 + N / (1 + df)), and a post must carry
   ``min_match_ratio`` of the query's weight, for two-unit queries too:
   the unknown words are the most telling part of the question, so
   matching a common remainder is not an answer.  Modifiers that occur
   nowhere are left out of that weight instead: an answer often phrases
   its predicate differently.  Top-level exclusions remove posts.
3. **Sum.**  A post's sum is its units' scores, a modifier's (verb,
   adjective, demonstrative, interrogative, adverb: ``units.MODIFIER_POS``)
   times ``modifier_weight`` when other words stand beside it
   (:func:`search.units.unit_weights`).
4. **Coordination.**  The sum is multiplied by (units matched / units) to
   the power ``coordination``, as in Lucene's classic similarity; a
   modifier counts ``modifier_count`` there, next to nothing, as missing
   it is no evidence against a post.  Without the factor one word repeated
   in a title outranks a post that has every word of the query.
5. **Proximity (rescoring).**  The best ``rescore_window`` posts by sum ×
   factor get, for each two neighbouring units, the score of their phrase
   within ``proximity_slop`` positions in the body, times
   ``proximity_boost``, added to the sum before the factor: ファイルの名前を
   変えたい prefers ファイルの名前 to the two words pages apart.

Score = (sum + proximity) × factor; ties go to the earlier post.  Any
other query (filters, phrases, required or alternative clauses) is ranked
by its Whoosh query's own BM25F score, over all its matches.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

from whoosh import query as wq

from . import fields
from .models import Settings
from .query import Plan, unit_query
from .scoring import BM25F, phrase_scores, scores
from .units import Unit, unit_weights


def weighting(settings: Settings) -> BM25F:
    """The BM25F every search of an engine scores with."""
    return BM25F(B=settings.bm25_b, K1=settings.bm25_k1)


@dataclass(frozen=True)
class UnitScores:
    """A free-word query's scores by post, before they are combined."""

    sums: dict[int, float]  # weighted sum of the units' scores, posts past the cut
    near: dict[int, float]  # proximity scores (the rescored posts only)
    factors: dict[int, float]  # coordination factors

    def total(self, docnum: int) -> float:
        return (self.sums[docnum] + self.near.get(docnum, 0.0)) * self.factors[docnum]


#: Orders of hits: best first, oldest first, newest first.
SORTS = ("relevance", "date", "-date")


def rank(
    searcher, plan: Plan, settings: Settings, *, sort: str = "relevance", mask: set[int] | None = None
) -> list[tuple[float, int]]:
    """Every hit as ``(score, docnum)``, in ``sort`` order (scoring every
    match costs less than a top-k pass plus a count); ``mask`` posts are
    left out.  Sorted by date, hits score 0 and posts without a date come
    last."""
    if sort != "relevance":
        allowed = candidates(searcher, plan, settings)
        if allowed is not None and not allowed:
            return []
        results = searcher.search(
            plan.query, limit=None, filter=allowed, mask=mask, sortedby="date", reverse=sort == "-date"
        )
        return [(0.0, hit.docnum) for hit in results]
    parts = unit_scores(searcher, plan, settings, mask)
    if parts is None:  # no free words to combine: the query's own scores
        found = scores(searcher, plan.query, mask)
    else:
        found = {docnum: parts.total(docnum) for docnum in parts.sums}
    return sorted(((score, docnum) for docnum, score in found.items()), key=lambda x: (-x[0], x[1]))


def candidates(searcher, plan: Plan, settings: Settings) -> set[int] | None:
    """The posts past the cut, or None where the cut removes nothing (for
    a query sorted by date, which Whoosh then filters)."""
    units = plan.ranked
    if not units or not _has_cut(units, settings):
        return None
    per_unit = [set(unit_query(unit, settings, plan.memo).docs(searcher)) for unit in units]
    return _past_cut(searcher, units, plan.min_match, per_unit, settings)


def unit_scores(searcher, plan: Plan, settings: Settings, mask: set[int] | None = None) -> UnitScores | None:
    """The pieces of a free-word query's scores, or None for other
    queries."""
    units = plan.ranked
    if not units:
        return None
    per_unit = [scores(searcher, unit_query(unit, settings, plan.memo), mask) for unit in units]
    if _has_cut(units, settings):
        allowed = _past_cut(searcher, units, plan.min_match, per_unit, settings)
    else:
        allowed = set().union(*per_unit)
    if plan.exclude is not None:
        allowed -= set(plan.exclude.docs(searcher))
    sums = dict.fromkeys(allowed, 0.0)
    matched = dict.fromkeys(allowed, 0.0)
    weights = unit_weights(units, settings.modifier_weight)
    counts = unit_weights(units, settings.modifier_count)
    for unit_score, weight, count in zip(per_unit, weights, counts, strict=True):
        for docnum, score in unit_score.items():
            if docnum in sums:
                sums[docnum] += score * weight
                matched[docnum] += count
    power = settings.coordination
    whole = sum(counts)
    factors = {d: (matched[d] / whole) ** power if power else 1.0 for d in sums}
    near: dict[int, float] = {}
    phrases = proximity_queries(units, settings)
    if phrases:
        window = heapq.nlargest(settings.rescore_window, sums, key=lambda d: sums[d] * factors[d])
        for phrase in phrases:
            for docnum, score in phrase_scores(searcher, phrase, window).items():
                near[docnum] = near.get(docnum, 0.0) + score
    return UnitScores(sums, near, factors)


def proximity_queries(units: Sequence[Unit], settings: Settings) -> list[wq.Phrase]:
    """Phrases of each two neighbouring units, for the proximity score."""
    out: list[wq.Phrase] = []
    if not settings.proximity_boost:
        return out
    for first, second in zip(units, units[1:], strict=False):
        if first.field or second.field or not first.terms or not second.terms:
            continue
        seq = [alts[0] for alts in first.terms] + [alts[0] for alts in second.terms]
        out.append(
            wq.Phrase(fields.ALL_TEXT, seq, slop=settings.proximity_slop, boost=settings.proximity_boost)
        )
    return out


def describe_cut(plan: Plan, settings: Settings) -> str:
    """The part of the cut that applies to this query, in words."""
    units = plan.ranked
    if any(u.unknown and not u.modifier for u in units):
        return "a noun occurs nowhere: a post must carry half of the query's rarity weight"
    if len(units) >= settings.cut_min_units:
        return f"a post must match at least {plan.min_match} of {len(units)} units"
    return "a post must match at least one unit"


def _has_cut(units: Sequence[Unit], settings: Settings) -> bool:
    """Whether the cut can remove anything: enough units, or a noun that
    occurs nowhere."""
    return len(units) >= settings.cut_min_units or any(u.unknown and not u.modifier for u in units)


def _past_cut(searcher, units: Sequence[Unit], need: int, per_unit, settings: Settings) -> set[int]:
    """The posts that match enough units, given each unit's posts."""
    weights = [1.0] * len(per_unit)
    if any(not docs and not unit.modifier for docs, unit in zip(per_unit, units, strict=True)):
        total_docs = max(searcher.doc_count(), 1)
        weights = [
            0.0 if not docs and unit.modifier else math.log(1 + total_docs / (1 + len(docs)))
            for docs, unit in zip(per_unit, units, strict=True)
        ]
        need = settings.min_match_ratio * sum(weights) - 1e-9
    counts: dict[int, float] = {}
    for docs, weight in zip(per_unit, weights, strict=True):
        for docnum in docs:
            counts[docnum] = counts.get(docnum, 0.0) + weight
    return {d for d, c in counts.items() if c >= need}
