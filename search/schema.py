"""The index schema: the Whoosh field of each entry in the field registry
(:mod:`search.fields`), analysed by the index's chains."""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Existence

from . import fields
from .analysis import CHAIN_VERSION, Chains, describe_chain
from .passages import RULES
from .sections import SectionsColumn

#: Bump when fields or their analysis change; part of the fingerprint.
SCHEMA_VERSION = 8


def build_schema(chains: Chains | None = None) -> Schema:
    """A fresh schema with one Whoosh field per registry entry."""
    chains = chains or Chains()
    return Schema(**{f.name: _whoosh_field(f, chains) for f in fields.FIELDS})


def _whoosh_field(field: fields.Field, chains: Chains):
    if field.kind == "text":
        analyzer = getattr(chains, field.chain)
        if field.chain == "ngram":
            # no positions, no frequencies: a substring is confirmed from
            # the stored text, and a bigram's count says little about a post
            out = TEXT(analyzer=analyzer, phrase=False)
            out.format = Existence(field_boost=out.format.field_boost)
            return out
        return TEXT(analyzer=analyzer, phrase=True)
    if field.kind == "keyword":
        # exact values, for display in facets; filters match them folded
        return KEYWORD(commas=True)
    if field.kind == "date":
        return DATETIME(sortable=True)
    if field.kind == "id":
        return ID(stored=True, unique=True)
    if field.kind == "record":
        return STORED()
    if field.kind == "sections":
        return SectionsColumn()
    raise ValueError(f"field {field.name!r} has unknown kind {field.kind!r}")


def fingerprint(stoptags: frozenset[str] | None = None) -> dict:
    """What the index was built with; an index whose fingerprint differs
    from the running code is rebuilt rather than mixed."""
    from . import __version__, sudachi

    chains = Chains(stoptags)
    return {
        "jsearch": __version__,
        "schema": SCHEMA_VERSION,
        "chain": CHAIN_VERSION,
        "fields": fields.signature(),
        "chains": {name: describe_chain(getattr(chains, name)) for name in fields.CHAINS},
        "passages": RULES,
        "stoptags": sorted(chains.stoptags),
        **sudachi.versions(),
    }
