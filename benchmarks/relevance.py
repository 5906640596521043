"""Relevance of jsearch next to its peers on the judged query sets.

    python benchmarks/relevance.py                       # the default sets
    python benchmarks/relevance.py --set tests/relevance/manpages.jsonl \\
        --corpus ../shared/corpora/manpages-ja --json out.json
    python benchmarks/relevance.py --limit-posts 100     # quick look on a slice
    python benchmarks/relevance.py --keep-indexes /tmp/ix --peers-from out.json
                                          # jsearch only, on kept indexes; peers as before
    python benchmarks/relevance.py --keep-indexes /tmp/ix --peers-from out.json \\
        --setting coordination=0.4 --setting field_weights.title=2
                                          # a ranking constant changed, for the keep rule

Each engine indexes the same posts: jsearch through :class:`search.Engine`
(a full build into a temporary index), the peers through ``baselines.py``.
Every engine is scored with :func:`search.evaluation.evaluate` (top 10).
Prints MRR@10, nDCG@10 and Recall@10 per engine; from each engine's top 100,
Recall@100, the answerable queries with no relevant post in the top 100
(``miss@100``) and those with no hits at all (``zero``); then MRR@10 per query
kind, and last each engine's MRR@10 averaged over the sets (a rule is kept
only if it raises jsearch's mean and lowers no set by more than 0.01).
``--setting`` changes one of :class:`search.models.Settings` for jsearch
(ranking constants need no rebuild).  Writes everything as JSON (default
``benchmarks/results/relevance.json``).

The LibreOffice help and Debian Reference corpora are not in the repository:
``python benchmarks/debian_corpus.py`` builds them into ``benchmarks/corpora/``.
A default set whose corpus is missing is skipped with that hint.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
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
from search.evaluation import Judged, Ranked, Report, evaluate, load
from search.models import Settings

ROOT = Path(__file__).resolve().parent.parent
#: the man pages: beside the repository, or linked into benchmarks/corpora
MANPAGES = next(
    (
        p
        for p in (ROOT / "benchmarks/corpora/manpages-ja", ROOT.parent / "shared/corpora/manpages-ja")
        if p.is_dir()
    ),
    ROOT.parent / "shared/corpora/manpages-ja",
)
LIBREOFFICE = ROOT / "benchmarks/corpora/libreoffice-help-ja"
DEBIAN_REFERENCE = ROOT / "benchmarks/corpora/debian-reference-ja"
#: how to produce a corpus that is not in the repository
CORPUS_HINTS = {
    LIBREOFFICE: "python benchmarks/debian_corpus.py libreoffice-help-ja",
    DEBIAN_REFERENCE: "python benchmarks/debian_corpus.py debian-reference-ja",
}
DEFAULT_SETS = (
    (ROOT / "tests/relevance/manpages.jsonl", MANPAGES),
    (ROOT / "tests/relevance/articles.jsonl", ROOT / "data"),
    # written from tasks before any engine ran on the corpus; the -holdout third is never tuned on
    (ROOT / "tests/relevance/libreoffice.jsonl", LIBREOFFICE),
    (ROOT / "tests/relevance/debian-reference.jsonl", DEBIAN_REFERENCE),
    (ROOT / "tests/relevance/articles-holdout.jsonl", ROOT / "data"),
    (ROOT / "tests/relevance/libreoffice-holdout.jsonl", LIBREOFFICE),
    (ROOT / "tests/relevance/debian-reference-holdout.jsonl", DEBIAN_REFERENCE),
    # written after one round of ranking rules, then used for the next
    (ROOT / "tests/relevance/manpages-holdout.jsonl", MANPAGES),
    # written and judged before any engine ran on it, then used for the next round
    (ROOT / "tests/relevance/manpages-holdout2.jsonl", MANPAGES),
    # written and judged before any engine ran on it; never tuned on
    (ROOT / "tests/relevance/manpages-holdout3.jsonl", MANPAGES),
)
DEFAULT_JSON = ROOT / "benchmarks/results/relevance.json"
ENGINES = ("jsearch", *baselines.PEERS)
METRICS = ("mrr@10", "ndcg@10", "recall@10")
DEEP = 100  # depth of the recall and miss counts


@dataclass(frozen=True)
class Depth:
    """What an engine's top ``DEEP`` says beyond the top 10, over answerable queries."""

    recall: float  # mean share of a query's relevant posts in the top DEEP
    missed: tuple[str, ...]  # ids of queries with no relevant post in the top DEEP
    zero: tuple[str, ...]  # ids of queries with no hits at all

    def to_json(self) -> dict:
        return {
            f"recall@{DEEP}": round(self.recall, 4),
            f"miss@{DEEP}": len(self.missed),
            "zero_hits": len(self.zero),
            f"missed@{DEEP}": list(self.missed),
            "zero_hit_queries": list(self.zero),
        }


