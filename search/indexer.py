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
from dataclasses import dataclass, replace
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


#: Characters of a post's title and body that are indexed; the rest is
#: stored and shown, not searchable.  Analysis holds a few hundred bytes
#: per character at once, so this bounds a build's memory whatever one
#: post holds (the largest man page has 143,000 characters).
MAX_INDEXED_CHARS = 500_000
#: Characters of the title, the excerpt, and all tags (categories) together.
MAX_FIELD_CHARS = 10_000


def post_document(post: Post, state: FileState) -> dict:
    """The Whoosh document for a post: every registry field its source
    fills, and the stored record.  Title, excerpt and tags are cut to
    ``MAX_FIELD_CHARS`` and the indexed text to ``MAX_INDEXED_CHARS``."""
    if len(post.title) > MAX_FIELD_CHARS or len(post.excerpt) > MAX_FIELD_CHARS:
        post = replace(post, title=post.title[:MAX_FIELD_CHARS], excerpt=post.excerpt[:MAX_FIELD_CHARS])
    for name in ("tags", "categories"):
        if sum(len(t) for t in getattr(post, name)) > MAX_FIELD_CHARS:
            post = replace(post, **{name: _within(getattr(post, name), MAX_FIELD_CHARS)})
    indexed = replace(post, body=post.body[:MAX_INDEXED_CHARS])
    doc = {f.name: f.source(indexed) for f in fields.FIELDS if f.source is not None}
    doc[records.RECORD_FIELD] = records.encode(post, (state.size, state.mtime_ns, state.digest))
    return {name: value for name, value in doc.items() if value is not None}


def _within(items: tuple[str, ...], budget: int) -> tuple[str, ...]:
    """The first items whose lengths add up to at most ``budget``."""
    out = []
    for item in items:
        budget -= len(item)
        if budget < 0:
            break
        out.append(item)
    return tuple(out)


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
    check_data_dir(data_dir)
    store.check_index_folder(index_dir, data_dir)
    with store.writer_lock(index_dir, lock_timeout):
        reason = _rebuild_reason(index_dir, rebuild, stoptags)
        try:
            if reason:
                report = _build(index_dir, data_dir, progress, procs, stoptags)
                return _finish(report, started, rebuilt=True, reason=reason)
            try:
                return _finish(_incremental(index_dir, data_dir, progress, stoptags), started)
            except store.READ_ERRORS as exc:
                if isinstance(exc, OSError) and _is_write_error(exc):
                    raise
                raise store.damaged(index_dir, exc) from exc
        except OSError as exc:
            raise store.write_error(exc, index_dir) from exc


def check_data_dir(data_dir: Path) -> None:
    """Raise :class:`DataDirError` unless ``data_dir`` is a folder."""
    if data_dir.is_dir():
        return
    if data_dir.exists():
        raise DataDirError(f"data directory {data_dir} is not a folder")
    raise DataDirError(f"data directory {data_dir} does not exist")


def _is_write_error(exc: OSError) -> bool:
    import errno

    return exc.errno in (errno.ENOSPC, errno.EACCES, errno.EPERM, errno.EROFS, errno.EDQUOT)


def _finish(report: UpdateReport, started: float, **changes) -> UpdateReport:
    return replace(report, seconds=time.perf_counter() - started, **changes)


def _rebuild_reason(index_dir: Path, rebuild: bool, stoptags: frozenset[str] | None) -> str:
    """Why the next update must be a full build ("" for incremental).

    A damaged index is an error, not a silent rebuild: damage can mean a
    failing disk, and the user should know (the remedy is ``--rebuild``).
    """
    if rebuild:
        return "rebuild requested"
    manifest = store.read_manifest(index_dir)
    if manifest is None:  # update() has checked the folder is jsearch's own
        return "no index yet"
    if manifest.get("fingerprint") != fingerprint(stoptags):
        return "the index was built with a different analysis, schema or dictionary"
    return ""


def scan(data_dir: Path) -> dict[str, tuple[Path, os.stat_result]]:
    """Post files below ``data_dir`` by id."""
    return {p.relative_to(data_dir).as_posix(): (p, st) for p, st in iter_post_files(data_dir)}


def _readable(files: dict[str, tuple[Path, os.stat_result]]) -> tuple[dict, list[Skipped]]:
    """The files whose names are text, and a skip for each other one: an id
    must be valid UTF-8 to be stored, shown and searched."""
    good, bad = {}, []
    for post_id, item in files.items():
        try:
            post_id.encode("utf-8")
        except UnicodeEncodeError:
            shown = post_id.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            bad.append(Skipped(shown, "file name is not valid UTF-8"))
            continue
        good[post_id] = item
    return good, bad


def _load(data_dir: Path, post_id: str) -> tuple[dict, FileState]:
    """The Whoosh document for one post file and its id.  Any failure to
    read or make sense of the file skips that post (:class:`PostError`),
    so that one post never stops the others."""
    try:
        raw, st = read_raw(data_dir, post_id)
        state = FileState(len(raw), st.st_mtime_ns, digest(raw))
        return post_document(parse_post(raw, post_id), state), state
    except PostError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever one post does, the others go on
        raise PostError(f"{post_id}: cannot be indexed ({exc.__class__.__name__})") from exc


def _reason(exc: PostError, post_id: str) -> str:
    msg = str(exc)
    return msg[len(post_id) + 2 :] if msg.startswith(f"{post_id}: ") else msg


