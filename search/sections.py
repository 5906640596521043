"""Sections as token positions: where each heading-bounded section of a
post starts in the ``body`` field, so that ranking can score a post's best
section as well as the whole post.

A post's sections are known by character offsets (:mod:`search.markdown`);
positions are what the index's postings hold.  At indexing, the
``sections`` column stores, for each post, the body-field position at which
each section starts, then the position after its last token
(:func:`positions`, computed from the Sudachi analysis the body field has
just made, so it costs no second analysis).  At query time a post's
section bounds are one column read (:func:`bounds`).
"""

from __future__ import annotations

import sys
import weakref
from array import array
from collections.abc import Sequence

from whoosh.fields import COLUMN

from .analysis import joins_words, morphs_for

#: The column's name in the schema (see :mod:`search.fields`).
SECTIONS_FIELD = "sections"


class SectionsColumn(COLUMN):
    """A per-post column of section start positions (bytes).  Its value at
    indexing is ``(text, char_starts)``: the body field's text and the
    character offsets in it where sections start."""

    def to_column_value(self, value) -> bytes:
        text, starts = value
        return pack(positions(text, starts))


def positions(text: str, char_starts: Sequence[int]) -> list[int]:
    """The token position (as :class:`~search.analysis.SudachiTokenizer`
    numbers them) at which each of ``char_starts`` falls in ``text``, then
    the position after the last token."""
    out: list[int] = []
    pending = sorted(char_starts)
    k, pos = 0, 0
    for morph in morphs_for(text):
        while k < len(pending) and morph.start >= pending[k]:
            out.append(pos)
            k += 1
        if not joins_words(morph):
            pos += 1
    out.extend([pos] * (len(pending) - k))
    out.append(pos)
    return out


def pack(values: Sequence[int]) -> bytes:
    flat = array("I", values)
    if sys.byteorder != "little":
        flat.byteswap()
    return flat.tobytes()


def unpack(data: bytes) -> list[int]:
    flat = array("I")
    flat.frombytes(data)
    if sys.byteorder != "little":
        flat.byteswap()
    return flat.tolist()


_READERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _column(searcher):
    """The column reader of each leaf, and the corpus's mean post length in
    positions, read once per index reader."""
    reader = searcher.reader()
    found = _READERS.get(reader)
    if found is None:
        leaves = []
        total = count = 0
        for leaf, offset in searcher.leaf_searchers():
            r = leaf.reader()
            col = r.column_reader(SECTIONS_FIELD) if r.has_column(SECTIONS_FIELD) else None
            leaves.append((offset, offset + r.doc_count_all(), col))
            if col is not None:
                for docnum in r.all_doc_ids():
                    data = col[docnum]
                    if data:
                        total += unpack(data[-4:])[0]
                        count += 1
        found = _READERS[reader] = (leaves, total / count if count else 0.0)
    return found


def mean_length(searcher) -> float:
    """The mean length of a post's body field, in positions (0 when the
    index holds no section column)."""
    return _column(searcher)[1]


def bounds(searcher, docnum: int) -> list[int]:
    """The positions at which post ``docnum``'s sections start, then its end
    (empty when unknown)."""
    for start, end, col in _column(searcher)[0]:
        if start <= docnum < end:
            data = col[docnum - start] if col is not None else b""
            return unpack(data) if data else []
    return []
