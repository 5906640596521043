"""From a parsed query to a Whoosh query, through the analysis chain.

The ranking rule for free words: the query text is analysed with the same
Sudachi chain as the posts and cut into *units* at particles, auxiliary
verbs, symbols and spaces, and before a noun that a verb, adjective or
adnominal modifies.  A unit of several tokens (液浸冷却 → 液浸 冷却)
matches as a phrase, and is relaxed to its tokens only where the phrase
occurs nowhere in the index.  Units combine by score (a BM25 sum over the
fields), not by requirement; a post must match at least
``ceil(units × min_match_ratio)`` units of a query of three or more units,
so a long question does not list every post that shares one word with it.

Each unit searches several fields with fixed weights (see
:class:`~search.models.Settings`): the normalised long units in title, tags,
excerpt and body; short units (compound parts); a character-bigram
substring match; katakana readings for words typed in kana; and synonyms
from the Sudachi synonym dictionary, weighted below the user's own words.
"""

from __future__ import annotations

import heapq
import math
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from whoosh import query as wq
from whoosh.matching import DisjunctionMaxMatcher

from . import analysis, syntax
from .analysis import AnalyzedText, Chains, fold, is_kana, to_katakana
from .errors import QueryError
from .models import Settings
from .synonyms import Synonyms

#: Most units (after splitting and synonym expansion) one query may have.
MAX_UNITS = 64
#: Posts a kana unit's spellings are learnt from, and the most spellings it
#: keeps (see Compiler._spelled).
SPELLING_SOURCES = 2


@dataclass(frozen=True)
class Unit:
    """One unit of a query and the terms it searches for, per field."""

    text: str
    terms: tuple[tuple[str, ...], ...]  # main field: alternatives per position
    parts: tuple[str, ...] = ()
    grams: tuple[str, ...] = ()
    reading: tuple[str, ...] = ()  # katakana reading, then its indexed pieces
    synonyms: tuple[tuple[str, ...], ...] = ()
    field: str | None = None  # restrict to one field (title:)
    substring_only: bool = False  # no word matches: bigrams must be a substring
    loose: bool = False  # a compound typed as one word: its parts anywhere count a little
    modifier: bool = False  # says what is asked of the subject, not the subject (see _MODIFIER_POS)
    unknown: bool = False  # matches no post at all
    slop: int = 1  # phrase slop: more than 1 where particles sit inside a kana unit
    spelled: tuple[tuple[Unit, ...], ...] = ()  # the posts' spellings of a kana unit's reading (圧縮)
    latin: bool = False  # a katakana word some posts write in Latin letters (エヌビディア: NVIDIA)

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


@dataclass
class Plan:
    """A compiled query: the Whoosh query, the units for highlighting and
    explanation, and the ranking cut."""

    query: wq.Query
    units: list[Unit] = field(default_factory=list)
    excluded: list[Unit] = field(default_factory=list)
    ranked: list[list[Unit]] = field(default_factory=list)  # unit groups with a cut
    min_match: list[int] = field(default_factory=list)
    exclude: wq.Query | None = None  # top-level exclusions of a query with a cut
    memo: dict = field(default_factory=dict)  # substring verdicts (see Substring)
    spellings: dict[str, set[str]] = field(default_factory=dict)  # kana unit → its text forms (see _spelled)


def analyse_units(text: str, synonyms: Synonyms | None, chains: Chains | None = None) -> list[Unit]:
    """Cut free text into units with their terms for every field."""
    chains = chains or Chains()
    units: list[Unit] = []
    for chunk in text.split():
        morphs = analysis.morphs_for(chunk)
        if is_kana(chunk):
            # a word typed in kana is one unit (its reading may name kanji
            # text), unless it is a single particle or auxiliary (です, の)
            if not (len(morphs) == 1 and chains.is_stop(morphs[0])):
                units.append(_unit(chunk, synonyms, chains, kana=True))
            continue
        run: list = []
        for m in morphs + [None]:
            if m is not None and analysis.joins_words(m):
                continue  # メッセージ・キュー is one compound
            stop = m is None or chains.is_stop(m)
            # a unit ends at a stop word, and before a noun that a verb,
            # adjective or adnominal modifies (新しい|アカウント): such a
            # pair is a phrase of the question, not a compound of the text
            if run and (stop or _modifies(run[-1], m)):
                start, end = run[0].start, run[-1].end
                piece = AnalyzedText(chunk[start:end], analysis.slice_morphs(morphs, start, end))
                units.append(_unit(piece, synonyms, chains, loose=True))
                run = []
            if not stop:
                run.append(m)
    return [u for u in units if u.terms or u.grams or u.reading]


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
_MODIFIER_POS = ("動詞", "形容詞", "代名詞", "連体詞", "副詞")


