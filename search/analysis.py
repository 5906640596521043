"""The analysis chain: Whoosh tokenizers and filters built on Sudachi.

Each field's analyzer is a chain of small named steps composed with ``|``,
and the same chain analyses posts and queries::

    SudachiTokenizer() | PosStopFilter() | NormalizedFormFilter()

Every token keeps ``startchar``/``endchar`` offsets into the original text,
whatever the filters do to its ``text``, so highlighting stays exact.
Components hold configuration only (Whoosh pickles them into the index);
the Sudachi tokenizer itself is created lazily per thread.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from typing import NamedTuple

from whoosh.analysis import Composable, Filter, Token, Tokenizer

from . import sudachi
from .sudachi import Morph

#: Parts of speech that carry no evidence (Sudachi's top-level tags), as in
#: elasticsearch-sudachi's stoptags: particles, auxiliary verbs, symbols,
#: blanks, conjunctions, interjections.
STOP_TAGS: frozenset[str] = frozenset({"助詞", "助動詞", "補助記号", "記号", "空白", "接続詞", "感動詞"})

#: Words that are content by part of speech but evidence of nothing (light
#: verbs and formal nouns), written in Sudachi's normalised form.
STOP_WORDS: frozenset[str] = frozenset(
    {"為る", "居る", "有る", "成る", "事", "物", "為", "様", "其の", "此の", "其れ", "此れ", "所"}
    # verbs that state what the asker wants rather than what they want it for
    | {"知る", "要る", "思う", "分かる", "出来る", "欲しい", "方法", "仕方", "遣り方"}
)

_cache = threading.local()


class AnalyzedText(str):
    """A string that carries its Sudachi morphemes, analysed in a wider
    context (a query word cut into units keeps the analysis of the whole
    word; a post analysed in a worker process is not analysed again)."""

    morphs: tuple[Morph, ...]

    def __new__(cls, text: str, morphs) -> AnalyzedText:
        obj = super().__new__(cls, text)
        obj.morphs = tuple(morphs)
        return obj

    def __reduce__(self):
        return (AnalyzedText, (str(self), self.morphs))


def slice_morphs(morphs, start: int, end: int) -> list[Morph]:
    """Morphemes within ``[start, end)``, shifted to start at 0."""
    return [_shift(m, -start) for m in morphs if m.start >= start and m.end <= end]


def _shift(m: Morph, by: int) -> Morph:
    parts = tuple(p._replace(start=p.start + by, end=p.end + by) for p in m.parts)
    return m._replace(start=m.start + by, end=m.end + by, parts=parts)


def morphs_for(text: str) -> list[Morph]:
    """Sudachi morphemes of ``text``, remembered for the last few texts so
    that several fields analysing the same text pay for Sudachi once."""
    carried = getattr(text, "morphs", None)
    if carried is not None:
        return list(carried)
    store: dict[str, list[Morph]] | None = getattr(_cache, "store", None)
    if store is None:
        store = _cache.store = {}
    found = store.get(text)
    if found is None:
        found = sudachi.analyze(text)
        if len(store) >= 8:
            store.pop(next(iter(store)))
        store[text] = found
    return found


class _FoldTable(dict):
    """Per-character fold table for ``str.translate``, filled on demand."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        folded = unicodedata.normalize("NFKC", ch).lower()
        value = folded if len(folded) == 1 else ch.lower() if len(ch.lower()) == 1 else ch
        self[code] = value
        return value


_FOLD = _FoldTable()

#: Characters that fold to themselves: ASCII other than capitals, CJK
#: punctuation, hiragana, katakana, the unified ideographs, and the
#: punctuation, arrows, symbols and box drawing of technical text.
#: Japanese text is mostly these, so only the runs between them are
#: translated (four times faster on a long post than translating every
#: character).
FOLD_STABLE = (
    "\u0000-\u0040\u005b-\u007f\u3001-\u3035\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30fe\u4e00-\u9fff"
    "\u2012-\u2023\u2025-\u202e\u2030-\u205e\u2190-\u2328\u232b-\u245f\u24eb-\u2bff\u30fb"
)
#: Runs to translate; ASCII capitals are lower-cased beforehand.
_UNSTABLE_RUN = re.compile(f"[^{FOLD_STABLE}A-Z]+")


