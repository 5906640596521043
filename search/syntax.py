"""The query language: a lenient parser from a query string to a small AST.

Syntax (full-width forms behave like half-width ones)::

    液浸冷却 NVIDIA          words, combined by the ranking rule
    +NVIDIA  NVIDIA AND GPU  required
    NVIDIA OR AMD            either
    -冷却  NOT 冷却          excluded
    "液浸 冷却" 「液浸冷却」  exact phrase (required)
    (A OR B) C               grouping
    title:電力  tag:NVIDIA  category:投資分析
    date:2025-11  date:>=2025-11-01  date:2025-09..2025-11

The parser is lenient, because people type queries: an unclosed quote or
parenthesis is closed at the end, a stray ``)`` or a lone operator is
ignored, and ``name:value`` with an unknown name is searched as text.  Only
queries with nothing to search for, or dates that do not exist, are errors
(:class:`~search.errors.QueryError`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from . import fields
from .errors import QueryError

#: Longest accepted query, in characters.
MAX_QUERY_CHARS = 1000


@dataclass(frozen=True)
class Text:
    """Free words, analysed into units and ranked."""

    text: str


@dataclass(frozen=True)
class Phrase:
    """An exact phrase."""

    text: str


@dataclass(frozen=True)
class FieldQuery:
    """``name:value`` for a field the registry names a filter of
    (:func:`search.fields.filters`: title, tag, category); ``name`` is the
    field's name."""

    name: str
    value: str
    phrase: bool = False


@dataclass(frozen=True)
class DateRange:
    """``date:`` filter; bounds are aware datetimes, end exclusive."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class Not:
    node: object


@dataclass(frozen=True)
class Must:
    node: object


@dataclass(frozen=True)
class AnyOf:
    """``A OR B``."""

    nodes: tuple


@dataclass(frozen=True)
class Seq:
    """Clauses typed one after another (the ranking rule applies)."""

    nodes: tuple


_SYNTAX_MAP = str.maketrans(
    {
        "\u3000": " ",
        "（": "(",
        "）": ")",
        "＋": "+",
        "－": "-",
        "−": "-",
        "＂": '"',
        "“": '"',
        "”": '"',
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "：": ":",
        "＜": "<",
        "＞": ">",
        "＝": "=",
        "．": ".",
    }
)

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lp>\() | (?P<rp>\)) |
        (?P<sign>[+\-])(?=\S) |
        "(?P<phrase>[^"]*)"? |
        (?P<field>[^\s():"]+):(?:"(?P<fphrase>[^"]*)"?|(?P<fvalue>[^\s()"]*)) |
        (?P<word>[^\s()"]+)
    )""",
    re.X,
)


def parse(query: str) -> Seq:
    """Parse ``query`` into an AST; raises QueryError for empty queries."""
    if not isinstance(query, str):
        raise QueryError("query must be a string")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"query is longer than {MAX_QUERY_CHARS} characters")
    text = query.translate(_SYNTAX_MAP)
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zs", "Zl", "Zp") else c for c in text)
    tokens = _lex(text)
    node, _ = _parse_seq(tokens, 0, depth=0)
    if not _has_terms(node):
        raise QueryError("query has no words to search for")
    return node


