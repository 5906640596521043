"""Cutting a post's body into passages, at indexing time.

A passage is a paragraph, or a run of whole sentences of roughly
``MIN_CHARS``–``MAX_CHARS`` characters.  The indexer stores each post's
passage spans (:func:`pack_spans`), so that a query only reads them back
(:func:`unpack_spans`); :mod:`search.highlight` then picks the passages
that show the query.  The rules are part of the index fingerprint
(:data:`RULES`): changing them rebuilds the index instead of leaving old
spans behind.
"""

from __future__ import annotations

import re
import sys
import zlib
from array import array
from collections.abc import Sequence

MIN_CHARS = 80
MAX_CHARS = 200
#: Bump when the splitting below changes in a way the two sizes do not show.
SPLIT_VERSION = 1
#: What the stored spans depend on, recorded in the index fingerprint.
RULES = {"version": SPLIT_VERSION, "min_chars": MIN_CHARS, "max_chars": MAX_CHARS}

_SENTENCE_END = re.compile(r"(?<=[。！？!?])|(?<=\. )")


def split_passages(body: str) -> list[tuple[int, int]]:
    """``[start, end)`` spans of readable passages in ``body``."""
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+", body):
        start, end = para.span()
        if end - start <= MAX_CHARS:
            spans.append((start, end))
            continue
        cur = start
        pieces = [start + m.start() for m in _SENTENCE_END.finditer(para.group())] + [end]
        for cut in pieces:
            if cut - cur >= MIN_CHARS or cut == end:
                while cut - cur > MAX_CHARS:
                    window = body[cur : cur + MAX_CHARS]
                    soft = max(window.rfind("、"), window.rfind("，"), window.rfind(" "))
                    step = soft + 1 if soft >= MIN_CHARS // 2 else MAX_CHARS
                    spans.append((cur, cur + step))
                    cur += step
                if cut > cur:
                    spans.append((cur, cut))
                    cur = cut
    return [(a + _lead(body[a:b]), b) for a, b in spans if body[a:b].strip()]


def _lead(text: str) -> int:
    return len(text) - len(text.lstrip())


def pack_spans(spans: Sequence[tuple[int, int]]) -> bytes:
    """Passage spans as compact bytes, stored with each post at indexing so
    that queries need not cut the body again."""
    flat = array("I", [x for span in spans for x in span])
    if sys.byteorder != "little":
        flat.byteswap()
    return zlib.compress(flat.tobytes(), 6)


def unpack_spans(data: bytes) -> list[tuple[int, int]]:
    """The spans :func:`pack_spans` stored."""
    flat = array("I")
    flat.frombytes(zlib.decompress(data))
    if sys.byteorder != "little":
        flat.byteswap()
    return list(zip(flat[::2], flat[1::2], strict=True))