def fold(text: str) -> str:
    """Width- and case-fold ``text`` character by character (NFKC + lower
    case where that maps one character to one), keeping its length, so that
    offsets into the folded text are offsets into the original."""
    if text.isascii():
        return text.lower()
    # bytes.lower() changes ASCII capitals only, in one pass in C
    lowered = text.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass")
    return _UNSTABLE_RUN.sub(_fold_run, lowered)


def _fold_run(match: re.Match) -> str:
    return match.group().translate(_FOLD)


_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in range(0x3041, 0x3097)}
_KANA = re.compile("[\u3041-\u309f\u30a0-\u30ff]+")


def to_katakana(text: str) -> str:
    """Hiragana to katakana; other characters unchanged."""
    return text.translate(_HIRAGANA_TO_KATAKANA)


def is_kana(text: str) -> bool:
    """True when ``text`` is all hiragana/katakana (and the long vowel mark)."""
    return _KANA.fullmatch(fold(text)) is not None


class _SpanTokenizer(Tokenizer):
    """Shared plumbing of our tokenizers: they hold no configuration, and
    they fill one reused Token (as Whoosh's own tokenizers do) from
    ``(text, start, end, position, morph)`` spans that subclasses yield."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def spans(self, value: str, start_pos: int) -> Iterator[tuple[str, int, int, int, Morph | None]]:
        raise NotImplementedError

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        tokenize: bool = True,
        **kwargs,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for text, start, end, pos, morph in self.spans(value, start_pos):
            t.text = text
            t.morph = morph
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[start:end]
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t


def joins_words(morph: Morph) -> bool:
    """Whether a morpheme only joins or spaces the words beside it: a blank
    or a middle dot (ネットワーク・インタフェース)."""
    return not morph.surface.strip() or morph.surface in ("・", "･")


class SudachiTokenizer(_SpanTokenizer):
    """Yields one token per Sudachi long unit (mode C), surface as text.

    The morpheme rides along as ``token.morph`` for later filters.  Blanks
    and middle dots take no position (:func:`joins_words`): Japanese text
    puts spaces around ASCII words and where lines were wrapped (16 進数,
    指定され た) and dots between the words of a loanword compound
    (ネットワーク・インタフェース), and a phrase must match across them as
    it does where they are absent; particles and other punctuation,
    dropped later, still leave a gap (as Kuromoji's position increments do).
    """

    def spans(self, value: str, start_pos: int) -> Iterator[tuple[str, int, int, int, Morph | None]]:
        pos = start_pos
        for morph in morphs_for(value):
            if joins_words(morph):
                continue
            yield morph.surface, morph.start, morph.end, pos, morph
            pos += 1


class PosStopFilter(Filter):
    """Drops tokens whose top-level part of speech is in ``stoptags`` or
    whose normalised form is in ``stopwords``."""

    def __init__(
        self, stoptags: frozenset[str] | None = None, stopwords: frozenset[str] | None = None
    ) -> None:
        self.stoptags = frozenset(STOP_TAGS if stoptags is None else stoptags)
        self.stopwords = frozenset(STOP_WORDS if stopwords is None else stopwords)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if is_stop(t.morph, self.stoptags, self.stopwords):
                continue
            yield t


def is_stop(
    morph: Morph, stoptags: frozenset[str] = STOP_TAGS, stopwords: frozenset[str] = STOP_WORDS
) -> bool:
    """True when a morpheme carries no evidence (see :class:`PosStopFilter`)."""
    pos = morph.pos
    return (bool(pos) and pos[0] in stoptags) or morph.normalized in stopwords or not morph.surface.strip()


class ShortUnitFilter(Filter):
    """Replaces each long unit by its short units (mode A), renumbering
    positions so that phrase queries over short units work.

    When indexing, only compounds are split: a long unit that is a single
    short unit is already in the main field, so it leaves just a position
    gap here (the field then answers "inside a compound", at a fraction of
    its size).  Queries and highlighting get every short unit."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        pos = None
        for t in tokens:
            parts = t.morph.parts or (t.morph,)
            if t.positions:
                pos = t.pos if pos is None else max(pos + 1, t.pos)
            if not t.morph.parts and t.mode == "index":
                continue
            base_char = t.startchar - t.morph.start if t.chars else 0
            for i, part in enumerate(parts):
                t.morph = part
                t.text = part.surface
                if t.positions:
                    t.pos = pos + i
                if t.chars:
                    t.startchar = base_char + part.start
                    t.endchar = base_char + part.end
                yield t
            if t.positions:
                pos += len(parts) - 1


class NormalizedFormFilter(Filter):
    """Replaces the text with Sudachi's normalised form, lower-cased.

    Sudachi maps some ASCII words to loanwords (tar → タール, user →
    ユーザー); with ``keep_ascii`` the lower-cased ASCII surface is also
    emitted at the same position, so command names stay findable as typed.
    The extra token carries ``variant = True``.
    """

    def __init__(self, keep_ascii: bool = True) -> None:
        self.keep_ascii = keep_ascii

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            morph = t.morph
            norm = morph.normalized.lower()
            t.text = norm
            t.variant = False
            yield t
            if self.keep_ascii:
                surface = fold(morph.surface)
                if surface != norm and surface.isascii() and surface.isalnum():
                    t.text = surface
                    t.variant = True
                    yield t


class KatakanaStemFilter(Filter):
    """Drops a final long vowel mark from katakana words of ``min_length``
    characters or more (メモリー → メモリ, as Kuromoji does): Sudachi
    unifies サーバ/サーバー but not every such pair."""

    def __init__(self, min_length: int = 4) -> None:
        self.min_length = min_length

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        n = self.min_length
        for t in tokens:
            text = t.text
            if len(text) >= n and text[-1] == "ー" and _is_katakana(text):
                t.text = text.rstrip("ー") or text
            yield t


def _is_katakana(text: str) -> bool:
    return all("\u30a0" <= c <= "\u30ff" for c in text)


_GODAN_STEM = dict(zip("くぐすつぬぶむるう", "きぎしちにびみりい", strict=True))


def verb_stem(morph: Morph) -> str:
    """The continuative stem of a verb (割り当てる → 割り当て, 書き込む →
    書き込み), which Japanese uses as a noun; "" for other words."""
    pos = morph.pos
    if not pos or pos[0] != "動詞" or len(pos) < 3:
        return ""
    base = morph.normalized
    if pos[2].startswith(("下一段", "上一段")) and base.endswith("る"):
        stem = base[:-1]
    elif pos[2].startswith("五段") and base[-1:] in _GODAN_STEM:
        stem = base[:-1] + _GODAN_STEM[base[-1]]
    else:
        return ""
    return stem.lower() if len(stem) >= 2 else ""


class VerbStemFilter(Filter):
    """Also emits a verb's continuative stem at its position, so that the
    noun 割り当て and the verb 割り当てる find each other.  The extra token
    carries ``variant = True``."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            yield t
            if getattr(t, "variant", False):
                continue
            stem = verb_stem(t.morph)
            if stem and stem != t.text:
                t.text = stem
                t.variant = True
                yield t


class ReadingFilter(Filter):
    """Replaces the text with the katakana reading of the token, so that a
    query typed in kana can find text written in kanji, and a Latin name
    the dictionary reads (NVIDIA → エヌビディア, Python → パイソン) can be
    found by its katakana spelling.

    Of ASCII words, only names whose normalised form stays ASCII get a
    reading (see :func:`latin_reading`): numbers, short letter strings and
    acronyms read as spelled-out letters (bw → ビーダブリュー, GPU →
    ジーピーユー), which nobody types, and words Sudachi already
    normalises to a loanword (user → ユーザー) are found through the main
    field."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            morph = t.morph
            if morph.surface.isascii():
                reading = latin_reading(morph)
            else:
                reading = to_katakana(morph.reading)
            if reading and is_kana(reading):
                t.text = reading
                yield t


def latin_reading(morph: Morph) -> str:
    """The katakana reading of a Latin-script name (NVIDIA → エヌビディア),
    or "" when it has none worth indexing (see :class:`ReadingFilter`)."""
    surface = morph.surface
    if len(surface) < 3 or not surface.isalpha() or not morph.normalized.isascii():
        return ""
    if surface.isupper() and len(surface) <= 4:
        return ""  # an acronym
    reading = morph.reading
    return reading if reading != surface and is_kana(reading) else ""


class BigramTokenizer(_SpanTokenizer):
    """Character bigrams over the width- and case-folded text.

    Runs of kana, kanji and other non-ASCII letters and digits are cut into
    overlapping pairs (a run of one character yields itself); punctuation,
    spaces and ASCII end a run and leave a position gap, so bigrams never
    span a break.  ASCII is left to the word fields: Sudachi keeps ASCII
    words whole, and bigrams inside them (ls in else) were noise and 40% of
    the field.
    """

    def spans(self, value: str, start_pos: int) -> Iterator[tuple[str, int, int, int, Morph | None]]:
        pos = start_pos
        for run_start, run in _word_runs(fold(value)):
            if run.isascii():
                continue
            if len(run) == 1:
                grams = [(0, run)]
            else:
                grams = [(i, run[i : i + 2]) for i in range(len(run) - 1)]
            for i, gram in grams:
                yield gram, run_start + i, run_start + i + len(gram), pos, None
                pos += 1
            pos += 1  # gap between runs


def _word_runs(text: str) -> Iterator[tuple[int, str]]:
    """``(start, run)`` for each run of word characters, ASCII and other
    runs apart."""
    for m in _RUN.finditer(text):
        yield m.start(), m.group()


_RUN = re.compile(r"[0-9A-Za-z]+|(?:(?![0-9A-Za-z_])[\wー々〆ヶ])+")
_NOT_BIGRAM_RUN = re.compile(r"(?:[^\wー々〆ヶ]|[0-9A-Za-z_])+")


def substring_key(text: str) -> str:
    """What the bigram field sees of ``text``: its folded non-ASCII runs,
    joined by NUL.  A query's key occurring in a post's key is the exact
    substring match that the field's bigrams only suggest."""
    return _NOT_BIGRAM_RUN.sub("\0", fold(text)).strip("\0")


def bigrams(text: str) -> list[str]:
    """The bigram terms of ``text`` in order (as :class:`BigramTokenizer`
    yields them), for building substring phrase queries."""
    return [t.text for t in BigramTokenizer()(text)]


def main_analyzer(stoptags: frozenset[str] | None = None) -> Composable:
    """Long units, normalised and lower-cased: the primary search field."""
    return (
        SudachiTokenizer()
        | PosStopFilter(stoptags)
        | NormalizedFormFilter()
        | VerbStemFilter()
        | KatakanaStemFilter()
    )


def parts_analyzer(stoptags: frozenset[str] | None = None) -> Composable:
    """Short units inside the long units, normalised: finds compounds by
    their parts (データ finds データセンター)."""
    return (
        SudachiTokenizer()
        | PosStopFilter(stoptags)
        | ShortUnitFilter()
        | NormalizedFormFilter()
        | VerbStemFilter()
        | KatakanaStemFilter()
    )


def reading_analyzer(stoptags: frozenset[str] | None = None) -> Composable:
    """Katakana readings of long units: kana queries find kanji text."""
    return SudachiTokenizer() | PosStopFilter(stoptags) | ReadingFilter()


def ngram_analyzer() -> Composable:
    """Folded character bigrams: the substring safety net."""
    return BigramTokenizer()


class Term(NamedTuple):
    """One token of a chain, kept (Whoosh's tokens are one reused object)."""

    text: str
    pos: int
    startchar: int
    endchar: int
    variant: bool = False


class Chains:
    """The analyzers of one index, all built from one stop configuration,
    so that posts, queries and highlighting see the same terms.

    :meth:`main_terms`, :meth:`parts_terms` and :meth:`reading_terms` give
    what ``main``, ``parts`` and ``reading`` yield for a text outside
    indexing (with positions and character offsets), as a list computed
    straight from the morphemes: highlighting analyses a few dozen passages
    per query, and the chains' generator per step per token cost more than
    Sudachi itself.  A test holds them to the chains."""

    def __init__(self, stoptags: frozenset[str] | None = None) -> None:
        self.stoptags = frozenset(STOP_TAGS if stoptags is None else stoptags)
        self.main = main_analyzer(self.stoptags)
        self.parts = parts_analyzer(self.stoptags)
        self.reading = reading_analyzer(self.stoptags)
        self.ngram = ngram_analyzer()

    def is_stop(self, morph: Morph) -> bool:
        return is_stop(morph, self.stoptags)

    def _content(self, text: str) -> Iterator[tuple[int, Morph]]:
        """``(position, morph)`` of the morphemes the stop filter keeps, as
        :class:`SudachiTokenizer` numbers them."""
        stoptags = self.stoptags
        pos = 0
        for morph in morphs_for(text):
            if joins_words(morph):
                continue
            if not is_stop(morph, stoptags):
                yield pos, morph
            pos += 1

    def main_terms(self, text: str) -> list[Term]:
        """What ``main`` yields for ``text``."""
        out: list[Term] = []
        for pos, morph in self._content(text):
            _main_forms(morph, pos, out)
        return out

    def parts_terms(self, text: str) -> list[Term]:
        """What ``parts`` yields for ``text`` (every short unit)."""
        out: list[Term] = []
        pos = None
        for at, morph in self._content(text):
            parts = morph.parts or (morph,)
            pos = at if pos is None else max(pos + 1, at)
            for i, part in enumerate(parts):
                _main_forms(part, pos + i, out)
            pos += len(parts) - 1
        return out

    def reading_terms(self, text: str) -> list[Term]:
        """What ``reading`` yields for ``text``."""
        out: list[Term] = []
        for pos, morph in self._content(text):
            if morph.surface.isascii():
                reading = latin_reading(morph)
            else:
                reading = to_katakana(morph.reading)
            if reading and is_kana(reading):
                out.append(Term(reading, pos, morph.start, morph.end))
        return out


def _katakana_stem(text: str, min_length: int = 4) -> str:
    """:class:`KatakanaStemFilter`'s change to one term."""
    if len(text) >= min_length and text[-1] == "ー" and _is_katakana(text):
        return text.rstrip("ー") or text
    return text


def _main_forms(morph: Morph, pos: int, out: list[Term]) -> None:
    """The terms :class:`NormalizedFormFilter`, :class:`VerbStemFilter` and
    :class:`KatakanaStemFilter` make of one morpheme, in their order."""
    start, end = morph.start, morph.end
    norm = morph.normalized.lower()
    first = _katakana_stem(norm)
    out.append(Term(first, pos, start, end))
    stem = verb_stem(morph)
    if stem and stem != first:
        out.append(Term(_katakana_stem(stem), pos, start, end, True))
    raw = morph.surface
    if raw.isascii():
        surface = raw.lower()  # fold's own way with ASCII
    elif _folds_to_itself(raw[0]):
        return  # the folded surface keeps a kana or kanji: not an ASCII word
    else:
        surface = fold(raw)
    if surface != norm and surface.isascii() and surface.isalnum():
        out.append(Term(_katakana_stem(surface), pos, start, end, True))


def _folds_to_itself(ch: str) -> bool:
    """Whether ``ch`` is a hiragana, katakana or unified ideograph, which
    :func:`fold` leaves as it is (see :data:`FOLD_STABLE`)."""
    return "\u3041" <= ch <= "\u3096" or "\u30a1" <= ch <= "\u30fa" or "\u4e00" <= ch <= "\u9fff"


def describe_chain(chain) -> str:
    """An analysis chain as the names of its steps, ``Tokenizer | Filter | …``."""
    steps = getattr(chain, "items", None) or [chain]
    return " | ".join(type(step).__name__ for step in steps)


#: Bump when what a step of a chain does changes.  Recorded in the index
#: fingerprint, beside the steps' names (:func:`describe_chain`), so that
#: either change forces a rebuild.
CHAIN_VERSION = 9