def unit_weights(units, modifier_weight: float) -> list[float]:
    """Each unit's weight among the others: a modifier among other words
    weighs ``modifier_weight``, as the answer often phrases it otherwise or
    never repeats it; a query of modifiers only weighs them all alike.  The
    ranking (``Engine._weights``) and the passages both use it."""
    if all(unit.modifier for unit in units):
        return [1.0] * len(units)
    return [modifier_weight if unit.modifier else 1.0 for unit in units]


def _unit(
    text: str, synonyms: Synonyms | None, chains: Chains, kana: bool = False, loose: bool = False
) -> Unit:
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
    morphs = [m for m in analysis.morphs_for(text) if not chains.is_stop(m)]
    if synonyms is not None and len(morphs) == 1 and morphs[0].synonyms:
        m = morphs[0]
        words = {m.surface, m.normalized, fold(m.surface)}
        own = set(terms[0]) if terms else set()
        found = []
        for head in synonyms.expand(m.synonyms, words):
            seq = tuple(t.text for t in chains.main(head, mode="query") if not t.variant)
            if seq and not (len(seq) == 1 and seq[0] in own) and seq not in found:
                found.append(seq)
        syns = tuple(found[:8])
    modifier = bool(morphs) and all(m.pos[0] in _MODIFIER_POS for m in morphs)
    return Unit(str(text), terms, parts, grams, reading, syns, loose=loose, modifier=modifier, slop=slop)


def _seq_query(fieldname: str, seq: tuple[str, ...], boost: float, slop: int = 1) -> wq.Query:
    if len(seq) == 1:
        return wq.Term(fieldname, seq[0], boost=boost)
    return wq.Phrase(fieldname, list(seq), slop=slop, boost=boost)


def unit_query(unit: Unit, s: Settings, memo: dict | None = None) -> wq.Query:
    """The Whoosh query for one unit over all fields.  ``memo`` (one per
    compiled query) spares re-checking substrings each time it is run."""
    subs: list[wq.Query] = []
    if unit.field:
        fields = [(unit.field, 1.0)]
    else:
        fields = [
            ("title", s.title_boost),
            ("tags", s.tags_boost),
            ("excerpt", s.excerpt_boost),
            ("body", s.body_boost),
        ]
    if unit.terms:
        primary = tuple(alts[0] for alts in unit.terms)
        # a word written apart is found by the phrase of its short units,
        # in the title and the body (which holds the title too: the phrase
        # in every field cost 10% more time)
        apart = unit.apart if s.apart_boost else ()
        for name, boost in fields:
            apart_here = bool(apart) and name in ("title", "body")
            if len(unit.terms) == 1 and (len(unit.terms[0]) > 1 or apart_here):
                # one word's spellings (変える, 変え), or the word and its
                # parts written apart: an occurrence counts once, as its
                # better-scoring form
                alts = [wq.Term(name, unit.terms[0][0], boost=boost)]
                alts.extend(wq.Term(name, alt, boost=boost * s.variant_boost) for alt in unit.terms[0][1:])
                if apart_here:
                    alts.append(wq.Phrase(name, list(apart), boost=boost * s.apart_boost))
                subs.append(BestOf(alts))
            else:
                subs.append(_seq_query(name, primary, boost, unit.slop))
        if unit.loose and len(primary) > 1:
            # all parts of the compound somewhere in the post, far below the
            # compound itself (メモリ割り当て also finds メモリの割り当て)
            subs.append(wq.And([wq.Term("body", t) for t in primary], boost=s.loose_boost))
    if unit.field:
        # kana typed for kanji text (title:あっしゅく): its spellings, in the
        # same field, at the reading's weight
        for units in unit.spelled:
            spelled = [unit_query(replace(u, field=unit.field), s, memo) for u in units]
            subs.append(wq.And(spelled, boost=s.reading_boost))
        return wq.Or(subs) if len(subs) != 1 else subs[0]
    if unit.parts and (len(unit.parts) > 1 or not unit.terms or unit.parts[0] not in unit.terms[0]):
        subs.append(_seq_query("parts", unit.parts, s.parts_boost))
    elif unit.parts:
        subs.append(wq.Term("parts", unit.parts[0], boost=s.parts_boost))
    if unit.grams:
        grams = list(dict.fromkeys(unit.grams))
        if len(grams) == 1:
            subs.append(wq.Term("ngram", grams[0], boost=s.ngram_boost))
        elif unit.substring_only:
            # the unit's words occur nowhere: only an exact substring counts
            key = analysis.substring_key(unit.text)
            subs.append(Substring(grams, key, boost=s.ngram_boost, memo=memo))
        # A unit whose words are indexed gets no bigram clause: intersecting
        # the postings of common bigrams was half of the matching time, and
        # the dev sets scored the same without it (the posts it added hold
        # the string inside other words, which a bigram engine over-matches).
    if unit.reading:
        reading = _seq_query("reading", unit.reading, s.reading_boost)
        if unit.spelled:
            # the posts' own spelling of the reading (あっしゅく → 圧縮) scores
            # as if typed, at the reading's weight; it is the same evidence
            # as the reading, so a post counts the better of the two
            spelled = [
                wq.Or([unit_query(u, s, memo) for u in units], boost=s.reading_boost)
                for units in unit.spelled
            ]
            reading = BestOf([reading, *spelled])
        subs.append(reading)
    for syn in unit.synonyms:
        subs.append(_seq_query("body", syn, s.synonym_boost))
        subs.append(_seq_query("title", syn, s.synonym_boost * s.title_boost))
    if not subs:
        return wq.NullQuery
    return wq.Or(subs)


