"""Passages: the pieces of a post that show why it matched.

The body's readable passages (paragraphs, or runs of whole sentences of
roughly 80–200 characters) were cut at indexing (:mod:`search.passages`).
Passages are pre-selected with a cheap string probe, and only the few
candidates are analysed with Sudachi, so highlighting costs a few short
analyses per hit (one more than the passages shown) instead of a pass over
the whole post.  Spans are computed on the original passage text from the
analyser's character offsets, so they stay exact whatever normalisation
did.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence

from .analysis import Chains, fold
from .models import Passage, Settings
from .passages import split_passages
from .records import Record
from .units import Unit, unit_weights

#: Passages analysed, at most, to find a kana query's kanji text in one post.
BLIND_SCAN = 40

_TRAILING_KANA = re.compile(r"[\u3041-\u309fー]+$")


def unit_keys(unit: Unit) -> set[str]:
    """Strings whose presence in a passage suggests ``unit`` occurs there:
    its folded text and its terms without inflectional kana endings."""
    keys: set[str] = set()
    if unit.text.strip():
        keys.add(fold(unit.text).strip())
    terms = set(unit.highlight_terms()) | {seq[0] for seq in unit.sequences()} | set(unit.parts)
    for t in terms:
        keys.add(_TRAILING_KANA.sub("", t) or t)
    keys.discard("")
    return keys


def unit_spans(
    text: str,
    units: Sequence[Unit],
    chains: Chains | None = None,
    spellings: dict[str, set[str]] | None = None,
) -> tuple[list[tuple[int, int]], set[int]]:
    """Highlight spans in ``text`` and the indexes of the units they show.

    A unit shows where its own text occurs (folded, so width and case do not
    matter) and where the analysis finds its terms: inflected forms, spelling
    variants, compound parts, readings.  When every unit's text occurs as
    typed (or a missing one leaves no trace a probe can see), the passage
    is not analysed at all; otherwise Sudachi runs once over it, and the
    short-unit and reading chains only for units still unfound.

    ``spellings`` remembers, per kana unit, the text forms its reading was
    found as (るいじょう → 累乗), so that later passages of the same query
    find them as typed.
    """
    folded = fold(text)
    spellings = {} if spellings is None else spellings
    found: list[list[tuple[int, int]]] = [
        _literal_spans(folded, unit, spellings.get(unit.text, ())) for unit in units
    ]
    # analysis can only add a unit that is typed in kana or leaves a trace
    # in the passage (the same test that picked the candidate passages)
    if any(
        not spans and (unit.by_reading or any(k in folded for k in unit_keys(unit)))
        for spans, unit in zip(found, units, strict=True)
    ):
        chains = chains or Chains()
        main = chains.main_terms(text)
        for spans, unit in zip(found, units, strict=True):
            spans += _term_spans(main, unit.highlight_terms())
            for seq in unit.sequences():
                spans += _seq_spans(main, seq)
        if not all(found) and any(unit.parts for unit in units):
            parts = chains.parts_terms(text)
            for spans, unit in zip(found, units, strict=True):
                if not spans and unit.parts:
                    spans += _seq_spans(parts, unit.parts)
        if not all(found) and any(unit.by_reading for unit in units):
            readings = chains.reading_terms(text)
            for spans, unit in zip(found, units, strict=True):
                if unit.by_reading:
                    shown = _seq_spans(readings, unit.reading)
                    spellings.setdefault(unit.text, set()).update(folded[a:b] for a, b in shown)
                    spans += shown
    matched = {i for i, spans in enumerate(found) if spans}
    return merge([span for spans in found for span in spans]), matched


def _literal_spans(folded: str, unit: Unit, spellings: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Where the unit's own text (or a spelling its reading was found as)
    occurs in the folded passage; two characters or more, as a single
    character is too weak to show a match."""
    out: list[tuple[int, int]] = []
    for needle in {fold(unit.text).strip(), *spellings}:
        if len(needle) >= 2:
            start = folded.find(needle)
            while start != -1:
                out.append((start, start + len(needle)))
                start = folded.find(needle, start + 1)
    return out


def _term_spans(tokens, terms: set[str]) -> list[tuple[int, int]]:
    return [(t.startchar, t.endchar) for t in tokens if t.text in terms]


