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

A slip breaks a compound into kanji that Sudachi reads on their own, or
makes a name or an unknown word that it reads its own way, often not with the reading meant (関係
typed as 関型 reads セキ・ガタ, not カン・ケイ; 事実 typed as 時実 reads
トキザネ): such a word also stands for its kanji read one
by one, each with any reading the dictionary lists for it, and with a
final ッ before another kanji (発 ハツ in 発展 ハッテン).  The readings
that change the fewest words are tried first.
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Iterator, MutableMapping, Sequence

from whoosh import query as wq

from . import records
from .analysis import AnalyzedText, Chains, fold, is_kana, morphs_for, slice_morphs, to_katakana
from .models import Settings
from .sudachi import readings

#: Kana one unknown kanji may read as (侵 → シン; 承 → ウケタマワ is rare).
_WILD = (1, 3)
#: A word the posts write this many times less often than other words of
#: its reading counts as a slip worth a suggestion.
RARITY = 4
#: Most reading terms one suggested word may span (液浸 冷却 is two).
MAX_TERMS = 3
#: Readings checked against the posts, at most, for one query word.
MAX_CANDIDATES = 16
#: Readings of one query word tried, at most (Sudachi's own and those with
#: other readings of its lone kanji).
MAX_PATTERNS = 32
#: Kana that a kanji's reading ending in it turns into ッ before another
#: kanji (発 ハツ → ハッテン, 学 ガク → ガッコウ).
_SOKUON = frozenset("ツチクキ")
_KANJI = re.compile(r"[\u3400-\u9fff々]")
#: A word written in kanji only, short enough to read kanji by kanji.
_KANJI_RUN = re.compile(r"[\u3400-\u9fff]{1,4}")

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


def reading_patterns(text: str) -> list[Pattern]:
    """The readings ``text`` may stand for, Sudachi's own first, then those
    with fewest words read otherwise: a lone kanji, a name or an unknown
    word written in kanji may be read kanji by kanji, each with a reading the dictionary lists for it
    or, for one kanji it lists none for, any reading (see the module
    docstring); at most :data:`MAX_PATTERNS`."""
    options: list[tuple[Pattern, ...]] = []
    morphs = [m for m in morphs_for(text) if m.surface.strip()]
    for n, m in enumerate(morphs):
        reading = to_katakana(m.reading)
        choices: dict[Pattern, None] = {}
        if reading and is_kana(reading):
            choices[(reading,)] = None
        elif _KANJI.fullmatch(m.surface):
            choices[(None,)] = None
        if _KANJI_RUN.fullmatch(m.surface) and (len(m.surface) == 1 or _unusual(m)):
            last = len(m.surface) - 1 if n + 1 == len(morphs) else len(m.surface)
            each = [_kanji_readings(k, before_another=i < last) or (None,) for i, k in enumerate(m.surface)]
            if sum(e == (None,) for e in each) <= 1:
                for pick in itertools.islice(itertools.product(*each), MAX_PATTERNS):
                    choices.setdefault(pick, None)
        if not choices:
            return []
        options.append(tuple(choices))
    picks = sorted(
        itertools.product(*(range(len(o)) for o in options)),
        key=lambda pick: (sum(i > 0 for i in pick), sum(pick)),
    )[:MAX_PATTERNS]
    return [tuple(piece for k, i in enumerate(pick) for piece in options[k][i]) for pick in picks]


def _unusual(m) -> bool:
    """Whether Sudachi read a word of several kanji as no common word: a
    name (時実, トキザネ) or a word it does not know, as a slip often is;
    a common word keeps its own reading."""
    return m.pos[1] == "固有名詞" or not is_kana(to_katakana(m.reading))


def _kanji_readings(kanji: str, before_another: bool) -> tuple[str, ...]:
    """The readings the dictionary lists for one kanji; before another
    kanji, also with a final ッ (発 ハツ in 発展 ハッテン)."""
    listed = [r for r in map(to_katakana, readings(kanji)) if r and is_kana(r)]
    if before_another:
        listed += [r[:-1] + "ッ" for r in listed if len(r) > 1 and r[-1] in _SOKUON]
    return tuple(dict.fromkeys(listed))


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