def proximity_queries(units: list[Unit], s: Settings) -> list[wq.Query]:
    """Phrases of each two neighbouring units, for the proximity score: a
    post where ファイル and 名前 stand together (ファイルの名前) answers
    ファイルの名前を変えたい better than one where they are pages apart."""
    out: list[wq.Query] = []
    if not s.proximity_boost:
        return out
    for first, second in zip(units, units[1:], strict=False):
        if first.field or second.field or not first.terms or not second.terms:
            continue
        seq = [alts[0] for alts in first.terms] + [alts[0] for alts in second.terms]
        out.append(wq.Phrase("body", seq, slop=s.proximity_slop, boost=s.proximity_boost))
    return out


class BestOf(wq.DisjunctionMax):
    """Posts any of the subqueries match, each scored by its best-scoring
    subquery: alternatives that stand for the same evidence (two spellings
    of one word, a reading and the word it spells), which must not add up."""

    def __unicode__(self) -> str:
        return "BestOf(" + " | ".join(str(q) for q in self.subqueries) + ")"

    __str__ = __unicode__

    def _matcher(self, subs, searcher, context):
        r = searcher.reader()
        return self._tree_matcher(subs, _BestOfMatcher, searcher, context, lambda q: q.estimate_size(r))


class _BestOfMatcher(DisjunctionMaxMatcher):
    # Whoosh's DisjunctionMaxMatcher takes the max of both sides even when
    # they stand on different documents: a side counts only at its own id
    def score(self) -> float:
        a, b = self.a, self.b
        if not a.is_active():
            return b.score()
        if not b.is_active():
            return a.score()
        ida, idb = a.id(), b.id()
        if ida != idb:
            return a.score() if ida < idb else b.score()
        return max(a.score(), b.score())


