"""The library's front door: :class:`Engine` indexes a data directory and
answers queries with ranked hits and highlighted passages.

An engine holds no global state and never prints.  It is safe to share
between threads: each thread gets its own Whoosh searcher (and Sudachi
tokenizer), and a search sees the last committed state of the index.
"""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from . import contract, highlight, ranking, records, store, syntax
from .analysis import Chains
from .errors import QueryError, UnknownPostError
from .models import Hit, SearchResult, Settings, TermInfo, UpdateReport
from .query import Compiler, Plan
from .searchers import Searchers
from .synonyms import Synonyms, read_groups

if TYPE_CHECKING:
    from .evaluation import Report
    from .introspect import Explanation

# indexer, introspect, evaluation and navigation are imported where used,
# so that a plain query starts quickly


class Engine:
    """Search over the posts in ``data_dir`` with the index in ``index_dir``;
    ``synonyms_file`` adds the site's own synonym groups (see
    :func:`search.synonyms.read_groups`) to Sudachi's."""

    def __init__(
        self,
        index_dir: str | os.PathLike = "index",
        data_dir: str | os.PathLike = "data",
        *,
        settings: Settings | None = None,
        stoptags: Iterable[str] | None = None,
        lock_timeout: float = store.LOCK_TIMEOUT,
        synonyms_file: str | os.PathLike | None = None,
    ) -> None:
        contract.check(
            index_dir=index_dir,
            data_dir=data_dir,
            settings=settings,
            stoptags=stoptags,
            lock_timeout=lock_timeout,
            synonyms_file=synonyms_file,
        )
        self.index_dir = Path(index_dir)
        self.data_dir = Path(data_dir)
        self.settings = settings or Settings()
        #: Parts of speech (Sudachi's top level) not indexed; None: the default set.
        self.stoptags = frozenset(stoptags) if stoptags is not None else None
        self.lock_timeout = lock_timeout
        #: The site's own synonym groups, read once, here: a file that
        #: cannot be used fails the engine, not every query.
        self._synonyms = Synonyms(own=read_groups(synonyms_file) if synonyms_file is not None else ())
        self._searchers = Searchers(self.index_dir, partial(ranking.weighting, self.settings))
        # per index reader, shared by the threads' searchers
        self._facet_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._slip_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    # --- lifecycle ---------------------------------------------------------

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close every searcher this engine opened."""
        self._searchers.close()

    # --- indexing ----------------------------------------------------------

    def update(
        self, *, rebuild: bool = False, progress=None, procs: int = 0, lock_timeout: float | None = None
    ) -> UpdateReport:
        """Bring the index up to date with the data directory (incremental
        unless the index is missing, outdated or ``rebuild`` is set).
        ``lock_timeout`` overrides the engine's wait for the writer lock."""
        contract.check(rebuild=rebuild, progress=progress, procs=procs, optional_lock_timeout=lock_timeout)
        from . import indexer

        return indexer.update(
            self.index_dir,
            self.data_dir,
            rebuild=rebuild,
            progress=progress,
            lock_timeout=self.lock_timeout if lock_timeout is None else lock_timeout,
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
        """This thread's searcher on the last committed state of the index."""
        return self._searchers.get()

    def _chains(self) -> Chains:
        """The chains of the index this thread's searcher reads."""
        return self._searchers.chains()

    def _plan(self, query: str, *, synonyms: bool = True, require_all: bool = False, searcher=None) -> Plan:
        """Parse and compile ``query`` as :meth:`search` runs it, on
        ``searcher`` (default: this thread's), with the index's own chains
        (its stop tags)."""
        tree = syntax.parse(query)
        searcher = searcher or self._searcher()
        chains = self._chains()
        spell = partial(highlight.spellings, chains=chains)
        synonyms_used = self._synonyms if synonyms else None
        return Compiler(searcher, self.settings, synonyms_used, chains, spell, require_all).compile(tree)

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
        With ``suggest`` the result may carry a nearby query: one that
        corrects a word written with the wrong kanji of the right reading
        (a conversion slip: 液侵冷却 → 液浸冷却), or, when nothing matches,
        one that corrects a misspelling.
        """
        started = time.perf_counter()
        contract.check(
            query=query,
            limit=limit,
            offset=offset,
            require_all=require_all,
            synonyms=synonyms,
            sort=sort,
            facets=facets,
            suggest=suggest,
            passages=passages,
        )
        with self._reading():
            # one searcher for the whole request: the plan, the ranking and
            # the suggestion all see the same committed state
            searcher = self._searcher()
            plan = self._plan(query, synonyms=synonyms, require_all=require_all, searcher=searcher)
            result = self._run(searcher, plan, query, started, limit, offset, sort, facets, suggest, passages)
            return self._with_slips(searcher, result) if suggest else result

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Report a failure to read the index's files as damage.  Only
        those: any other exception in the query path is a bug, and
        surfaces as one (a rebuild would not help)."""
        try:
            yield
        except store.READ_ERRORS as exc:
            raise store.damaged(self.index_dir, exc) from exc

    def _run(self, searcher, plan, query, started, limit, offset, sort, facets, suggest, passages, mask=None):
        from . import navigation

        found = ranking.ranking(searcher, plan, self.settings, sort=sort, mask=mask, top=offset + limit)
        total = found.total
        matched = set(found.docnums) if facets else set()
        page = found.order[offset : offset + limit]
        hits = self._hits(searcher, plan, page, found.per_unit, passages)
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

    def _with_slips(self, searcher, result: SearchResult) -> SearchResult:
        """The result with a suggestion for a conversion slip in the query
        (液侵冷却 → 液浸冷却), which takes the place of a spelling one."""
        from .slips import Slips, corrected, free_words

        chains = self._chains()
        words = free_words(syntax.parse(result.query), chains)
        fixes = Slips(searcher, chains, self._slip_cache).corrections(words)
        suggestion = corrected(result.query, fixes) if fixes else None
        return replace(result, suggestion=suggestion) if suggestion else result

    def _hits(self, searcher, plan: Plan, page, per_unit, passages: int) -> tuple[Hit, ...]:
        """The hits of ``page`` (``(score, docnum)`` pairs), each with its
        passages and the query words it lacks."""
        if per_unit is None and plan.ranked and page:  # not ranked by units: find which each post has
            per_unit = ranking.page_units(searcher, plan, self.settings, {d for _, d in page})
        # what the compiler learnt of kana spellings, shared by the hits
        spellings = {text: set(forms) for text, forms in plan.spellings.items()}
        # a compound's words alone are shown only in posts that lack the
        # compound (a post that has it shows it whole)
        whole = tuple(u for u in plan.units if not u.part)
        hits = []
        for score, docnum in page:
            lacks = ranking.missing(plan, docnum, per_unit)
            record = records.decode(searcher.stored_fields(docnum))
            hits.append(self._hit(record, score, plan.units if lacks else whole, passages, spellings, lacks))
        return tuple(hits)

    def hit(self, query: str, post_id: str, *, passages: int = 3, synonyms: bool = True) -> Hit:
        """Post ``post_id`` as a hit of ``query``: the passages and missing
        words :meth:`search` gives it, found without ranking the other posts
        (a post view highlights what the results page showed).  Its score
        is 0."""
        contract.check(query=query, post_id=post_id, passages=passages, synonyms=synonyms)
        with self._reading():
            searcher = self._searcher()
            plan = self._plan(query, synonyms=synonyms, searcher=searcher)
            return self._hits(searcher, plan, [(0.0, self._docnum(searcher, post_id))], None, passages)[0]

    def similar(self, post_id: str, *, limit: int = 10, passages: int = 1) -> SearchResult:
        """Posts most like ``post_id``, by its most distinctive terms."""
        from . import navigation

        started = time.perf_counter()
        contract.check(post_id=post_id, limit=limit, passages=passages)
        with self._reading():
            searcher = self._searcher()
            docnum = self._docnum(searcher, post_id)
            record = records.decode(searcher.stored_fields(docnum))
            terms = navigation.key_terms(searcher, f"{record.title}\n\n{record.body}")
            if not terms:
                return SearchResult(query=post_id, total=0, took_ms=0.0, hits=())
            plan = navigation.similar_plan(terms)
            return self._run(
                searcher, plan, post_id, started, limit, 0, "relevance", False, False, passages, mask={docnum}
            )

    def _hit(
        self, record: records.Record, score: float, units, count: int, spellings: dict, missing=()
    ) -> Hit:
        passages = ()
        if count:
            passages = highlight.record_passages(
                record, units, count, self._chains(), spellings, self.settings
            )
        return Hit(
            id=record.id,
            path=str(self.data_dir / record.id),
            title=record.title,
            date=record.date,
            categories=record.categories,
            tags=record.tags,
            score=float(score),
            passages=passages,
            missing=missing,
        )

    @staticmethod
    def _docnum(searcher, post_id: str) -> int:
        docnum = searcher.document_number(id=post_id)
        if docnum is None:
            raise UnknownPostError(f"no post with id {post_id!r} in the index")
        return docnum

    def get(self, post_id: str) -> Hit:
        """The indexed post with id ``post_id`` (no passages)."""
        contract.check(post_id=post_id)
        with self._reading():
            searcher = self._searcher()
            record = records.decode(searcher.stored_fields(self._docnum(searcher, post_id)))
        return self._hit(record, 0.0, (), 0, {})

    # --- introspection -------------------------------------------------------

    def analyze(self, text: str, field: str | None = None) -> list[TermInfo]:
        """The terms each field's chain emits for ``text`` (``jsearch analyze``),
        with this engine's stop tags."""
        contract.check(text=text, field=field)
        from . import introspect

        return introspect.analyze(text, field, Chains(self.stoptags))

    def explain(self, query: str, *, post_id: str | None = None, synonyms: bool = True) -> Explanation:
        """How ``query`` is parsed and expanded, and (with ``post_id``) what
        each unit contributes to that post's score."""
        contract.check(query=query, optional_post_id=post_id, synonyms=synonyms)
        from . import introspect

        with self._reading():
            searcher = self._searcher()
            plan = self._plan(query, synonyms=synonyms, searcher=searcher)
            docnum = None if post_id is None else self._docnum(searcher, post_id)
            return introspect.explain(searcher, plan, self.settings, post_id, docnum)

    def evaluate(self, queries_path: str | os.PathLike, *, limit: int = 10) -> Report:
        """Relevance figures for a judged query set (``jsearch eval``)."""
        contract.check(queries_path=queries_path, limit=limit)
        from . import evaluation

        queries = evaluation.load(queries_path)

        def run(q: str) -> list[str]:
            try:
                hits = self.search(q, limit=limit, passages=0, suggest=False).hits
            except QueryError:
                return []
            return evaluation.Ranked([h.id for h in hits], marked=bool(hits and hits[0].missing))

        return evaluation.evaluate(queries, run)
