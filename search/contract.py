"""The arguments of :class:`search.Engine`'s public methods, checked in
one place.

The rule: an argument of the wrong type raises ``TypeError``, as Python
code expects; a value of the right type that jsearch cannot use raises a
:class:`~search.errors.JSearchError` subclass: :class:`QueryError` for
the arguments of a search (query, limit, offset, passages, sort),
:class:`ArgumentError` for the others.  Each public method checks its
arguments with one call to :func:`check`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

from .errors import ArgumentError, QueryError
from .models import MAX_LIMIT, Settings

#: Most passages one hit may carry.
MAX_PASSAGES = 50
#: Orders of hits: best first, oldest first, newest first.
SORTS = ("relevance", "date", "-date")


def _type(name: str, value: object, types: tuple[type, ...], what: str) -> None:
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise TypeError(f"{name} must be {what}, not {type(value).__name__}")


def _text(name: str, value: object) -> None:
    _type(name, value, (str,), "str")


def _optional_text(name: str, value: object) -> None:
    if value is not None:
        _text(name, value)


def _flag(name: str, value: object) -> None:
    _type(name, value, (bool,), "bool")


def _count(low: int, high: int, error: type[Exception]) -> Callable[[str, object], None]:
    def check(name: str, value: object) -> None:
        _type(name, value, (int,), "int")
        if not low <= value <= high:
            raise error(f"{name} must be between {low} and {high}, not {value}")

    return check


def _seconds(name: str, value: object) -> None:
    _type(name, value, (int, float), "a number of seconds")
    if not (math.isfinite(value) and value >= 0):
        raise ArgumentError(f"{name} must be a finite number of seconds, not {value}")


def _optional_seconds(name: str, value: object) -> None:
    if value is not None:
        _seconds(name, value)


def _path(name: str, value: object) -> None:
    _type(name, value, (str, os.PathLike), "a str or path")


def _optional_path(name: str, value: object) -> None:
    if value is not None:
        _path(name, value)


def _sort(name: str, value: object) -> None:
    _text(name, value)
    if value not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}, not {value!r}")


def _callable(name: str, value: object) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None, not {type(value).__name__}")


def _stoptags(name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be an iterable of str, not {type(value).__name__}")
    for tag in value:
        _text(f"each of {name}", tag)


def _settings(name: str, value: object) -> None:
    if value is not None:
        _type(name, value, (Settings,), "Settings")


_CHECKS: dict[str, Callable[[str, object], None]] = {
    "query": _text,
    "text": _text,
    "post_id": _text,
    "optional_post_id": _optional_text,
    "field": _optional_text,
    "limit": _count(0, MAX_LIMIT, QueryError),
    "offset": _count(0, 10**9, QueryError),
    "passages": _count(0, MAX_PASSAGES, QueryError),
    "sort": _sort,
    "require_all": _flag,
    "synonyms": _flag,
    "facets": _flag,
    "suggest": _flag,
    "rebuild": _flag,
    "procs": _count(0, 64, ArgumentError),
    "progress": _callable,
    "lock_timeout": _seconds,
    "optional_lock_timeout": _optional_seconds,
    "index_dir": _path,
    "data_dir": _path,
    "queries_path": _path,
    "synonyms_file": _optional_path,
    "settings": _settings,
    "stoptags": _stoptags,
}


def check(**arguments: object) -> None:
    """Check each argument by its name (see the module's rule).  A name
    may carry a prefix saying how it is checked: ``optional_post_id``."""
    for name, value in arguments.items():
        shown = name.removeprefix("optional_")
        _CHECKS[name](shown, value)
