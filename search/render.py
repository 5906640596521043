"""Rendering results for people in a terminal (Rich)."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from rich.console import Console
from rich.text import Text

from .models import Passage, SearchResult
from .terminal import clean


def reader_gone() -> NoReturn:
    """Standard output's reader stopped early (``jsearch query … | head``):
    end the command with success, as the output was not wanted; exit 1
    would read as "no hits"."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # nothing more reaches the closed pipe
    raise SystemExit(0)


class StdoutConsole(Console):
    """Rich's console for standard output, ending as :func:`reader_gone`
    does when its reader stops early (Rich's own handler exits 1)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        reader_gone()


def passage_text(p: Passage) -> Text:
    """A passage with its highlights in bold yellow."""
    out = Text()
    pos = 0
    for a, b in p.highlights:
        out.append(clean(p.text[pos:a]))
        out.append(clean(p.text[a:b]), style="bold yellow")
        pos = b
    out.append(clean(p.text[pos:]))
    return out


def render_result(result: SearchResult, console: Console | None = None) -> None:
    """The hits for people; a page past the end or of no hits still says
    how many posts match."""
    console = console or StdoutConsole(highlight=False, soft_wrap=False)
    if result.facets:
        render_facets(result.facets, console)
    first = result.offset + 1
    last = result.offset + len(result.hits)
    took = f"{result.took_ms:.0f} ms"
    if not result.hits:
        if result.total:
            console.print(
                f"[dim]{result.total} posts match; none shown from {first} on ({took})[/dim]",
                highlight=False,
            )
        return
    if result.suggestion:
        console.print(
            Text.assemble(("did you mean ", "dim"), (clean(result.suggestion), "bold"), ("?", "dim"))
        )
    console.print(f"[dim]{result.total} posts match; showing {first}–{last} ({took})[/dim]")
    if all(hit.missing for hit in result.hits):
        console.print(Text("no post shown contains all the words; each says what it lacks", style="dim"))
    console.print()
    for rank, hit in enumerate(result.hits, first):
        head = Text()
        head.append(f"{rank}. ", style="bold")
        head.append(clean(hit.title), style="bold cyan")
        console.print(head)
        meta = [clean(hit.id)]
        if hit.date:
            meta.append(hit.date.date().isoformat())
        if hit.tags:
            meta.append(clean(", ".join(hit.tags)))
        meta.append(f"score {hit.score:.2f}")
        console.print(Text("   " + " · ".join(meta), style="dim"))
        if hit.missing:
            console.print(Text("   missing: " + clean(" ".join(hit.missing)), style="dim"))
        for p in hit.passages:
            if p.heading:
                console.print(Text(f"   § {clean(p.heading)}", style="green"))
            line = Text("     ")
            line.append_text(passage_text(p))
            console.print(line)
        console.print()


def render_facets(facets: dict[str, dict[str, int]], console: Console) -> None:
    from rich.table import Table

    for name, counts in facets.items():
        if not counts:
            continue
        table = Table(name, "posts", box=None, pad_edge=False)
        for value, n in list(counts.items())[:10]:
            table.add_row(Text(clean(value)), str(n))
        console.print(table)
    console.print()
