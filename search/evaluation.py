"""Relevance evaluation: MRR@10, nDCG@10 and Recall@10 over judged queries.

A query set is JSON lines: ``{"id", "q", "relevant": {post_id: grade},
"kind"}`` with grade 1 (partly) or 2 (highly relevant); grade 0 records a
post judged not relevant (pooled judging, see ``benchmarks/pool.py``).  A
query with no post above grade 0 means nothing should be found: it scores 1
when the engine returns nothing and 0 otherwise.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import QueryError

K = 10


@dataclass(frozen=True)
class Judged:
    id: str
    q: str
    relevant: dict[str, int]
    kind: str = ""


class Ranked(list):
    """Post ids, best first, and whether the engine marked the top hit as
    lacking some of the query's words (``Hit.missing``): an engine that
    ranks rather than filters answers a question the posts cannot answer
    with its closest posts, saying what they lack."""

    def __init__(self, ids=(), marked: bool = False) -> None:
        super().__init__(ids)
        self.marked = marked


@dataclass(frozen=True)
class QueryScore:
    id: str
    q: str
    kind: str
    mrr: float
    ndcg: float
    recall: float
    returned: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    overall: dict[str, float]
    by_kind: dict[str, dict[str, float]]
    queries: tuple[QueryScore, ...]

    def worst(self, n: int = 10) -> list[QueryScore]:
        return sorted(self.queries, key=lambda s: (s.ndcg, s.mrr))[:n]

    def to_json(self, worst: int = 10) -> dict:
        return {
            "overall": self.overall,
            "by_kind": self.by_kind,
            "worst": [
                {
                    "id": s.id,
                    "q": s.q,
                    "kind": s.kind,
                    "mrr": s.mrr,
                    "ndcg": s.ndcg,
                    "returned": list(s.returned[:5]),
                }
                for s in self.worst(worst)
            ],
        }


def load(path: str | Path) -> list[Judged]:
    """Read a JSON-lines query set; raises QueryError on a malformed line."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = "not valid UTF-8" if isinstance(exc, UnicodeDecodeError) else exc.strerror or str(exc)
        raise QueryError(f"cannot read query set {path} ({why})") from exc
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            relevant = dict(row.get("relevant") or {})
            if not isinstance(row["q"], str) or not all(
                isinstance(g, int) and not isinstance(g, bool) for g in relevant.values()
            ):
                raise TypeError("q must be text and grades whole numbers")
            out.append(Judged(str(row["id"]), row["q"], relevant, str(row.get("kind", ""))))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise QueryError(f"{path}:{n}: not a judged query ({exc})") from exc
    return out


def score_query(judged: Judged, returned: list[str]) -> QueryScore:
    top = returned[:K]
    rel = judged.relevant
    if not any(g > 0 for g in rel.values()):
        value = 1.0 if not top or getattr(returned, "marked", False) else 0.0
        return QueryScore(judged.id, judged.q, judged.kind, value, value, value, tuple(top))
    mrr = next((1.0 / i for i, d in enumerate(top, 1) if rel.get(d, 0) > 0), 0.0)
    dcg = sum((2 ** rel.get(d, 0) - 1) / math.log2(i + 1) for i, d in enumerate(top, 1))
    ideal = sorted(rel.values(), reverse=True)[:K]
    idcg = sum((2**g - 1) / math.log2(i + 1) for i, g in enumerate(ideal, 1))
    found = sum(1 for d in top if rel.get(d, 0) > 0)
    recall = found / sum(1 for g in rel.values() if g > 0)
    return QueryScore(judged.id, judged.q, judged.kind, mrr, dcg / idcg if idcg else 0.0, recall, tuple(top))


def _mean(scores: list[QueryScore]) -> dict[str, float]:
    n = len(scores) or 1
    return {
        "mrr@10": round(sum(s.mrr for s in scores) / n, 4),
        "ndcg@10": round(sum(s.ndcg for s in scores) / n, 4),
        "recall@10": round(sum(s.recall for s in scores) / n, 4),
        "queries": len(scores),
    }


def evaluate(queries: Iterable[Judged], search: Callable[[str], list[str]]) -> Report:
    """Score ``search`` (query → ranked ids) on every judged query."""
    scores = [score_query(j, search(j.q)) for j in queries]
    kinds: dict[str, list[QueryScore]] = {}
    for s in scores:
        kinds.setdefault(s.kind or "-", []).append(s)
    return Report(_mean(scores), {k: _mean(v) for k, v in sorted(kinds.items())}, tuple(scores))
