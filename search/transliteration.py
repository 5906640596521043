"""Latin-script names found by their katakana spelling when the dictionary
cannot read them (フォックスコン → Foxconn).

Sudachi reads the Latin names it knows (NVIDIA → エヌビディア), and those
readings are indexed; a name it does not know has no reading, so its
katakana spelling matches nothing.  For a katakana query word that matches
nothing, the Latin words of the index that sound alike are looked up by a
consonant skeleton: both spellings are reduced to their consonants in
classes (r and l alike, m and n alike, v as b; vowels, long marks and
doubled letters dropped), so フォックスコン and foxconn both give FKSKN,
while レジストリ (RJSTR) is not restore (RSTR).
Only this rare path pays: the skeletons of the index's Latin words are
computed once per index reader.
"""

from __future__ import annotations

import re
import threading
import weakref

from . import fields

#: Katakana word length below which a skeleton names too many words.
MIN_KANA = 4
#: Consonants a skeleton needs, at least, to be worth a look-up.
MIN_CONSONANTS = 3
#: Latin spellings offered for one katakana word, at most.
MAX_SPELLINGS = 2

_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]+")
_LATIN = re.compile(r"[a-z]+")

# consonant class of each kana (its onset; vowels and small kana have none)
_KANA_CLASS: dict[str, str] = {}
for _kana, _cls in [
    ("カキクケコ", "K"),
    ("ガギグゲゴ", "G"),
    ("サスセソシ", "S"),
    ("ザズゼゾヅ", "Z"),
    ("ジヂ", "J"),
    ("タテト", "T"),
    ("ダデド", "D"),
    ("チ", "C"),
    ("ツ", "TS"),
    ("ナニヌネノンマミムメモ", "N"),
    ("ハヒヘホ", "H"),
    ("フ", "F"),
    ("バビブベボヴ", "B"),
    ("パピプペポ", "P"),
    ("ラリルレロ", "R"),
]:
    for _ch in _kana:
        _KANA_CLASS[_ch] = _cls

# consonant class of Latin letters and letter pairs, longest first
_LATIN_CLASS = [
    ("sch", "S"),
    ("tch", "C"),
    ("ck", "K"),
    ("ch", "C"),
    ("sh", "S"),
    ("th", "S"),
    ("ph", "F"),
    ("gh", ""),
    ("x", "KS"),
    ("qu", "K"),
    ("q", "K"),
    ("k", "K"),
    ("g", "G"),
    ("s", "S"),
    ("z", "Z"),
    ("j", "J"),
    ("t", "T"),
    ("d", "D"),
    ("n", "N"),
    ("m", "N"),
    ("h", "H"),
    ("f", "F"),
    ("v", "B"),
    ("b", "B"),
    ("p", "P"),
    ("r", "R"),
    ("l", "R"),
]


def _collapse(classes: list[str]) -> str:
    out: list[str] = []
    for c in classes:
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def katakana_key(text: str) -> str:
    """The consonant skeleton of a katakana word (フォックスコン → FKSKN)."""
    return _collapse([c for ch in text for c in _KANA_CLASS.get(ch, "")])


def latin_key(word: str) -> str:
    """The consonant skeleton of a lower-case Latin word (foxconn → FKSKN);
    c reads as s before e, i and y, as k elsewhere."""
    classes: list[str] = []
    i = 0
    while i < len(word):
        ch = word[i]
        if ch == "c":
            classes.append("S" if word[i + 1 : i + 2] in ("e", "i", "y") else "K")
            i += 1
            continue
        for letters, cls in _LATIN_CLASS:
            if word.startswith(letters, i):
                classes.extend(cls)
                i += len(letters)
                break
        else:
            i += 1  # a vowel, w or y
    return _collapse(classes)


class LatinNames:
    """The Latin words of one index by consonant skeleton, built on first
    use and kept while the reader lives."""

    _cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    _lock = threading.Lock()

    def __init__(self, reader) -> None:
        self.reader = reader
        with self._lock:
            found = self._cache.get(reader)
        if found is None:
            found = _by_key(reader)
            with self._lock:
                self._cache[reader] = found
        self.by_key: dict[str, list[str]] = found

    def spellings(self, katakana: str) -> tuple[str, ...]:
        """Indexed Latin words that may be ``katakana`` spelled in Latin
        letters, the most widely used first; empty when the word is short
        or its skeleton too thin to tell."""
        if len(katakana) < MIN_KANA or not _KATAKANA.fullmatch(katakana):
            return ()
        key = katakana_key(katakana)
        if len(key) < MIN_CONSONANTS:
            return ()
        found = self.by_key.get(key, [])
        ranked = sorted(found, key=lambda t: (-self.reader.doc_frequency(fields.ALL_TEXT, t), t))
        return tuple(ranked[:MAX_SPELLINGS])


def _by_key(reader) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for raw in reader.lexicon(fields.ALL_TEXT):
        term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        if len(term) >= 3 and _LATIN.fullmatch(term):
            key = latin_key(term)
            if len(key) >= MIN_CONSONANTS:
                out.setdefault(key, []).append(term)
    return out
