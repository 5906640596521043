"""The ``jsearch`` command line: a thin layer over :class:`search.Engine`.

Exit codes follow grep: 0 hits found (or success), 1 no hits, 2 bad usage
or input, 3 index problems; 70 (EX_SOFTWARE) is a bug in jsearch.  Errors
are one line on stderr, no traceback.
Rich is imported only when output is rendered for people.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperCommand

from .errors import IndexFolderError, IndexLockedError, IndexWriteError, JSearchError
from .models import MAX_LIMIT
from .store import LOCK_TIMEOUT
from .terminal import clean

#: Exit code of an unexpected failure, a bug in jsearch (sysexits' EX_SOFTWARE).
INTERNAL_ERROR = 70

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Full-text search for Japanese posts.",
    pretty_exceptions_enable=False,
)


class QueryCommand(TyperCommand):
    """A command whose argument is a query, which may begin with an
    exclusion (``jsearch query "-冷却 液浸"``): a token that starts with ``-``
    but holds a space or a non-ASCII character is query text, not an
    option, as no option is spelled that way."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if "--" not in args:
            texts = [a for a in args if _is_query_text(a)]
            if texts:
                args = [a for a in args if not _is_query_text(a)] + ["--", *texts]
        return super().parse_args(ctx, args)


def _is_query_text(arg: str) -> bool:
    return arg.startswith("-") and (not arg.isascii() or any(c.isspace() for c in arg))


