"""Speed and size of jsearch next to its peers, in one run.

    python benchmarks/perf.py                                  # the man pages
    python benchmarks/perf.py --corpus data --queries 300 --json out.json
    python benchmarks/perf.py --scale 1 2 5 10                 # growth with corpus size
    python benchmarks/perf.py --limit-posts 100                # quick look on a slice

Measured on a temporary copy of the corpus:

* the floor: Sudachi alone over every post's title and body (one process);
* the jsearch full build (``Engine.update(rebuild=True)``) in a child process,
  with its peak memory (largest process, and all the build's processes
  together, sampled from /proc) and the index size against the corpus size;
* warm query latency over a fixed mix of queries (the dev sets' queries, one-
  and two-word queries drawn from the titles, quoted phrases from the bodies,
  and nonsense that should find nothing), top 10 with passages;
* a cold ``jsearch query "液浸冷却" --json`` from a new process, over an index
  of the repository's ``data/`` folder (median of 10);
* a no-op update and an update after one file changed;
* a build of the reference chain (normalised Sudachi long units only, one
  field, the same Whoosh writer settings), the denominator of the analysis
  chain's indexing cost;
* the same build time and warm latency for the Whoosh bigram and SQLite FTS5
  trigram peers of ``baselines.py``;
* with ``--scale``, build time, index size and median latency on N copies of
  the corpus.

Prints tables and writes JSON (default ``benchmarks/results/perf.json``).
"""

from __future__ import annotations

import argparse
import compileall
import json
import math
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import baselines

from search import Engine, sudachi
from search.documents import Post
from search.errors import QueryError
from search.evaluation import load
from search.indexer import PARALLEL_MIN_POSTS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared/corpora/manpages-ja"
DEFAULT_JSON = ROOT / "benchmarks/results/perf.json"
DEV_SETS = (ROOT / "tests/relevance/manpages.jsonl", ROOT / "tests/relevance/articles.jsonl")
COLD_QUERY = "液浸冷却"
SEED = 20240409
MiB = 1024 * 1024

_BUILD_CHILD = """
import json, resource, sys, time
from search import Engine

index_dir, data_dir, procs = sys.argv[1], sys.argv[2], int(sys.argv[3])
started = time.perf_counter()
with Engine(index_dir=index_dir, data_dir=data_dir) as engine:
    report = engine.update(rebuild=True, procs=procs)
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "added": len(report.added),
    "skipped": len(report.skipped),
    "maxrss_self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "maxrss_children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""

# The reference chain of issue 4's indexing-cost budget: normalised Sudachi
# long units only, one field, written with the same Whoosh writer settings
# as a jsearch build, so the ratio isolates what the rest of the chain costs.
_LONG_UNITS_CHILD = """
import json, os, sys, time
from pathlib import Path
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from search.analysis import NormalizedFormFilter, SudachiTokenizer
from search.documents import iter_post_files, read_post

index_dir, data_dir, procs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
started = time.perf_counter()
index_dir.mkdir(parents=True, exist_ok=True)
analyzer = SudachiTokenizer() | NormalizedFormFilter(keep_ascii=False)
ix = FileStorage(str(index_dir)).create_index(Schema(id=ID(stored=True, unique=True), text=TEXT(analyzer)))
if procs > 1:
    writer = ix.writer(limitmb=128, procs=procs, multisegment=True, batchsize=50)
else:
    writer = ix.writer(limitmb=256)
for path, _ in iter_post_files(data_dir):
    post = read_post(path, data_dir)
    writer.add_document(id=post.id, text=post.title + "\\n\\n" + post.body)
writer.commit()
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- measuring -----------------------------------------------------------------


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    if not samples_ms:
        return {"n": 0}
    ordered = sorted(samples_ms)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))]

    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 3),
        "p95": round(at(0.95), 3),
        "max": round(ordered[-1], 3),
        "mean": round(statistics.fmean(ordered), 3),
    }


