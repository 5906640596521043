"""Conversion slips made from the real words of a corpus.

An input method that offers the wrong kanji of the right reading turns
削除 (サク・ジョ) into 作除 (サク・ジョ): one kanji replaced by another
that reads the same there.  To make such slips, each kanji compound of the
posts (a Sudachi long unit written in kanji only) is read, its reading is
split among its kanji using the readings the dictionary knows for each
kanji alone (or learned from other compounds), and one kanji is replaced by
another of the corpus's kanji with that reading.  A slip the posts happen
to write is no slip and is left out.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from search.analysis import to_katakana
from search.sudachi import analyze

_KANJI_WORD = re.compile(r"[\u4e00-\u9fff]{2,6}")
_KANJI = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Slip:
    typed: str  # the compound with one kanji replaced
    meant: str  # the compound as the posts write it
    reading: str  # the compound's reading, which both share


@lru_cache(maxsize=1)
def _dictionary():
    from sudachipy import Dictionary

    return Dictionary(dict="core")


def _dictionary_readings(kanji: str) -> set[str]:
    return {to_katakana(m.reading_form()) for m in _dictionary().lookup(kanji)}


def compounds(texts: Iterable[str]) -> dict[str, str]:
    """``{compound: reading}`` for the kanji-only long units of ``texts``."""
    out: dict[str, str] = {}
    for text in texts:
        for m in analyze(text, with_parts=False):
            if _KANJI_WORD.fullmatch(m.surface) and m.pos[0] == "名詞":
                out.setdefault(m.surface, to_katakana(m.reading))
    return out


def _splits(word: str, reading: str, known: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Ways to split ``reading`` among the kanji of ``word``, each piece a
    reading ``known`` for its kanji."""
    if not word:
        return [()] if not reading else []
    out = []
    for piece in known.get(word[0], ()):
        if reading.startswith(piece):
            out += [(piece, *rest) for rest in _splits(word[1:], reading[len(piece) :], known)]
    return out


def kanji_readings(words: dict[str, str]) -> dict[str, set[str]]:
    """Readings of each kanji: the dictionary's, and for a kanji it lists no
    reading for, those that two-kanji compounds teach when the other
    kanji's reading is listed (削除 サクジョ, 除 ジョ: 削 reads サク)."""
    known: dict[str, set[str]] = {}
    for word in words:
        for kanji in word:
            known.setdefault(kanji, set(_dictionary_readings(kanji)))
    listed = {kanji for kanji, readings in known.items() if readings}
    for word, reading in words.items():
        if len(word) != 2:
            continue
        first, second = word
        if first in listed and second not in listed:
            for piece in known[first]:
                if reading.startswith(piece) and len(reading) > len(piece):
                    known[second].add(reading[len(piece) :])
        if second in listed and first not in listed:
            for piece in known[second]:
                if reading.endswith(piece) and len(reading) > len(piece):
                    known[first].add(reading[: -len(piece)])
    return known


def make_slips(texts: Iterable[str], count: int, seed: int = 17) -> list[Slip]:
    """Up to ``count`` slips of the compounds of ``texts``, chosen at
    random (with ``seed``) among those whose reading splits one way only."""
    texts = list(texts)
    words = compounds(texts)
    known = kanji_readings(words)
    corpus = "\n".join(texts)
    by_reading: dict[str, set[str]] = {}
    for kanji, listed in known.items():
        for reading in listed:
            by_reading.setdefault(reading, set()).add(kanji)
    rng = random.Random(seed)
    candidates = sorted(words)
    rng.shuffle(candidates)
    out: list[Slip] = []
    for word in candidates:
        splits = _splits(word, words[word], known)
        if len(set(splits)) != 1:
            continue
        pieces = splits[0]
        places = list(range(len(word)))
        rng.shuffle(places)
        for i in places:
            others = sorted(by_reading.get(pieces[i], set()) - {word[i]})
            if not others:
                continue
            typed = word[:i] + rng.choice(others) + word[i + 1 :]
            if typed not in corpus:
                out.append(Slip(typed, word, words[word]))
                break
        if len(out) >= count:
            break
    return out
