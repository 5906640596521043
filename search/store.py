"""The on-disk index: its manifest, its writer lock, and opening it.

An index directory holds Whoosh segments for one or more *generations*
(``posts-1``, ``posts-2``, …) and ``jsearch.json``, which names the active
generation and the fingerprint it was built with.  A full rebuild writes a
new generation beside the old one and switches ``jsearch.json`` atomically,
so readers see the old index or the new one, never a half-built one.
Incremental updates commit to the active generation through Whoosh, whose
commits are atomic too.  Writers take an ``fcntl`` lock, which the kernel
releases when a writer dies, so a killed writer never leaves a stale lock.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import json
import os
import pickle
import re
import struct
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import safeio
from .errors import (
    IndexDamagedError,
    IndexFolderError,
    IndexLockedError,
    IndexMissingError,
    IndexWriteError,
)


class BlockDamageError(ValueError):
    """A posting block whose header is garbled (Whoosh raises a bare
    ``Exception("Block tag error")``; see :func:`_patch_block_reader`)."""


#: What reading the bytes of a damaged index raises (truncated or missing
#: files, corrupt pickles or compressed records, a garbled block).  Only
#: these become IndexDamagedError while a query runs: a KeyError there is a bug.
READ_ERRORS = (
    OSError,
    EOFError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
    BlockDamageError,
)
#: What opening a damaged Whoosh index raises: also the lookup errors of
#: Whoosh decoding a garbled table of contents.  For calls that do nothing
#: but read the index's files.
DAMAGE_ERRORS = (*READ_ERRORS, KeyError, ValueError, IndexError)

MANIFEST = "jsearch.json"
LOCK = "jsearch.lock"
REMEDY = "run `jsearch index --rebuild`"
#: Seconds a writer waits for another writer's lock by default.
LOCK_TIMEOUT = 10.0


def codec():
    """Whoosh's codec without per-block length statistics.  Whoosh reads
    every new posting's field length back from disk to record them, for
    skipping blocks in top-k searches; jsearch scores every match, so the
    statistics were a tenth of the build's time for nothing."""
    from whoosh.codec.whoosh3 import W3Codec

    out = W3Codec()
    out.length_stats = False
    return out


#: The largest manifest jsearch writes is far below this.
MAX_MANIFEST_BYTES = 64 * 2**20

#: Names of the files jsearch and Whoosh create in an index folder:
#: the manifest (and its temporary copy), the lock, and each generation's
#: files (``posts-3_*``, ``_posts-3_*.toc``, Whoosh's ``posts-3.tmp``).
#: ``.gitkeep`` marks an empty folder in a repository and is left alone.
OWN_NAME = re.compile(
    r"(?:jsearch\.json|jsearch\.lock|\.jsearch\.json\.tmp|\.gitkeep"
    r"|_?(posts-\d+)_[A-Za-z0-9][A-Za-z0-9_.]*|(posts-\d+)\.tmp)\Z"
)