def matching_readings(
    pattern: Pattern, lexicon: Lexicon, has_term, memo: Memo | None = None
) -> list[tuple[str, ...]]:
    """Sequences of up to :data:`MAX_TERMS` indexed reading terms that read
    as ``pattern``.  ``lexicon`` holds the reading terms by first kana
    (needed only when the pattern has an unread kanji); ``has_term`` looks
    one term up; ``memo`` may be shared by the patterns of one word."""
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
    memo = {} if memo is None else memo
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
Memo = dict[tuple[str | None, int], set[str]]  # (next kana, reach) → terms


def _next_terms(pattern: Pattern, states: set[tuple[int, int]], lexicon: Lexicon, memo: Memo) -> set[str]:
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
        # a reading term inside an unread kanji reaches the next piece (a
        # kanji is rarely a word of its own); at the end, it ends the word
        reach = high - offset + 1
        after = pattern[piece + 1] if piece + 1 < len(pattern) else None
        key = (after[0] if after else None, reach)
        if key not in memo:
            memo[key] = {
                term
                for terms in lexicon.values()
                for term in terms
                if ((key[0] in term[:reach]) if key[0] is not None else len(term) < reach)
            }
        out |= memo[key]
    return out


class Slips:
    """Finds the slips of one query against one index searcher."""

    def __init__(self, searcher, chains: Chains, lexicon_cache: MutableMapping | None = None) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.chains = chains
        self._cache = weakref.WeakKeyDictionary() if lexicon_cache is None else lexicon_cache

    def corrections(self, words: Sequence[str]) -> dict[str, str]:
        """``{typed: meant}`` for the query ``words`` that look like slips
        (a compound the posts write is none: :meth:`_meant` sees it by one
        phrase query)."""
        out: dict[str, str] = {}
        for text in words:
            if text in out or not _KANJI.search(text):
                continue
            meant = self._meant(text)
            if meant:
                out[text] = meant
        return out

    def _meant(self, typed: str) -> str | None:
        pattern = reading_pattern(typed)
        terms = [t.text for t in self.chains.main(typed, mode="query") if not t.variant]
        if not terms:
            return None
        if len(terms) == 1:
            # cheap first look: a word found often, and not much less often
            # than its reading, is no slip
            own_count = self.reader.doc_frequency("body", terms[0])
            if len(pattern) == 1 and pattern[0] is not None:
                if self.reader.doc_frequency("reading", pattern[0]) < (RARITY + 1) * own_count:
                    return None
            elif own_count > 1:
                return None
        # of a compound, two posts that write it are enough to know
        docs = _main_query(terms).docs(self.searcher)
        own = frozenset(itertools.islice(docs, 2) if len(terms) > 1 else docs)
        if len(own) > 1 and len(terms) > 1:
            return None  # a compound the posts write
        patterns = reading_patterns(typed)
        if not patterns or not any(patterns[0]):
            return None
        known: dict[str, bool] = {}

        def has(term: str) -> bool:
            if term not in known:
                known[term] = self.reader.doc_frequency("reading", term) > 0
            return known[term]

        memo: Memo = {}
        # each reading's matches, the fewest terms first (a word's own
        # reading term beats pieces), then the fewest changed readings
        found: dict[tuple[str, ...], int] = {}
        for changes, alternative in enumerate(patterns):
            lexicon = self._lexicon() if None in alternative else {}
            for seq in matching_readings(alternative, lexicon, has, memo):
                found.setdefault(seq, changes)
        best: tuple[tuple[int, int], str] | None = None
        for seq in sorted(found, key=lambda seq: (len(seq), found[seq]))[:MAX_CANDIDATES]:
            # the posts that hold the reading, counted up to MAX_POSTS
            docs = _seq_query("reading", seq).docs(self.searcher)
            posts = set(itertools.islice(docs, MAX_POSTS + len(own))) - own
            if not posts or len(posts) < RARITY * len(own):
                continue
            spelled = self._spelling(typed, seq, posts)
            if not spelled:
                continue
            rank = (_kept(spelled, fold(typed)), len(posts))
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
        """How the posts write the reading ``seq``: of its spans in the
        first few posts that hold it (found by the reading chain), the one
        that keeps most characters of ``typed`` (コウカ is 効果 in one post,
        高価 in another; 講価 meant the latter), not ``typed`` itself."""
        typed = fold(typed)
        best: tuple[int, str] | None = None
        for docnum in sorted(posts)[:SPELLING_POSTS]:
            record = records.decode(self.searcher.stored_fields(docnum))
            text = record.title + "\n" + record.body
            # once a spelling is found, only a line holding a typed
            # character can spell the reading with more of them
            for line in _likely_lines(text, typed, only_typed=best is not None):
                found = _reading_span(line, seq, self.chains)
                if found:
                    spelled = fold(found)
                    if spelled != typed and (best is None or _kept(spelled, typed) > best[0]):
                        best = (_kept(spelled, typed), spelled)
                    break
            if best is not None and best[0] >= len(typed) - 1:
                break  # a slip changes one character at least
        return best[1] if best else None


