"""From a parsed query to Whoosh queries: the compiler.

Free words become units (:mod:`search.units`); each unit becomes one
Whoosh query over the fields the registry names (:func:`unit_query`),
with the weights in :class:`~search.models.Settings`.  Filters, phrases,
required and excluded clauses become the boolean query around them.  How
units' scores combine into a ranking is :mod:`search.ranking`'s job.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from whoosh import query as wq
from whoosh.matching import DisjunctionMaxMatcher

from . import analysis, fields, records, syntax
from .analysis import Chains, fold
from .errors import QueryError
from .models import Settings
from .records import Record
from .scoring import scores
from .synonyms import Synonyms
from .transliteration import LatinNames
from .units import Unit, analyse_units, compound_parts, relax, unit_of

#: Most units (after splitting and synonym expansion) one query may have.
MAX_UNITS = 64

#: ``spell(unit, records)``: the text forms a kana unit's reading takes in
#: the given posts (あっしゅく → {圧縮}); see :func:`search.highlight.spellings`.
Speller = Callable[[Unit, Sequence[Record]], set[str]]


@dataclass(frozen=True)
class Plan:
    """A compiled query: the Whoosh query, the units for ranking,
    highlighting and explanation.  Internal: embedders see hits and
    :class:`~search.introspect.Explanation`, never a plan."""

    query: wq.Query | None
    units: tuple[Unit, ...] = ()
    excluded: tuple[Unit, ...] = ()
    #: The top-level free-word units of a query that is nothing else
    #: (empty otherwise): these are ranked by :mod:`search.ranking`.
    ranked: tuple[Unit, ...] = ()
    exclude: wq.Query | None = None  # top-level exclusions of a ranked query
    memo: dict = field(default_factory=dict)  # substring verdicts (see Substring)
    spellings: dict[str, set[str]] = field(default_factory=dict)  # kana unit → its text forms


def _seq_query(fieldname: str, seq: tuple[str, ...], boost: float, slop: int = 1) -> wq.Query:
    if len(seq) == 1:
        return wq.Term(fieldname, seq[0], boost=boost)
    return wq.Phrase(fieldname, list(seq), slop=slop, boost=boost)


def unit_query(unit: Unit, s: Settings, memo: dict | None = None) -> wq.Query:
    """The Whoosh query for one unit over all fields.  ``memo`` (one per
    compiled query) spares re-checking substrings each time it is run."""
    subs: list[wq.Query] = []
    if unit.field:
        searched = [(unit.field, 1.0)]
    else:
        searched = [(name, s.weight(name)) for name in fields.word_fields()]
    if unit.terms:
        primary = tuple(alts[0] for alts in unit.terms)
        # a word written apart is found by the phrase of its short units,
        # in the title and the body (which holds the title too: the phrase
        # in every field cost 10% more time)
        apart = unit.apart if s.apart_boost else ()
        for name, boost in searched:
            apart_here = bool(apart) and fields.field(name).apart
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
            subs.append(wq.And([wq.Term(fields.ALL_TEXT, t) for t in primary], boost=s.loose_boost))
    if unit.field:
        # kana typed for kanji text (title:あっしゅく): its spellings, in the
        # same field, at the reading's weight
        for units in unit.spelled:
            spelled = [unit_query(replace(u, field=unit.field), s, memo) for u in units]
            subs.append(wq.And(spelled, boost=s.weight("reading")))
        return wq.Or(subs) if len(subs) != 1 else subs[0]
    if unit.parts and (len(unit.parts) > 1 or not unit.terms or unit.parts[0] not in unit.terms[0]):
        subs.append(_seq_query("parts", unit.parts, s.weight("parts")))
    elif unit.parts:
        subs.append(wq.Term("parts", unit.parts[0], boost=s.weight("parts")))
    if unit.grams:
        grams = list(dict.fromkeys(unit.grams))
        if len(grams) == 1:
            subs.append(wq.Term("ngram", grams[0], boost=s.weight("ngram")))
        elif unit.substring_only:
            # the unit's words occur nowhere: only an exact substring counts
            key = analysis.substring_key(unit.text)
            subs.append(Substring(grams, key, boost=s.weight("ngram"), memo=memo))
        # A unit whose words are indexed gets no bigram clause: intersecting
        # the postings of common bigrams was half of the matching time, and
        # the dev sets scored the same without it (the posts it added hold
        # the string inside other words, which a bigram engine over-matches).
    if unit.reading:
        reading = _seq_query("reading", unit.reading, s.weight("reading"))
        if unit.spelled:
            # the posts' own spelling of the reading (あっしゅく → 圧縮) scores
            # as if typed, at the reading's weight; it is the same evidence
            # as the reading, so a post counts the better of the two
            spelled = [
                wq.Or([unit_query(u, s, memo) for u in units], boost=s.weight("reading"))
                for units in unit.spelled
            ]
            reading = BestOf([reading, *spelled])
        subs.append(reading)
        if len(unit.reading) > 1 and unit.by_reading:
            # the words of a kana compound written apart (にほんごにゅうりょく:
            # 日本語 … 入力), far below the compound, as for a loose unit
            pieces = [wq.Term("reading", piece) for piece in unit.reading]
            subs.append(wq.And(pieces, boost=s.weight("reading") * s.loose_boost))
    for n, syn in enumerate(unit.synonyms):
        # a site's own synonym is the word itself; Sudachi's groups are wider
        boost = 1.0 if n < unit.own_synonyms else s.synonym_boost
        subs.append(_seq_query(fields.ALL_TEXT, syn, boost))
        subs.append(_seq_query("title", syn, boost * s.weight("title")))
    if not subs:
        return wq.NullQuery
    return wq.Or(subs)


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
            found = frozenset(
                d for d in candidates if _holds(records.decode(searcher.stored_fields(d)), self.key)
            )
            self.memo[memo_key] = found
        return found


def _holds(record: Record, key: str) -> bool:
    """Whether a stored post's title and body hold the substring key."""
    text = record.title + "\n\n" + record.body
    runs = key.split("\0")
    # one run of non-ASCII word characters occurs only inside such a run
    if len(runs) == 1 and key in text:
        return True
    folded = fold(text)
    if not all(run in folded for run in runs):
        return False
    return len(runs) == 1 or key in analysis.substring_key(folded)


