"""Relevance regression guard: jsearch eval over the judged article queries."""

import json
from pathlib import Path

from search.evaluation import Judged, Ranked, load, score_query

from .conftest import DATA

SETS = Path(__file__).parent / "relevance"

#: The figures reached when the set was written; a drop is a regression.
ARTICLES_MRR = 0.94
ARTICLES_NDCG = 0.91


def test_articles_relevance_does_not_regress(built_index, jsearch):
    out = jsearch(
        "eval",
        str(SETS / "articles.jsonl"),
        *("--json", "--index", str(built_index), "--data", str(DATA)),
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["overall"]["queries"] >= 15
    assert report["overall"]["mrr@10"] >= ARTICLES_MRR, report["worst"]
    assert report["overall"]["ndcg@10"] >= ARTICLES_NDCG, report["worst"]
    assert report["by_kind"]["noanswer"]["mrr@10"] == 1.0


def test_query_sets_are_well_formed():
    for path in SETS.glob("*.jsonl"):
        queries = load(path)
        assert len({q.id for q in queries}) == len(queries)
        for q in queries:
            assert q.q.strip() and q.kind
            assert all(grade in (0, 1, 2) for grade in q.relevant.values())
    articles = {p.name for p in DATA.glob("*.md")}
    for q in load(SETS / "articles.jsonl"):
        assert set(q.relevant) <= articles


def test_metrics_on_known_rankings():
    judged = Judged("x", "q", {"a": 2, "b": 1})
    perfect = score_query(judged, ["a", "b"])
    assert (perfect.mrr, perfect.ndcg, perfect.recall) == (1.0, 1.0, 1.0)
    second = score_query(judged, ["z", "a"])
    assert second.mrr == 0.5 and 0 < second.ndcg < 1 and second.recall == 0.5
    nothing_expected = Judged("n", "q", {})
    assert score_query(nothing_expected, []).mrr == 1.0
    assert score_query(nothing_expected, ["a"]).mrr == 0.0
    # closest posts whose top hit says what it lacks answer "no answer" too
    assert score_query(nothing_expected, Ranked(["a"], marked=True)).mrr == 1.0
    assert score_query(judged, Ranked(["a"], marked=True)).mrr == 1.0
    # a post judged not relevant counts as nothing found, and ranks nothing
    judged_out = Judged("o", "q", {"a": 0})
    assert score_query(judged_out, []).mrr == 1.0
    assert score_query(judged_out, ["a"]).mrr == 0.0
    pooled = Judged("p", "q", {"a": 0, "b": 2})
    assert score_query(pooled, ["a", "b"]).mrr == 0.5 and score_query(pooled, ["b"]).recall == 1.0