def depth(queries: Sequence[Judged], ranked: Sequence[list[str]]) -> Depth:
    """Recall@DEEP, misses and zero-hit queries over the answerable ``queries``."""
    recalls, missed, zero = [], [], []
    for judged, ids in zip(queries, ranked, strict=True):
        relevant = {d for d, g in judged.relevant.items() if g > 0}
        if not relevant:
            continue
        found = len(relevant.intersection(ids[:DEEP]))
        recalls.append(found / len(relevant))
        if not found:
            missed.append(judged.id)
        if not ids:
            zero.append(judged.id)
    return Depth(sum(recalls) / (len(recalls) or 1), tuple(missed), tuple(zero))


@dataclass
class Scored:
    engine: str
    report: Report
    depth: Depth
    build_seconds: float
    query_seconds: float
    index_bytes: int


def score_jsearch(
    corpus: Path,
    queries: Sequence[Judged],
    workdir: Path,
    index_dir: Path | None = None,
    settings: Settings | None = None,
) -> Scored:
    """jsearch's figures; with ``index_dir``, on the index kept there
    (brought up to date, rebuilt only when the code's fingerprint changed)."""
    keep = index_dir is not None
    index_dir = index_dir if keep else workdir / "jsearch-index"
    with Engine(index_dir=index_dir, data_dir=corpus, settings=settings) as engine:
        started = time.perf_counter()
        engine.update(rebuild=not keep)
        built = time.perf_counter() - started

        def run(q: str) -> list[str]:
            try:
                hits = engine.search(q, limit=DEEP, passages=0, suggest=False).hits
            except QueryError:
                return []
            # a top hit marked as lacking some words answers a no-answer query
            return Ranked([hit.id for hit in hits], marked=bool(hits and getattr(hits[0], "missing", ())))

        report, deep, seconds = _timed_evaluate(queries, run)
    return Scored("jsearch", report, deep, built, seconds, baselines.tree_bytes(index_dir))


def score_peer(name: str, queries: Sequence[Judged], posts: Sequence[Post]) -> Scored:
    with baselines.PEERS[name]() as peer:
        started = time.perf_counter()
        peer.build(posts)
        built = time.perf_counter() - started
        report, deep, seconds = _timed_evaluate(queries, lambda q: peer.search(q, limit=DEEP))
        return Scored(name, report, deep, built, seconds, peer.index_bytes())


def _timed_evaluate(
    queries: Sequence[Judged], run: Callable[[str], list[str]]
) -> tuple[Report, Depth, float]:
    ranked: list[list[str]] = []

    def recorded(q: str) -> list[str]:
        ranked.append(run(q))
        return ranked[-1]

    started = time.perf_counter()
    report = evaluate(queries, recorded)
    return report, depth(queries, ranked), time.perf_counter() - started