def _tree_rss(root_pid: int) -> int:
    """Resident bytes of ``root_pid`` and all its descendants, from /proc."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parent[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * resource.getpagesize()
    total = 0
    for pid, pages in rss.items():
        p = pid
        while p > 1:
            if p == root_pid:
                total += pages
                break
            p = parent.get(p, 0)
    return total


def build_in_child(index_dir: Path, data_dir: Path, procs: int) -> dict:
    """Full jsearch build in a new process; time, posts and peak memory."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-c", _BUILD_CHILD, str(index_dir), str(data_dir), str(procs)],
            stdout=out,
            stderr=err,
        )
        peak_tree = 0
        while child.poll() is None:
            peak_tree = max(peak_tree, _tree_rss(child.pid))
            time.sleep(0.05)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if child.returncode:
            raise RuntimeError(f"jsearch build failed ({child.returncode}): {err.read()[-2000:]}")
        result = json.loads(out.read().strip().splitlines()[-1])
    largest_kb = max(result.pop("maxrss_self_kb"), result.pop("maxrss_children_kb"))
    return {
        **result,
        "process_seconds": wall,
        "peak_rss_largest_process": largest_kb * 1024,
        "peak_rss_all_processes": peak_tree,
    }


def long_units_build(index_dir: Path, data_dir: Path, procs: int) -> dict:
    """Build time of the long-units-only reference chain, in a new process."""
    if not procs:  # as jsearch decides for a full build
        many = len(baselines.post_files(data_dir)) >= PARALLEL_MIN_POSTS
        procs = min(os.cpu_count() or 1, 4) if many else 1
    done = subprocess.run(
        [sys.executable, "-c", _LONG_UNITS_CHILD, str(index_dir), str(data_dir), str(procs)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"long-units build failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "procs": procs, "index_bytes": baselines.tree_bytes(index_dir)}


def time_queries(search: Callable[[str], object], queries: Sequence[str]) -> tuple[list[float], int]:
    """One untimed pass to warm up, then each query's time in ms; and the errors."""
    for q in queries:
        try:
            search(q)
        except QueryError:
            pass
    times, errors = [], 0
    for q in queries:
        started = time.perf_counter()
        try:
            search(q)
        except QueryError:
            errors += 1
        times.append((time.perf_counter() - started) * 1000)
    return times, errors


def latency_report(times: Sequence[float], categories: Sequence[str], errors: int) -> dict:
    by_category: dict[str, list[float]] = {}
    for t, category in zip(times, categories, strict=True):
        by_category.setdefault(category, []).append(t)
    return {
        **percentiles(times),
        "errors": errors,
        "by_category": {c: percentiles(v) for c, v in sorted(by_category.items())},
    }


def jsearch_latency(index_dir: Path, data_dir: Path, mix: Sequence[tuple[str, str]]) -> dict:
    queries = [q for _, q in mix]
    with Engine(index_dir=index_dir, data_dir=data_dir) as engine:
        times, errors = time_queries(lambda q: engine.search(q, limit=10), queries)
    return latency_report(times, [c for c, _ in mix], errors)


def sudachi_floor(posts: Sequence[Post]) -> dict:
    sudachi.analyze("日本語の文", with_parts=False)
    started = time.perf_counter()
    morphs = 0
    for post in posts:
        morphs += len(sudachi.analyze(f"{post.title}\n{post.body}", with_parts=False))
    seconds = time.perf_counter() - started
    chars = sum(len(p.title) + 1 + len(p.body) for p in posts)
    return {"seconds": seconds, "morphemes": morphs, "chars": chars}


def cold_query(runs: int) -> dict:
    """Wall time of ``jsearch query`` from a new process, over an index of data/."""
    script = Path(sys.executable).with_name("jsearch")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "search.cli"]
    data = ROOT / "data"
    with tempfile.TemporaryDirectory(prefix="jsearch-cold-") as tmp:
        index_dir = Path(tmp) / "index"
        with Engine(index_dir=index_dir, data_dir=data) as engine:
            engine.update(rebuild=True)
        argv = [*command, "query", COLD_QUERY, "--json", "--index", str(index_dir), "--data", str(data)]
        # the package's bytecode, as any normal first run leaves it (an
        # editable install has none, and PYTHONDONTWRITEBYTECODE would keep
        # every run compiling jsearch's source), then one untimed run
        compileall.compile_dir(ROOT / "search", quiet=1)
        subprocess.run(argv, capture_output=True, text=True)
        times, hits = [], None
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(argv, capture_output=True, text=True)
            times.append((time.perf_counter() - started) * 1000)
            if done.returncode not in (0, 1):
                raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
            hits = len(json.loads(done.stdout)["hits"])
        python_only = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            python_only.append((time.perf_counter() - started) * 1000)
    return {
        "command": " ".join(argv[:4]) + " --json",
        "runs": runs,
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
        "hits": hits,
        "python_startup_median_ms": round(statistics.median(python_only), 1),
    }


def update_times(index_dir: Path, data_dir: Path, repeats: int = 3) -> dict:
    """No-op update, then updates after appending to one file (medians)."""
    files = baselines.post_files(data_dir)
    target = files[len(files) // 2]
    post_id = target.relative_to(data_dir).as_posix()
    noop, changed = [], []
    with Engine(index_dir=index_dir, data_dir=data_dir) as engine:
        for _ in range(repeats):
            started = time.perf_counter()
            report = engine.update()
            noop.append(time.perf_counter() - started)
            if report.changed:
                raise RuntimeError(f"an update with nothing to do changed the index: {report.to_json()}")
        for n in range(repeats):
            with target.open("a", encoding="utf-8") as fh:
                fh.write(f"\n\nベンチマークの追記 {n}。\n")
            stamp = time.time_ns() + (n + 1) * 1_000_000_000
            os.utime(target, ns=(stamp, stamp))
            started = time.perf_counter()
            report = engine.update()
            changed.append(time.perf_counter() - started)
            if report.updated != (post_id,):
                raise RuntimeError(f"expected {post_id} to be updated: {report.to_json()}")
    return {
        "noop_ms": round(statistics.median(noop) * 1000, 1),
        "one_changed_ms": round(statistics.median(changed) * 1000, 1),
        "changed_post": post_id,
        "repeats": repeats,
    }


def peer_perf(name: str, posts: Sequence[Post], mix: Sequence[tuple[str, str]]) -> dict:
    with baselines.PEERS[name]() as peer:
        started = time.perf_counter()
        peer.build(posts)
        built = time.perf_counter() - started
        size = peer.index_bytes()
        times, errors = time_queries(lambda q: peer.search(q, limit=10), [q for _, q in mix])
    return {
        "build_seconds": built,
        "index_bytes": size,
        "latency": latency_report(times, [c for c, _ in mix], errors),
    }


# --- the query mix -----------------------------------------------------------------


_CONTENT_POS = (("名詞",), ("動詞",), ("形容詞",), ("接頭辞",))
_NONSENSE_KANA = "ゐゑゟヰヱヸヹヺヾゞ"
_NONSENSE_LATIN = "qxzjvkw"


def _is_word(text: str) -> bool:
    return len(text) >= 2 and not text.isdigit() and any(ch.isalnum() for ch in text)


def query_mix(posts: Sequence[Post], dev_queries: Sequence[str], total: int) -> list[tuple[str, str]]:
    """``(category, query)`` pairs: the dev queries, then a deterministic sample."""
    rng = random.Random(SEED)
    mix = [("dev", q) for q in dict.fromkeys(dev_queries)]
    generated = max(total - len(mix), total // 2)
    ordered = sorted(posts, key=lambda p: p.id)
    title_words = []
    for post in ordered:
        words = [m.surface for m in sudachi.analyze(post.title, with_parts=False) if m.pos[:1] == ("名詞",)]
        words = list(dict.fromkeys(w for w in words if _is_word(w)))
        if words:
            title_words.append(words)
    vocabulary = sorted({w for words in title_words for w in words})
    counts = {
        "one-term": generated * 35 // 100,
        "two-term": generated * 30 // 100,
        "phrase": generated * 20 // 100,
    }
    counts["nonsense"] = generated - sum(counts.values())
    for _ in range(counts["one-term"]):
        mix.append(("one-term", rng.choice(vocabulary)))
    pairs = [words for words in title_words if len(words) >= 2]
    for n in range(counts["two-term"]):
        if pairs and n % 2 == 0:
            mix.append(("two-term", " ".join(rng.sample(rng.choice(pairs), 2))))
        else:
            mix.append(("two-term", " ".join(rng.sample(vocabulary, 2))))
    bodies = [p.body for p in ordered if len(p.body) >= 40] or [p.title for p in ordered]
    for _ in range(counts["phrase"]):
        mix.append(("phrase", f'"{_phrase(rng, rng.choice(bodies))}"'))
    for n in range(counts["nonsense"]):
        letters = _NONSENSE_KANA if n % 2 == 0 else _NONSENSE_LATIN
        mix.append(("nonsense", "".join(rng.choice(letters) for _ in range(rng.randint(4, 8)))))
    return mix


def _phrase(rng: random.Random, body: str) -> str:
    """Two or three adjacent words (Sudachi morphemes) from somewhere in ``body``."""
    for _ in range(50):
        start = rng.randrange(0, max(1, len(body) - 200))
        morphs = sudachi.analyze(body[start : start + 200], with_parts=False)[1:]
        runs: list[list[sudachi.Morph]] = [[]]
        for m in morphs:
            if (
                m.pos[:1] in (("補助記号",), ("空白",))
                or '"' in m.surface
                or (runs[-1] and runs[-1][-1].end != m.start)
            ):
                runs.append([])
            else:
                runs[-1].append(m)
        runs = [r for r in runs if len(r) >= 2]
        if runs:
            run = rng.choice(runs)
            size = min(len(run), rng.choice((2, 3)))
            starts = [i for i in range(len(run) - size + 1) if run[i].pos[:1] in _CONTENT_POS]
            if not starts:
                continue
            first = rng.choice(starts)
            piece = "".join(m.surface for m in run[first : first + size])
            if len(piece) >= 3:
                return piece
    return body[:8]


def dev_queries() -> list[str]:
    found = []
    for path in DEV_SETS:
        if path.exists():
            found.extend(j.q for j in load(path))
    return found


# --- the run ---------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict:
    out: dict = {"machine": baselines.machine(), "corpus": str(args.corpus), "limit_posts": args.limit_posts}
    with tempfile.TemporaryDirectory(prefix="jsearch-perf-") as tmp:
        work = Path(tmp)
        data = baselines.make_corpus(args.corpus, work / "data", limit=args.limit_posts, link=False)
        posts = baselines.load_posts(data)
        corpus_bytes = baselines.tree_bytes(data)
        out["posts"] = len(posts)
        out["corpus_bytes"] = corpus_bytes
        log(f"corpus: {len(posts)} posts, {corpus_bytes / MiB:.1f} MiB")

        mix = query_mix(posts, dev_queries(), args.queries)
        out["queries"] = {
            "total": len(mix),
            "by_category": {c: sum(1 for k, _ in mix if k == c) for c in dict.fromkeys(k for k, _ in mix)},
            "sample": [q for _, q in mix[:: max(1, len(mix) // 20)]],
        }

        log("sudachi alone over every post …")
        out["sudachi_floor"] = sudachi_floor(posts)

        log("jsearch full build (child process) …")
        index_dir = work / "index"
        build = build_in_child(index_dir, data, args.procs)
        build["index_bytes"] = baselines.tree_bytes(index_dir)
        build["procs"] = args.procs
        out["jsearch_build"] = build

        log("long units only, same writer (child process) …")
        long_dir = work / "long-units"
        out["long_units_build"] = long_units_build(long_dir, data, args.procs)
        shutil.rmtree(long_dir, ignore_errors=True)

        log(f"jsearch warm queries ({len(mix)}) …")
        out["jsearch_latency"] = jsearch_latency(index_dir, data, mix)

        log("jsearch updates …")
        out["jsearch_update"] = update_times(index_dir, data)
        shutil.rmtree(index_dir, ignore_errors=True)

        log("jsearch cold query …")
        out["jsearch_cold_query"] = cold_query(args.cold_runs)

        out["peers"] = {}
        for name in args.peers:
            log(f"{name}: build and warm queries …")
            out["peers"][name] = peer_perf(name, posts, mix)

        out["scale"] = []
        for copies in args.scale:
            log(f"scale ×{copies}: build and warm queries …")
            scaled = baselines.make_corpus(
                args.corpus, work / f"scale-{copies}", limit=args.limit_posts, copies=copies
            )
            scaled_index = work / f"scale-{copies}-index"
            built = build_in_child(scaled_index, scaled, args.procs)
            latency = jsearch_latency(scaled_index, scaled, mix)
            out["scale"].append(
                {
                    "copies": copies,
                    "posts": built["added"],
                    "corpus_bytes": baselines.tree_bytes(scaled),
                    "build_seconds": built["seconds"],
                    "peak_rss_all_processes": built["peak_rss_all_processes"],
                    "index_bytes": baselines.tree_bytes(scaled_index),
                    "p50_ms": latency["p50"],
                    "p95_ms": latency["p95"],
                }
            )
            shutil.rmtree(scaled, ignore_errors=True)
            shutil.rmtree(scaled_index, ignore_errors=True)
    out["ratios"] = ratios(out)
    return out


def ratios(out: dict) -> dict[str, float]:
    build = out["jsearch_build"]["seconds"]
    p50 = out["jsearch_latency"]["p50"]
    found = {"jsearch_build_vs_sudachi": build / out["sudachi_floor"]["seconds"]}
    if "long_units_build" in out:
        found["jsearch_build_vs_long_units"] = build / out["long_units_build"]["seconds"]
    for name, peer in out["peers"].items():
        found[f"jsearch_build_vs_{name}"] = build / peer["build_seconds"]
        found[f"jsearch_p50_vs_{name}"] = p50 / peer["latency"]["p50"]
    return {k: round(v, 2) for k, v in found.items()}


# --- output ----------------------------------------------------------------------


def _mb(n: int) -> str:
    return f"{n / MiB:.1f}"


def format_report(out: dict) -> str:
    m = out["machine"]
    build = out["jsearch_build"]
    floor = out["sudachi_floor"]
    corpus = out["corpus_bytes"]
    queries = out["queries"]
    lines = [
        f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}",
        f"corpus:  {out['corpus']}: {out['posts']} posts, {_mb(corpus)} MiB",
        "queries: {} ({})".format(
            queries["total"], ", ".join(f"{c} {n}" for c, n in queries["by_category"].items())
        ),
        "",
        f"{'build':<26}{'seconds':>9}{'peak RSS MiB':>14}{'index MiB':>11}{'index/corpus':>14}",
        f"{'sudachi only (floor)':<26}{floor['seconds']:>9.1f}{'-':>14}{'-':>11}{'-':>14}",
        "{:<26}{:>9.1f}{:>14}{:>11}{:>14.2f}".format(
            f"jsearch (procs={build['procs'] or 'auto'})",
            build["seconds"],
            f"{_mb(build['peak_rss_largest_process'])}/{_mb(build['peak_rss_all_processes'])}",
            _mb(build["index_bytes"]),
            build["index_bytes"] / corpus,
        ),
    ]
    if "long_units_build" in out:
        long = out["long_units_build"]
        lines.append(
            f"{'long units only':<26}{long['seconds']:>9.1f}{'-':>14}{_mb(long['index_bytes']):>11}"
            f"{long['index_bytes'] / corpus:>14.2f}"
        )
    for name, peer in out["peers"].items():
        lines.append(
            f"{name:<26}{peer['build_seconds']:>9.1f}{'-':>14}{_mb(peer['index_bytes']):>11}"
            f"{peer['index_bytes'] / corpus:>14.2f}"
        )
    lines.append("(peak RSS: largest process / all the build's processes together)")
    lines += ["", f"{'warm query ms (top 10)':<26}{'p50':>9}{'p95':>9}{'max':>9}{'mean':>9}{'errors':>8}"]
    engines = {"jsearch": out["jsearch_latency"]} | {n: p["latency"] for n, p in out["peers"].items()}
    for name, lat in engines.items():
        lines.append(_latency_line(name, lat) + f"{lat['errors']:>8}")
        for category, sub in lat["by_category"].items():
            lines.append(_latency_line(f"  {category}", sub))
    cold = out["jsearch_cold_query"]
    update = out["jsearch_update"]
    lines += [
        "",
        f"cold `jsearch query {COLD_QUERY} --json`: median {cold['median_ms']} ms of {cold['runs']} "
        f"(min {cold['min_ms']}, max {cold['max_ms']}; python -c pass {cold['python_startup_median_ms']} ms)",
        f"update: no-op {update['noop_ms']} ms, one file changed {update['one_changed_ms']} ms",
        "",
        "ratios: " + ", ".join(f"{k} {v}" for k, v in out["ratios"].items()),
    ]
    if out["scale"]:
        lines.append("")
        lines.append(
            f"{'scale':>5}{'posts':>8}{'corpus MiB':>12}{'build s':>9}{'index MiB':>11}{'p50 ms':>9}"
        )
        for row in out["scale"]:
            lines.append(
                f"{row['copies']:>5}{row['posts']:>8}{_mb(row['corpus_bytes']):>12}"
                f"{row['build_seconds']:>9.1f}{_mb(row['index_bytes']):>11}{row['p50_ms']:>9.2f}"
            )
    return "\n".join(lines)


def _latency_line(name: str, lat: dict) -> str:
    if not lat.get("n"):
        return f"{name:<26}{'-':>9}"
    return f"{name:<26}{lat['p50']:>9.2f}{lat['p95']:>9.2f}{lat['max']:>9.2f}{lat['mean']:>9.2f}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Build and query speed of jsearch and its peers.")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of posts")
    parser.add_argument("--scale", type=int, nargs="+", default=[], metavar="N", help="also build N copies")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"output (default {DEFAULT_JSON})")
    parser.add_argument("--queries", type=int, default=240, help="size of the warm query mix (default 240)")
    parser.add_argument("--limit-posts", type=int, default=None, help="use only the first N posts")
    parser.add_argument("--procs", type=int, default=0, help="jsearch build processes (0: automatic)")
    parser.add_argument("--cold-runs", type=int, default=10, help="new-process queries to time")
    parser.add_argument(
        "--peers",
        nargs="*",
        choices=list(baselines.PEERS),
        default=["whoosh-bigram", "fts5-trigram"],
        help="peers to measure (default: whoosh-bigram fts5-trigram)",
    )
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        parser.error(f"no posts folder at {args.corpus}")
    if any(n < 1 for n in args.scale):
        parser.error("--scale takes positive numbers")
    if args.queries < 1 or args.cold_runs < 1:
        parser.error("--queries and --cold-runs must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    out = run(args)
    out["seconds"] = round(time.perf_counter() - started, 1)
    print(format_report(out))
    baselines.write_json(args.json, out)
    print(f"\nwritten to {args.json} ({out['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