def _seq_spans(tokens, seq: Sequence[str]) -> list[tuple[int, int]]:
    if not seq:
        return []
    if len(seq) == 1:
        return _term_spans(tokens, {seq[0]})
    by_pos: dict[int, list] = {}
    for t in tokens:
        by_pos.setdefault(t.pos, []).append(t)
    out = []
    for pos, firsts in by_pos.items():
        for first in firsts:
            if first.text != seq[0]:
                continue
            last = first
            for k, term in enumerate(seq[1:], 1):
                nxt = [t for t in by_pos.get(pos + k, ()) if t.text == term]
                if not nxt:
                    last = None
                    break
                last = nxt[0]
            if last is not None:
                out.append((first.startchar, last.endchar))
    return out


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans; touching spans are joined."""
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def best_passages(
    body: str,
    sections: Sequence[tuple[int, str]],
    units: Sequence[Unit],
    fallback: str = "",
    count: int = 3,
    chains: Chains | None = None,
    spellings: dict[str, set[str]] | None = None,
    spans: Sequence[tuple[int, int]] | None = None,
    settings: Settings | None = None,
) -> tuple[Passage, ...]:
    """The ``count`` passages of ``body`` that show the most of the query.

    Pass the same ``spellings`` dict for every hit of one query: what one
    hit teaches about the text forms of kana units probes the next ones.
    ``spans`` are the body's passages if known
    (:func:`~search.passages.split_passages`).
    A passage is worth the units it shows, each weighed as the ranking
    weighs it (:func:`~search.units.unit_weights`), plus a small bonus per
    highlight (``Settings.passage_bonus``).
    """
    settings = settings or Settings()
    spellings = {} if spellings is None else spellings
    spans = split_passages(body) if spans is None else spans
    worth = unit_weights(units, settings.modifier_weight)
    bonus, cap = settings.passage_bonus, settings.passage_bonus_cap
    probe_keys = [(w, [*unit_keys(u), *spellings.get(u.text, ())]) for w, u in zip(worth, units, strict=True)]
    probe_keys = [(w, keys) for w, keys in probe_keys if keys]
    probes = _probes(fold(body), spans, probe_keys) if probe_keys else []
    scored: list[tuple[float, int, str, list[tuple[int, int]]]] = []
    seen_texts: set[str] = set()

    def analyse(order: Iterable[int], tries: int) -> None:
        # stop after ``tries`` analyses or once one passage more than shown
        # has been found
        for idx in order:
            if tries <= 0 or len(scored) > count:
                return
            a, b = spans[idx]
            text = body[a:b]
            if text in seen_texts:
                continue
            seen_texts.add(text)
            tries -= 1
            highlights, matched = unit_spans(text, units, chains, spellings)
            if highlights:
                score = sum(worth[i] for i in matched) + bonus * min(len(highlights), cap)
                scored.append((-score, idx, text, highlights))

    analyse((idx for _, idx in probes), count + 1)
    if not scored and any(u.by_reading for u in units):
        # kana typed for kanji text leaves no trace a string probe can see:
        # analyse the opening passages until the reading turns up
        analyse(range(len(spans)), BLIND_SCAN)
    scored.sort()
    passages = [
        Passage(text, _heading(sections, spans[idx][0]), tuple(h)) for _, idx, text, h in scored[:count]
    ]
    if not passages:
        if fallback:
            return (Passage(fallback, "", ()),)
        if spans:
            a, b = spans[0]
            return (Passage(body[a:b], _heading(sections, a), ()),)
    return tuple(passages)


def _probes(
    folded_body: str, spans: Sequence[tuple[int, int]], probe_keys: list[tuple[float, list[str]]]
) -> list[tuple[float, int]]:
    """``(-worth, index)`` of the passages where a unit's key occurs, best
    first: a passage is worth the weights of the units whose keys it holds.
    ``folded_body`` is the folded body (folding keeps offsets), ``spans``
    its passages, in order and apart (as :func:`split_passages` cuts them).
    Each key is looked for once in the whole body rather than in each
    passage."""
    starts = [a for a, _ in spans]
    per_unit = []
    for weight, keys in probe_keys:
        found: set[int] = set()
        for key in keys:
            if not key:
                found.update(range(len(spans)))
                continue
            at = folded_body.find(key)
            while at != -1:
                idx = bisect_right(starts, at) - 1
                if idx >= 0 and at + len(key) <= spans[idx][1]:
                    found.add(idx)
                    at = folded_body.find(key, spans[idx][1])  # this passage holds it
                else:
                    at = folded_body.find(key, at + 1)  # between passages, or across an end
        per_unit.append((weight, found))
    probes = []
    for idx in set().union(*(found for _, found in per_unit)):
        shown = sum(w for w, found in per_unit if idx in found)
        if shown:
            probes.append((-shown, idx))
    probes.sort()
    return probes


def _heading(sections: Sequence[tuple[int, str]], offset: int) -> str:
    heading = ""
    for start, title in sections:
        if start > offset:
            break
        heading = title
    return heading


def record_passages(
    record: Record,
    units: Sequence[Unit],
    count: int,
    chains: Chains,
    spellings: dict[str, set[str]] | None = None,
    settings: Settings | None = None,
) -> tuple[Passage, ...]:
    """The ``count`` best passages of a stored post (its excerpt when none
    shows the query)."""
    return best_passages(
        record.body,
        record.sections,
        units,
        record.excerpt,
        count,
        chains,
        spellings,
        record.passages,
        settings,
    )


def spellings(unit: Unit, sources: Sequence[Record], chains: Chains) -> set[str]:
    """The text forms a kana unit's reading takes in ``sources`` (あっしゅく
    → {圧縮}), found as highlighting finds them: in each post's title,
    then, while no spelling is known, in its best passage."""
    found: dict[str, set[str]] = {}
    for record in sources:
        unit_spans(record.title, [unit], chains, found)
        if found.get(unit.text):
            continue  # a spelling is known: spare the body's passages
        best_passages(record.body, (), [unit], count=1, chains=chains, spellings=found, spans=record.passages)
    return found.get(unit.text, set())