class Substring(wq.Query):
    """Posts whose text holds ``key`` (see :func:`~search.analysis.substring_key`):
    all of its bigrams propose candidates, the stored title and body confirm
    them, and the bigrams' scores rank them.  The bigram field keeps no
    positions; this check is exact where a phrase of bigrams was not."""

    def __init__(self, grams: list[str], key: str, boost: float = 1.0, memo: dict | None = None) -> None:
        self.grams = list(grams)
        self.key = key
        self.boost = boost
        self.memo = {} if memo is None else memo

    def __deepcopy__(self, _memo: dict) -> Substring:
        # Whoosh copies queries to re-boost them; the verdicts stay shared
        return Substring(self.grams, self.key, self.boost, self.memo)

    def _bigrams(self) -> wq.Query:
        return wq.And([wq.Term("ngram", g) for g in self.grams], boost=self.boost)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Substring) and (self.grams, self.key, self.boost) == (
            other.grams,
            other.key,
            other.boost,
        )

    def __hash__(self) -> int:
        return hash((tuple(self.grams), self.key, self.boost))

    def __unicode__(self) -> str:
        return f'ngram:"{self.key.replace(chr(0), " ")}"' + (f"^{self.boost:g}" if self.boost != 1 else "")

    __str__ = __unicode__

    def __repr__(self) -> str:
        return f"Substring({self.grams!r}, {self.key!r}, boost={self.boost!r})"

    def field(self) -> str:
        return "ngram"

    def children(self):
        return iter([self._bigrams()])

    def estimate_size(self, ixreader) -> int:
        return self._bigrams().estimate_size(ixreader)

    def normalize(self) -> wq.Query:
        return self

    def matcher(self, searcher, context=None):
        from whoosh.matching import FilterMatcher, NullMatcher

        found = self._verified(searcher)
        if not found:
            return NullMatcher()
        return FilterMatcher(self._bigrams().matcher(searcher, context), found)

    def _verified(self, searcher) -> frozenset[int]:
        # a query is checked, cut and scored over the same candidates: its
        # memo keeps the verdicts per searcher (segment) and key
        memo_key = (id(searcher), self.key)
        found = self.memo.get(memo_key)
        if found is None:
            bigrams = self._bigrams()
            candidates = bigrams.matcher(searcher, searcher.boolean_context()).all_ids()
            found = frozenset(d for d in candidates if _holds(searcher.stored_fields(d), self.key))
            self.memo[memo_key] = found
        return found


def _holds(fields: dict, key: str) -> bool:
    """Whether a stored post's title and body hold the substring key."""
    doc = fields["doc"]
    text = doc["title"] + "\n\n" + zlib.decompress(doc["body"]).decode("utf-8")
    runs = key.split("\0")
    # one run of non-ASCII word characters occurs only inside such a run
    if len(runs) == 1 and key in text:
        return True
    folded = fold(text)
    if not all(run in folded for run in runs):
        return False
    return len(runs) == 1 or key in analysis.substring_key(folded)


def segment_reading(kana: str, has_term) -> tuple[str, ...]:
    """Split a katakana string into the fewest indexed reading terms
    (dynamic programming over ``has_term``); empty if impossible."""
    n = len(kana)
    if n == 0 or n > 40:
        return ()
    best: list[tuple[int, int] | None] = [None] * (n + 1)
    best[0] = (0, 0)
    for end in range(1, n + 1):
        for start in range(max(0, end - 12), end):
            if best[start] is not None and has_term(kana[start:end]):
                cost = best[start][0] + 1
                if best[end] is None or cost < best[end][0]:
                    best[end] = (cost, start)
    if best[n] is None:
        return ()
    pieces = []
    end = n
    while end > 0:
        start = best[end][1]
        pieces.append(kana[start:end])
        end = start
    return tuple(reversed(pieces))