def _emit(text: str) -> None:
    """Write to standard output now; a reader that stopped early (… | head)
    ends the command with success (see ``render.reader_gone``)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        from .render import reader_gone

        reader_gone()


def _emit_json(value) -> None:
    from .jsonout import dumps

    _emit(dumps(value) + "\n")


DataOpt = Annotated[
    Path, typer.Option("--data", envvar="JSEARCH_DATA", help="Folder of posts (env JSEARCH_DATA).")
]
IndexOpt = Annotated[
    Path, typer.Option("--index", envvar="JSEARCH_INDEX", help="Index folder (env JSEARCH_INDEX).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document to stdout.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary on stderr.")]


def say(message: str) -> None:
    """One line on stderr, control characters escaped (see ``terminal``)."""
    sys.stderr.write(f"jsearch: {clean(message)}\n")


def fail(message: str, code: int) -> typer.Exit:
    say(message)
    return typer.Exit(code)


def _engine(index: Path, data: Path, *, searches: bool = True):
    """The engine of a command; one that ``searches`` reads the own
    synonyms file named by ``JSEARCH_SYNONYMS`` (indexing never uses it)."""
    from .engine import Engine

    text = os.environ.get("JSEARCH_LOCK_TIMEOUT", str(LOCK_TIMEOUT))
    try:
        timeout = float(text)
    except ValueError:
        timeout = -1.0
    if not 0 <= timeout < float("inf"):
        raise fail(f"JSEARCH_LOCK_TIMEOUT must be a number of seconds, not {text!r}", 2)
    synonyms = (os.environ.get("JSEARCH_SYNONYMS") or None) if searches else None
    return Engine(index_dir=index, data_dir=data, lock_timeout=timeout, synonyms_file=synonyms)


def _progress_bar(quiet: bool):
    """A Rich progress callback on stderr, or None when not wanted."""
    if quiet or not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("index", total=None, rate="")
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        rate = done / max(time.perf_counter() - started, 1e-6)
        bar.update(task, completed=done, total=total, rate=f"{rate:.0f} posts/s")

    return bar, progress


def _run_update(engine, *, rebuild: bool, quiet: bool, lock_timeout: float | None = None):
    bar, progress = _progress_bar(quiet)
    if bar is None:
        return engine.update(rebuild=rebuild, lock_timeout=lock_timeout)
    with bar:
        return engine.update(rebuild=rebuild, progress=progress, lock_timeout=lock_timeout)


def _summary(report) -> str:
    parts = [
        f"{len(report.added)} added",
        f"{len(report.updated)} updated",
        f"{len(report.removed)} removed",
        f"{report.unchanged} unchanged",
    ]
    if report.skipped:
        parts.append(f"{len(report.skipped)} skipped")
    head = "rebuilt index" if report.rebuilt else "updated index"
    why = f" ({report.reason})" if report.rebuilt and report.reason else ""
    return f"{head}{why}: {', '.join(parts)} in {report.seconds:.2f}s"


@app.command(cls=QueryCommand)
def query(
    text: Annotated[str, typer.Argument(help="What to search for (see README for the syntax).")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, max=MAX_LIMIT, help="Hits to show.")] = 10,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Hits to skip (paging).")] = 0,
    require_all: Annotated[bool, typer.Option("--all", help="Require every word.")] = False,
    no_synonyms: Annotated[bool, typer.Option("--no-synonyms", help="Do not expand synonyms.")] = False,
    no_refresh: Annotated[
        bool, typer.Option("--no-refresh", help="Do not update a stale index first.")
    ] = False,
    sort: Annotated[
        str, typer.Option("--sort", help="relevance, date (oldest first) or -date.")
    ] = "relevance",
    facets: Annotated[
        bool, typer.Option("--facets", help="Count tags and categories over all hits.")
    ] = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    data: DataOpt = Path("data"),
    index: IndexOpt = Path("index"),
) -> None:
    """Search the posts; best matches first, with highlighted passages."""
    if not text.strip():
        raise fail("empty query: give some words to search for", 2)
    from .syntax import parse

    parse(text)  # a malformed query is an error before any index work
    with _engine(index, data) as engine:
        _ensure_index(engine, refresh=not no_refresh, quiet=quiet or as_json)
        result = engine.search(
            text,
            limit=limit,
            offset=offset,
            require_all=require_all,
            synonyms=not no_synonyms,
            sort=sort,
            facets=facets,
        )
    _show(result, as_json)
    if not result.total:
        if not as_json:
            hint = f"; did you mean {result.suggestion!r}?" if result.suggestion else ""
            say(f"no posts match {text!r}{hint}")
        raise typer.Exit(1)


def _show(result, as_json: bool) -> None:
    if as_json:
        from .jsonout import result_json

        _emit(result_json(result) + "\n")
    else:
        from .render import render_result

        render_result(result)


@app.command()
def similar(
    post_id: Annotated[str, typer.Argument(help="Id of a post (its path below the data folder).")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, max=MAX_LIMIT, help="Posts to show.")] = 10,
    as_json: JsonOpt = False,
    data: DataOpt = Path("data"),
    index: IndexOpt = Path("index"),
) -> None:
    """List the posts most similar to one post."""
    with _ready_engine(index, data, quiet=as_json) as engine:
        result = engine.similar(post_id, limit=limit)
    _show(result, as_json)
    if not result.total:
        raise typer.Exit(1)


@contextmanager
def _ready_engine(index: Path, data: Path, *, quiet: bool, refresh: bool = True) -> Iterator:
    """An engine whose index exists and, with ``refresh``, is up to date
    with ``data``."""
    with _engine(index, data) as engine:
        _ensure_index(engine, refresh=refresh, quiet=quiet)
        yield engine


def _ensure_index(engine, *, refresh: bool, quiet: bool) -> None:
    """Build a missing index; with ``refresh``, update a stale one first.

    Readers are never blocked: when another process holds the writer lock
    (or the index cannot be written), the query is answered from the last
    committed index, with a note on stderr.
    """
    index, data = engine.index_dir, engine.data_dir
    if not engine.exists():
        from .store import describe_missing

        problem = describe_missing(index, data)
        if isinstance(problem, IndexFolderError):
            raise problem  # a folder of someone else's files: do not write into it
        if not data.is_dir():
            what = "is not a folder" if data.exists() else "does not exist"
            raise fail(f"no index in {index}, and the data directory {data} {what}", 3)
        _note_skipped(_run_update(engine, rebuild=False, quiet=quiet), quiet)
        return
    if not (refresh and data.is_dir() and engine.is_stale()):
        return
    try:
        report = _run_update(engine, rebuild=False, quiet=quiet, lock_timeout=0.0)
    except (IndexLockedError, IndexWriteError) as exc:
        if not quiet:
            say(f"{exc}; answering from the last committed index")
        return
    if not quiet:
        sys.stderr.write(clean(_summary(report)) + "\n")


def _note_skipped(report, quiet: bool) -> None:
    if quiet:
        return
    for s in report.skipped:
        say(f"skipped {s.id}: {s.reason}")


@app.command("index")
def index_cmd(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Rebuild from scratch.")] = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    data: DataOpt = Path("data"),
    index: IndexOpt = Path("index"),
) -> None:
    """Bring the index up to date with the data folder.

    Exit code 0 when every post was indexed, 1 when some files were
    skipped (each is listed with its reason).
    """
    with _engine(index, data, searches=False) as engine:
        report = _run_update(engine, rebuild=rebuild, quiet=quiet or as_json)
    if as_json:
        _emit_json(report.to_json())
    elif not quiet:
        _note_skipped(report, False)
        sys.stderr.write(clean(_summary(report)) + "\n")
    if report.skipped:
        raise typer.Exit(1)


@app.command()
def analyze(
    text: Annotated[str, typer.Argument(help="Text to analyse.")],
    field: Annotated[
        str | None, typer.Option("--field", "-f", help="body, parts, reading or ngram (default: all).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the terms each field's analysis chain emits for TEXT."""
    from dataclasses import asdict

    from .introspect import analyze as run_analyze

    terms = run_analyze(text, field)
    if as_json:
        _emit_json([asdict(t) for t in terms])
        return
    from rich.table import Table

    from .render import StdoutConsole

    table = Table(
        "field", "term", "pos", "start", "end", "surface", "part of speech", "normalised", "reading"
    )
    for t in terms:
        table.add_row(
            t.field,
            t.term,
            str(t.position),
            str(t.start),
            str(t.end),
            t.surface,
            t.pos,
            t.normalized,
            t.reading,
        )
    StdoutConsole().print(table)