def run_set(
    set_path: Path,
    corpus: Path,
    engines: Sequence[str],
    limit_posts: int | None,
    log: Callable[[str], None],
    keep_indexes: Path | None = None,
    peers_from: dict | None = None,
    settings: Settings | None = None,
) -> dict:
    queries = load(set_path)
    unjudged = [j.id for j in queries if not j.relevant and j.kind != "noanswer"]
    if unjudged:
        log(f"{set_path.name}: {len(unjudged)} queries not judged yet (no relevant map); scored as no-answer")
    with tempfile.TemporaryDirectory(prefix="jsearch-relevance-") as tmp:
        workdir = Path(tmp)
        data = corpus
        if limit_posts is not None:
            data = baselines.make_corpus(corpus, workdir / "data", limit=limit_posts)
        posts = baselines.load_posts(data)
        log(f"{set_path.name}: {len(queries)} queries over {len(posts)} posts in {corpus}")
        results: list[Scored | tuple[str, dict]] = []
        kept = (peers_from or {}).get(set_path.stem, {}).get("engines", {})
        for name in engines:
            if name != "jsearch" and name in kept:
                log(f"  {name}: figures from the earlier run")
                results.append((name, kept[name]))
                continue
            log(f"  {name}: building and querying …")
            if name == "jsearch":
                index_dir = None
                if keep_indexes is not None:
                    index_dir = keep_indexes / f"{corpus.resolve().name}-{limit_posts or 'all'}"
                scored = score_jsearch(data, queries, workdir, index_dir, settings)
            else:
                scored = score_peer(name, queries, posts)
            log(f"  {name}: built in {scored.build_seconds:.1f}s, queried in {scored.query_seconds:.1f}s")
            results.append(scored)
    return {
        "set": str(set_path),
        "corpus": str(corpus),
        "posts": len(posts),
        "queries": len(queries),
        "answerable": sum(1 for j in queries if any(g > 0 for g in j.relevant.values())),
        "limit_posts": limit_posts,
        "engines": dict(s if isinstance(s, tuple) else (s.engine, _row(s)) for s in results),
    }


def _row(s: Scored) -> dict:
    return {
        "build_seconds": round(s.build_seconds, 3),
        "query_seconds": round(s.query_seconds, 3),
        "index_bytes": s.index_bytes,
        **s.report.to_json(),
        **s.depth.to_json(),
    }


def format_set(result: dict) -> str:
    engines = result["engines"]
    answerable = result["answerable"]
    width = max(len("engine"), *(len(name) for name in engines))
    lines = [
        f"{Path(result['set']).name}: {result['queries']} queries, {result['posts']} posts",
        f"{'engine':<{width}}  {'MRR@10':>7}  {'nDCG@10':>7}  {'Recall@10':>9}  {'Recall@100*':>11}"
        f"  {'miss@100':>8}  {'zero':>4}  {'build s':>8}",
    ]
    for name, row in engines.items():
        o = row["overall"]
        lines.append(
            f"{name:<{width}}  {o['mrr@10']:>7.3f}  {o['ndcg@10']:>7.3f}  {o['recall@10']:>9.3f}"
            f"  {row['recall@100']:>11.3f}  {row['miss@100']:>8}  {row['zero_hits']:>4}"
            f"  {row['build_seconds']:>8.1f}"
        )
    lines.append(f"* over the {answerable} answerable queries; miss@100: none relevant in the top 100")
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


def settings_from(pairs: Sequence[str]) -> Settings:
    """:class:`Settings` with ``NAME=VALUE`` changes (``field_weights.title=2``)."""
    base = Settings()
    changes: dict = {}
    weights = dict(base.field_weights)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--setting {pair!r}: expected NAME=VALUE")
        if name.startswith("field_weights."):
            weights[name.removeprefix("field_weights.")] = float(value)
            changes["field_weights"] = weights
            continue
        if name == "field_weights" or not hasattr(base, name):
            raise ValueError(f"--setting {pair!r}: Settings has no {name!r}")
        kind = type(getattr(base, name))
        changes[name] = kind(float(value)) if kind in (int, float) else kind(value)
    return dataclasses.replace(base, **changes)