def read_manifest(index_dir: Path) -> dict | None:
    """The manifest, or ``None`` when there is no jsearch index here."""
    path = index_dir / MANIFEST
    try:
        data = json.loads(safeio.read_regular(path, MAX_MANIFEST_BYTES).decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as exc:
        raise IndexDamagedError(f"index manifest {path} is unreadable; {REMEDY}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("active"), str):
        raise IndexDamagedError(f"index manifest {path} is not a jsearch manifest; {REMEDY}")
    return data


def write_manifest(index_dir: Path, data: dict) -> None:
    """Replace the manifest atomically (write, fsync, rename).  An empty
    folder in its place (nothing lost by removing it) is removed first."""
    tmp = index_dir / f".{MANIFEST}.tmp"
    target = index_dir / MANIFEST
    try:
        if target.is_dir() and not target.is_symlink():
            target.rmdir()
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        raise write_error(exc, index_dir) from exc


def write_error(exc: OSError, index_dir: Path) -> IndexWriteError:
    if exc.errno == errno.ENOSPC:
        return IndexWriteError(f"no space left on device writing {index_dir}; free space and {REMEDY}")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return IndexWriteError(f"index directory {index_dir} is not writable")
    return IndexWriteError(f"cannot write index {index_dir}: {exc.strerror or exc}")


def check_index_folder(index_dir: Path, data_dir: Path | None = None) -> None:
    """Refuse to write into ``index_dir`` when it is, or lies inside, the
    data folder, or holds anything jsearch did not create.  Raises
    :class:`IndexFolderError`; nothing is written before this passes."""
    if data_dir is not None:
        index_real, data_real = index_dir.resolve(), data_dir.resolve()
        if index_real == data_real or index_real.is_relative_to(data_real):
            raise IndexFolderError(
                f"index folder {index_dir} is inside the data folder {data_dir}; "
                "give --index a folder outside it"
            )
    foreign = foreign_entries(index_dir)
    if foreign:
        shown = ", ".join(foreign[:3]) + (", …" if len(foreign) > 3 else "")
        raise IndexFolderError(
            f"{index_dir} holds files jsearch did not create ({shown}); give --index an empty or new folder"
        )


def foreign_entries(index_dir: Path) -> list[str]:
    """Names in ``index_dir`` that are not jsearch's own (see :data:`OWN_NAME`),
    escaped for display; a folder that is missing has none."""
    try:
        entries = sorted(os.scandir(index_dir), key=lambda e: e.name)
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        return [index_dir.name]
    except OSError as exc:
        raise write_error(exc, index_dir) from exc
    out = []
    for entry in entries:
        if not _is_own(entry):
            out.append(entry.name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))
    return out


def _is_own(entry: os.DirEntry) -> bool:
    match = OWN_NAME.match(entry.name)
    if match is None:
        return False
    is_dir = entry.is_dir(follow_symlinks=False)
    if match.group(2):  # Whoosh's temporary folder
        return is_dir
    if is_dir:  # an empty folder in the manifest's place loses nothing
        return entry.name == MANIFEST and not any(os.scandir(entry.path))
    return True


def describe_missing(index_dir: Path, data_dir: Path | None = None) -> Exception:
    """The error for a folder without a manifest: a folder of someone
    else's files (refused), or no index yet.  Files of a first build that
    was interrupted are jsearch's own: the next build replaces them."""
    try:
        check_index_folder(index_dir, data_dir)
    except IndexFolderError as exc:
        return exc
    return IndexMissingError(f"no index in {index_dir}; run `jsearch index` to build it")


def storage(index_dir: Path, readonly: bool = False):
    """Whoosh's file storage for ``index_dir``, opening files as
    :mod:`search.safeio` does: an index file replaced by a FIFO or a link
    is damage, not a hang."""
    return _safe_storage_class()(str(index_dir), readonly=readonly)


@functools.cache
def _safe_storage_class():
    """Whoosh's FileStorage opening files through :mod:`search.safeio`
    (built, and Whoosh's block reader patched, once per process)."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.filedb.structfile import StructFile

    class SafeFileStorage(FileStorage):
        def open_file(self, name, **kwargs):
            fd = safeio.open_regular(self._fpath(name))
            return StructFile(os.fdopen(fd, "rb"), name=name, **kwargs)

    _patch_block_reader()
    return SafeFileStorage


def open_generation(index_dir: Path, name: str, readonly: bool = True):
    """Open one Whoosh generation.  Anything that fails while its table
    of contents and segment headers are read is damage: these are files
    and pickles on disk, and garbage in them can raise almost anything."""
    from whoosh import index as windex

    try:
        return storage(index_dir, readonly=readonly).open_index(indexname=name)
    except windex.EmptyIndexError as exc:
        raise IndexDamagedError(f"index generation {name} in {index_dir} is missing; {REMEDY}") from exc
    except (*DAMAGE_ERRORS, windex.IndexError, AttributeError, TypeError, ImportError, MemoryError) as exc:
        raise damaged(index_dir, exc) from exc


def newest_generation(index_dir: Path) -> int:
    """The highest generation number with files in ``index_dir`` (0: none)."""
    numbers = [0]
    for p in index_dir.iterdir():
        match = OWN_NAME.match(p.name)
        gen = match and (match.group(1) or match.group(2))
        if gen:
            numbers.append(int(gen.split("-")[1]))
    return max(numbers)


def _patch_block_reader() -> None:
    """Make Whoosh's garbled-block error a :class:`BlockDamageError`, so
    that it is reported as damage like the others (call once: see
    :func:`_safe_storage_class`)."""
    from whoosh.codec import whoosh3

    original = whoosh3.W3LeafMatcher._read_header

    def _read_header(self, *args, **kwargs):
        try:
            return original(self, *args, **kwargs)
        except Exception as exc:
            if type(exc) is Exception and "Block tag error" in str(exc):
                raise BlockDamageError(str(exc)) from exc
            raise

    whoosh3.W3LeafMatcher._read_header = _read_header


def merge_policy(writer, segments):
    """Whoosh's merge policy for incremental commits: small segments are
    merged as Whoosh does, and everything is merged into one segment when
    deleted (replaced) posts make up a fifth of the stored ones or the
    segments pile up, so that the index stays near a fresh build's size."""
    from whoosh.writing import MERGE_SMALL, OPTIMIZE

    stored = sum(s.doc_count_all() for s in segments)
    live = sum(s.doc_count() for s in segments)
    if len(segments) > 6 or stored - live > stored / 5:
        return OPTIMIZE(writer, segments)
    return MERGE_SMALL(writer, segments)


def damaged(index_dir: Path, exc: BaseException) -> IndexDamagedError:
    """The error for an index whose files cannot be read."""
    return IndexDamagedError(f"index in {index_dir} is damaged ({exc.__class__.__name__}); {REMEDY}")


# Lock descriptors held by this process.  A child forked while one is held
# (Whoosh's multi-process writer forks) closes its copy, so that a writer
# killed mid-build does not leave its lock held by orphaned workers, and
# asks to be killed with its parent.
_held_locks: set[int] = set()


def _after_fork_in_child() -> None:
    for fd in list(_held_locks):
        try:
            os.close(fd)
        except OSError:
            pass
    if _held_locks:
        _die_with_parent()
        # Ctrl-C reaches the whole process group: the writer that holds the
        # lock reports it once, its workers stay quiet and die with it
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _held_locks.clear()


def _die_with_parent() -> None:
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


@contextmanager
def writer_lock(index_dir: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the index's single-writer lock, waiting up to ``timeout`` s."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fd = safeio.open_regular(index_dir / LOCK, writable=True)
    except safeio.NotRegularFileError as exc:
        # a link, FIFO or folder in the lock's place: --rebuild needs the
        # same lock, so the remedy is to remove it
        raise IndexDamagedError(f"{index_dir / LOCK} {exc.strerror}; remove it") from exc
    except OSError as exc:
        raise write_error(exc, index_dir) from exc
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLockedError(
                        f"another process is updating {index_dir}; try again when it has finished"
                    ) from None
                time.sleep(0.05)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        except OSError:
            pass
        _held_locks.add(fd)
        yield
    finally:
        _held_locks.discard(fd)
        os.close(fd)  # closing releases the lock


def remove_other_generations(index_dir: Path, keep: str) -> None:
    """Delete the files of generations other than ``keep`` (under the
    lock): only names jsearch's own pattern matches (:data:`OWN_NAME`).
    Readers that still have them open keep reading on POSIX systems."""
    for p in index_dir.iterdir():
        match = OWN_NAME.match(p.name)
        gen = match and match.group(1)
        if gen and gen != keep and not p.is_dir():
            try:
                p.unlink()
            except OSError:
                pass
