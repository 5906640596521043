"""The exceptions jsearch raises; the CLI maps each to one exit code.

Every error the library raises derives from :class:`JSearchError`, so an
embedding application can catch them all in one place.
"""

from __future__ import annotations


class JSearchError(Exception):
    """Base class of every error jsearch raises on purpose."""

    #: Exit code the CLI uses for this kind of error.
    exit_code = 2


class QueryError(JSearchError):
    """The query is empty, too long or malformed."""

    exit_code = 2


class ArgumentError(JSearchError):
    """An argument of the right type with a value jsearch cannot use
    (a wrong type raises ``TypeError``)."""

    exit_code = 2


class PostError(JSearchError):
    """A file could not be read or parsed as a post."""

    exit_code = 2


class DataDirError(JSearchError):
    """The data directory is missing or unreadable."""

    exit_code = 2


class SearchIndexError(JSearchError):
    """Base class of problems with the on-disk index (exit code 3)."""

    exit_code = 3


class IndexMissingError(SearchIndexError):
    """There is no index at the given location."""


class IndexDamagedError(SearchIndexError):
    """The index exists but cannot be read (truncated, foreign or corrupt)."""


class IndexLockedError(SearchIndexError):
    """Another writer holds the index lock and did not release it in time."""


class IndexFolderError(SearchIndexError):
    """The index folder holds files jsearch did not create, or lies in the
    data folder: jsearch refuses to write (or delete) anything there."""


class IndexWriteError(SearchIndexError):
    """The index could not be written (read-only directory, disk full)."""


class UnknownPostError(JSearchError):
    """A post id that the index does not hold."""

    exit_code = 1


__all__ = [
    "JSearchError",
    "QueryError",
    "ArgumentError",
    "PostError",
    "DataDirError",
    "SearchIndexError",
    "IndexMissingError",
    "IndexDamagedError",
    "IndexLockedError",
    "IndexFolderError",
    "IndexWriteError",
    "UnknownPostError",
]
