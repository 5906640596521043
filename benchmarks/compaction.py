"""Index size after many incremental updates, against a fresh build.

    python benchmarks/compaction.py                      # 405 man pages, 10 updates
    python benchmarks/compaction.py --posts 200 --updates 5

Copies the first N posts of the corpus, builds an index, then edits a
third of the posts (a different third each round) and runs an incremental
update, ten times.  Prints the index's size, segments and stored documents
after each update, and the ratio of the final size to a fresh build of the
same posts.  Incremental commits merge segments (``store.merge_policy``)
so that the ratio stays well under 1.5.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search import Engine, store  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "manpages-ja"


def size_mib(index: Path) -> float:
    return sum(p.stat().st_size for p in index.iterdir() if p.is_file()) / 2**20


def shape(index: Path) -> tuple[int, int, int]:
    """Segments, stored documents and live documents of the active generation."""
    ix = store.open_generation(index, store.read_manifest(index)["active"])
    try:
        segments = ix._segments()
        return len(segments), sum(s.doc_count_all() for s in segments), sum(s.doc_count() for s in segments)
    finally:
        ix.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--posts", type=int, default=405)
    parser.add_argument("--updates", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jsearch-compaction-"))
    try:
        data = work / "data"
        data.mkdir()
        for path in sorted(args.corpus.glob("*.md"))[: args.posts]:
            shutil.copy(path, data / path.name)
        index = work / "ix"
        posts = sorted(data.glob("*.md"))
        with Engine(index_dir=index, data_dir=data) as engine:
            engine.update()
            print(f"built: {size_mib(index):.1f} MiB, segments/stored/live {shape(index)}")
            for round_ in range(args.updates):
                for path in posts[round_ % 3 :: 3]:
                    path.write_text(path.read_text("utf-8") + f"\n\n追記 {round_}\n", "utf-8")
                report = engine.update()
                print(
                    f"update {round_ + 1}: {len(report.updated)} posts changed, "
                    f"{size_mib(index):.1f} MiB, segments/stored/live {shape(index)}"
                )
            incremental = size_mib(index)
            engine.update(rebuild=True)
            fresh = size_mib(index)
        print(
            f"after {args.updates} updates: {incremental:.1f} MiB; fresh build {fresh:.1f} MiB; "
            f"ratio {incremental / fresh:.2f}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
