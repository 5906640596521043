"""Bringing an index up to date with a data directory.

``update`` compares the files with what the index holds (size and mtime
first, a content hash to confirm), re-analyses only added and changed
posts, deletes removed ones and commits once.  A missing index, a changed
fingerprint or ``rebuild=True`` builds a new generation instead (see
:mod:`search.store`).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import fields, markdown, records, schema, store
from .analysis import Chains
from .documents import Post, iter_post_files, parse_post, read_raw
from .errors import DataDirError, IndexDamagedError, PostError
from .models import Skipped, UpdateReport
from .schema import build_schema

#: Full builds of at least this many posts use several processes.
PARALLEL_MIN_POSTS = 200

#: ``progress(done, total)`` is called as posts are analysed.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FileState:
    """What the index remembers of a post's file."""

    size: int
    mtime_ns: int
    digest: str


def fingerprint(stoptags: frozenset[str] | None = None) -> dict:
    """The schema's fingerprint plus the version of the text made from
    Markdown: the body is stored and indexed as that text, so a change to
    it must rebuild the index too."""
    return {**schema.fingerprint(stoptags), "text": markdown.TEXT_VERSION}


def digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def post_document(post: Post, state: FileState) -> dict:
    """The Whoosh document for a post: every registry field its source
    fills, and the stored record."""
    doc = {f.name: f.source(post) for f in fields.FIELDS if f.source is not None}
    doc[records.RECORD_FIELD] = records.encode(post, (state.size, state.mtime_ns, state.digest))
    return {name: value for name, value in doc.items() if value is not None}


def indexed_states(ix) -> dict[str, FileState]:
    """Every indexed post id with the file state it was indexed from."""
    with ix.reader() as reader:
        return reader_states(reader)


def reader_states(reader) -> dict[str, FileState]:
    states = {}
    for stored in reader.all_stored_fields():
        record = records.decode(stored)
        states[record.id] = FileState(*record.state)
    return states


def update(
    index_dir: Path,
    data_dir: Path,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    lock_timeout: float = store.LOCK_TIMEOUT,
    procs: int = 0,
    stoptags: frozenset[str] | None = None,
) -> UpdateReport:
    """Bring the index in ``index_dir`` up to date with ``data_dir``.

    ``procs`` is the number of processes for a full build (0: automatic);
    ``stoptags`` the parts of speech that are not indexed (None: default).
    """
    started = time.perf_counter()
    if not data_dir.is_dir():
        raise DataDirError(f"data directory {data_dir} does not exist")
    with store.writer_lock(index_dir, lock_timeout):
        reason = _rebuild_reason(index_dir, rebuild, stoptags)
        try:
            if reason:
                report = _build(index_dir, data_dir, progress, procs, stoptags)
                return _finish(report, started, rebuilt=True, reason=reason)
            try:
                return _finish(_incremental(index_dir, data_dir, progress), started)
            except store.READ_ERRORS as exc:
                if isinstance(exc, OSError) and _is_write_error(exc):
                    raise
                raise store.damaged(index_dir, exc) from exc
        except OSError as exc:
            raise store.write_error(exc, index_dir) from exc


def _is_write_error(exc: OSError) -> bool:
    import errno

    return exc.errno in (errno.ENOSPC, errno.EACCES, errno.EPERM, errno.EROFS, errno.EDQUOT)


def _finish(report: UpdateReport, started: float, **changes) -> UpdateReport:
    from dataclasses import replace

    return replace(report, seconds=time.perf_counter() - started, **changes)


def _rebuild_reason(index_dir: Path, rebuild: bool, stoptags: frozenset[str] | None) -> str:
    """Why the next update must be a full build ("" for incremental).

    A damaged index is an error, not a silent rebuild: damage can mean a
    failing disk, and the user should know (the remedy is ``--rebuild``).
    """
    if rebuild:
        return "rebuild requested"
    manifest = store.read_manifest(index_dir)
    if manifest is None:
        problem = store.describe_missing(index_dir)
        if isinstance(problem, IndexDamagedError):
            raise problem
        return "no index yet"
    if manifest.get("fingerprint") != fingerprint(stoptags):
        return "the index was built with a different analysis, schema or dictionary"
    return ""


def scan(data_dir: Path) -> dict[str, tuple[Path, os.stat_result]]:
    """Post files below ``data_dir`` by id."""
    return {p.relative_to(data_dir).as_posix(): (p, st) for p, st in iter_post_files(data_dir)}


def _load(path: Path, post_id: str) -> tuple[Post, FileState]:
    raw = read_raw(path, post_id)
    try:
        mtime_ns = path.stat().st_mtime_ns
    except OSError as exc:
        raise PostError(f"{post_id}: cannot read ({exc.strerror or exc})") from exc
    return parse_post(raw, post_id), FileState(len(raw), mtime_ns, digest(raw))