def format_means(results: Sequence[dict]) -> str:
    """Each engine's MRR@10 averaged over the sets it was scored on."""
    lines = [f"MRR@10, mean over {len(results)} sets"]
    for name in dict.fromkeys(n for r in results for n in r["engines"]):
        values = [r["engines"][name]["overall"]["mrr@10"] for r in results if name in r["engines"]]
        lines.append(f"{name:<16} {sum(values) / len(values):.4f}")
    return "\n".join(lines)


def format_pooled_kinds(results: Sequence[dict]) -> str:
    """Each engine's MRR@10 per query kind over the queries of every set:
    a set's kind of two or three queries is decided by one of them."""
    engines = list(dict.fromkeys(n for r in results for n in r["engines"]))
    pooled: dict[str, dict[str, list[float]]] = {}
    for r in results:
        for name, row in r["engines"].items():
            for kind, figures in row["by_kind"].items():
                n = figures["queries"]
                totals = pooled.setdefault(kind, {}).setdefault(name, [0.0, 0.0])
                totals[0] += figures["mrr@10"] * n
                totals[1] += n
    lines = [
        f"MRR@10 by kind, pooled over {len(results)} sets",
        f"{'kind':<12} {'n':>4}  " + "  ".join(engines),
    ]
    for kind in sorted(pooled):
        row = pooled[kind]
        n = int(max(t[1] for t in row.values()))
        cells = [
            f"{row[e][0] / row[e][1]:.3f}".rjust(len(e)) if e in row and row[e][1] else "-".rjust(len(e))
            for e in engines
        ]
        lines.append(f"{kind:<12} {n:>4}  " + "  ".join(cells))
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
    parser.add_argument(
        "--keep-indexes",
        type=Path,
        default=None,
        help="keep jsearch's index of each corpus in this folder and reuse it (updated, not rebuilt)",
    )
    parser.add_argument(
        "--peers-from",
        type=Path,
        default=None,
        help="take the peers' figures from this earlier JSON output instead of building them again",
    )
    parser.add_argument(
        "--setting",
        action="append",
        metavar="NAME=VALUE",
        help="change one of jsearch's ranking settings (field_weights.FIELD=W for a field's weight)",
    )
    args = parser.parse_args(argv)
    try:
        args.settings = settings_from(args.setting or [])
    except ValueError as exc:
        parser.error(str(exc))
    if args.sets is None:
        if args.corpora:
            parser.error("--corpus needs a --set")
        args.pairs = [(s, c) for s, c in DEFAULT_SETS if s.exists() and c.is_dir()]
        missing = [str(s) for s, _ in DEFAULT_SETS if not s.exists()]
        if missing:
            print(f"relevance: skipping missing query sets: {', '.join(missing)}", file=sys.stderr)
        for corpus in dict.fromkeys(c for s, c in DEFAULT_SETS if s.exists() and not c.is_dir()):
            print(f"relevance: skipping the sets over {corpus}: {missing_corpus(corpus)}", file=sys.stderr)
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
            parser.error(missing_corpus(corpus))
    return args


def missing_corpus(corpus: Path) -> str:
    """The error for a posts folder that is not there, saying how to make it when known."""
    hint = CORPUS_HINTS.get(corpus.resolve())
    return f"no posts folder at {corpus}" + (f"; build it with: {hint}" if hint else "")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    peers_from = json.loads(args.peers_from.read_text())["sets"] if args.peers_from else None
    started = time.perf_counter()
    results = [
        run_set(s, c, args.engines, args.limit_posts, log, args.keep_indexes, peers_from, args.settings)
        for s, c in args.pairs
    ]
    out = {
        "machine": baselines.machine(),
        "seconds": round(time.perf_counter() - started, 1),
        "settings": args.setting or [],
        "sets": {Path(r["set"]).stem: r for r in results},
    }
    print("\n\n".join(format_set(r) for r in results))
    print("\n" + format_means(results))
    print("\n" + format_pooled_kinds(results))
    baselines.write_json(args.json, out)
    print(f"\nwritten to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