@app.command(cls=QueryCommand)
def explain(
    text: Annotated[str, typer.Argument(help="The query to explain.")],
    post_id: Annotated[str | None, typer.Option("--id", help="Explain this post's score.")] = None,
    no_synonyms: Annotated[bool, typer.Option("--no-synonyms", help="Do not expand synonyms.")] = False,
    as_json: JsonOpt = False,
    data: DataOpt = Path("data"),
    index: IndexOpt = Path("index"),
) -> None:
    """Show how QUERY is parsed, expanded and weighted (and why a post scored)."""
    from dataclasses import asdict

    with _ready_engine(index, data, quiet=as_json) as engine:
        info = engine.explain(text, post_id=post_id, synonyms=not no_synonyms)
    if as_json:
        _emit_json(asdict(info))
        return
    from .render import StdoutConsole

    console = StdoutConsole(highlight=False)
    console.print("[bold]units[/bold] (a post that matches one is ranked by the share it covers):")
    for u in info.units:
        score = f"  [cyan]score {u.score:.3f}[/cyan]" if u.score is not None else ""
        role = (
            f" [dim](part, × {u.weight:g})[/dim]"
            if u.part
            else f" [dim](modifier, × {u.weight:g})[/dim]"
            if u.modifier
            else ""
        )
        console.print(f"  [bold]{u.text}[/bold]{role}{score}")
        for c in u.clauses:
            console.print(f"      {c}")
        if u.synonyms:
            console.print(f"      synonyms: {', '.join(u.synonyms)}")
        if u.spelled:
            weight = engine.settings.weight("reading")
            console.print(f"      spelled in the posts: {', '.join(u.spelled)} (as typed, × {weight:g})")
    if info.excluded:
        console.print(f"[bold]excluded:[/bold] {', '.join(info.excluded)}")
    if info.post_id:
        state = "matches" if info.matched else "does not match"
        factor = ""
        if info.coordination is not None:
            factor = (
                f" ((units' sum, modifiers × {engine.settings.modifier_weight:g},"
                f" + proximity {info.proximity or 0.0:.3f} + best section {info.section or 0.0:.3f})"
                f" × coordination {info.coordination:.2f})"
            )
        console.print(f"[bold]{info.post_id}[/bold] {state}; total score {info.total_score:.3f}{factor}")
    console.print(f"[dim]{info.query}[/dim]")


