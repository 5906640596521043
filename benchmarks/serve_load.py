"""Load on ``jsearch serve`` while posts are edited and the index updates.

    python benchmarks/serve_load.py                 # 8 clients, 320 queries per phase
    python benchmarks/serve_load.py --clients 8 --queries 400

A real server (``jsearch serve --port 0``, watching a copy of data/) gets
the query mix from one client (a request's latency alone), then twice from
concurrent HTTP clients with keep-alive connections: first with the folder
quiet, then while an editor rewrites posts one after another, each time
waiting until the edit can be found (the watcher debounces, updates the
index, and the next search sees it).  Every response must be a 200 whose
JSON is well formed, and the queries whose answer the edits do not change
must give it unchanged; anything else counts as an error.  Prints requests,
errors, p50/p95/max latency of each phase, the index updates seen and how
long edits took to show.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.server_process import running_server  # noqa: E402

#: The query mix: (parameters, expected total or None when edits may change it).
QUERIES: tuple[tuple[dict, int | None], ...] = (
    ({"q": "液浸冷却"}, 3),
    ({"q": "データセンター 電力"}, None),
    ({"q": "NVIDIA", "facets": "true"}, None),
    ({"q": "えきしんれいきゃく"}, 3),
    ({"q": "tag:NVIDIA", "sort": "-date"}, 3),
    ({"q": "冷却 OR 電力", "limit": 3}, None),
    ({"q": "サプライチェーン"}, None),
    ({"q": "category:投資分析"}, 2),
    ({"q": "AIインフラの未来", "offset": 2}, None),
    ({"q": "ぴよぴよぽよ"}, 0),
)
EDITED = ("001_bbe059e7aa7c923b.md", "004_885ec092a0712be0.md")


class Client(threading.Thread):
    """Sends its share of the mix over one keep-alive connection."""

    def __init__(self, url: str, jobs: list[tuple[dict, int | None]]) -> None:
        super().__init__(daemon=True)
        where = urlsplit(url)
        self.host, self.port = where.hostname, where.port
        self.jobs = jobs
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def run(self) -> None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        for params, expected in self.jobs:
            started = time.perf_counter()
            try:
                conn.request("GET", "/api/search?" + urlencode(params))
                response = conn.getresponse()
                body = response.read()
                elapsed = (time.perf_counter() - started) * 1000
                doc = json.loads(body)
                if response.status != 200:
                    self.errors.append(f"{response.status} for {params}: {body[:200]!r}")
                elif expected is not None and doc["total"] != expected:
                    self.errors.append(f"{params}: total {doc['total']}, expected {expected}")
                else:
                    self.latencies.append(elapsed)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                self.errors.append(f"{params}: {exc.__class__.__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        conn.close()


class Editor(threading.Thread):
    """Appends a paragraph with a new word to a post, waits until a search
    finds the word, and goes on with the next post until stopped."""

    def __init__(self, url: str, data: Path) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.data = data
        self.stop = threading.Event()
        self.visible_after: list[float] = []
        self.errors: list[str] = []

    def run(self) -> None:
        for n in itertools.count():
            if self.stop.is_set():
                return
            post = self.data / EDITED[n % len(EDITED)]
            word = f"zqedit{n}x"
            post.write_text(post.read_text("utf-8") + f"\n\n追記 {word} です。\n", "utf-8")
            written = time.perf_counter()
            while not self.stop.is_set():
                if self._finds(word, post.name):
                    self.visible_after.append(time.perf_counter() - written)
                    break
                time.sleep(0.05)

    def _finds(self, word: str, post_id: str) -> bool:
        where = urlsplit(self.url)
        conn = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
        try:
            conn.request("GET", "/api/search?" + urlencode({"q": word}))
            response = conn.getresponse()
            hits = json.loads(response.read())["hits"] if response.status == 200 else None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            self.errors.append(f"editor: {exc}")
            return False
        finally:
            conn.close()
        if hits is None:
            self.errors.append(f"editor: status {response.status}")
            return False
        return [h["id"] for h in hits] == [post_id]


def phase(url: str, clients: int, queries: int) -> dict:
    """Run ``queries`` requests from ``clients`` threads; latencies and errors."""
    mix = list(itertools.islice(itertools.cycle(QUERIES), queries))
    workers = [Client(url, mix[i::clients]) for i in range(clients)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    latencies = sorted(ms for w in workers for ms in w.latencies)
    errors = [e for w in workers for e in w.errors]
    return {
        "requests": queries,
        "errors": errors,
        "seconds": time.perf_counter() - started,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan"),
        "max": latencies[-1] if latencies else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--queries", type=int, default=320, help="requests per phase")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jsearch-load-") as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(ROOT / "data", data)
        with running_server(data, Path(tmp) / "index") as server:
            phase(server.url, args.clients, len(QUERIES))  # warm every worker thread once
            alone = phase(server.url, 1, len(QUERIES) * 4)
            quiet = phase(server.url, args.clients, args.queries)
            editor = Editor(server.url, data)
            editor.start()
            busy = phase(server.url, args.clients, args.queries)
            editor.stop.set()
            editor.join(timeout=60)
            updates = sum("updated index" in line for line in server.drain())
            status = server.stop()
    print(f"jsearch serve under load: {args.clients} concurrent clients, HTTP keep-alive, /api/search")
    phases = (("one client", alone), ("quiet folder", quiet), ("while editing", busy))
    for name, result in phases:
        print(
            f"  {name:<14} {result['requests']} requests, {len(result['errors'])} errors,"
            f" p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, max {result['max']:.1f} ms"
            f" ({result['requests'] / result['seconds']:.0f} requests/s)"
        )
        for error in result["errors"][:5]:
            print(f"    error: {error}")
    seen = editor.visible_after
    shown = f"median {statistics.median(seen):.2f} s, max {max(seen):.2f} s" if seen else "none"
    print(f"  edits found by the next searches: {len(seen)} ({shown}); index updates logged: {updates}")
    for error in editor.errors[:5]:
        print(f"    editor error: {error}")
    print(f"  server stopped with status {status}")
    if any(result["errors"] for _, result in phases) or editor.errors or status != 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
