"""Opening files that someone else may swap under us.

Posts and index files are opened so that a symbolic link is never followed
(``O_NOFOLLOW``, for every folder below the root as well as the file), a
FIFO or device never blocks the open (``O_NONBLOCK``), and what was opened
is checked to be a regular file (``fstat``).  A file swapped for a link,
a FIFO or a folder between listing and reading is refused, not read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = _FLAGS | os.O_DIRECTORY


class NotRegularFileError(OSError):
    """What was opened is a link, FIFO, device or folder, not a file."""


def open_regular(path: str | os.PathLike, *, dir_fd: int | None = None, writable: bool = False) -> int:
    """A descriptor of the regular file ``path`` (never a link): read-only,
    or, with ``writable``, read-write and created if missing."""
    flags = _FLAGS if not writable else (_FLAGS & ~os.O_RDONLY) | os.O_RDWR | os.O_CREAT
    try:
        fd = os.open(path, flags, 0o644, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFileError(errno.ELOOP, "is a symbolic link, not followed") from exc
        if exc.errno == errno.EISDIR:  # a folder opened for writing
            raise NotRegularFileError(errno.EISDIR, "is not a regular file") from exc
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFileError(errno.EINVAL, "is not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_below(root: Path, relative: str) -> int:
    """A descriptor of the regular file ``relative`` (a ``/``-separated
    path) below ``root``, following no link on the way below ``root``."""
    parts = relative.split("/")
    dir_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        for part in parts[:-1]:
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=dir_fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise NotRegularFileError(exc.errno, "a folder on its path is a symbolic link") from exc
                raise
            os.close(dir_fd)
            dir_fd = child
        return open_regular(parts[-1], dir_fd=dir_fd)
    finally:
        os.close(dir_fd)


def read_fd(fd: int, limit: int) -> bytes:
    """Up to ``limit`` + 1 bytes from ``fd`` (one more than allowed tells
    the caller the file grew past its limit)."""
    chunks, size = [], 0
    while size <= limit:
        chunk = os.read(fd, min(1 << 20, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def read_regular(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (see :func:`read_fd`)."""
    fd = open_regular(path)
    try:
        return read_fd(fd, limit)
    finally:
        os.close(fd)
