"""Per-thread Whoosh searchers on the last committed state of one index.

Each thread gets its own searcher (Whoosh searchers are not shared between
threads) and the analysis chains of the index it reads.  A searcher is
refreshed when the index changed, and reopened when a rebuild switched
generations.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from . import store
from .analysis import STOP_TAGS, Chains
from .errors import IndexDamagedError


class Searchers:
    """This thread's searcher of the index in ``index_dir``, each scoring
    with a ``weighting()`` of its own; :meth:`close` closes every searcher
    opened."""

    def __init__(self, index_dir: Path, weighting: Callable[[], object]) -> None:
        self.index_dir = index_dir
        self.weighting = weighting
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list = []

    def get(self):
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
                return self._for(manifest)
            except (EmptyIndexError, IndexDamagedError, *store.DAMAGE_ERRORS) as exc:
                again = store.read_manifest(self.index_dir)
                if again is None or again["active"] == manifest["active"]:
                    if isinstance(exc, IndexDamagedError):
                        raise
                    raise store.damaged(self.index_dir, exc) from exc
        raise IndexDamagedError(f"index in {self.index_dir} keeps changing generation; try again")

    def chains(self) -> Chains:
        """The chains of the index this thread's searcher reads (call after
        :meth:`get`; never refreshes, so open results stay valid)."""
        return getattr(self._local, "chains", None) or Chains()

    def close(self) -> None:
        with self._lock:
            for searcher in self._open:
                try:
                    searcher.close()
                except Exception:
                    pass
            self._open.clear()
        self._local = threading.local()

    def _for(self, manifest: dict):
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
        ix = store.open_generation(self.index_dir, manifest["active"])
        searcher = ix.searcher(weighting=self.weighting())
        self._track(searcher, current)
        local.searcher = searcher
        local.generation = manifest["active"]
        # queries and highlighting use the stop set the index was built with
        local.chains = Chains(frozenset(manifest.get("fingerprint", {}).get("stoptags") or STOP_TAGS))
        return searcher

    def _track(self, new, old) -> None:
        with self._lock:
            if old is not None and old in self._open:
                self._open.remove(old)
                try:
                    old.close()
                except Exception:
                    pass
            self._open.append(new)
