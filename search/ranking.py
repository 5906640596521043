"""Ranking: which posts a query returns and in what order.

This module is where posts are chosen and scored; every function here is
a pure function of an index searcher, a compiled :class:`~search.query.Plan`
and :class:`~search.models.Settings`.

The rule, for a query of free words (``plan.ranked``: the units the query
text was cut into, see :mod:`search.units`), ranks and never filters:
every post that matches one unit is a candidate, and all the evidence
goes into its score.  Strictness is the user's choice (``--all``,
``+word``, quotes, ``-word``).

1. **Unit scores.**  Each unit is scored once, as BM25F over its fields
   (:func:`search.query.unit_query`).  A compound typed as one word
   (液浸冷却) is a unit, its phrase strong evidence, and each of its words
   (液浸, 冷却) a ``part`` unit of its own, weak evidence; so are the short
   units of a compound the dictionary lists as one word (IPアドレス: IP,
   アドレス), which count only in posts without the compound (the post
   that writes it holds them inside it, where they score lower than
   written apart).
2. **Sum.**  A post's sum is its units' scores, a modifier's (verb,
   adjective, demonstrative, interrogative, adverb: ``units.MODIFIER_POS``)
   times ``modifier_weight`` when other words stand beside it
   (:func:`search.units.unit_weights`), a part's times ``part_weight``
   (:func:`sum_weights`).
3. **Coverage.**  The sum is multiplied by the coverage to the power
   ``coordination``: the share of the query's units a post matches, each
   weighed by its rarity, log(1 + N / (1 + df)), so that a post lacking
   the rarest word (the subject) covers little; a modifier weighs
   ``modifier_count`` of that, next to nothing, as an answer often
   phrases its predicate otherwise; a compound a post writes only apart
   counts ``part_credit`` times the share of its words found.  Without the
   factor one word repeated in a title outranks a post with every word.
4. **Proximity (rescoring).**  The best ``rescore_window`` posts by sum ×
   factor get, for each two neighbouring units, the score of their phrase
   within ``proximity_slop`` positions in the body, times
   ``proximity_boost``, added to the sum before the factor: ファイルの名前を
   変えたい prefers ファイルの名前 to the two words pages apart.
5. **Best section (rescoring).**  Each of those posts that has headings
   (:mod:`search.sections`) is also scored section by section: BM25 of the
   units' words in the body over the section's own length (the corpus's
   mean post length as the norm), times the section's coverage, as if the
   section were a post.  The best section's score minus the whole body's,
   scored the same way, times ``section_weight``, is added to the sum
   before the factor (:func:`section_gains`): a long guide that answers
   in one section ranks as that section would, and a post whose words are
   spread over unrelated sections ranks lower.
6. **Missing words.**  Each hit names the query's words it lacks
   (:func:`missing`), as typed.

Score = (sum + proximity + section) × factor; ties go to the earlier post.  Any
other query (filters, phrases, required or alternative clauses) is ranked
by its Whoosh query's own BM25F score, over all its matches.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from whoosh import query as wq

from . import fields, records, sections
from .models import Settings
from .query import Plan, unit_query
from .scoring import BM25F, at, phrase_scores, phrase_starts, scores
from .units import Unit, unit_weights


def weighting(settings: Settings) -> BM25F:
    """The BM25F every search of an engine scores with."""
    return BM25F(B=settings.bm25_b, K1=settings.bm25_k1)


@dataclass(frozen=True)
class UnitScores:
    """A free-word query's scores by post, before they are combined."""

    sums: dict[int, float]  # weighted sum of the units' scores, candidates only
    near: dict[int, float]  # proximity scores (the rescored posts only)
    factors: dict[int, float]  # coverage factors
    per_unit: tuple[dict[int, float], ...] = ()  # each unit's scores, all its posts
    sections: dict[int, float] = field(
        default_factory=dict
    )  # best sections' gains, weighted (rescored posts)

    def total(self, docnum: int) -> float:
        extra = self.near.get(docnum, 0.0) + self.sections.get(docnum, 0.0)
        return (self.sums[docnum] + extra) * self.factors[docnum]


@dataclass(frozen=True)
class Ranking:
    """Hits as ``(score, docnum)`` in order, and what is known of which
    units each post matches (see :func:`missing`)."""

    order: list[tuple[float, int]]
    per_unit: tuple[dict[int, float], ...] | None = None
    #: Every hit (``order`` may hold only the best of them).
    docnums: frozenset[int] = frozenset()

    @property
    def total(self) -> int:
        return len(self.docnums)


