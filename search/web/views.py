"""What the search page shows, computed from results: highlighted text as
segments, links that refine or page a query.  Templates escape every value;
nothing here builds HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from ..models import Passage

#: Hits per page on the search page, unless the URL asks for another number.
PAGE_SIZE = 10
#: Largest page the search page shows (the API allows the engine's maximum).
MAX_PAGE_SIZE = 100
#: Pages linked around the current one.
PAGE_LINKS = 5

# a filter value with one of these must be quoted: tag:"Google Cloud"
_NEEDS_QUOTES = re.compile(r"[\s():\"「」『』（）：]")


@dataclass(frozen=True)
class Segment:
    """A piece of passage text; ``mark`` when it is a highlight."""

    text: str
    mark: bool = False


def segments(passage: Passage) -> tuple[Segment, ...]:
    """The passage's text cut at its highlight spans, in order."""
    out = []
    pos = 0
    for start, end in passage.highlights:
        if start > pos:
            out.append(Segment(passage.text[pos:start]))
        out.append(Segment(passage.text[start:end], True))
        pos = end
    if pos < len(passage.text):
        out.append(Segment(passage.text[pos:]))
    return tuple(out)


def search_url(q: str, *, page: int = 1, sort: str = "relevance", limit: int = PAGE_SIZE) -> str:
    """The search page's URL for one state; defaults are left out."""
    params: dict[str, object] = {"q": q}
    if page > 1:
        params["page"] = page
    if sort != "relevance":
        params["sort"] = sort
    if limit != PAGE_SIZE:
        params["limit"] = limit
    return "/?" + urlencode(params)


def post_url(post_id: str, q: str = "", at: int | None = None) -> str:
    """The post view's URL; with ``at``, scrolled to that passage of the hit."""
    params: dict[str, object] = {}
    if q:
        params["q"] = q
    if at is not None:
        params["at"] = at
    tail = ("?" + urlencode(params)) if params else ""
    return f"/posts/{quote(post_id, safe='/')}{tail}{'#passage' if at is not None else ''}"


def refine(q: str, name: str, value: str) -> str:
    """``q`` with a ``name:value`` filter added (once)."""
    term = f'{name}:"{value}"' if _NEEDS_QUOTES.search(value) else f"{name}:{value}"
    if term in q.split():
        return q
    return f"{q.strip()} {term}".strip()


@dataclass(frozen=True)
class Paging:
    """Where one page sits among all the hits of a query."""

    page: int
    pages: int
    first: int  # rank of the first hit shown, from 1
    last: int
    numbers: tuple[int, ...]  # pages linked around this one

    @property
    def prev(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None


def paging(total: int, page: int, limit: int) -> Paging:
    """Paging for ``total`` hits shown ``limit`` at a time."""
    pages = max(1, -(-total // limit)) if limit else 1
    low = max(1, min(page - PAGE_LINKS // 2, pages - PAGE_LINKS + 1))
    high = min(pages, low + PAGE_LINKS - 1)
    first = (page - 1) * limit + 1
    return Paging(page, pages, first, min(total, page * limit), tuple(range(low, high + 1)))
