"""Sudachi morphological analysis, made safe for any input and any thread.

Sudachi tokenizers are not thread-safe and not picklable, and they reject
inputs over about 49 KB.  This module hides all three facts: it keeps one
tokenizer per thread (per process, after a fork), cuts long text into
chunks at paragraph or sentence ends, and returns plain tuples whose
offsets always point into the caller's original string.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import NamedTuple

#: Largest chunk handed to Sudachi, in characters (4 bytes each at worst,
#: so well under Sudachi's 49,149-byte limit).
CHUNK_CHARS = 8_000

_local = threading.local()


class Morph(NamedTuple):
    """One morpheme with offsets into the analysed text."""

    surface: str
    start: int
    end: int
    normalized: str
    reading: str
    pos: tuple[str, ...]  # part of speech (two levels) and conjugation type
    synonyms: tuple[int, ...]
    parts: tuple[Morph, ...]  # short (mode A) units; empty when unsplittable


def _tokenizer():
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        from sudachipy import Dictionary, SplitMode

        _local.dictionary = Dictionary(dict="core")
        tok = _local.dictionary.tokenizer(mode=SplitMode.C)
        _local.tokenizer = tok
        _local.split_a = SplitMode.A
        _local.pos_of = {}  # part-of-speech id → its tags, for this thread's dictionary
    return tok


@lru_cache(maxsize=4096)
def readings(surface: str) -> tuple[str, ...]:
    """The readings the dictionary lists for ``surface`` as a word of its
    own (関: カン, セキ, ゼキ), in the dictionary's order, without repeats."""
    _tokenizer()
    return tuple(dict.fromkeys(m.reading_form() for m in _local.dictionary.lookup(surface)))


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """Versions of SudachiPy and its dictionary, for the index fingerprint.

    Read from the packages themselves where they tell it: every query
    checks the fingerprint, and ``importlib.metadata`` scans all of
    ``sys.path`` (tens of milliseconds of a cold start)."""
    import sudachipy

    found = {"sudachipy": getattr(sudachipy, "__version__", "") or _installed("sudachipy")}
    found["sudachidict-core"] = _dist_info_version("sudachidict_core") or _installed("sudachidict-core")
    return found


def _dist_info_version(package: str) -> str:
    """The version in the name of the ``.dist-info`` folder installed next
    to ``package``, without importing it; "" when there is none."""
    from importlib.util import find_spec
    from pathlib import Path

    spec = find_spec(package)
    if spec is None or not spec.origin:
        return ""
    folders = list(Path(spec.origin).parent.parent.glob(f"{package}-*.dist-info"))
    return folders[0].name[len(package) + 1 : -len(".dist-info")] if len(folders) == 1 else ""


def _installed(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


_SURROGATE = re.compile(r"[\ud800-\udfff]")
_BREAK = re.compile(r"\n|(?<=[。！？!?．])")


def clean(text: str) -> str:
    """Replace characters Sudachi cannot take (lone surrogates, NUL) with
    a same-length placeholder, so that offsets are unchanged."""
    text = _SURROGATE.sub("\ufffd", text)
    return text.replace("\x00", " ")


def chunks(text: str, limit: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """Cut ``text`` into ``(offset, chunk)`` pieces of at most ``limit``
    characters, preferring line and sentence ends, then spaces."""
    pieces = []
    start = 0
    n = len(text)
    while n - start > limit:
        window = text[start : start + limit]
        cut = max(window.rfind("\n"), *(window.rfind(c) for c in "。！？!?．"))
        if cut < limit // 4:
            cut = max(window.rfind(" "), window.rfind("\u3000"), window.rfind("、"))
        if cut < limit // 4:
            cut = limit - 1
            # never separate a base character from its combining marks
            while cut > limit // 2 and unicodedata.combining(text[start + cut + 1]):
                cut -= 1
        pieces.append((start, text[start : start + cut + 1]))
        start += cut + 1
    if start < n:
        pieces.append((start, text[start:]))
    return pieces


def analyze(text: str, with_parts: bool = True) -> list[Morph]:
    """Morphemes of ``text`` in Sudachi's long-unit mode (C), each with its
    short units (mode A) when ``with_parts`` is set."""
    if not text:
        return []
    tok = _tokenizer()
    split_a = _local.split_a
    pos_of = _local.pos_of
    safe = clean(text)
    out: list[Morph] = []
    for base, chunk in chunks(safe):
        for m in tok.tokenize(chunk):
            parts: tuple[Morph, ...] = ()
            if with_parts:
                pieces = m.split(split_a)
                if len(pieces) > 1:
                    parts = tuple(_morph(p, base, (), text, pos_of) for p in pieces)
            out.append(_morph(m, base, parts, text, pos_of))
    return out


_new_tuple = tuple.__new__


def _morph(m, base: int, parts: tuple[Morph, ...], text: str, pos_of: dict[int, tuple[str, ...]]) -> Morph:
    start = base + m.begin()
    end = base + m.end()
    # a dictionary has a few hundred parts of speech: each is read once
    pos_id = m.part_of_speech_id()
    pos = pos_of.get(pos_id)
    if pos is None:
        pos = pos_of[pos_id] = _pos(m.part_of_speech())
    fields = (
        text[start:end],
        start,
        end,
        m.normalized_form(),
        m.reading_form(),
        pos,
        tuple(m.synonym_group_ids()),
        parts,
    )
    return _new_tuple(Morph, fields)  # Morph(*fields), without the keyword-aware constructor


def _pos(full) -> tuple[str, ...]:
    return (full[0], full[1], full[4]) if full[4] != "*" else (full[0], full[1])