def _kept(spelled: str, typed: str) -> int:
    """Characters of ``typed`` that ``spelled`` keeps in place."""
    return sum(a == b for a, b in zip(spelled, typed, strict=False))


def _main_query(terms: list[str]) -> wq.Query:
    return _seq_query("body", tuple(terms))


def _seq_query(fieldname: str, seq: tuple[str, ...]) -> wq.Query:
    if len(seq) == 1:
        return wq.Term(fieldname, seq[0])
    return wq.Phrase(fieldname, list(seq))


#: Posts that hold a candidate's reading counted, at most: beyond it,
#: candidates tie on how common they are.
MAX_POSTS = 64
#: Posts read, at most, to find how they spell one reading.
SPELLING_POSTS = 6
#: Lines of one post analysed, at most, to find how it spells a reading.
MAX_LINES = 40


def _likely_lines(text: str, typed: str, only_typed: bool = False) -> Iterator[str]:
    """Lines of ``text`` to read for a slip of ``typed``: those holding one
    of its characters first (a slip keeps most of them), then, unless
    ``only_typed``, the rest, at most :data:`MAX_LINES` in all."""
    lines = [line for line in text.splitlines() if line.strip()]
    chars = set(typed)
    first = [line for line in lines if chars & set(line)]
    rest = [] if only_typed else [line for line in lines if not chars & set(line)]
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
    """Runs of content words of ``chunk``; a word written in kanji joins a
    run of kanji even when it is a stop word on its own (a slip such as
    刺事 for 仕事 ends in the suffix 事)."""
    morphs = morphs_for(chunk)
    run: list = []
    for n, m in enumerate([*morphs, None]):
        if m is not None and (not chains.is_stop(m) or _joins_kanji(morphs, n, run, chains)):
            run.append(m)
            continue
        if run:
            start, end = run[0].start, run[-1].end
            piece = chunk[start:end]
            if _KANJI.search(piece):
                yield AnalyzedText(piece, slice_morphs(morphs, start, end))
            run = []


def _joins_kanji(morphs: list, n: int, run: list, chains: Chains) -> bool:
    """Whether the stop word ``morphs[n]``, written in kanji, stands next
    to a content word written in kanji: the run before it, or the word
    after it."""
    if not _KANJI_RUN.fullmatch(morphs[n].surface):
        return False
    if run:
        return bool(_KANJI.search(run[-1].surface[-1]))
    after = morphs[n + 1] if n + 1 < len(morphs) else None
    return after is not None and not chains.is_stop(after) and bool(_KANJI.match(after.surface))


def corrected(query: str, corrections: dict[str, str]) -> str | None:
    """``query`` with each slip replaced by the word meant, or None."""
    text = query
    for typed, meant in corrections.items():
        text = text.replace(typed, meant, 1)
    return text if text != query else None
