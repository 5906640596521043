"""The library's front door: :class:`Engine` indexes a data directory and
answers queries with ranked hits and highlighted passages.

An engine holds no global state and never prints.  It is safe to share
between threads: each thread gets its own Whoosh searcher (and Sudachi
tokenizer), and a search sees the last committed state of the index.
"""

from __future__ import annotations

import heapq
import math
import os
import threading
import time
import zlib
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from . import store, syntax
from .analysis import STOP_TAGS, Chains
from .errors import IndexDamagedError, QueryError, UnknownPostError
from .models import Hit, SearchResult, Settings, TermInfo, UpdateReport
from .query import Compiler, Plan
from .synonyms import Synonyms

if TYPE_CHECKING:
    from .evaluation import Report
    from .introspect import Explanation

# indexer, introspect, evaluation and navigation are imported where used,
# so that a plain query starts quickly

#: Largest page of results one search may return.
MAX_LIMIT = 1000
#: Best posts of a free-word query whose scores proximity refines.
RESCORE_WINDOW = 50
#: What a modifier (verb, adjective, demonstrative) among other words
#: counts in the coordination factor (see ``Engine._weights``).
_MODIFIER_COUNT = 0.01

SORTS = ("relevance", "date", "-date")


class Engine:
    """Search over the posts in ``data_dir`` with the index in ``index_dir``."""

    def __init__(
        self,
        index_dir: str | os.PathLike = "index",
        data_dir: str | os.PathLike = "data",
        *,
        settings: Settings | None = None,
        stoptags: Iterable[str] | None = None,
        lock_timeout: float = 10.0,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.data_dir = Path(data_dir)
        self.settings = settings or Settings()
        #: Parts of speech (Sudachi's top level) not indexed; None: the default set.
        self.stoptags = frozenset(stoptags) if stoptags is not None else None
        self.lock_timeout = lock_timeout
        self._synonyms = Synonyms()
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list = []
        self._facet_cache: dict = {}

    # --- lifecycle ---------------------------------------------------------

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close every searcher this engine opened."""
        with self._lock:
            for searcher in self._open:
                try:
                    searcher.close()
                except Exception:
                    pass
            self._open.clear()
        self._local = threading.local()

    # --- indexing ----------------------------------------------------------

    def update(self, *, rebuild: bool = False, progress=None, procs: int = 0) -> UpdateReport:
        """Bring the index up to date with the data directory (incremental
        unless the index is missing, outdated or ``rebuild`` is set)."""
        from . import indexer

        return indexer.update(
            self.index_dir,
            self.data_dir,
            rebuild=rebuild,
            progress=progress,
            lock_timeout=self.lock_timeout,
            procs=procs,
            stoptags=self.stoptags,
        )

    def is_stale(self) -> bool:
        """True when the data directory changed since the last update
        (compares file sizes and mtimes only; no hashing)."""
        from . import indexer

        manifest = store.read_manifest(self.index_dir)
        if manifest is None or manifest.get("fingerprint") != indexer.fingerprint(self.stoptags):
            return True
        return indexer.is_stale(self.index_dir, self.data_dir, self._searcher().reader(), self.stoptags)

    def exists(self) -> bool:
        """True when there is a jsearch index in ``index_dir``."""
        return store.read_manifest(self.index_dir) is not None

    def post_count(self) -> int:
        """How many posts the last committed state of the index holds."""
        return self._searcher().doc_count()

    def generation(self) -> str:
        """The name of the active index generation (changes on rebuild)."""
        manifest = store.read_manifest(self.index_dir)
        if manifest is None:
            raise store.describe_missing(self.index_dir)
        return manifest["active"]

    # --- searching ---------------------------------------------------------

    def _searcher(self):
        """This thread's searcher on the last committed state of the index.

        A rebuild may switch generations (and delete the old one's files)
        between reading the manifest and opening the index; that is retried
        with the new manifest, while the same failure twice on one
        generation is damage.
        """
        from whoosh.index import EmptyIndexError

        for _ in range(3):
            manifest = store.read_manifest(self.index_dir)
            if manifest is None:
                raise store.describe_missing(self.index_dir)
            try:
                return self._searcher_for(manifest)
            except (EmptyIndexError, IndexDamagedError, *store.DAMAGE_ERRORS) as exc:
                again = store.read_manifest(self.index_dir)
                if again is None or again["active"] == manifest["active"]:
                    if isinstance(exc, IndexDamagedError):
                        raise
                    raise store.damaged(self.index_dir, exc) from exc
        raise IndexDamagedError(f"index in {self.index_dir} keeps changing generation; try again")

    def _searcher_for(self, manifest: dict):
        local = self._local
        current = getattr(local, "searcher", None)
        if current is not None and local.generation == manifest["active"]:
            if current.up_to_date():
                return current
            fresh = current.refresh()
            if fresh is not current:
                self._track(fresh, current)
            local.searcher = fresh
            return fresh
        from .scoring import BM25F

        ix = store.open_generation(self.index_dir, manifest["active"])
        searcher = ix.searcher(weighting=BM25F(B=0.75, K1=1.2))
        self._track(searcher, current)
        local.searcher = searcher
        local.generation = manifest["active"]
        # queries and highlighting use the stop set the index was built with
        local.chains = Chains(frozenset(manifest.get("fingerprint", {}).get("stoptags") or STOP_TAGS))
        return searcher

    def _chains(self) -> Chains:
        """The chains of the index this thread's searcher reads (call after
        :meth:`_searcher`; never refreshes, so open results stay valid)."""
        return getattr(self._local, "chains", None) or Chains()

    def _track(self, new, old) -> None:
        with self._lock:
            if old is not None and old in self._open:
                self._open.remove(old)
                try:
                    old.close()
                except Exception:
                    pass
            self._open.append(new)

    def plan(self, query: str, *, synonyms: bool = True, require_all: bool = False) -> Plan:
        """Parse and compile ``query`` (what :meth:`search` would run)."""
        tree = syntax.parse(query)
        compiler = Compiler(
            self._searcher(), self.settings, self._synonyms if synonyms else None, require_all
        )
        return compiler.compile(tree)

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        require_all: bool = False,
        synonyms: bool = True,
        sort: str = "relevance",
        facets: bool = False,
        suggest: bool = True,
        passages: int = 3,
    ) -> SearchResult:
        """Run ``query`` and return one page of hits.

        ``sort`` is ``relevance`` (best first), ``date`` (oldest first) or
        ``-date`` (newest first; posts without a date come last).  With
        ``facets`` the result counts tags and categories over all hits.
        When nothing matches and ``suggest`` is set, the result may carry a
        nearby query that would find something.
        """
        started = time.perf_counter()
        if not 0 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 0 and {MAX_LIMIT}")
        if offset < 0:
            raise QueryError("offset must not be negative")
        if sort not in SORTS:
            raise QueryError(f"sort must be one of {', '.join(SORTS)}")
        tree = syntax.parse(query)
        searcher = self._searcher()
        try:
            compiler = Compiler(
                searcher, self.settings, self._synonyms if synonyms else None, require_all, self._chains()
            )
            plan = compiler.compile(tree)
            return self._run(searcher, plan, query, started, limit, offset, sort, facets, suggest, passages)
        except store.DAMAGE_ERRORS as exc:
            raise store.damaged(self.index_dir, exc) from exc

    def _run(self, searcher, plan, query, started, limit, offset, sort, facets, suggest, passages, mask=None):
        from . import navigation

        if sort == "relevance":
            scored = self._scored(searcher, plan, mask)
            total = len(scored)
            matched = {docnum for _, docnum in scored} if facets else set()
            page = scored[offset : offset + limit] if limit else []
            docs = [(score, searcher.stored_fields(docnum)) for score, docnum in page]
        else:
            allowed = self._cut(searcher, plan)
            if allowed is not None and not allowed:
                docs, total, matched = [], 0, set()
            else:
                newest_first = sort == "-date"
                results = searcher.search(
                    plan.query, limit=None, filter=allowed, mask=mask, sortedby="date", reverse=newest_first
                )
                total = len(results)
                matched = {r.docnum for r in results} if facets else set()
                page = results[offset : offset + limit] if limit else []
                docs = [(0.0, r.fields()) for r in page]
        # shared by the hits' passages (see best_passages)
        spellings = {text: set(forms) for text, forms in plan.spellings.items()}
        hits = tuple(self._hit(fields, score or 0.0, plan, passages, spellings) for score, fields in docs)
        suggestion = None
        if not total and suggest and plan.units:
            suggestion = navigation.suggest(
                searcher, plan, query, lambda q: self.search(q, limit=1, passages=0, suggest=False).total > 0
            )
        return SearchResult(
            query=query,
            total=total,
            took_ms=(time.perf_counter() - started) * 1000,
            hits=hits,
            offset=offset,
            facets=navigation.facet_counts(searcher, matched, self._facet_cache) if facets else None,
            suggestion=suggestion,
        )

    def similar(self, post_id: str, *, limit: int = 10, passages: int = 1) -> SearchResult:
        """Posts most like ``post_id``, by its most distinctive terms."""
        started = time.perf_counter()
        searcher = self._searcher()
        docnum = searcher.document_number(id=post_id)
        if docnum is None:
            raise UnknownPostError(f"no post with id {post_id!r} in the index")
        from . import navigation

        fields = searcher.stored_fields(docnum)
        text = zlib.decompress(fields["doc"]["body"]).decode("utf-8")
        terms = navigation.key_terms(searcher, f"{fields['doc']['title']}\n\n{text}")
        if not terms:
            return SearchResult(query=post_id, total=0, took_ms=0.0, hits=())
        plan = navigation.similar_plan(terms)
        return self._run(
            searcher, plan, post_id, started, limit, 0, "relevance", False, False, passages, mask={docnum}
        )

    def _cut(self, searcher, plan: Plan) -> set[int] | None:
        """Doc numbers that match enough of a query's units, or None.

        Queries of three or more units: a post must match at least
        ``ceil(units × min_match_ratio)`` of them.  When a noun of the
        question occurs nowhere in the index (the corpus lacks its subject),
        units are weighed by rarity, log(1 + N / (1 + df)), and a post must
        carry that share of the query's weight: the unknown words are the
        most telling part of the question, so matching a common remainder
        is not an answer.  This holds for two-unit queries too.  Modifiers
        (verbs, adjectives, demonstratives) that occur nowhere are left out
        instead: a text that answers the question often phrases its
        predicate differently.
        """
        from .query import unit_query

        allowed = None
        for units, need in zip(plan.ranked, plan.min_match, strict=True):
            if not _has_cut(units):
                continue  # nothing to cut: skip counting matches per unit
            per_unit = [set(unit_query(unit, self.settings, plan.memo).docs(searcher)) for unit in units]
            ok = self._enough(searcher, units, need, per_unit)
            allowed = ok if allowed is None else allowed & ok
        return allowed

    def _enough(self, searcher, units, need: int, per_unit) -> set[int]:
        """The cut rule (see :meth:`_cut`) over each unit's matching docs."""
        weights = [1.0] * len(per_unit)
        if any(not docs and not unit.modifier for docs, unit in zip(per_unit, units, strict=True)):
            total_docs = max(searcher.doc_count(), 1)
            weights = [
                0.0 if not docs and unit.modifier else math.log(1 + total_docs / (1 + len(docs)))
                for docs, unit in zip(per_unit, units, strict=True)
            ]
            need = self.settings.min_match_ratio * sum(weights) - 1e-9
        counts: dict[int, float] = {}
        for docs, weight in zip(per_unit, weights, strict=True):
            for docnum in docs:
                counts[docnum] = counts.get(docnum, 0.0) + weight
        return {d for d, c in counts.items() if c >= need}

    def _scored(self, searcher, plan: Plan, mask) -> list[tuple[float, int]]:
        """Every hit as ``(score, docnum)``, best first (scoring every match
        costs less than a top-k pass plus a count)."""
        from .scoring import scores

        found = self._unit_totals(searcher, plan, mask)
        if found is None:  # no free words to combine: the query's own scores
            found = scores(searcher, plan.query, mask)
        return sorted(((score, docnum) for docnum, score in found.items()), key=lambda x: (-x[0], x[1]))

    def _unit_totals(self, searcher, plan: Plan, mask) -> dict[int, float] | None:
        """``{docnum: score}`` for every hit of a free-word query of
        several units, or None for other queries (see :meth:`_unit_parts`)."""
        parts = self._unit_parts(searcher, plan, mask)
        if parts is None:
            return None
        return {d: (score + parts.near.get(d, 0.0)) * parts.factors[d] for d, score in parts.sums.items()}

    def _unit_parts(self, searcher, plan: Plan, mask) -> _UnitParts | None:
        """The pieces of a free-word query's scores, or None for other
        queries.

        Each unit is scored once; the same scores serve the cut and the
        ranking.  A post's score is the sum of its units' BM25 scores
        plus the scores of neighbouring units found together
        (``proximity_boost``), times the coordination factor (units matched
        / units) ** coordination, as in Lucene's classic similarity: without
        it one word repeated in a title outranks a post that has every word
        of the query.  Verbs and adjectives among other words weigh less
        (see :meth:`_weights`)."""
        if len(plan.ranked) != 1:
            return None
        from .query import proximity_queries, unit_query
        from .scoring import phrase_scores, scores

        units = plan.ranked[0]
        per_unit = [scores(searcher, unit_query(unit, self.settings, plan.memo), mask) for unit in units]
        if _has_cut(units):
            allowed = self._enough(searcher, units, plan.min_match[0], per_unit)
        else:
            allowed = set().union(*per_unit)
        if plan.exclude is not None:
            allowed -= set(plan.exclude.docs(searcher))
        sums = dict.fromkeys(allowed, 0.0)
        matched = dict.fromkeys(allowed, 0.0)
        weights, counts = self._weights(units)
        for unit_scores, weight, count in zip(per_unit, weights, counts, strict=True):
            for docnum, score in unit_scores.items():
                if docnum in sums:
                    sums[docnum] += score * weight
                    matched[docnum] += count
        power = self.settings.coordination
        whole = sum(counts)
        factors = {d: (matched[d] / whole) ** power if power else 1.0 for d in sums}
        near: dict[int, float] = {}
        phrases = proximity_queries(units, self.settings)
        if phrases:
            # proximity rescores the best posts only, as its phrase checks
            # cost more than all the units' scores
            window = heapq.nlargest(RESCORE_WINDOW, sums, key=lambda d: sums[d] * factors[d])
            for phrase in phrases:
                for docnum, score in phrase_scores(searcher, phrase, window).items():
                    near[docnum] = near.get(docnum, 0.0) + score
        return _UnitParts(sums, near, factors)

    def _weights(self, units) -> tuple[list[float], list[float]]:
        """Each unit's weight in a free-word query's sum, and in the
        coordination count.  A modifier among other words (a verb,
        adjective, demonstrative or interrogative: ``query._MODIFIER_POS``)
        weighs ``modifier_weight`` in the sum and next to nothing in the
        count: the answer often phrases the predicate differently and never
        repeats どの or この, so missing one is no evidence against a post
        (the small count keeps a post that matches only the modifier above
        zero)."""
        from .query import unit_weights

        return unit_weights(units, self.settings.modifier_weight), unit_weights(units, _MODIFIER_COUNT)

    def _hit(self, fields: dict, score: float, plan: Plan, count: int, spellings: dict | None = None) -> Hit:
        from .highlight import best_passages, unpack_spans

        doc = fields["doc"]
        passages: tuple = ()
        if count:
            body = zlib.decompress(doc["body"]).decode("utf-8")
            packed = doc.get("passages")  # absent in posts indexed by older versions
            spans = unpack_spans(packed) if packed else None
            passages = best_passages(
                body,
                doc["sections"],
                plan.units,
                doc["excerpt"],
                count,
                self._chains(),
                spellings,
                spans,
                self.settings.modifier_weight,
            )
        return Hit(
            id=fields["id"],
            path=str(self.data_dir / fields["id"]),
            title=doc["title"],
            date=doc["date"],
            categories=tuple(doc["categories"]),
            tags=tuple(doc["tags"]),
            score=float(score),
            passages=passages,
        )

    def get(self, post_id: str) -> Hit:
        """The indexed post with id ``post_id`` (no passages)."""
        searcher = self._searcher()
        fields = searcher.document(id=post_id)
        if fields is None:
            raise UnknownPostError(f"no post with id {post_id!r} in the index")
        return replace(self._hit(fields, 0.0, Plan(None), 0))

    # --- introspection -------------------------------------------------------

    def analyze(self, text: str, field: str | None = None) -> list[TermInfo]:
        """The terms each field's chain emits for ``text`` (``jsearch analyze``)."""
        from . import introspect

        return introspect.analyze(text, field)

    def explain(self, query: str, *, post_id: str | None = None, synonyms: bool = True) -> Explanation:
        """How ``query`` is parsed and expanded, and (with ``post_id``) what
        each unit contributes to that post's score."""
        from . import introspect

        plan = self.plan(query, synonyms=synonyms)
        searcher = self._searcher()
        info = introspect.explain(searcher, plan, self.settings, post_id)
        parts = self._unit_parts(searcher, plan, None) if post_id is not None else None
        if parts is None:
            return info
        # free words: the ranking's own sum, proximity and coordination factor
        docnum = searcher.document_number(id=post_id)
        if docnum not in parts.sums:
            return replace(info, total_score=0.0, matched=False)
        near = parts.near.get(docnum, 0.0)
        factor = parts.factors[docnum]
        total = (parts.sums[docnum] + near) * factor
        return replace(info, total_score=total, matched=total > 0, coordination=factor, proximity=near)

    def evaluate(self, queries_path: str | os.PathLike, *, limit: int = 10) -> Report:
        """Relevance figures for a judged query set (``jsearch eval``)."""
        from . import evaluation

        queries = evaluation.load(queries_path)

        def run(q: str) -> list[str]:
            try:
                return [h.id for h in self.search(q, limit=limit, passages=0).hits]
            except QueryError:
                return []

        return evaluation.evaluate(queries, run)


class _UnitParts(NamedTuple):
    """A free-word query's scores by post, before they are combined."""

    sums: dict[int, float]  # weighted sum of the units' scores, posts past the cut
    near: dict[int, float]  # proximity scores (the rescored posts only)
    factors: dict[int, float]  # coordination factors


def _has_cut(units) -> bool:
    """Whether the cut can remove anything: three or more units, or a
    noun that occurs nowhere."""
    return len(units) >= 3 or any(u.unknown and not u.modifier for u in units)