def _remembered(manifest: dict | None) -> dict[str, tuple[int, int, str]]:
    """Skipped files the manifest remembers, by id: ``(size, mtime_ns,
    reason)``.  A file is read again only when its stat changes."""
    out = {}
    for post_id, value in ((manifest or {}).get("skipped") or {}).items():
        if isinstance(value, list) and len(value) == 3:
            out[post_id] = (value[0], value[1], str(value[2]))
    return out


def _same(record: tuple | None, st: os.stat_result) -> bool:
    return record is not None and record[0] == st.st_size and record[1] == st.st_mtime_ns


def _manifest(name: str, stoptags: frozenset[str] | None, skipped: dict) -> dict:
    return {
        "active": name,
        "fingerprint": fingerprint(stoptags),
        "skipped": {k: list(v) for k, v in sorted(skipped.items())},
    }


def _build(
    index_dir: Path, data_dir: Path, progress: Progress | None, procs: int, stoptags: frozenset[str] | None
) -> UpdateReport:
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
    number = max(number, store.newest_generation(index_dir) + 1)
    name = f"posts-{number}"
    ix = store.storage(index_dir).create_index(build_schema(Chains(stoptags)), indexname=name)
    files, skipped = _readable(scan(data_dir))
    added, remember = [], {}
    if procs == 0:  # automatic: several cores for corpora worth the start-up cost
        procs = min(os.cpu_count() or 1, 4) if len(files) >= PARALLEL_MIN_POSTS else 1
    if procs > 1:
        # Whoosh's multi-process writer: posts are analysed in worker
        # processes (each with its own Sudachi), one segment per worker
        writer = ix.writer(limitmb=256, procs=procs, multisegment=True, batchsize=50, codec=store.codec())
    else:
        writer = ix.writer(limitmb=256, codec=store.codec())
    try:
        for done, (post_id, (_, st)) in enumerate(files.items(), 1):
            try:
                doc, _ = _load(data_dir, post_id)
            except PostError as exc:
                skipped.append(Skipped(post_id, _reason(exc, post_id)))
                remember[post_id] = (st.st_size, st.st_mtime_ns, skipped[-1].reason)
                continue
            writer.add_document(**doc)
            added.append(post_id)
            if progress:
                progress(done, len(files))
        writer.commit()
    except BaseException:
        _stop_workers(writer)
        writer.cancel()
        raise
    finally:
        ix.close()
    store.write_manifest(index_dir, _manifest(name, stoptags, remember))
    store.remove_other_generations(index_dir, keep=name)
    return UpdateReport(added=tuple(added), skipped=tuple(skipped))


def _stop_workers(writer) -> None:
    """End the worker processes of Whoosh's multi-process writer before
    its files are removed (its own ``cancel`` leaves them running, to fail
    on the missing files with a traceback each)."""
    for task in getattr(writer, "tasks", ()):
        task.terminate()
        task.join(5)


def _incremental(
    index_dir: Path, data_dir: Path, progress: Progress | None, stoptags: frozenset[str] | None
) -> UpdateReport:
    manifest = store.read_manifest(index_dir)
    ix = store.open_generation(index_dir, manifest["active"], readonly=False)
    try:
        known = indexed_states(ix)
        files, skipped = _readable(scan(data_dir))
        remembered = _remembered(manifest)
        remember = {}
        removed = sorted(set(known) - set(files))
        todo: list[tuple[str, os.stat_result]] = []
        unchanged = 0
        for post_id, (_, st) in files.items():
            old = known.get(post_id)
            if old and old.size == st.st_size and old.mtime_ns == st.st_mtime_ns:
                unchanged += 1
            elif not old and _same(remembered.get(post_id), st):
                remember[post_id] = remembered[post_id]
                skipped.append(Skipped(post_id, remembered[post_id][2]))
            else:
                todo.append((post_id, st))
        added, updated = [], []
        writer = ix.writer(limitmb=128, codec=store.codec()) if todo or removed else None
        try:
            for post_id in removed:
                writer.delete_by_term("id", post_id)
            for done, (post_id, st) in enumerate(todo, 1):
                old = known.get(post_id)
                try:
                    doc, state = _load(data_dir, post_id)
                except PostError as exc:
                    skipped.append(Skipped(post_id, _reason(exc, post_id)))
                    remember[post_id] = (st.st_size, st.st_mtime_ns, skipped[-1].reason)
                    if old:
                        writer.delete_by_term("id", post_id)
                        removed.append(post_id)
                    continue
                if old and old.digest == state.digest:
                    unchanged += 1
                    continue
                writer.update_document(**doc)
                (updated if old else added).append(post_id)
                if progress:
                    progress(done, len(todo))
            if writer is not None:
                writer.commit(mergetype=store.merge_policy)
        except BaseException:
            if writer is not None:
                writer.cancel()
            raise
        if remember != remembered:
            store.write_manifest(index_dir, _manifest(manifest["active"], stoptags, remember))
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
    files, _ = _readable(scan(data_dir))
    if set(known) - set(files):
        return True
    remembered = _remembered(manifest)
    for post_id, (_, st) in files.items():
        old = known.get(post_id)
        if old is None:
            if not _same(remembered.get(post_id), st):
                return True
        elif old.size != st.st_size or old.mtime_ns != st.st_mtime_ns:
            return True
    return False
