"""Crash safety and concurrency: killed writers, second writers, readers
during writes."""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from search import Engine, store
from search.errors import IndexLockedError

from .conftest import DATA


def many_posts(target: Path) -> Path:
    """Small posts cut from the sample articles: many files, quick to index."""
    target.mkdir()
    n = 0
    for path in sorted(DATA.glob("*.md")):
        paragraphs = [p for p in path.read_text("utf-8").split("\n\n")[1:] if len(p) > 80]
        for para in paragraphs:
            (target / f"p{n:04d}.md").write_text(f"---\ntitle: 段落{n}\n---\n{para}\n", "utf-8")
            n += 1
    return target


def test_second_writer_waits_then_fails(tmp_path, jsearch):
    with store.writer_lock(tmp_path / "ix"):
        with Engine(index_dir=tmp_path / "ix", data_dir=DATA, lock_timeout=0.3) as e:
            started = time.monotonic()
            with pytest.raises(IndexLockedError, match="another process"):
                e.update()
            assert time.monotonic() - started >= 0.3
    with store.writer_lock(tmp_path / "ix2"):
        out = jsearch(
            "index",
            *("--index", str(tmp_path / "ix2"), "--data", str(DATA)),
            env={"JSEARCH_LOCK_TIMEOUT": "0.2"},
            timeout=60,
        )
    assert out.returncode == 3, out.stderr
    assert "another process" in out.stderr


def test_killed_writer_never_breaks_the_index(tmp_path):
    data = many_posts(tmp_path / "data")
    index = tmp_path / "ix"
    with Engine(index_dir=index, data_dir=data) as e:
        e.update()
        baseline = e.search("液浸冷却", passages=0).total
    assert baseline >= 3
    rng = random.Random(7)
    code = (
        "import sys; from search import Engine; "
        "Engine(sys.argv[1], sys.argv[2]).update(rebuild=sys.argv[3] == '1')"
    )
    for round_ in range(6):
        if round_ % 2:  # incremental work: touch a third of the posts
            for p in sorted(data.glob("*.md"))[round_::3]:
                p.write_text(p.read_text("utf-8") + f"\n追記{round_}\n", "utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(index), str(data), str(round_ % 2 == 0 and 1)]
        )
        time.sleep(rng.uniform(0.2, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with Engine(index_dir=index, data_dir=data) as e:
            assert e.search("液浸冷却", passages=0).total == baseline
    with Engine(index_dir=index, data_dir=data) as e:
        e.update()  # the lock left by the killed writer is free again
        assert not e.is_stale()
        assert e.search("追記5", passages=0).total > 0


def test_readers_see_old_or_new_state_while_a_writer_commits(tmp_path, data_copy):
    index = tmp_path / "ix"
    post = data_copy / "000_b8fa68eb6a450baa.md"
    original = post.read_text("utf-8")
    with Engine(index_dir=index, data_dir=data_copy) as e:
        e.update()
        old = tuple(h.id for h in e.search("液浸冷却").hits)
        post.write_text(original.replace("液浸冷却", "空冷"), "utf-8")
        e.update()
        new = tuple(h.id for h in e.search("液浸冷却").hits)
        assert old != new
        errors, seen = [], set()
        stop = threading.Event()

        def reader():
            while not stop.is_set():
                try:
                    seen.add(tuple(h.id for h in e.search("液浸冷却", passages=1).hits))
                except Exception as exc:  # noqa: BLE001 - any failure is the finding
                    errors.append(exc)
                time.sleep(0.01)

        threads = [threading.Thread(target=reader) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            with Engine(index_dir=index, data_dir=data_copy) as writer:
                for i in range(4):
                    text = original if i % 2 == 0 else original.replace("液浸冷却", "空冷")
                    post.write_text(text, "utf-8")
                    os.utime(post, ns=(time.time_ns(), time.time_ns() + i))
                    writer.update(rebuild=(i == 2))
        finally:
            stop.set()
            for t in threads:
                t.join()
    assert errors == []
    assert seen <= {old, new} and seen


def test_load_eight_threads_two_thousand_queries_during_updates(tmp_path, data_copy):
    """Every result set is what a single-threaded run returns for the old
    or the new state of the posts."""
    queries = ["液浸冷却", "NVIDIA", "電力 -液浸冷却", "tag:NVIDIA", '"データセンター"', "AI OR 空冷", "空冷"]
    post = data_copy / "000_b8fa68eb6a450baa.md"
    original = post.read_text("utf-8")
    changed = original.replace("液浸冷却", "空冷")
    index = tmp_path / "ix"

    def snapshot(engine):
        return {q: frozenset(h.id for h in engine.search(q, passages=0).hits) for q in queries}

    with Engine(index_dir=index, data_dir=data_copy) as e:
        e.update()
        old = snapshot(e)
        post.write_text(changed, "utf-8")
        e.update()
        new = snapshot(e)
        assert old != new
        errors, wrong = [], []
        stop = threading.Event()

        def reader(seed):
            rng = random.Random(seed)
            for _ in range(250):
                q = rng.choice(queries)
                try:
                    # sets: the order of near-ties may move as deleted posts are merged away
                    got = frozenset(h.id for h in e.search(q, passages=rng.choice([0, 1])).hits)
                except Exception as exc:  # noqa: BLE001 - any failure is the finding
                    errors.append(exc)
                    continue
                if got not in (old[q], new[q]):
                    wrong.append((q, got))

        def writer():
            with Engine(index_dir=index, data_dir=data_copy) as w:
                i = 0
                while not stop.is_set():
                    post.write_text(original if i % 2 == 0 else changed, "utf-8")
                    os.utime(post, ns=(time.time_ns(), time.time_ns() + i))
                    w.update()
                    i += 1

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(8)]
        writer_thread = threading.Thread(target=writer)
        writer_thread.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        writer_thread.join()
    assert errors == []
    assert wrong == []
