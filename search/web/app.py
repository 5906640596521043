"""The HTTP routes: a JSON API with the CLI's contract and a search page
rendered on the server.

Every handler is a plain function, so the framework runs it in a worker
thread: the engine gives each thread its own searcher, and a search sees the
last committed state of the index while the watcher updates it.  Errors map
to statuses in one place (:func:`error_status`), as the CLI maps them to
exit codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import jinja2
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from .. import __version__
from ..contract import SORTS
from ..documents import parse_post, post_markdown
from ..engine import Engine
from ..errors import (
    DataDirError,
    IndexDamagedError,
    IndexLockedError,
    IndexMissingError,
    IndexWriteError,
    JSearchError,
    QueryError,
    SearchIndexError,
    UnknownPostError,
)
from ..jsonout import result_json
from ..models import MAX_LIMIT
from . import postview, views

HERE = Path(__file__).parent

#: (status, code) by error class; the first match wins.  The statuses follow
#: the CLI's exit codes: 2 (bad input) → 400, 1 for a post id → 404,
#: 3 (index problem) → 503.
_STATUS: tuple[tuple[type[JSearchError], int, str], ...] = (
    (QueryError, 400, "bad_query"),
    (UnknownPostError, 404, "unknown_post"),
    (IndexMissingError, 503, "index_missing"),
    (IndexDamagedError, 503, "index_damaged"),
    (IndexLockedError, 503, "index_locked"),
    (IndexWriteError, 503, "index_not_writable"),
    (SearchIndexError, 503, "index_problem"),
    (DataDirError, 503, "data_folder_missing"),  # the served folder went away
    (JSearchError, 400, "bad_input"),
)

Sort = Literal[SORTS]
Limit = Annotated[int, Query(ge=0, le=MAX_LIMIT, description="Hits to return (as `--limit`).")]
PostId = Annotated[str, "a post id: its path below the data folder"]


def error_status(exc: BaseException) -> tuple[int, str, str]:
    """``(status, code, message)`` for an exception; anything that is not a
    :class:`JSearchError` is a bug in jsearch and says so."""
    for cls, status, code in _STATUS:
        if isinstance(exc, cls):
            return status, code, str(exc)
    return 500, "internal_error", f"internal error (a bug in jsearch): {exc.__class__.__name__}: {exc}"


def create_app(engine: Engine, *, watching: bool = False) -> FastAPI:
    """The application serving ``engine``; ``watching`` is reported by
    ``/api/health`` (the server keeps the index current)."""
    app = FastAPI(
        title="jsearch",
        version=__version__,
        description="Full-text search for Japanese posts: the JSON API behind `jsearch serve`.",
        docs_url=None,  # Swagger UI would load its scripts from a CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    templates = Jinja2Templates(env=_environment())
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def failure(request: Request, exc: BaseException) -> Response:
        status, code, message = error_status(exc)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message, "code": code}, status_code=status)
        context = {"message": message, "status": status, "q": request.query_params.get("q", "")}
        return templates.TemplateResponse(request, "error.html", context, status_code=status)

    @app.exception_handler(JSearchError)
    def on_error(request: Request, exc: JSearchError) -> Response:
        return failure(request, exc)

    @app.exception_handler(RequestValidationError)
    def on_bad_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:])
        message = f"{where}: {first.get('msg', 'invalid value')}" if where else "invalid request"
        return failure(request, QueryError(message))

    @app.exception_handler(Exception)
    def on_bug(request: Request, exc: Exception) -> Response:
        return failure(request, exc)

    # --- the JSON API ------------------------------------------------------

    @app.get("/api/search", tags=["api"], summary="Search (the document `jsearch query --json` prints)")
    def api_search(
        q: Annotated[str, Query(description="The query (see the README for the syntax).")],
        limit: Limit = 10,
        offset: Annotated[int, Query(ge=0)] = 0,
        sort: Sort = "relevance",
        facets: bool = False,
        all: Annotated[bool, Query(description="Require every word (as `--all`).")] = False,
        synonyms: bool = True,
    ) -> Response:
        result = engine.search(
            q, limit=limit, offset=offset, sort=sort, facets=facets, require_all=all, synonyms=synonyms
        )
        return Response(result_json(result), media_type="application/json")

    @app.get("/api/similar/{post_id:path}", tags=["api"], summary="Posts most like one post")
    def api_similar(post_id: PostId, limit: Limit = 10) -> Response:
        return Response(result_json(engine.similar(post_id, limit=limit)), media_type="application/json")

    @app.get("/api/posts/{post_id:path}", tags=["api"], summary="One post's metadata and text")
    def api_post(post_id: PostId) -> dict:
        hit, raw = postview.source(engine, post_id)
        meta = {k: v for k, v in hit.to_json().items() if k not in ("score", "passages", "missing")}
        return {**meta, "text": parse_post(raw, post_id).body, "markdown": post_markdown(raw, post_id)}

    @app.get("/api/health", tags=["api"], summary="Post count, index generation, staleness")
    def api_health() -> dict:
        return {
            "status": "ok",
            "posts": engine.post_count(),
            "generation": engine.generation(),
            "stale": engine.is_stale(),
            "watching": watching,
        }

    # --- pages -------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def search_page(
        request: Request,
        q: str = "",
        page: Annotated[int, Query(ge=1)] = 1,
        sort: Sort = "relevance",
        limit: Annotated[int, Query(ge=1, le=views.MAX_PAGE_SIZE)] = views.PAGE_SIZE,
    ) -> Response:
        context = {"q": q, "sort": sort, "limit": limit, "result": None}
        if q.strip():
            offset = (page - 1) * limit
            result = engine.search(q, limit=limit, offset=offset, sort=sort, facets=True)
            context |= {"result": result, "paging": views.paging(result.total, page, limit)}
        return templates.TemplateResponse(request, "search.html", context)

    @app.get("/posts/{post_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def post_page(request: Request, post_id: str, q: str = "", at: int | None = None) -> Response:
        hit, raw = postview.source(engine, post_id)
        words, anchor = _matches(engine, post_id, q, at)
        body = postview.render(post_markdown(raw, post_id), words, anchor)
        context = {"hit": hit, "body": body, "q": q, "anchored": bool(anchor)}
        return templates.TemplateResponse(request, "post.html", context)

    return app


def _matches(engine: Engine, post_id: str, q: str, at: int | None) -> tuple[set[str], str]:
    """The words the results page highlighted in this post for ``q``, and
    the text of its passage number ``at`` (what was clicked)."""
    if not q.strip():
        return set(), ""
    try:
        passages = engine.hit(q, post_id).passages
    except QueryError:
        return set(), ""
    words = {p.text[a:b] for p in passages for a, b in p.highlights}
    anchor = passages[at].text if at is not None and 0 <= at < len(passages) else ""
    return words, anchor


def _environment() -> jinja2.Environment:
    """Templates with autoescaping on for every file, whatever its name."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.Undefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        segments=views.segments,
        search_url=views.search_url,
        post_url=views.post_url,
        refine=views.refine,
        sorts=(("relevance", "関連度順"), ("-date", "新しい順"), ("date", "古い順")),
    )
    return env
