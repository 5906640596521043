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

from whoosh import query as wq
from whoosh import scoring
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
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
            m = clause.matcher(leaf, context)
            while m.is_active():
                docnum = m.id() + offset
                out[docnum] = get(docnum, 0.0) + m.score() * boost
                m.next()
    if mask:
        for docnum in mask:
            out.pop(docnum, None)
    return out


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
            total = 0.0
            positions = []
            for m in matchers:
                if m.is_active() and m.id() < docnum:
                    m.skip_to(docnum)
                if not m.is_active() or m.id() != docnum:
                    break
                total += m.score()
                positions.append(m.value_as("positions"))
            else:
                if _in_order(positions, slop):
                    out[docnum + offset] = total * phrase.boost
    return out


def _in_order(positions: list[list[int]], slop: int) -> bool:
    """Whether each word follows the one before within ``slop`` positions."""
    ends = set(positions[0])
    steps = range(1, slop + 1)
    for following in positions[1:]:
        ends = {q for q in following if any(q - step in ends for step in steps)}
        if not ends:
            return False
    return True
