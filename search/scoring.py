"""Scoring every match of a query: BM25F with field lengths read once per
segment, and a loop that sums clause scores without Whoosh's collectors;
and phrase scores at chosen posts only, for the proximity rescoring.

Ranking needs the score of every matching post (for the coordination
factor, the cut and an exact total), so the per-posting cost is the
query's cost; these pieces take most of Whoosh's overhead out of it while
computing the same numbers.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

from whoosh import query as wq
from whoosh import scoring
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.matching import WrappingMatcher
from whoosh.util.numeric import byte_to_length

#: Field length for each stored length byte (0: no length recorded).
_LENGTH_OF_BYTE = [byte_to_length(b) if b else 1 for b in range(256)]


class BM25F(scoring.BM25F):
    """Whoosh's BM25F, with each segment's field lengths decoded into a list
    the first time a field is scored (Whoosh decodes one byte per posting
    through four layers of calls)."""

    def __init__(self, B: float = 0.75, K1: float = 1.2) -> None:
        super().__init__(B=B, K1=K1)
        self._lengths: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def scorer(self, searcher, fieldname, text, qf=1):
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        if isinstance(scorer, scoring.BM25FScorer):
            lengths = self._field_lengths(searcher.reader(), fieldname)
            if lengths is not None:
                scorer.dfl = lengths.__getitem__
        return scorer

    def _field_lengths(self, reader, fieldname: str) -> list[int] | None:
        per_field = self._lengths.get(reader)
        if per_field is None:
            per_field = self._lengths[reader] = {}
        if fieldname not in per_field:
            per_field[fieldname] = _decode_lengths(reader, fieldname)
        return per_field[fieldname]


def _decode_lengths(reader, fieldname: str) -> list[int] | None:
    """Every document's length of ``fieldname`` in one segment, or None
    when the segment is not a plain Whoosh 3 segment."""
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None or not hasattr(perdoc, "_cached_reader"):
        return None
    column = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    if column is None:
        return None
    doccount = reader.doc_count_all()
    if getattr(column, "_fixedlen", None) == 1:
        # one byte per document, stored contiguously: read them at once
        stored = min(column._count, doccount)
        raw = bytes(column._dbfile.get(column._basepos, stored)) + bytes(doccount - stored)
    else:
        raw = [column[d] for d in range(doccount)]
    return [_LENGTH_OF_BYTE[b] for b in raw]


def scores(searcher, q: wq.Query, mask: set[int] | None = None) -> dict[int, float]:
    """Every document ``q`` matches, with its score, as ``{docnum: score}``.

    The same sums as ``searcher.search(q, limit=None)``: the clauses of a
    top-level Or are stepped through one after the other into one dict,
    where Whoosh clears and scans a 2,048-slot array per clause and block
    of documents."""
    if type(q) is wq.Or:
        clauses, boost = q.subqueries, q.boost
    else:
        clauses, boost = [q], 1.0
    context = searcher.context()
    out: dict[int, float] = {}
    get = out.get
    for leaf, offset in searcher.leaf_searchers():
        for clause in clauses:
            if type(clause) is wq.Phrase and _add_phrase_scores(clause, leaf, context, offset, boost, out):
                continue
            m = clause.matcher(leaf, context)
            if _add_term_scores(m, offset, boost, out):
                continue
            while m.is_active():
                docnum = m.id() + offset
                out[docnum] = get(docnum, 0.0) + m.score() * boost
                m.next()
    if mask:
        for docnum in mask:
            out.pop(docnum, None)
    return out


def _add_term_scores(m, offset: int, boost: float, out: dict[int, float]) -> bool:
    """Add a single term's scores to ``out`` block by block, when ``m`` is a
    plain Whoosh 3 posting list scored by BM25F (possibly boosted); False,
    touching nothing, for any other matcher.

    The same arithmetic as the matcher's ``score()``, in the same order, so
    the sums are the same to the last bit; what it saves is four method
    calls per posting (a one-word query's postings are most of its cost)."""
    wrap = 1.0
    if type(m) is WrappingMatcher:
        m, wrap = m.child, m.boost
    if type(m) is not W3LeafMatcher or type(m.scorer) is not scoring.BM25FScorer:
        return False
    scorer = m.scorer
    dfl = scorer.dfl
    idf, avgfl, B, K1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
    get = out.get
    while m.is_active():
        if m._ids is None:
            m._read_ids()
        if m._weights is None:
            m._read_weights()
        ids, weights = m._ids, m._weights
        for i in range(m._i, m._blocklength):
            tf = weights[i]
            docid = ids[i]
            # whoosh.scoring.bm25, then WrappingMatcher's boost, then the Or's
            score = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * dfl(docid) / avgfl)))
            if wrap != 1.0:
                score = score * wrap
            docnum = docid + offset
            out[docnum] = get(docnum, 0.0) + score * boost
        m._i = m._blocklength - 1
        m.next()
    return True


