"""Pool every engine's top results for judging, the way TREC widens judgments.

    python benchmarks/pool.py --set tests/relevance/manpages.jsonl \\
        --corpus ../shared/corpora/manpages-ja --out pool.jsonl [--depth 10]

A query set judged from one page per query undercounts engines that rank a
sibling page which answers the query just as well.  This script runs jsearch
and every peer on the set, takes the union of their top ``depth`` ids for
each query and writes, per query, the ids nobody has judged yet (grade 0
counts as judged), sorted by id so a judge cannot tell which engine found
them.  Judge each one against the page text and add it to the set's
``relevant`` map with grade 0, 1 or 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import baselines
from relevance import ENGINES, missing_corpus, score_jsearch, score_peer

from search.evaluation import load


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the unjudged pool of every engine's top results.")
    parser.add_argument("--set", type=Path, required=True, dest="set_path")
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--depth", type=int, default=10)
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        parser.error(missing_corpus(args.corpus))

    queries = load(args.set_path)
    pool: dict[str, set[str]] = {j.id: set() for j in queries}
    with tempfile.TemporaryDirectory(prefix="jsearch-pool-") as tmp:
        posts = baselines.load_posts(args.corpus)
        for name in ENGINES:
            print(f"pool: {name} …", file=sys.stderr, flush=True)
            if name == "jsearch":
                scored = score_jsearch(args.corpus, queries, Path(tmp))
            else:
                scored = score_peer(name, queries, posts)
            for result in scored.report.queries:
                pool[result.id].update(result.returned[: args.depth])
    total = 0
    with args.out.open("w", encoding="utf-8") as out:
        for judged in queries:
            unjudged = sorted(pool[judged.id] - judged.relevant.keys())
            total += len(unjudged)
            row = {"id": judged.id, "q": judged.q, "kind": judged.kind, "unjudged": unjudged}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"pool: {total} unjudged ids over {len(queries)} queries → {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