class Compiler:
    """Compiles a parsed query against one index searcher."""

    def __init__(
        self,
        searcher,
        settings: Settings,
        synonyms: Synonyms | None,
        require_all: bool = False,
        chains: Chains | None = None,
    ):
        self.searcher = searcher
        self.chains = chains or Chains()
        self.s = settings
        self.synonyms = synonyms
        self.require_all = require_all
        self.units: list[Unit] = []
        self.excluded: list[Unit] = []
        self.unit_count = 0
        self._top_exclude: wq.Query | None = None
        self.memo: dict = {}
        self.spellings: dict[str, set[str]] = {}
        reader = searcher.reader()
        self._has_reading = lambda t: reader.doc_frequency("reading", t) > 0

    def compile(self, tree: syntax.Seq) -> Plan:
        query, ranked, cut = self._seq(tree, top=True)
        plan = Plan(query.normalize(), self.units, self.excluded, memo=self.memo, spellings=self.spellings)
        if ranked and cut:
            plan.ranked.append(ranked)
            plan.min_match.append(cut)
            plan.exclude = self._top_exclude
        return plan

    # --- nodes -----------------------------------------------------------

    def _seq(self, seq: syntax.Seq, top: bool = False):
        must: list[wq.Query] = []
        nots: list[wq.Query] = []
        should_units: list[Unit] = []
        should: list[wq.Query] = []
        for node in seq.nodes:
            if isinstance(node, syntax.Text):
                should_units.extend(self._text_units(node.text))
            elif isinstance(node, syntax.Not):
                q, units = self._negated(node.node)
                nots.append(q)
            elif isinstance(node, syntax.Must):
                must.append(self._node(node.node))
            else:
                should.append(self._node(node))
        unit_qs = [self._unit_q(u) for u in should_units]
        if self.require_all:
            must.extend(unit_qs + should)
            unit_qs, should = [], []
        optional = unit_qs + should
        if must:
            q = wq.And(must)
            if optional:
                q = wq.AndMaybe(q, wq.Or(optional))
        elif optional:
            q = wq.Or(optional) if len(optional) > 1 else optional[0]
        else:
            # words that analysed to nothing (only particles, symbols) match
            # nothing; a bare exclusion matches everything else
            q = wq.NullQuery if any(isinstance(n, syntax.Text) for n in seq.nodes) else wq.Every()
        if nots:
            q = wq.AndNot(q, wq.Or(nots))
            if top:
                self._top_exclude = wq.Or(nots)
        cut = 0
        if top and not must and not should and len(should_units) >= 2:
            cut = math.ceil(len(should_units) * self.s.min_match_ratio)
        return q, should_units, cut

    def _node(self, node) -> wq.Query:
        if isinstance(node, syntax.Text):
            units = self._text_units(node.text)
            qs = [self._unit_q(u) for u in units]
            if not qs:
                return wq.NullQuery
            return wq.And(qs) if self.require_all else wq.Or(qs)
        if isinstance(node, syntax.Phrase):
            unit = self._register(_unit(node.text, None, self.chains))
            return self._unit_q(unit)
        if isinstance(node, syntax.FieldQuery):
            return self._field(node)
        if isinstance(node, syntax.DateRange):
            return _date_query(node)
        if isinstance(node, syntax.Must):
            return self._node(node.node)
        if isinstance(node, syntax.Not):
            return wq.AndNot(wq.Every(), self._negated(node.node)[0])
        if isinstance(node, syntax.AnyOf):
            return wq.Or([self._node(n) for n in node.nodes])
        if isinstance(node, syntax.Seq):
            return self._seq(node)[0]
        raise QueryError(f"unsupported query element {node!r}")

    def _negated(self, node):
        before = len(self.units)
        q = self._node(node)
        moved = self.units[before:]
        del self.units[before:]
        self.excluded.extend(moved)
        return q, moved

    def _field(self, node: syntax.FieldQuery) -> wq.Query:
        if node.name in ("tag", "category"):
            wanted = fold(node.value).strip()
            values = [v for v in self._values(node.name) if fold(v) == wanted]
            return wq.Or([wq.Term(node.name, v) for v in values]) if values else wq.NullQuery
        if node.phrase:
            units = [_unit(node.value, None, self.chains)]
        else:
            units = analyse_units(node.value, None, self.chains)
        qs = []
        for u in units:
            u = Unit(u.text, u.terms, field="title", spelled=self._read(u).spelled)
            self._register(u)
            qs.append(unit_query(u, self.s, self.memo))
        if not qs:
            return wq.NullQuery
        return wq.And(qs)

    def _values(self, fieldname: str) -> list[str]:
        reader = self.searcher.reader()
        return [v.decode("utf-8") if isinstance(v, bytes) else v for v in reader.lexicon(fieldname)]

    # --- units -----------------------------------------------------------

    def _text_units(self, text: str) -> list[Unit]:
        units = []
        for unit in analyse_units(text, self.synonyms, self.chains):
            units.extend(self._checked(self._read(unit)))
        for u in units:
            self._register(u)
        return units

    def _read(self, unit: Unit) -> Unit:
        """A unit typed in kana with its reading cut into indexed pieces and
        the spellings the posts give it; other units as they are."""
        if not unit.reading:
            return unit
        unit = replace(unit, reading=segment_reading(unit.reading[0], self._has_reading))
        if unit.reading == (unit.text,) and self._written_in_latin(unit):
            unit = replace(unit, latin=True)
        return self._spelled(unit) if unit.by_reading and unit.reading else unit

    def _written_in_latin(self, unit: Unit) -> bool:
        """Whether more posts hold a katakana word's reading than the word
        itself: the others write it in Latin letters (エヌビディア as NVIDIA;
        only Latin words have a reading that is not their own text)."""
        reader = self.searcher.reader()
        own = max((reader.doc_frequency("body", t) for t in unit.terms[0]), default=0) if unit.terms else 0
        return reader.doc_frequency("reading", unit.reading[0]) > own

    def _spelled(self, unit: Unit) -> Unit:
        """A kana unit with the spellings its reading has in the posts that
        hold it best (あっしゅく → 圧縮), found as highlighting finds them:
        the reading alone ranks every post that holds it about alike, while
        the spelled word ranks by where it stands (a title, a short post)."""
        from .highlight import best_passages, unit_spans, unpack_spans
        from .scoring import scores

        found = scores(self.searcher, _seq_query("reading", unit.reading, 1.0))
        spellings: dict[str, set[str]] = {}
        for docnum in heapq.nlargest(SPELLING_SOURCES, found, key=found.__getitem__):
            doc = self.searcher.stored_fields(docnum)["doc"]
            unit_spans(doc["title"], [unit], self.chains, spellings)
            if spellings.get(unit.text):
                continue  # a spelling is known: spare the body's passages
            body = zlib.decompress(doc["body"]).decode("utf-8")
            packed = doc.get("passages")
            spans = unpack_spans(packed) if packed else None
            best_passages(body, (), [unit], count=1, chains=self.chains, spellings=spellings, spans=spans)
        # the hits' passages start from what was learnt here
        self.spellings.setdefault(unit.text, set()).update(spellings.get(unit.text, ()))
        spelled = []
        for text in sorted(spellings.get(unit.text, ()))[:SPELLING_SOURCES]:
            units = tuple(u for u in analyse_units(text, self.synonyms, self.chains) if u.terms)
            if units:
                spelled.append(units)
        return replace(unit, spelled=tuple(spelled))

    def _checked(self, unit: Unit, relax: bool = True) -> list[Unit]:
        """Mark a unit whose words occur nowhere as substring-only, and
        relax a phrase that occurs nowhere, even as a substring, to its
        tokens."""
        if self._matches(unit_query(replace(unit, grams=()), self.s, self.memo)):
            return [unit]
        exact = replace(unit, substring_only=True)
        if not unit.phrase or not relax or unit.reading:
            return [replace(exact, unknown=not self._matches(unit_query(exact, self.s, self.memo)))]
        if self._matches(unit_query(exact, self.s, self.memo)):
            return [exact]
        out = []
        for part in _relax(unit, self.synonyms):
            out.extend(self._checked(part, relax=False))
        return out

    def _register(self, unit: Unit) -> Unit:
        self.unit_count += 1 + len(unit.synonyms)
        if self.unit_count > MAX_UNITS:
            raise QueryError(f"query has more than {MAX_UNITS} terms after analysis; shorten it")
        self.units.append(unit)
        return unit

    def _unit_q(self, unit: Unit) -> wq.Query:
        return unit_query(unit, self.s, self.memo)

    def _matches(self, q: wq.Query) -> bool:
        # clause by clause: a union matcher would read every posting of
        # every clause before it could name a first match
        for sub in q.subqueries if isinstance(q, wq.Or) else (q,):
            for _ in sub.docs(self.searcher):
                return True
        return False


def _relax(unit: Unit, synonyms: Synonyms | None) -> list[Unit]:
    """A phrase unit that occurs nowhere, split into one unit per token."""
    return [Unit(alts[0], (alts,), (alts[0],), tuple(analysis.bigrams(alts[0]))) for alts in unit.terms]


def _date_query(node: syntax.DateRange) -> wq.Query:
    def naive(d: datetime | None) -> datetime | None:
        return None if d is None else d.astimezone(UTC).replace(tzinfo=None)

    return wq.DateRange("date", naive(node.start), naive(node.end), endexcl=True)
