"""Result navigation beyond ranking: facet counts, "did you mean"
suggestions and "more like this"."""

from __future__ import annotations

from collections import Counter
from collections.abc import MutableMapping

from whoosh import query as wq

from .fields import ALL_TEXT, facets
from .query import Plan
from .units import Unit


def facet_counts(searcher, docnums, cache: MutableMapping) -> dict[str, dict[str, int]]:
    """Counts of each facet field's values over ``docnums`` (all hits of a
    query, not just one page), most frequent first."""
    out = {}
    for fieldname in facets():
        by_doc = _values_by_doc(searcher, fieldname, cache)
        counts: Counter[str] = Counter()
        for d in docnums:
            counts.update(by_doc.get(d, ()))
        out[fieldname] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def _values_by_doc(searcher, fieldname: str, cache) -> dict[int, list[str]]:
    """docnum → values of a keyword field, built once per index reader
    (``cache`` is a WeakKeyDictionary keyed by the reader, which threads
    share without evicting each other's entries)."""
    reader = searcher.reader()
    per_field = cache.get(reader)
    if per_field is None:
        per_field = cache[reader] = {}
    by_doc = per_field.get(fieldname)
    if by_doc is None:
        by_doc = {}
        for raw in reader.lexicon(fieldname):
            value = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            for d in reader.postings(fieldname, value).all_ids():
                by_doc.setdefault(d, []).append(value)
        per_field[fieldname] = by_doc
    return by_doc


def suggest(searcher, plan: Plan, original: str, has_hits) -> str | None:
    """A nearby query that finds something, or None.

    Each unit whose words the index does not know is replaced by the
    closest indexed spelling (edit distance on the body field's terms that
    share its first character, which keeps the lexicon scan short);
    the result is offered only if it actually finds posts.
    """
    reader = searcher.reader()
    corrector = searcher.corrector(ALL_TEXT)
    text = original
    changed = False
    for unit in plan.units:
        if len(unit.terms) != 1:
            continue
        term = unit.terms[0][0]
        if reader.doc_frequency(ALL_TEXT, term) > 0:
            continue
        # a kana or kanji carries more of a word than a letter: two edits
        # turn パスワード into パワー, a word, not a typo of it
        maxdist = 1 if len(term) <= (4 if term.isascii() else 6) else 2
        found = corrector.suggest(term, limit=1, maxdist=maxdist, prefix=1)
        if found and unit.text in text:
            text = text.replace(unit.text, found[0], 1)
            changed = True
    if changed and text != original and has_hits(text):
        return text
    return None


def key_terms(searcher, text: str, count: int = 12) -> list[str]:
    """The most distinctive body terms of one post (tf-idf)."""
    return [t for t, _ in searcher.key_terms_from_text(ALL_TEXT, text, numterms=count)]


def similar_plan(terms: list[str]) -> Plan:
    """A plan that ranks posts by the given key terms."""
    units = tuple(Unit(t, ((t,),)) for t in terms)
    return Plan(wq.Or([wq.Term(ALL_TEXT, t) for t in terms]), units)
