"""``jsearch serve``: a search page and a JSON API over :class:`search.Engine`.

Modules: :mod:`.app` (routes), :mod:`.views` (what the templates show),
:mod:`.postview` (finding and rendering one post), :mod:`.server` (uvicorn
and the watcher).  The server stack (FastAPI, uvicorn, Jinja2) is the
``serve`` extra and is imported only by ``jsearch serve``, never by a plain
query.
"""