def segment_reading(kana: str, has_term, max_chars: int, max_piece: int) -> tuple[str, ...]:
    """Split a katakana string into the fewest indexed reading terms
    (dynamic programming over ``has_term``, pieces of at most
    ``max_piece`` characters); empty if impossible or longer than
    ``max_chars``."""
    n = len(kana)
    if n == 0 or n > max_chars:
        return ()
    best: list[tuple[int, int] | None] = [None] * (n + 1)
    best[0] = (0, 0)
    for end in range(1, n + 1):
        for start in range(max(0, end - max_piece), end):
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
    """Compiles a parsed query against one index searcher (:meth:`compile`).
    ``chains`` must be the index's own (its stop tags); ``spell`` learns
    how the posts spell a kana unit's reading (without it, a reading
    matches only as a reading)."""

    def __init__(
        self,
        searcher,
        settings: Settings,
        synonyms: Synonyms | None,
        chains: Chains,
        spell: Speller | None = None,
        require_all: bool = False,
    ):
        self.searcher = searcher
        self.chains = chains
        self.s = settings
        self.synonyms = synonyms
        self.spell = spell
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
        query, ranked, free = self._seq(tree, top=True)
        plan = Plan(
            query.normalize(),
            tuple(self.units),
            tuple(self.excluded),
            memo=self.memo,
            spellings=self.spellings,
        )
        if ranked and free:
            plan = replace(plan, ranked=tuple(ranked), exclude=self._top_exclude)
        return plan

    # --- nodes -----------------------------------------------------------

    def _seq(self, seq: syntax.Seq, top: bool = False):
        must: list[wq.Query] = []
        nots: list[wq.Query] = []
        should_units: list[Unit] = []
        should: list[wq.Query] = []
        for node in seq.nodes:
            if isinstance(node, syntax.Text):
                should_units.extend(self._text_units(node.text, parts=top))
            elif isinstance(node, syntax.Not):
                nots.append(self._negated(node.node))
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
        # free words only (no required or alternative clauses): ranked by
        # their units (see search.ranking)
        free = top and not must and not should and len(should_units) >= 2
        return q, should_units, free

    def _node(self, node) -> wq.Query:
        if isinstance(node, syntax.Text):
            units = self._text_units(node.text)
            qs = [self._unit_q(u) for u in units]
            if not qs:
                return wq.NullQuery
            return wq.And(qs) if self.require_all else wq.Or(qs)
        if isinstance(node, syntax.Phrase):
            unit = self._register(self._unit_of(node.text))
            return self._unit_q(unit)
        if isinstance(node, syntax.FieldQuery):
            return self._field(node)
        if isinstance(node, syntax.DateRange):
            return _date_query(node)
        if isinstance(node, syntax.Must):
            return self._node(node.node)
        if isinstance(node, syntax.Not):
            return wq.AndNot(wq.Every(), self._negated(node.node))
        if isinstance(node, syntax.AnyOf):
            return wq.Or([self._node(n) for n in node.nodes])
        if isinstance(node, syntax.Seq):
            return self._seq(node)[0]
        raise QueryError(f"unsupported query element {node!r}")

    def _negated(self, node) -> wq.Query:
        """The query for an excluded node; its units move to ``excluded``."""
        before = len(self.units)
        q = self._node(node)
        self.excluded.extend(self.units[before:])
        del self.units[before:]
        return q

    def _field(self, node: syntax.FieldQuery) -> wq.Query:
        target = fields.field(node.name)
        if target.kind == "keyword":
            wanted = fold(node.value).strip()
            values = [v for v in self._values(node.name) if fold(v) == wanted]
            return wq.Or([wq.Term(node.name, v) for v in values]) if values else wq.NullQuery
        if node.phrase:
            units = [self._unit_of(node.value)]
        else:
            units = analyse_units(node.value, None, self.chains, self.s)
        qs = []
        for u in units:
            u = Unit(u.text, u.terms, field=node.name, spelled=self._read(u).spelled)
            self._register(u)
            qs.append(unit_query(u, self.s, self.memo))
        if not qs:
            return wq.NullQuery
        return wq.And(qs)

    def _values(self, fieldname: str) -> list[str]:
        reader = self.searcher.reader()
        return [v.decode("utf-8") if isinstance(v, bytes) else v for v in reader.lexicon(fieldname)]

    # --- units -----------------------------------------------------------

    def _unit_of(self, text: str) -> Unit:
        return unit_of(text, None, self.chains, max_synonyms=self.s.max_synonyms)

    def _text_units(self, text: str, parts: bool = False) -> list[Unit]:
        """The units of free text; with ``parts`` (top-level words, which
        rank rather than require or exclude) a compound typed as one word
        is followed by its words as weak units."""
        units = []
        for unit in analyse_units(text, self.synonyms, self.chains, self.s):
            checked = self._checked(self._read(unit))
            units.extend(checked)
            if parts and checked == [unit] and self.s.part_weight:
                units.extend(
                    part for p in compound_parts(unit, self.chains) for part in self._checked(p, False)
                )
        for u in units:
            self._register(u)
        return units

    def _read(self, unit: Unit) -> Unit:
        """A unit typed in kana with its reading cut into indexed pieces and
        the spellings the posts give it; other units as they are."""
        if not unit.reading:
            return unit
        pieces = segment_reading(
            unit.reading[0], self._has_reading, self.s.reading_max_chars, self.s.reading_max_piece
        )
        unit = replace(unit, reading=pieces)
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
        hold it best (あっしゅく → 圧縮): the reading alone ranks every post
        that holds it about alike, while the spelled word ranks by where it
        stands (a title, a short post)."""
        if self.spell is None:
            return unit
        found = scores(self.searcher, _seq_query("reading", unit.reading, 1.0))
        best = heapq.nlargest(self.s.spelling_sources, found, key=found.__getitem__)
        forms = self.spell(unit, [records.decode(self.searcher.stored_fields(d)) for d in best])
        # the hits' passages start from what was learnt here
        self.spellings.setdefault(unit.text, set()).update(forms)
        spelled = []
        for text in sorted(forms)[: self.s.spelling_sources]:
            units = tuple(u for u in analyse_units(text, self.synonyms, self.chains, self.s) if u.terms)
            if units:
                spelled.append(units)
        return replace(unit, spelled=tuple(spelled))

    def _checked(self, unit: Unit, relax_phrase: bool = True) -> list[Unit]:
        """Mark a unit whose words occur nowhere as substring-only, and
        relax a phrase that occurs nowhere, even as a substring, to its
        tokens; a katakana word that occurs nowhere may name a Latin word
        of the posts (:mod:`.transliteration`)."""
        if self._matches(unit_query(replace(unit, grams=()), self.s, self.memo)):
            return [unit]
        if names := LatinNames(self.searcher.reader()).spellings(unit.text):
            # a katakana name the posts write in Latin letters that the
            # dictionary cannot read (フォックスコン: Foxconn)
            return [replace(unit, synonyms=(*unit.synonyms, *((name,) for name in names)))]
        exact = replace(unit, substring_only=True)
        if not unit.phrase or not relax_phrase or unit.reading:
            return [replace(exact, unknown=not self._matches(unit_query(exact, self.s, self.memo)))]
        if self._matches(unit_query(exact, self.s, self.memo)):
            return [exact]
        out = []
        for part in relax(unit):
            out.extend(self._checked(part, relax_phrase=False))
        return out

    def _register(self, unit: Unit) -> Unit:
        self.unit_count += 1 + len(unit.synonyms)
        if self.unit_count > MAX_UNITS:
            raise QueryError(
                f"query has more than {MAX_UNITS} terms after analysis and synonyms;"
                " shorten it (or search without synonyms)"
            )
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


def _date_query(node: syntax.DateRange) -> wq.Query:
    def naive(d: datetime | None) -> datetime | None:
        return None if d is None else d.astimezone(UTC).replace(tzinfo=None)

    return wq.DateRange("date", naive(node.start), naive(node.end), endexcl=True)
