"""Cold start of ``jsearch query 液浸冷却 --json`` over data/: this tree
against an earlier revision, in one run.

    python benchmarks/cold_start.py                  # against the merge base with main
    python benchmarks/cold_start.py --before HEAD~3 --runs 21

Each side's ``search`` package is imported from its own folder (the earlier
one from ``git archive``) by the same Python, over an index that side built
itself; runs alternate between the sides so that the machine's drift falls on
both alike.  Prints the median, min and max wall time of each side and the
ratio of the medians, with a ``python -c pass`` floor.
"""

from __future__ import annotations

import argparse
import compileall
import io
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERY = "液浸冷却"
LAUNCH = "import sys; sys.path.insert(0, sys.argv.pop(1)); from search.cli import main; main()"


def export(revision: str, target: Path) -> Path:
    """The ``search`` package of ``revision``, unpacked below ``target``."""
    tar = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "search"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(target, filter="data")
    return target


def merge_base() -> str:
    out = subprocess.run(
        ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def jsearch(tree: Path, *args: str) -> subprocess.CompletedProcess:
    """``jsearch ARGS`` with the package of ``tree``."""
    return subprocess.run([sys.executable, "-c", LAUNCH, str(tree), *args], capture_output=True, text=True)


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0 or json.loads(done.stdout)["total"] != 3:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-1000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="revision to compare with (default: merge base with main)")
    parser.add_argument("--runs", type=int, default=15, help="runs per side")
    args = parser.parse_args()
    before = args.before or merge_base()
    data = ROOT / "data"
    with tempfile.TemporaryDirectory(prefix="jsearch-cold-") as tmp:
        sides = {f"before ({before[:10]})": export(before, Path(tmp) / "before"), "after (this tree)": ROOT}
        argvs = {}
        for n, (name, tree) in enumerate(sides.items()):
            compileall.compile_dir(tree / "search", quiet=1)  # as any first run leaves it
            index = Path(tmp) / f"index-{n}"
            jsearch(tree, "index", "--quiet", "--index", str(index), "--data", str(data))
            argvs[name] = [sys.executable, "-c", LAUNCH, str(tree), "query", QUERY, "--json"]
            argvs[name] += ["--index", str(index), "--data", str(data)]
            timed(argvs[name])  # one untimed run each
        times: dict[str, list[float]] = {name: [] for name in argvs}
        floor = []
        for i in range(args.runs):
            for name in sorted(argvs, reverse=bool(i % 2)):
                times[name].append(timed(argvs[name]))
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            floor.append((time.perf_counter() - started) * 1000)
    print(f"cold `jsearch query {QUERY} --json` over data/, {args.runs} runs per side, alternating")
    for name, values in times.items():
        print(
            f"  {name:<24} median {statistics.median(values):6.1f} ms"
            f"  (min {min(values):.1f}, max {max(values):.1f})"
        )
    names = list(times)
    ratio = statistics.median(times[names[1]]) / statistics.median(times[names[0]])
    print(f"  after / before: {ratio:.3f}; python -c pass: median {statistics.median(floor):.1f} ms")


if __name__ == "__main__":
    main()