def ranking(
    searcher,
    plan: Plan,
    settings: Settings,
    *,
    sort: str = "relevance",
    mask: set[int] | None = None,
    top: int | None = None,
) -> Ranking:
    """Every hit as ``(score, docnum)``, in ``sort`` order (scoring every
    match costs less than a top-k pass plus a count), or, with ``top``, the
    best ``top`` of them in order; ``mask`` posts are left out.  Sorted by
    date, hits score 0 and posts without a date come last."""
    if sort != "relevance":
        results = searcher.search(plan.query, limit=None, mask=mask, sortedby="date")
        dated = _by_date(searcher, [hit.docnum for hit in results], newest_first=sort == "-date")
        order = [(0.0, docnum) for docnum in dated]
        return Ranking(order, docnums=frozenset(d for _, d in order))
    parts = unit_scores(searcher, plan, settings, mask)
    if parts is None:  # no free words to combine: the query's own scores
        found = scores(searcher, plan.query, mask)
        per_unit = None
    else:
        found = {docnum: parts.total(docnum) for docnum in parts.sums}
        per_unit = parts.per_unit
    items = ((score, docnum) for docnum, score in found.items())
    key = lambda x: (-x[0], x[1])  # noqa: E731
    order = sorted(items, key=key) if top is None else heapq.nsmallest(top, items, key=key)
    return Ranking(order, per_unit, frozenset(found))


def unit_scores(searcher, plan: Plan, settings: Settings, mask: set[int] | None = None) -> UnitScores | None:
    """The pieces of a free-word query's scores, or None for other
    queries."""
    units = plan.ranked
    if not units:
        return None
    per_unit = [scores(searcher, unit_query(unit, settings, plan.memo), mask) for unit in units]
    allowed = set().union(*per_unit)
    if plan.exclude is not None:
        allowed -= set(plan.exclude.docs(searcher))
    sums = dict.fromkeys(allowed, 0.0)
    weights = sum_weights(units, settings)
    # a dictionary compound's word counts where the compound is not: a post
    # that writes the compound holds its words already
    owner = {j: i for i, u in enumerate(units) if not (u.part or u.phrase) for j in _parts_after(units, i)}
    for i, (unit_score, weight) in enumerate(zip(per_unit, weights, strict=True)):
        has_compound = per_unit[owner[i]] if i in owner else ()
        for docnum, score in unit_score.items():
            if docnum in sums and docnum not in has_compound:
                sums[docnum] += score * weight
    factors = _coverage(searcher, units, per_unit, sums, settings)
    near: dict[int, float] = {}
    best: dict[int, float] = {}
    phrases = proximity_queries([u for u in units if not u.part], settings)
    if phrases or settings.section_weight:
        window = heapq.nlargest(settings.rescore_window, sums, key=lambda d: sums[d] * factors[d])
        for phrase in phrases:
            for docnum, score in phrase_scores(searcher, phrase, window).items():
                near[docnum] = near.get(docnum, 0.0) + score
        if settings.section_weight:
            gains = section_gains(searcher, units, per_unit, window, settings)
            best = {docnum: gain * settings.section_weight for docnum, gain in gains.items()}
    return UnitScores(sums, near, factors, tuple(per_unit), best)


def sum_weights(units: Sequence[Unit], settings: Settings) -> list[float]:
    """Each unit's weight in a post's sum (see the module's rule, step 2):
    a modifier's ``modifier_weight``, a part's ``part_weight``."""
    weights = unit_weights(units, settings.modifier_weight)
    return [w * settings.part_weight if unit.part else w for w, unit in zip(weights, units, strict=True)]


def section_gains(searcher, units: Sequence[Unit], per_unit, window, settings: Settings) -> dict[int, float]:
    """How much more the best section of each post in ``window`` scores
    than the whole post (less when no section holds the words the post
    holds), for the posts with headings (see the module's rule, step 5)."""
    mean = sections.mean_length(searcher)
    if not mean:
        return {}
    total_docs = max(searcher.doc_count(), 1)
    rarity = [math.log(1 + total_docs / (1 + len(docs))) for docs in per_unit]
    counts = unit_weights(units, settings.modifier_count)
    weights = sum_weights(units, settings)
    whole = sum(rarity[i] * counts[i] for i, u in enumerate(units) if not u.part)
    chosen = [i for i, u in enumerate(units) if not u.part and u.terms and not u.field]
    if not whole or not chosen:
        return {}
    bounds = {d: b for d in window if len(b := sections.bounds(searcher, d)) > 1}
    if not bounds:
        return {}
    found = [starts(searcher, units[i], bounds) for i in chosen]
    idfs = [sum(searcher.idf(fields.ALL_TEXT, alts[0]) for alts in units[i].terms) for i in chosen]
    k1, b = settings.bm25_k1, settings.bm25_b
    out: dict[int, float] = {}
    for docnum, edges in bounds.items():
        here = [(n, f[docnum]) for n, f in enumerate(found) if docnum in f]
        if not here:
            continue

        def score(start: int, end: int, here=here) -> float:
            # BM25 of the units' occurrences in [start, end), over its own
            # length, times its coverage, as a post of its own
            norm = k1 * (1 - b + b * (end - start) / mean)
            total = cover = 0.0
            for n, where in here:
                tf = bisect.bisect_left(where, end) - bisect.bisect_left(where, start)
                if tf:
                    i = chosen[n]
                    total += weights[i] * idfs[n] * tf * (k1 + 1) / (tf + norm)
                    cover += rarity[i] * counts[i]
            return total * (cover / whole) ** settings.coordination

        regions = zip([0, *edges[:-1]], edges, strict=True)
        best = max(score(a, e) for a, e in regions if e > a)
        out[docnum] = best - score(0, edges[-1])
    return out