def _reason(exc: PostError, post_id: str) -> str:
    msg = str(exc)
    return msg[len(post_id) + 2 :] if msg.startswith(f"{post_id}: ") else msg


def _build(
    index_dir: Path, data_dir: Path, progress: Progress | None, procs: int, stoptags: frozenset[str] | None
) -> UpdateReport:
    from whoosh.filedb.filestore import FileStorage

    manifest = None
    try:
        manifest = store.read_manifest(index_dir)
    except IndexDamagedError:
        pass
    previous = manifest["active"] if manifest else "posts-0"
    try:
        number = int(previous.rsplit("-", 1)[1]) + 1
    except (IndexError, ValueError):
        number = 1
    name = f"posts-{number}"
    storage = FileStorage(str(index_dir))
    for stale in store.generation_files(index_dir, name):
        stale.unlink()
    ix = storage.create_index(build_schema(Chains(stoptags)), indexname=name)
    files = scan(data_dir)
    added, skipped = [], []
    if procs == 0:  # automatic: several cores for corpora worth the start-up cost
        procs = min(os.cpu_count() or 1, 4) if len(files) >= PARALLEL_MIN_POSTS else 1
    if procs > 1:
        # Whoosh's multi-process writer: posts are analysed in worker
        # processes (each with its own Sudachi), one segment per worker
        writer = ix.writer(limitmb=256, procs=procs, multisegment=True, batchsize=50, codec=store.codec())
    else:
        writer = ix.writer(limitmb=256, codec=store.codec())
    try:
        for done, (post_id, (path, _)) in enumerate(files.items(), 1):
            try:
                post, state = _load(path, post_id)
            except PostError as exc:
                skipped.append(Skipped(post_id, _reason(exc, post_id)))
                continue
            writer.add_document(**post_document(post, state))
            added.append(post_id)
            if progress:
                progress(done, len(files))
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    finally:
        ix.close()
    store.write_manifest(index_dir, {"active": name, "fingerprint": fingerprint(stoptags)})
    store.remove_other_generations(index_dir, keep=name)
    return UpdateReport(added=tuple(added), skipped=tuple(skipped))


def _incremental(index_dir: Path, data_dir: Path, progress: Progress | None) -> UpdateReport:

    manifest = store.read_manifest(index_dir)
    ix = store.open_generation(index_dir, manifest["active"], readonly=False)
    try:
        known = indexed_states(ix)
        files = scan(data_dir)
        removed = sorted(set(known) - set(files))
        todo: list[tuple[str, Path]] = []
        unchanged = 0
        for post_id, (path, st) in files.items():
            old = known.get(post_id)
            if old and old.size == st.st_size and old.mtime_ns == st.st_mtime_ns:
                unchanged += 1
            else:
                todo.append((post_id, path))
        added, updated, skipped = [], [], []
        if not todo and not removed:
            return UpdateReport(unchanged=unchanged)
        writer = ix.writer(limitmb=128, codec=store.codec())
        try:
            for post_id in removed:
                writer.delete_by_term("id", post_id)
            for done, (post_id, path) in enumerate(todo, 1):
                old = known.get(post_id)
                try:
                    post, state = _load(path, post_id)
                except PostError as exc:
                    skipped.append(Skipped(post_id, _reason(exc, post_id)))
                    if old:
                        writer.delete_by_term("id", post_id)
                        removed.append(post_id)
                    continue
                if old and old.digest == state.digest:
                    unchanged += 1
                    continue
                writer.update_document(**post_document(post, state))
                (updated if old else added).append(post_id)
                if progress:
                    progress(done, len(todo))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        return UpdateReport(
            added=tuple(added),
            updated=tuple(updated),
            removed=tuple(sorted(removed)),
            unchanged=unchanged,
            skipped=tuple(skipped),
        )
    finally:
        ix.close()


def is_stale(index_dir: Path, data_dir: Path, reader=None, stoptags: frozenset[str] | None = None) -> bool:
    """Cheap check (stat only, no hashing) whether ``update`` has work;
    ``reader`` may be an open reader of the active generation."""
    manifest = store.read_manifest(index_dir)
    if manifest is None or manifest.get("fingerprint") != fingerprint(stoptags):
        return True
    try:
        if reader is not None:
            known = reader_states(reader)
        else:
            ix = store.open_generation(index_dir, manifest["active"])
            try:
                known = indexed_states(ix)
            finally:
                ix.close()
    except store.READ_ERRORS as exc:
        raise store.damaged(index_dir, exc) from exc
    files = scan(data_dir)
    if set(files) != set(known):
        return True
    return any(
        known[i].size != st.st_size or known[i].mtime_ns != st.st_mtime_ns for i, (_, st) in files.items()
    )