def _add_phrase_scores(phrase: wq.Phrase, leaf, context, offset: int, boost: float, out: dict) -> bool:
    """Add a phrase's scores in one segment to ``out``, stepping through its
    words' postings together and checking positions as integers, when its
    words are plain Whoosh 3 posting lists; False, touching nothing,
    otherwise.

    Whoosh's phrase matcher builds a span object per position per word;
    the matches and the arithmetic here are its own (words in order, each
    within ``slop`` positions after the one before; the words' scores summed
    as its binary tree of intersections sums them, then the boosts)."""
    fieldname, slop = phrase.fieldname, phrase.slop
    if fieldname not in leaf.schema or len(phrase.words) < 2:
        return False
    field = leaf.schema[fieldname]
    if not field.format or not field.format.supports("positions"):
        return False
    reader = leaf.reader()
    try:
        words = [field.to_bytes(w) for w in phrase.words]
    except ValueError:
        return False
    if any((fieldname, w) not in reader for w in words):
        return True  # a word the segment lacks: no match here
    ms = [wq.Term(fieldname, w).matcher(leaf, context) for w in words]
    if any(type(m) is not W3LeafMatcher for m in ms):
        return False
    wrap = phrase.boost
    get = out.get
    first = ms[0]
    while all(m.is_active() for m in ms):
        target = max(m.id() for m in ms)
        for m in ms:
            if m.id() < target:
                m.skip_to(target)
        if not all(m.is_active() for m in ms):
            break
        if any(m.id() != target for m in ms):
            continue
        if _in_order([m.value_as("positions") for m in ms], slop):
            score = _tree_sum([m.score() for m in ms])
            if wrap != 1.0:
                score = score * wrap
            docnum = target + offset
            out[docnum] = get(docnum, 0.0) + score * boost
        first.next()
    return True


def _tree_sum(values: list[float]) -> float:
    """The sum of ``values`` in the order of Whoosh's binary tree of
    matchers (``whoosh.util.make_binary_tree``), so the floats agree."""
    if len(values) == 1:
        return values[0]
    half = len(values) // 2
    return _tree_sum(values[:half]) + _tree_sum(values[half:])


def phrase_scores(searcher, phrase: wq.Phrase, docnums) -> dict[int, float]:
    """What ``phrase`` scores each of ``docnums`` that holds it: its words'
    scores summed, times its boost, as Whoosh's phrase matcher computes
    them.  Each word's postings are read at those documents only; Whoosh's
    matcher checks positions at every document that holds all the words."""
    fieldname, words, slop = phrase.fieldname, phrase.words, phrase.slop
    wanted = sorted(docnums)
    context = searcher.context()
    out: dict[int, float] = {}
    for leaf, offset in searcher.leaf_searchers():
        end = offset + leaf.doc_count_all()
        local = [d - offset for d in wanted if offset <= d < end]
        reader = leaf.reader()
        if not local or any((fieldname, w) not in reader for w in words):
            continue
        matchers = [wq.Term(fieldname, w).matcher(leaf, context) for w in words]
        for docnum in local:
            positions = []
            for m in matchers:
                if not at(m, docnum):
                    break
                positions.append(m.value_as("positions"))
            else:
                if _in_order(positions, slop):  # scored only where the words stand in order
                    total = 0.0
                    for m in matchers:
                        total += m.score()
                    out[docnum + offset] = total * phrase.boost
    return out


def at(m, docnum: int) -> bool:
    """Move matcher ``m`` forward to ``docnum``; whether that post holds
    its term (``docnum`` must not be behind the matcher)."""
    if m.is_active() and m.id() < docnum:
        m.skip_to(docnum)
    return m.is_active() and m.id() == docnum


def phrase_starts(positions: Sequence[Sequence[int]], slop: int) -> list[int]:
    """The positions of the first word from which each following word
    stands within ``slop`` positions after the one before (in order)."""
    steps = range(1, slop + 1)
    valid = set(positions[-1])
    for here in reversed(positions[:-1]):
        valid = {p for p in here if any(p + step in valid for step in steps)}
        if not valid:
            return []
    return sorted(valid)


def _in_order(positions: list[list[int]], slop: int) -> bool:
    """Whether each word follows the one before within ``slop`` positions."""
    ends = set(positions[0])
    steps = range(1, slop + 1)
    for following in positions[1:]:
        ends = {q for q in following if any(q - step in ends for step in steps)}
        if not ends:
            return False
    return True
