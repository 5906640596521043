"""Warm query latency of several versions of jsearch, measured interleaved.

    python benchmarks/latency_ab.py before=/path/to/old/checkout:/tmp/ix-old \\
        now=.:/tmp/ix-now --rounds 3

Each ``NAME=CODE:INDEX`` runs in a process of its own with ``CODE`` first on
``PYTHONPATH`` and searches ``INDEX`` (built by that version: index formats
change).  Every query of ``perf.py``'s warm mix (from this checkout's dev
sets and ``--corpus``) is run once untimed by each version, then ``--rounds``
times by each, the versions in a shuffled order per query, so that load on
the machine falls on all of them alike.  A query's time is its median over
the rounds, taken inside the worker (``engine.search(q, limit=10)``, as
``perf.py`` runs it).  Prints p50, p95 and mean per version and their
ratios to the first.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path

import baselines
import perf

_WORKER = """
import json, sys, time
from search import Engine
from search.errors import QueryError

engine = Engine(index_dir=sys.argv[1], data_dir=sys.argv[2])
queries = json.loads(sys.stdin.readline())
print("ready", flush=True)
for line in sys.stdin:
    q = queries[int(line)]
    started = time.perf_counter()
    try:
        engine.search(q, limit=10)
    except QueryError:
        pass
    print((time.perf_counter() - started) * 1000, flush=True)
"""


class Worker:
    """One version of jsearch in a child process, timing queries on request."""

    def __init__(self, code: Path, index: Path, data: Path, queries: list[str]) -> None:
        env = dict(os.environ, PYTHONPATH=str(code.resolve()))
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(index), str(data)],
            env=env,
            cwd=code,  # python -c puts the working directory first on sys.path
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._send(json.dumps(queries, ensure_ascii=False))
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"worker for {code} did not start")

    def _send(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def time(self, i: int) -> float:
        """Milliseconds query ``i`` took."""
        self._send(str(i))
        return float(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(0.95 * len(ordered)) - 1))]


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("versions", nargs="+", metavar="NAME=CODE:INDEX")
    parser.add_argument("--corpus", type=Path, default=perf.DEFAULT_CORPUS, help="the indexes' posts")
    parser.add_argument("--queries", type=int, default=240, help="size of the warm query mix")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each query per version")
    args = parser.parse_args()

    posts = baselines.load_posts(args.corpus)
    if not posts:
        parser.error(f"no posts in {args.corpus} (see --corpus)")
    mix = perf.query_mix(posts, perf.dev_queries(), args.queries)
    queries = [q for _, q in mix]
    workers: dict[str, Worker] = {}
    for spec in args.versions:
        name, _, rest = spec.partition("=")
        code, _, index = rest.partition(":")
        if not (name and code and index):
            parser.error(f"expected NAME=CODE:INDEX, got {spec!r}")
        workers[name] = Worker(Path(code), Path(index), args.corpus, queries)
    names = list(workers)
    rng = random.Random(perf.SEED)
    times: dict[str, list[list[float]]] = {n: [[] for _ in queries] for n in names}
    try:
        for i in range(len(queries)):  # untimed warm-up
            for n in names:
                workers[n].time(i)
        for _ in range(args.rounds):
            for i in range(len(queries)):
                order = names[:]
                rng.shuffle(order)
                for n in order:
                    times[n][i].append(workers[n].time(i))
    finally:
        for w in workers.values():
            w.close()

    per_query = {n: [statistics.median(t) for t in times[n]] for n in names}
    base = per_query[names[0]]
    print(f"{len(queries)} queries, {args.rounds} rounds; ratios to {names[0]}")
    print(f"{'':12}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'p50 ×':>8}{'p95 ×':>8}")
    for n in names:
        xs = per_query[n]
        print(
            f"{n:12}{statistics.median(xs):9.2f}{p95(xs):9.2f}{statistics.fmean(xs):9.2f}"
            f"{statistics.median(xs) / statistics.median(base):8.3f}{p95(xs) / p95(base):8.3f}"
        )
    print("p50 ms by category")
    for category in dict.fromkeys(c for c, _ in mix):
        idx = [i for i, (c, _) in enumerate(mix) if c == category]
        cells = "  ".join(f"{n}={statistics.median(per_query[n][i] for i in idx):.2f}" for n in names)
        print(f"  {category:10}{len(idx):>4}  {cells}")


if __name__ == "__main__":
    main()
