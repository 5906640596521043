"""Relevance of jsearch next to its peers on the judged query sets.

    python benchmarks/relevance.py                       # the default sets
    python benchmarks/relevance.py --set tests/relevance/manpages.jsonl \\
        --corpus ../shared/corpora/manpages-ja --json out.json
    python benchmarks/relevance.py --limit-posts 100     # quick look on a slice

Each engine indexes the same posts: jsearch through :class:`search.Engine`
(a full build into a temporary index), the peers through ``baselines.py``.
Every engine is scored with :func:`search.evaluation.evaluate` (top 10).
Prints MRR@10, nDCG@10 and Recall@10 per engine, then MRR@10 per query kind,
and writes everything as JSON (default ``benchmarks/results/relevance.json``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import baselines

from search import Engine
from search.documents import Post
from search.errors import QueryError
from search.evaluation import Judged, Report, evaluate, load

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETS = (
    (ROOT / "tests/relevance/manpages.jsonl", ROOT.parent / "shared/corpora/manpages-ja"),
    (ROOT / "tests/relevance/articles.jsonl", ROOT / "data"),
    # written after one round of ranking rules, then used for the next
    (ROOT / "tests/relevance/manpages-holdout.jsonl", ROOT.parent / "shared/corpora/manpages-ja"),
    # written and judged before any engine ran on it, then used for the next round
    (ROOT / "tests/relevance/manpages-holdout2.jsonl", ROOT.parent / "shared/corpora/manpages-ja"),
    # written and judged before any engine ran on it; never tuned on
    (ROOT / "tests/relevance/manpages-holdout3.jsonl", ROOT.parent / "shared/corpora/manpages-ja"),
)
DEFAULT_JSON = ROOT / "benchmarks/results/relevance.json"
ENGINES = ("jsearch", *baselines.PEERS)
METRICS = ("mrr@10", "ndcg@10", "recall@10")


@dataclass
class Scored:
    engine: str
    report: Report
    build_seconds: float
    query_seconds: float
    index_bytes: int


def score_jsearch(corpus: Path, queries: Sequence[Judged], workdir: Path) -> Scored:
    index_dir = workdir / "jsearch-index"
    with Engine(index_dir=index_dir, data_dir=corpus) as engine:
        started = time.perf_counter()
        engine.update(rebuild=True)
        built = time.perf_counter() - started

        def run(q: str) -> list[str]:
            try:
                return [hit.id for hit in engine.search(q, limit=10, passages=0).hits]
            except QueryError:
                return []

        report, seconds = _timed_evaluate(queries, run)
    return Scored("jsearch", report, built, seconds, baselines.tree_bytes(index_dir))


def score_peer(name: str, queries: Sequence[Judged], posts: Sequence[Post]) -> Scored:
    with baselines.PEERS[name]() as peer:
        started = time.perf_counter()
        peer.build(posts)
        built = time.perf_counter() - started
        report, seconds = _timed_evaluate(queries, lambda q: peer.search(q, limit=10))
        return Scored(name, report, built, seconds, peer.index_bytes())


def _timed_evaluate(queries: Sequence[Judged], run: Callable[[str], list[str]]) -> tuple[Report, float]:
    started = time.perf_counter()
    report = evaluate(queries, run)
    return report, time.perf_counter() - started


def run_set(
    set_path: Path, corpus: Path, engines: Sequence[str], limit_posts: int | None, log: Callable[[str], None]
) -> dict:
    queries = load(set_path)
    with tempfile.TemporaryDirectory(prefix="jsearch-relevance-") as tmp:
        workdir = Path(tmp)
        data = corpus
        if limit_posts is not None:
            data = baselines.make_corpus(corpus, workdir / "data", limit=limit_posts)
        posts = baselines.load_posts(data)
        log(f"{set_path.name}: {len(queries)} queries over {len(posts)} posts in {corpus}")
        results = []
        for name in engines:
            log(f"  {name}: building and querying …")
            if name == "jsearch":
                scored = score_jsearch(data, queries, workdir)
            else:
                scored = score_peer(name, queries, posts)
            log(f"  {name}: built in {scored.build_seconds:.1f}s, queried in {scored.query_seconds:.1f}s")
            results.append(scored)
    return {
        "set": str(set_path),
        "corpus": str(corpus),
        "posts": len(posts),
        "queries": len(queries),
        "limit_posts": limit_posts,
        "engines": {
            s.engine: {
                "build_seconds": round(s.build_seconds, 3),
                "query_seconds": round(s.query_seconds, 3),
                "index_bytes": s.index_bytes,
                **s.report.to_json(),
            }
            for s in results
        },
    }


def format_set(result: dict) -> str:
    engines = result["engines"]
    width = max(len("engine"), *(len(name) for name in engines))
    lines = [
        f"{Path(result['set']).name}: {result['queries']} queries, {result['posts']} posts",
        f"{'engine':<{width}}  {'MRR@10':>7}  {'nDCG@10':>7}  {'Recall@10':>9}  {'build s':>8}",
    ]
    for name, row in engines.items():
        o = row["overall"]
        lines.append(
            f"{name:<{width}}  {o['mrr@10']:>7.3f}  {o['ndcg@10']:>7.3f}  {o['recall@10']:>9.3f}"
            f"  {row['build_seconds']:>8.1f}"
        )
    kinds = sorted({kind for row in engines.values() for kind in row["by_kind"]})
    kind_width = max(len("kind"), *(len(k) for k in kinds)) if kinds else 4
    cols = [max(len(name), 6) for name in engines]
    lines.append("")
    lines.append("MRR@10 by kind")
    header = f"{'kind':<{kind_width}}  {'n':>3}"
    for name, col in zip(engines, cols, strict=True):
        header += f"  {name:>{col}}"
    lines.append(header)
    for kind in kinds:
        counts = [row["by_kind"][kind]["queries"] for row in engines.values() if kind in row["by_kind"]]
        line = f"{kind:<{kind_width}}  {counts[0] if counts else 0:>3}"
        for row, col in zip(engines.values(), cols, strict=True):
            value = row["by_kind"].get(kind, {}).get("mrr@10")
            line += f"  {value:>{col}.3f}" if value is not None else f"  {'-':>{col}}"
        lines.append(line)
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Relevance of jsearch and its peers on judged query sets.")
    parser.add_argument("--set", type=Path, action="append", dest="sets", help="JSON-lines query set")
    parser.add_argument(
        "--corpus", type=Path, action="append", dest="corpora", help="posts folder for the --set before it"
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"output (default {DEFAULT_JSON})")
    parser.add_argument("--limit-posts", type=int, default=None, help="index only the first N posts")
    parser.add_argument(
        "--engines", nargs="+", choices=ENGINES, default=list(ENGINES), help="engines to compare"
    )
    args = parser.parse_args(argv)
    if args.sets is None:
        if args.corpora:
            parser.error("--corpus needs a --set")
        args.pairs = [(s, c) for s, c in DEFAULT_SETS if s.exists()]
        missing = [str(s) for s, _ in DEFAULT_SETS if not s.exists()]
        if missing:
            print(f"relevance: skipping missing query sets: {', '.join(missing)}", file=sys.stderr)
        if not args.pairs:
            parser.error("no query set found; give one with --set and --corpus")
    else:
        if not args.corpora or len(args.corpora) != len(args.sets):
            parser.error("give one --corpus for each --set")
        args.pairs = list(zip(args.sets, args.corpora, strict=True))
    for set_path, corpus in args.pairs:
        if not set_path.is_file():
            parser.error(f"no query set at {set_path}")
        if not corpus.is_dir():
            parser.error(f"no posts folder at {corpus}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    results = [run_set(s, c, args.engines, args.limit_posts, log) for s, c in args.pairs]
    out = {
        "machine": baselines.machine(),
        "seconds": round(time.perf_counter() - started, 1),
        "sets": {Path(r["set"]).stem: r for r in results},
    }
    print("\n\n".join(format_set(r) for r in results))
    baselines.write_json(args.json, out)
    print(f"\nwritten to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
