"""jsearch: full-text search for Japanese posts.

    >>> from search import Engine
    >>> with Engine(index_dir="index", data_dir="data") as engine:
    ...     engine.update()
    ...     result = engine.search("液浸冷却", limit=10)

Names are imported lazily so that ``import search`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .engine import Engine
    from .models import Hit, Passage, SearchResult, UpdateReport

__all__ = ["Engine", "Hit", "Passage", "SearchResult", "UpdateReport", "errors", "__version__"]


def __getattr__(name: str):
    if name == "Engine":
        from .engine import Engine

        return Engine
    if name in ("Hit", "Passage", "SearchResult", "UpdateReport", "Skipped", "TermInfo", "Settings"):
        from . import models

        return getattr(models, name)
    if name == "errors":
        from . import errors

        return errors
    raise AttributeError(f"module 'search' has no attribute {name!r}")
