"""The index schema: which fields a post becomes, and how each is analysed."""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Existence

from .analysis import CHAIN_VERSION, Chains

#: Bump when fields or their analysis change; part of the fingerprint.
SCHEMA_VERSION = 7

#: Fields searched by free-text queries, with the chain that fills them.
TEXT_FIELDS = ("title", "tags", "excerpt", "body", "parts", "reading", "ngram")


def build_schema(chains: Chains | None = None) -> Schema:
    """A fresh schema.  ``body``, ``parts``, ``reading`` and ``ngram`` all
    index the title and body together; ``title`` and ``tags`` are indexed
    again on their own so that they can weigh more."""
    chains = chains or Chains()
    main = chains.main
    # no positions, no frequencies: a substring is confirmed from the
    # stored text, and a bigram's count says little about a post
    ngram = TEXT(analyzer=chains.ngram, phrase=False)
    ngram.format = Existence(field_boost=ngram.format.field_boost)
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=main, phrase=True),
        tags=TEXT(analyzer=main, phrase=True),
        excerpt=TEXT(analyzer=main, phrase=True),
        body=TEXT(analyzer=main, phrase=True),
        parts=TEXT(analyzer=chains.parts, phrase=True),
        reading=TEXT(analyzer=chains.reading, phrase=True),
        ngram=ngram,
        # exact values, for display in facets; filters match them folded
        tag=KEYWORD(commas=True),
        category=KEYWORD(commas=True),
        date=DATETIME(sortable=True),
        doc=STORED(),
    )


def fingerprint(stoptags: frozenset[str] | None = None) -> dict:
    """What the index was built with; an index whose fingerprint differs
    from the running code is rebuilt rather than mixed."""
    from . import __version__, sudachi

    return {
        "jsearch": __version__,
        "schema": SCHEMA_VERSION,
        "chain": CHAIN_VERSION,
        "stoptags": sorted(Chains(stoptags).stoptags),
        **sudachi.versions(),
    }