def _lex(text: str) -> list[tuple[str, object]]:
    tokens: list[tuple[str, object]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            pos += 1
            continue
        pos = m.end()
        if m.group("lp"):
            tokens.append(("(", None))
        elif m.group("rp"):
            tokens.append((")", None))
        elif m.group("sign"):
            tokens.append((m.group("sign"), None))
        elif m.group("phrase") is not None:
            if m.group("phrase").strip():
                tokens.append(("phrase", m.group("phrase")))
        elif m.group("field"):
            name = fields.filters().get(unicodedata.normalize("NFKC", m.group("field")).lower())
            value = m.group("fphrase") if m.group("fphrase") is not None else m.group("fvalue")
            if name and value and value.strip():
                tokens.append(("field", (name, value.strip(), m.group("fphrase") is not None)))
            else:
                tokens.append(("word", m.group(0).strip()))
        else:
            word = m.group("word")
            op = unicodedata.normalize("NFKC", word)
            if op in ("OR", "AND", "NOT", "||", "&&"):
                tokens.append(({"||": "OR", "&&": "AND"}.get(op, op), None))
            elif not op.strip("+-"):
                continue  # a lone operator (+, -, +++) is not a word
            else:
                tokens.append(("word", word))
    return tokens


def _parse_seq(tokens, i: int, depth: int) -> tuple[Seq, int]:
    groups: list[list] = [[]]  # split by OR
    pending: str | None = None  # "+", "-", "NOT"
    while i < len(tokens):
        kind, value = tokens[i]
        i += 1
        if kind == ")":
            if depth > 0:
                break
            continue  # stray closing parenthesis
        if kind == "OR":
            if groups[-1]:
                groups.append([])
            pending = None
            continue
        if kind in ("+", "-", "NOT"):
            pending = kind
            continue
        if kind == "AND":
            if groups[-1]:
                groups[-1][-1] = _must(groups[-1][-1])
                pending = "+"
            continue
        if kind == "(":
            node, i = _parse_seq(tokens, i, depth + 1)
            if not node.nodes:
                pending = None
                continue
        elif kind == "phrase":
            node = Must(Phrase(value))
        elif kind == "field":
            node = Must(_field(*value))
        else:
            node = Text(value)
        if pending == "+":
            node = _must(node)
        elif pending in ("-", "NOT"):
            node = Not(node.node if isinstance(node, Must) else node)
        pending = None
        groups[-1].append(node)
    groups = [g for g in groups if g]
    if len(groups) > 1:
        return Seq((AnyOf(tuple(_unwrap(Seq(tuple(g))) for g in groups)),)), i
    return Seq(tuple(groups[0]) if groups else ()), i


def _must(node):
    return node if isinstance(node, Must | Not) else Must(node)


def _unwrap(seq: Seq):
    return seq.nodes[0] if len(seq.nodes) == 1 else seq


def _has_terms(node) -> bool:
    if isinstance(node, Text | Phrase | FieldQuery | DateRange):
        return True
    if isinstance(node, Must):
        return _has_terms(node.node)
    if isinstance(node, Not):
        return False
    if isinstance(node, Seq | AnyOf):
        return any(_has_terms(n) for n in node.nodes)
    return False


def _field(name: str, value: str, phrase: bool):
    if fields.field(name).kind == "date":
        return parse_date_range(value)
    return FieldQuery(name, value, phrase)


_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def _period(text: str) -> tuple[datetime, datetime]:
    """Start and exclusive end of a year, month or day."""
    m = _DATE.match(text.strip())
    if not m:
        raise QueryError(f"date {text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        start = datetime(year, int(month or 1), int(day or 1), tzinfo=UTC)
    except ValueError:
        raise QueryError(f"date {text!r} does not exist") from None
    try:
        if day:
            return start, start + timedelta(days=1)
        if month:
            return start, datetime(year + (int(month) == 12), int(month) % 12 + 1, 1, tzinfo=UTC)
        return start, datetime(year + 1, 1, 1, tzinfo=UTC)
    except (ValueError, OverflowError):  # the period ends with the calendar
        return start, datetime.max.replace(tzinfo=UTC)


def parse_date_range(value: str) -> DateRange:
    """``2025-11``, ``>=2025-11-01``, ``<2025``, ``2025-09..2025-11``."""
    value = unicodedata.normalize("NFKC", value).replace("/", "-")
    if ".." in value:
        left, right = value.split("..", 1)
        start = _period(left)[0] if left.strip() else None
        end = _period(right)[1] if right.strip() else None
        return DateRange(start, end)
    m = re.match(r"^(>=|<=|>|<|=)?(.*)$", value)
    op, rest = m.group(1) or "=", m.group(2)
    start, end = _period(rest)
    return {
        "=": DateRange(start, end),
        ">=": DateRange(start, None),
        ">": DateRange(end, None),
        "<=": DateRange(None, end),
        "<": DateRange(None, start),
    }[op]
