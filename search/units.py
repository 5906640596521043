"""Units: the pieces a query's free text is cut into, with the terms each
searches for per field.

The text is analysed with the same Sudachi chain as the posts and cut at
particles, auxiliary verbs, symbols and spaces, before a noun that a verb,
adjective or adnominal modifies, and around adverbs.  A unit of several
tokens (液浸冷却 → 液浸 冷却) is searched as a phrase.  Modifiers (verbs,
adjectives, demonstratives, interrogatives, adverbs) are marked: among
other words they weigh less (:func:`unit_weights`).  This module knows the
analysis and the synonym dictionary, not the index: :mod:`search.query`
turns units into Whoosh queries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from . import analysis
from .analysis import AnalyzedText, Chains, fold, is_kana, to_katakana
from .models import Settings
from .synonyms import Synonyms


@dataclass(frozen=True)
class Unit:
    """One unit of a query and the terms it searches for, per field."""

    text: str
    terms: tuple[tuple[str, ...], ...]  # main field: alternatives per position
    parts: tuple[str, ...] = ()
    grams: tuple[str, ...] = ()
    reading: tuple[str, ...] = ()  # katakana reading, then its indexed pieces
    synonyms: tuple[tuple[str, ...], ...] = ()
    own_synonyms: int = 0  # the first synonyms are the site's own: the word itself, written otherwise
    field: str | None = None  # restrict to one field (title:)
    substring_only: bool = False  # no word matches: bigrams must be a substring
    loose: bool = False  # a compound typed as one word: its parts anywhere count a little
    modifier: bool = False  # says what is asked of the subject, not the subject (see MODIFIER_POS)
    unknown: bool = False  # matches no post at all
    slop: int = 1  # phrase slop: more than 1 where particles sit inside a kana unit
    spelled: tuple[tuple[Unit, ...], ...] = ()  # the posts' spellings of a kana unit's reading (圧縮)
    latin: bool = False  # a katakana word some posts write in Latin letters (エヌビディア: NVIDIA)
    part: bool = False  # one word of the compound before it, typed as one word (液浸 of 液浸冷却)

    @property
    def phrase(self) -> bool:
        return len(self.terms) > 1

    @property
    def apart(self) -> tuple[str, ...]:
        """A one-word unit's short units, when it has several: a post may
        write the word apart (ユーザーID as ユーザ ID)."""
        return self.parts if len(self.terms) == 1 and len(self.parts) > 1 else ()

    @property
    def by_reading(self) -> bool:
        """Whether the unit's reading can find text spelled otherwise: a kana
        query for kanji text, or a katakana name for Latin text; a katakana
        word that the posts write only in katakana cannot."""
        return bool(self.reading) and (self.reading != (self.text,) or self.latin)

    def highlight_terms(self) -> set[str]:
        """Single terms whose occurrence in a passage shows this unit."""
        out: set[str] = set()
        if len(self.terms) == 1:
            out.update(self.terms[0])
        for syn in self.synonyms:
            if len(syn) == 1:
                out.add(syn[0])
        for spelling in self.spelled:
            for unit in spelling:
                out |= unit.highlight_terms()
        return out

    def sequences(self) -> list[tuple[str, ...]]:
        """Term sequences (phrases) whose occurrence shows this unit."""
        seqs = []
        if len(self.terms) > 1:
            seqs.append(tuple(alts[0] for alts in self.terms))
        elif self.apart:
            seqs.append(self.apart)
        seqs.extend(s for s in self.synonyms if len(s) > 1)
        for spelling in self.spelled:
            for unit in spelling:
                seqs.extend(unit.sequences())
        return seqs


def analyse_units(
    text: str, synonyms: Synonyms | None, chains: Chains | None = None, settings: Settings | None = None
) -> list[Unit]:
    """Cut free text into units with their terms for every field."""
    chains = chains or Chains()
    max_synonyms = (settings or Settings()).max_synonyms
    units: list[Unit] = []
    for chunk in text.split():
        morphs = analysis.morphs_for(chunk)
        if is_kana(chunk):
            # a word typed in kana is one unit (its reading may name kanji
            # text), unless it is a single particle or auxiliary (です, の);
            # katakana words joined by particles (ユーザのパスワード) are
            # several words, each a kana unit of its own
            if not (len(morphs) == 1 and chains.is_stop(morphs[0])):
                units.extend(
                    unit_of(piece, synonyms, chains, kana=True, max_synonyms=max_synonyms)
                    for piece in _kana_words(chunk, morphs, chains)
                )
            continue
        for start, end in _spans(morphs, chains):
            inside = analysis.slice_morphs(morphs, start, end)
            unit = unit_of(
                AnalyzedText(chunk[start:end], inside),
                synonyms,
                chains,
                loose=True,
                max_synonyms=max_synonyms,
            )
            after = next((m for m in morphs if m.start >= end), None)
            if unit.modifier and _nominal(inside, after):
                unit = replace(unit, modifier=False)
            units.append(unit)
    return [u for u in units if u.terms or u.grams or u.reading]


#: Particles after which a verb's continuative form is a noun (回り込みの設定).
_NOUN_PARTICLES = ("格助詞", "係助詞", "副助詞")


def _nominal(inside, after) -> bool:
    """Whether a word of one verb (``inside``, its morphemes) stands as a
    noun: in its continuative form (回り込み, the form Japanese uses as a
    noun), with nothing ``after`` it but a case or binding particle.  Typed
    as a word of its own (画像 回り込み) it names a thing, as 折り返し does,
    which the dictionary lists as a noun; before an auxiliary (並べ替えたい)
    it is the verb."""
    if len(inside) != 1 or fold(inside[0].surface) != analysis.verb_stem(inside[0]):
        return False
    return after is None or (
        len(after.pos) > 1 and after.pos[0] == "助詞" and after.pos[1] in _NOUN_PARTICLES
    )


def _spans(morphs, chains: Chains) -> list[tuple[int, int]]:
    """Where the words of analysed text start and end.  A word ends at a
    stop word, and before a noun that a verb, adjective or adnominal
    modifies (新しい|アカウント): such a pair is a phrase of the question,
    not a compound of the text.  A joining mark stays inside a word
    (メッセージ・キュー is one compound)."""
    out: list[tuple[int, int]] = []
    run: list = []
    for m in [*morphs, None]:
        if m is not None and analysis.joins_words(m):
            continue
        stop = m is None or chains.is_stop(m)
        if run and (stop or _modifies(run[-1], m)):
            out.append((run[0].start, run[-1].end))
            run = []
        if not stop:
            run.append(m)
    return out


def _kana_words(chunk: str, morphs, chains: Chains) -> list[str]:
    """The words of a kana chunk, cut as other text is (:func:`_spans`)
    when it holds katakana (バッファーをフラッシュ → バッファー, フラッシュ),
    whole otherwise.  Sudachi cuts katakana words reliably, while an
    all-hiragana chunk (ぱすわーどをかえたい) is often cut into nonsense, so
    it stays one unit searched by its reading."""
    spans = _spans(morphs, chains) if _KATAKANA.search(fold(chunk)) else []
    return [chunk[a:b] for a, b in spans] if len(spans) > 1 else [chunk]


_KATAKANA = re.compile("[\u30a1-\u30fa]")


def _modifies(before, morph) -> bool:
    if not (before.pos and morph.pos):
        return False
    if "副詞" in (before.pos[0], morph.pos[0]):
        return True  # an adverb modifies a predicate and forms no compound (しばらく|待つ)
    return before.pos[0] in _MODIFIERS and morph.pos[0] == "名詞"


_MODIFIERS = ("動詞", "形容詞", "連体詞")


#: Parts of speech that say what a question asks of its subject rather than
#: name it: verbs and adjectives, which the answer often phrases otherwise
#: (作りたい → 作成), demonstratives and interrogatives (この, どの, ここ),
#: which name nothing at all, and adverbs (しばらく, どう), which say how.
#: Among other words they weigh less (see :func:`unit_weights`).
MODIFIER_POS = ("動詞", "形容詞", "代名詞", "連体詞", "副詞")


#: Nouns that ask how rather than name a subject (VLOOKUP の使い方): they
#: weigh as modifiers do.
MANNER_NOUNS = frozenset({"使い方"})


def unit_weights(units, modifier_weight: float) -> list[float]:
    """Each unit's weight among the others: a modifier among other words
    weighs ``modifier_weight``, as the answer often phrases it otherwise or
    never repeats it; a query of modifiers only weighs them all alike.  The
    ranking and the passages both use it."""
    if all(unit.modifier for unit in units):
        return [1.0] * len(units)
    return [modifier_weight if unit.modifier else 1.0 for unit in units]


def unit_of(
    text: str,
    synonyms: Synonyms | None,
    chains: Chains,
    *,
    kana: bool = False,
    loose: bool = False,
    max_synonyms: int | None = None,
) -> Unit:
    """One unit for ``text`` as a whole (a phrase, a kana word, a piece of
    free text), with up to ``max_synonyms`` synonyms (default: Settings')."""
    positions: dict[int, list[str]] = {}
    for t in chains.main(text, positions=True, mode="query"):
        alts = positions.setdefault(t.pos, [])
        if t.text not in alts:
            alts.append(t.text)
    terms = tuple(tuple(v) for _, v in sorted(positions.items()))
    # a unit typed in kana may hold particles, which leave position gaps
    order = sorted(positions)
    slop = max((b - a for a, b in zip(order, order[1:], strict=False)), default=1)
    # one term per position: a verb's stem stands at its dictionary form's
    parts = tuple(t.text for t in chains.parts(text, mode="query") if not t.variant)
    grams = tuple(analysis.bigrams(text)) if len(fold(text).strip()) >= 2 else ()
    reading = (to_katakana(fold(text)),) if kana else ()
    syns: tuple[tuple[str, ...], ...] = ()
    kept = 0
    morphs = [m for m in analysis.morphs_for(text) if not chains.is_stop(m)]
    if synonyms is not None:

        def analyse(word: str) -> tuple[str, ...]:
            return tuple(t.text for t in chains.main(word, mode="query") if not t.variant)

        # the site's own groups first, all of them: someone chose each
        found = synonyms.own_synonyms(analyse(text), analyse) if synonyms.own else []
        kept = len(found)
        if len(morphs) == 1 and morphs[0].synonyms:
            m = morphs[0]
            words = {m.surface, m.normalized, fold(m.surface)}
            own = set(terms[0]) if terms else set()
            for head in synonyms.expand(m.synonyms, words):
                seq = analyse(head)
                if seq and not (len(seq) == 1 and seq[0] in own) and seq not in found:
                    found.append(seq)
        cap = Settings().max_synonyms if max_synonyms is None else max_synonyms
        syns = tuple(found[: kept + cap])
    modifier = bool(morphs) and all(m.pos[0] in MODIFIER_POS or m.normalized in MANNER_NOUNS for m in morphs)
    return Unit(
        str(text),
        terms,
        parts,
        grams,
        reading,
        syns,
        own_synonyms=kept,
        loose=loose,
        modifier=modifier,
        slop=slop,
    )


def compound_parts(unit: Unit, chains: Chains) -> list[Unit]:
    """The words of a compound typed as one word (液浸冷却 → 液浸, 冷却), each
    a weak unit of its own (``part``) named by its text as typed: a post
    that writes the words apart, or only some of them, is weaker evidence
    than the compound, but evidence.  A compound the dictionary lists as
    one word (IPアドレス) has its short units as words (IP, アドレス)."""
    if not unit.loose or unit.field:
        return []
    if unit.apart:
        words = [
            Unit(text, ((t.text,),), (t.text,), tuple(analysis.bigrams(text)), part=True)
            for t in chains.parts(unit.text, positions=True, chars=True, mode="query")
            if not t.variant and (text := unit.text[t.startchar : t.endchar])
        ]
        # the text read alone must give the words the unit searched for in
        # the query (並べ替え of 並べ替えたい reads as one noun alone)
        return words if tuple(w.parts[0] for w in words) == unit.apart else []
    if not unit.phrase:
        return []
    surfaces: dict[int, str] = {}
    for t in chains.main(unit.text, positions=True, chars=True, mode="query"):
        surfaces.setdefault(t.pos, unit.text[t.startchar : t.endchar])
    if len(surfaces) != len(unit.terms):
        return []
    return [
        Unit(surface, (alts,), (alts[0],), tuple(analysis.bigrams(surface)), part=True)
        for surface, alts in zip((surfaces[p] for p in sorted(surfaces)), unit.terms, strict=True)
    ]


def relax(unit: Unit) -> list[Unit]:
    """A phrase unit that occurs nowhere, split into one unit per token."""
    return [Unit(alts[0], (alts,), (alts[0],), tuple(analysis.bigrams(alts[0]))) for alts in unit.terms]