def starts(searcher, unit: Unit, docnums) -> dict[int, list[int]]:
    """Where ``unit``'s terms (any of a position's spellings, in order,
    within its slop) start in the body of each of ``docnums`` that holds
    them, in order."""
    fieldname = fields.ALL_TEXT
    context = searcher.context()
    wanted = sorted(docnums)
    out: dict[int, list[int]] = {}
    for leaf, offset in searcher.leaf_searchers():
        end = offset + leaf.doc_count_all()
        local = [d - offset for d in wanted if offset <= d < end]
        reader = leaf.reader()
        matchers = [
            [wq.Term(fieldname, w).matcher(leaf, context) for w in alts if (fieldname, w) in reader]
            for alts in unit.terms
        ]
        if not local or not all(matchers):
            continue
        for docnum in local:
            lists = []
            for alternatives in matchers:
                where = [p for m in alternatives if at(m, docnum) for p in m.value_as("positions")]
                if not where:
                    break
                lists.append(where)
            else:
                if first := phrase_starts(lists, unit.slop):
                    out[docnum + offset] = first
    return out


def _coverage(searcher, units: Sequence[Unit], per_unit, posts, settings: Settings) -> dict[int, float]:
    """Each post's coverage factor: the rarity-weighted share of the
    query's units it matches, to the power ``coordination`` (see the
    module's rule, step 3)."""
    power = settings.coordination
    if not power:
        return dict.fromkeys(posts, 1.0)
    total_docs = max(searcher.doc_count(), 1)
    rarity = [math.log(1 + total_docs / (1 + len(docs))) for docs in per_unit]
    counts = unit_weights(units, settings.modifier_count)
    credit = dict.fromkeys(posts, 0.0)
    whole = 0.0
    for i, (unit, docs) in enumerate(zip(units, per_unit, strict=True)):
        if unit.part:
            continue
        weight = rarity[i] * counts[i]
        whole += weight
        for docnum in docs:
            if docnum in credit:
                credit[docnum] += weight
        parts = _parts_after(units, i)
        part_weight = sum(rarity[j] for j in parts)
        if not part_weight:
            continue
        found: dict[int, float] = {}
        for j in parts:
            for docnum in per_unit[j]:
                if docnum not in docs and docnum in credit:
                    found[docnum] = found.get(docnum, 0.0) + rarity[j]
        for docnum, share in found.items():
            credit[docnum] += weight * settings.part_credit * share / part_weight
    if not whole:
        return dict.fromkeys(posts, 1.0)
    return {d: (c / whole) ** power for d, c in credit.items()}


def _parts_after(units: Sequence[Unit], i: int) -> list[int]:
    """Indexes of the part units that follow unit ``i`` (its words)."""
    out = []
    for j in range(i + 1, len(units)):
        if not units[j].part:
            break
        out.append(j)
    return out


def page_units(searcher, plan: Plan, settings: Settings, docnums: set[int]) -> tuple[dict[int, float], ...]:
    """Which of ``docnums`` each ranked unit matches, for :func:`missing`
    where the ranking did not score the units (hits sorted by date)."""
    out = []
    for unit in plan.ranked:
        docs = unit_query(unit, settings, plan.memo).docs(searcher)
        out.append(dict.fromkeys((d for d in docs if d in docnums), 0.0))
    return tuple(out)


def missing(plan: Plan, docnum: int, per_unit: Sequence[dict[int, float]] | None) -> tuple[str, ...]:
    """The query's words, as typed, that post ``docnum`` does not contain:
    a unit it lacks, or, of a compound it writes only apart or in part, the
    words it lacks (液浸 of 液浸冷却 in a post that says only 冷却).  Only a
    ranked free-word query has missing words; other queries' hits hold
    what the query requires."""
    units = plan.ranked
    if not units or per_unit is None:
        return ()
    out: list[str] = []
    for i, (unit, docs) in enumerate(zip(units, per_unit, strict=True)):
        if unit.part or docnum in docs:
            continue
        parts = _parts_after(units, i)
        lacking = [units[j].text for j in parts if docnum not in per_unit[j]]
        words = lacking if parts and len(lacking) < len(parts) else [unit.text]
        out.extend(w for w in words if w not in out)
    return tuple(out)


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


def _by_date(searcher, oldest_first: list[int], newest_first: bool) -> list[int]:
    """Doc numbers by date; posts without a date come last either way
    (Whoosh sorts them last in ascending order, so first when reversed)."""
    if not newest_first:
        return oldest_first
    dated = len(oldest_first)
    while dated and records.decode(searcher.stored_fields(oldest_first[dated - 1])).date is None:
        dated -= 1
    return oldest_first[:dated][::-1] + oldest_first[dated:]
