"""Suggestions for conversion slips: a word typed with the wrong kanji of
the right reading (液侵冷却 for 液浸冷却, エキシンレイキャク both), the
commonest Japanese typo, which edit distance on characters cannot see.

A query word that the posts never write, or write far less often than
other words of its reading, is read in katakana, and the index's reading
field is asked for words that read the same; the posts' own spelling of
the best one is offered.  Sudachi gives no reading for a kanji it does not
know in that place (侵 alone), so such a character matches any reading of
one to three kana, and the candidate that keeps most of the typed
characters wins.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator, MutableMapping, Sequence

from whoosh import query as wq

from . import records
from .analysis import AnalyzedText, Chains, fold, is_kana, morphs_for, slice_morphs, to_katakana
from .models import Settings

#: Kana one unknown kanji may read as (侵 → シン; 承 → ウケタマワ is rare).
_WILD = (1, 3)
#: A word the posts write this many times less often than other words of
#: its reading counts as a slip worth a suggestion.
RARITY = 4
#: Most reading terms one suggested word may span (液浸 冷却 is two).
MAX_TERMS = 3
#: Readings checked against the posts, at most, for one query word.
MAX_CANDIDATES = 12
_KANJI = re.compile(r"[\u3400-\u9fff々]")

Pattern = tuple[str | None, ...]  # katakana pieces; None for an unread kanji


def reading_pattern(text: str) -> Pattern:
    """The katakana reading of ``text`` piece by piece, with None for each
    kanji Sudachi could not read there (液侵冷却 → エキ, None, レイキャク);
    empty when a piece has no reading at all (Latin letters, digits)."""
    out: list[str | None] = []
    for m in morphs_for(text):
        reading = to_katakana(m.reading)
        if reading and is_kana(reading):
            out.append(reading)
        elif _KANJI.fullmatch(m.surface):
            out.append(None)
        elif m.surface.strip():
            return ()
    return tuple(out)


def _states_after(pattern: Pattern, states: set[tuple[int, int]], term: str) -> set[tuple[int, int]]:
    """Where a match of ``pattern`` can stand after ``term``, from each
    state ``(piece, offset)``: within a reading piece ``offset`` kana in,
    or within an unread kanji after ``offset`` kana."""
    out: set[tuple[int, int]] = set()
    for state in states:
        frontier = {state}
        for ch in term:
            step: set[tuple[int, int]] = set()
            for piece, offset in frontier:
                step |= _step(pattern, piece, offset, ch)
            frontier = step
            if not frontier:
                break
        out |= frontier
    return out


def _step(pattern: Pattern, piece: int, offset: int, ch: str) -> set[tuple[int, int]]:
    """States after reading one kana ``ch`` at ``(piece, offset)``."""
    out: set[tuple[int, int]] = set()
    if piece >= len(pattern):
        return out
    current = pattern[piece]
    if current is None:
        low, high = _WILD
        if offset < high:
            out.add((piece, offset + 1))
        if offset >= low:  # the unread kanji ends here; ch starts the next piece
            out |= _step(pattern, piece + 1, 0, ch)
        return out
    if current[offset] == ch:
        out.add((piece + 1, 0) if offset + 1 == len(current) else (piece, offset + 1))
    return out


def _complete(pattern: Pattern, states: set[tuple[int, int]]) -> bool:
    low = _WILD[0]
    n = len(pattern)
    return any(p == n or (p == n - 1 and pattern[p] is None and o >= low) for p, o in states)


def matching_readings(pattern: Pattern, lexicon: Lexicon, has_term) -> list[tuple[str, ...]]:
    """Sequences of up to :data:`MAX_TERMS` indexed reading terms that read
    as ``pattern``.  ``lexicon`` holds the reading terms by first kana
    (needed only when the pattern has an unread kanji); ``has_term`` looks
    one term up."""
    if None not in pattern:
        from .query import segment_reading

        settings = Settings()
        found = segment_reading(
            "".join(pattern),  # type: ignore[arg-type]
            has_term,
            settings.reading_max_chars,
            settings.reading_max_piece,
        )
        return [found] if found and len(found) <= MAX_TERMS else []
    out: list[tuple[str, ...]] = []
    partial: list[tuple[tuple[str, ...], set[tuple[int, int]]]] = [((), {(0, 0)})]
    memo: dict[tuple[int, int], set[str]] = {}
    for _ in range(MAX_TERMS):
        grown = []
        for seq, states in partial:
            for term in _next_terms(pattern, states, lexicon, memo):
                after = _states_after(pattern, states, term)
                if after:
                    if _complete(pattern, after):
                        out.append((*seq, term))
                    grown.append(((*seq, term), after))
        partial = grown[:200]
        if not partial or len(out) >= 20:
            break
    return out


Lexicon = dict[str, list[str]]  # first kana → reading terms


def _next_terms(
    pattern: Pattern, states: set[tuple[int, int]], lexicon: Lexicon, memo: dict[tuple[int, int], set[str]]
) -> set[str]:
    """Terms that may continue a match from ``states``: those starting with
    the next kana of a reading piece, or, inside an unread kanji, those
    that reach the next piece's first kana within the kanji's reach."""
    out: set[str] = set()
    high = _WILD[1]
    for piece, offset in states:
        if piece >= len(pattern):
            continue
        current = pattern[piece]
        if current is not None:
            out.update(lexicon.get(current[offset], ()))
            continue
        if (piece, offset) not in memo:
            # a reading term inside an unread kanji reaches the next piece (a
            # kanji is rarely a word of its own); at the end, it ends the word
            reach = high - offset + 1
            after = pattern[piece + 1] if piece + 1 < len(pattern) else None
            memo[piece, offset] = {
                term
                for terms in lexicon.values()
                for term in terms
                if ((after[0] in term[:reach]) if after is not None else len(term) < reach)
            }
        out |= memo[piece, offset]
    return out


class Slips:
    """Finds the slips of one query against one index searcher."""

    def __init__(self, searcher, chains: Chains, lexicon_cache: MutableMapping | None = None) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.chains = chains
        self._cache = weakref.WeakKeyDictionary() if lexicon_cache is None else lexicon_cache

    def corrections(self, words: Sequence[str], found: frozenset[str] = frozenset()) -> dict[str, str]:
        """``{typed: meant}`` for the query ``words`` that look like slips;
        ``found`` are compounds the query already found as phrases, which
        need no second look."""
        out: dict[str, str] = {}
        for text in words:
            if text in out or text in found or not _KANJI.search(text):
                continue
            meant = self._meant(text)
            if meant:
                out[text] = meant
        return out

    def _meant(self, typed: str) -> str | None:
        pattern = reading_pattern(typed)
        if not pattern or not any(pattern):
            return None
        has = lambda t: self.reader.doc_frequency("reading", t) > 0  # noqa: E731
        terms = [t.text for t in self.chains.main(typed, mode="query") if not t.variant]
        if not terms:
            return None
        if len(terms) == 1:
            # cheap first look: a word found often, and not much less often
            # than its reading, is no slip
            own_count = self.reader.doc_frequency("body", terms[0])
            if None in pattern or len(pattern) > 1:
                if own_count > 1:
                    return None
            elif self.reader.doc_frequency("reading", pattern[0]) < (RARITY + 1) * own_count:
                return None
        own = frozenset(_main_query(terms).docs(self.searcher))
        if len(own) > 1 and len(terms) > 1:
            return None
        lexicon = self._lexicon() if None in pattern else {}
        best: tuple[tuple[int, int], str] | None = None
        # the fewest terms first: a word's own reading term beats pieces
        found = sorted(matching_readings(pattern, lexicon, has), key=len)
        for seq in found[:MAX_CANDIDATES]:
            posts = set(_seq_query("reading", seq).docs(self.searcher)) - own
            if not posts or len(posts) < RARITY * len(own):
                continue
            spelled = self._spelling(typed, seq, posts)
            if not spelled or spelled == fold(typed):
                continue
            rank = (sum(a == b for a, b in zip(spelled, fold(typed), strict=False)), len(posts))
            if best is None or rank > best[0]:
                best = (rank, spelled)
        return best[1] if best else None

    def _lexicon(self) -> Lexicon:
        """The reading terms by first kana, read once per index reader (the
        cache is keyed by the reader itself, so threads with readers of
        their own never evict each other's, and a closed reader's entry goes
        with it)."""
        by_first = self._cache.get(self.reader)
        if by_first is None:
            by_first = {}
            for raw in self.reader.lexicon("reading"):
                term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                by_first.setdefault(term[:1], []).append(term)
            self._cache[self.reader] = by_first
        return by_first

    def _spelling(self, typed: str, seq: tuple[str, ...], posts: set[int]) -> str | None:
        """How the posts write the reading ``seq``: its span in the first
        post that holds it, found by the reading chain."""
        for docnum in sorted(posts)[:3]:
            record = records.decode(self.searcher.stored_fields(docnum))
            text = record.title + "\n" + record.body
            for line in _likely_lines(text, typed):
                found = _reading_span(line, seq, self.chains)
                if found:
                    return fold(found)
        return None


def _main_query(terms: list[str]) -> wq.Query:
    return _seq_query("body", tuple(terms))


def _seq_query(fieldname: str, seq: tuple[str, ...]) -> wq.Query:
    if len(seq) == 1:
        return wq.Term(fieldname, seq[0])
    return wq.Phrase(fieldname, list(seq))


#: Lines of one post analysed, at most, to find how it spells a reading.
MAX_LINES = 40


def _likely_lines(text: str, typed: str) -> Iterator[str]:
    """Lines of ``text`` to read for a slip of ``typed``: those holding one
    of its characters first (a slip keeps most of them), then the rest, at
    most :data:`MAX_LINES` in all."""
    lines = [line for line in text.splitlines() if line.strip()]
    chars = set(typed)
    first = [line for line in lines if chars & set(line)]
    rest = [line for line in lines if not chars & set(line)]
    yield from (first + rest)[:MAX_LINES]


def _reading_span(line: str, seq: tuple[str, ...], chains: Chains) -> str | None:
    tokens = chains.reading_terms(line)
    for i, (text, pos, start, *_) in enumerate(tokens):
        if text != seq[0]:
            continue
        end = None
        for k, want in enumerate(seq):
            j = i + k
            if j >= len(tokens) or tokens[j][0] != want or tokens[j][1] != pos + k:
                end = None
                break
            end = tokens[j][3]
        if end is not None:
            return line[start:end]
    return None


def free_words(tree, chains: Chains) -> list[str]:
    """The words of a parsed query a slip can hide in: runs of content
    words (between particles, symbols and spaces) of its free text and
    quoted phrases that hold a kanji, each carrying its analysis (not the
    excluded words, nor field values)."""
    from . import syntax

    out: list[str] = []
    for node in tree.nodes:
        while isinstance(node, syntax.Must):
            node = node.node
        if isinstance(node, syntax.Text | syntax.Phrase):
            for chunk in node.text.split():
                if _KANJI.search(chunk):
                    out.extend(_content_runs(chunk, chains))
        elif isinstance(node, syntax.Seq | syntax.AnyOf):
            out.extend(free_words(node, chains))
    return out


def _content_runs(chunk: str, chains: Chains) -> Iterator[str]:
    morphs = morphs_for(chunk)
    run: list = []
    for m in [*morphs, None]:
        if m is not None and not chains.is_stop(m):
            run.append(m)
            continue
        if run:
            start, end = run[0].start, run[-1].end
            piece = chunk[start:end]
            if _KANJI.search(piece):
                yield AnalyzedText(piece, slice_morphs(morphs, start, end))
            run = []


def corrected(query: str, corrections: dict[str, str]) -> str | None:
    """``query`` with each slip replaced by the word meant, or None."""
    text = query
    for typed, meant in corrections.items():
        text = text.replace(typed, meant, 1)
    return text if text != query else None
