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
import json
import os
import pickle
import struct
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import (
    IndexDamagedError,
    IndexLockedError,
    IndexMissingError,
    IndexWriteError,
)

#: What reading the bytes of a damaged index raises (truncated or missing
#: files, corrupt pickles or compressed records).  Only these become
#: IndexDamagedError while a query runs: a KeyError there is a bug.
READ_ERRORS = (
    OSError,
    EOFError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
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


def read_manifest(index_dir: Path) -> dict | None:
    """The manifest, or ``None`` when there is no jsearch index here."""
    path = index_dir / MANIFEST
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise IndexDamagedError(f"index manifest {path} is unreadable; {REMEDY}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("active"), str):
        raise IndexDamagedError(f"index manifest {path} is not a jsearch manifest; {REMEDY}")
    return data


def write_manifest(index_dir: Path, data: dict) -> None:
    """Replace the manifest atomically (write, fsync, rename)."""
    tmp = index_dir / f".{MANIFEST}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, index_dir / MANIFEST)
    except OSError as exc:
        raise write_error(exc, index_dir) from exc


def write_error(exc: OSError, index_dir: Path) -> IndexWriteError:
    if exc.errno == errno.ENOSPC:
        return IndexWriteError(f"no space left on device writing {index_dir}; free space and {REMEDY}")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return IndexWriteError(f"index directory {index_dir} is not writable")
    return IndexWriteError(f"cannot write index {index_dir}: {exc.strerror or exc}")


def describe_missing(index_dir: Path) -> Exception:
    """The error for a directory without a manifest: missing or foreign."""
    if index_dir.is_dir() and any(
        p.name not in (".gitkeep", LOCK) and not p.name.startswith(".") for p in index_dir.iterdir()
    ):
        return IndexDamagedError(f"{index_dir} does not hold a jsearch index; {REMEDY}")
    return IndexMissingError(f"no index in {index_dir}; run `jsearch index` to build it")


def open_generation(index_dir: Path, name: str, readonly: bool = True):
    """Open one Whoosh generation."""
    from whoosh import index as windex
    from whoosh.filedb.filestore import FileStorage

    try:
        return FileStorage(str(index_dir), readonly=readonly).open_index(indexname=name)
    except windex.EmptyIndexError as exc:
        raise IndexDamagedError(f"index generation {name} in {index_dir} is missing; {REMEDY}") from exc
    except DAMAGE_ERRORS as exc:
        raise damaged(index_dir, exc) from exc


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
        fd = os.open(index_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
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


def generation_files(index_dir: Path, name: str) -> list[Path]:
    """Files that belong to Whoosh generation ``name``."""
    prefix = f"_{name}_"
    return [p for p in index_dir.iterdir() if p.name.startswith(prefix) or p.name.startswith(f"{name}_")]


def remove_other_generations(index_dir: Path, keep: str) -> None:
    """Delete files of generations other than ``keep`` (under the lock).
    Readers that still have them open keep reading on POSIX systems."""
    for p in index_dir.iterdir():
        if p.name.startswith(("_posts-", "posts-")) and not (
            p.name.startswith(f"_{keep}_") or p.name.startswith(f"{keep}_")
        ):
            try:
                p.unlink()
            except OSError:
                pass