@app.command("eval")
def eval_cmd(
    queries: Annotated[Path, typer.Argument(help="Judged queries, JSON lines.", exists=True, dir_okay=False)],
    as_json: JsonOpt = False,
    data: DataOpt = Path("data"),
    index: IndexOpt = Path("index"),
) -> None:
    """Relevance of the engine on judged queries: MRR@10, nDCG@10, Recall@10."""
    with _ready_engine(index, data, quiet=as_json) as engine:
        report = engine.evaluate(queries)
    if as_json:
        _emit_json(report.to_json())
        return
    from rich.table import Table

    from .render import StdoutConsole

    table = Table("kind", "queries", "MRR@10", "nDCG@10", "Recall@10")
    for kind, m in [*report.by_kind.items(), ("all", report.overall)]:
        table.add_row(
            kind, str(m["queries"]), f"{m['mrr@10']:.3f}", f"{m['ndcg@10']:.3f}", f"{m['recall@10']:.3f}"
        )
    console = StdoutConsole(highlight=False)
    console.print(table)
    console.print("[bold]worst queries[/bold]")
    for s in report.worst(10):
        console.print(
            f"  {s.id} {s.q!r} ({s.kind}) nDCG {s.ndcg:.2f} → {', '.join(s.returned[:3]) or 'nothing'}"
        )


@app.command()
def watch(
    debounce: Annotated[float, typer.Option("--debounce", help="Seconds of quiet before updating.")] = 0.5,
    data: DataOpt = Path("data"),
    index: IndexOpt = Path("index"),
) -> None:
    """Keep the index current as posts change; one line per update. Ctrl-C stops."""
    from .indexer import check_data_dir
    from .watch import Watcher

    check_data_dir(data)

    say(f"watching {data} (index {index}); Ctrl-C to stop")
    with _engine(index, data, searches=False) as engine:
        try:
            Watcher(engine, _show_update, _warn, debounce=debounce).run()
        except KeyboardInterrupt:
            sys.stderr.write("jsearch: stopped\n")


def _show_update(report) -> None:
    """One line for an index update made while watching."""
    line = _summary(report)
    changed = [*report.added, *report.updated, *report.removed]
    if changed:
        line += ": " + ", ".join(changed[:5]) + (" …" if len(changed) > 5 else "")
    _emit(clean(line) + "\n")
    _note_skipped(report, False)


def _warn(exc: JSearchError) -> None:
    say(str(exc))


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0: any free one).")] = 8000,
    no_watch: Annotated[
        bool, typer.Option("--no-watch", help="Do not update the index while serving.")
    ] = False,
    data: DataOpt = Path("data"),
    index: IndexOpt = Path("index"),
) -> None:
    """Serve a search page and a JSON API over HTTP (needs jsearch[serve]). Ctrl-C stops."""
    try:
        from .web import server
    except ImportError as exc:
        hint = f"serving needs the serve extra ({exc.name} is missing): pip install 'jsearch[serve]'"
        raise fail(hint, 2) from None
    if not no_watch:
        from .indexer import check_data_dir

        check_data_dir(data)
    # the watcher brings a stale index up to date as soon as it starts
    with _ready_engine(index, data, quiet=False, refresh=no_watch) as engine:
        try:
            sock = server.bind(host, port)
        except OSError as exc:
            raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 2) from None
        watching = "" if no_watch else ", watching for changes"
        say(f"serving {data} at {server.url_of(sock)} (index {index}{watching}); Ctrl-C to stop")
        server.serve(engine, sock, watch=not no_watch, on_update=_show_update, on_error=_warn)
    sys.stderr.write("jsearch: stopped\n")


def main() -> None:
    """Console-script entry point: maps library errors to exit codes, and
    usage errors to one line (Click's own handling draws a box)."""
    try:
        code = app(standalone_mode=False)
    except JSearchError as exc:
        say(str(exc))
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # Click's usage errors
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":
            _emit(ctx.get_help() + "\n")
        else:
            hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            say(f"{exc.format_message()}{hint}")
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        code = 130
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        if os.environ.get("JSEARCH_DEBUG"):
            raise
        say(f"internal error: {exc.__class__.__name__}: {exc} (set JSEARCH_DEBUG=1 for details)")
        sys.exit(INTERNAL_ERROR)
    if code == 130:  # Ctrl-C (Typer turns it into exit code 130)
        say("interrupted")
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
