"""Hostile files and folders: nothing of the user's is touched, one bad
post never stops the others, nothing hangs."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from search import Engine, indexer, store
from search.documents import parse_post
from search.errors import IndexDamagedError, IndexFolderError

GOOD = "---\ntitle: 良い投稿\n---\n本文は正常です。液浸冷却。\n"
JSEARCH = Path(sys.executable).with_name("jsearch")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(JSEARCH), *args], capture_output=True, text=True, timeout=timeout)


def blog(root: Path) -> Path:
    """A data folder whose names look like Whoosh's."""
    root.mkdir()
    (root / "posts-2024-01.md").write_text(GOOD, "utf-8")
    (root / "_posts-draft.md").write_text(GOOD.replace("良い", "下書き"), "utf-8")
    (root / "posts-3_abc.seg").write_text("not an index file", "utf-8")
    (root / "notes.md").write_text(GOOD.replace("良い", "メモ"), "utf-8")
    return root


# --- defect 1: the index folder ---------------------------------------------


def _one_post(tmp_path: Path) -> tuple[Path, Path]:
    """A data folder holding one good post, and where its index goes."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.md").write_text(GOOD, "utf-8")
    return data, tmp_path / "ix"


@pytest.mark.parametrize("where", ["same", "inside"])
def test_index_folder_in_the_data_folder_is_refused_and_nothing_written(tmp_path, where):
    data = blog(tmp_path / "blog")
    index = data if where == "same" else data / "ix"
    before = snapshot(data)
    for rebuild in (False, True):
        with Engine(index_dir=index, data_dir=data) as e, pytest.raises(IndexFolderError, match="inside"):
            e.update(rebuild=rebuild)
    out = run("query", "液浸冷却", "--data", str(data), "--index", str(index))
    assert out.returncode == 3 and "inside the data folder" in out.stderr
    out = run("index", "--rebuild", "--data", str(data), "--index", str(index))
    assert out.returncode == 3
    assert snapshot(data) == before
    assert sorted(p.name for p in data.iterdir()) == sorted(before)  # not even a lock file


def test_index_folder_of_foreign_files_is_refused_and_kept(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.md").write_text(GOOD, "utf-8")
    index = blog(tmp_path / "elsewhere")
    before = snapshot(index)
    out = run("index", "--rebuild", "--data", str(data), "--index", str(index))
    assert out.returncode == 3 and "did not create" in out.stderr, out.stderr
    out = run("query", "液浸冷却", "--data", str(data), "--index", str(index))
    assert out.returncode == 3
    assert snapshot(index) == before and len(list(index.iterdir())) == len(before)


def test_a_foreign_file_dropped_into_an_index_is_never_deleted(tmp_path):
    data, index = _one_post(tmp_path)
    with Engine(index_dir=index, data_dir=data) as e:
        e.update()
        (index / "posts-notes.txt").write_text("mine", "utf-8")
        with pytest.raises(IndexFolderError, match="posts-notes.txt"):
            e.update(rebuild=True)
    assert (index / "posts-notes.txt").read_text("utf-8") == "mine"


def test_rebuild_deletes_only_its_own_generations(tmp_path):
    data, index = _one_post(tmp_path)
    with Engine(index_dir=index, data_dir=data) as e:
        e.update()
        first = {p.name for p in index.iterdir() if p.name.startswith(("posts-", "_posts-"))}
        e.update(rebuild=True)
        e.update(rebuild=True)
        now = {p.name for p in index.iterdir() if p.name.startswith(("posts-", "_posts-"))}
        assert not first & now and e.search("液浸冷却").total == 1


# --- defect 2: one post never stops the others ------------------------------

EDGE_DATES = [
    "9999-12-31T23:59:59-05:00",
    "9999-12-31 23:30:00 -01:00",
    "0001-01-01T00:00:00+09:00",
    "0001-01-01 00:59 +01:00",
]


@pytest.mark.parametrize("procs", [1, 2])
def test_dates_at_the_calendar_edges_give_undated_posts(tmp_path, procs):
    data = tmp_path / "data"
    data.mkdir()
    (data / "good.md").write_text(GOOD, "utf-8")
    for n, value in enumerate(EDGE_DATES):
        (data / f"edge{n}.md").write_text(f"---\ntitle: 端{n}\ndate: {value}\n---\n液浸冷却\n", "utf-8")
    index = tmp_path / "ix"
    with Engine(index_dir=index, data_dir=data) as e:
        report = e.update(procs=procs)
        assert not report.skipped and len(report.added) == 5
        assert [h.date for h in e.search("液浸冷却", sort="-date").hits if h.id != "good.md"] == [None] * 4
        (data / "later.md").write_text("---\ndate: 9999-12-31T23:59:59-12:00\n---\n後から\n", "utf-8")
        assert e.update().added == ("later.md",)
        assert e.similar("good.md").total >= 1


def test_any_failure_in_one_post_skips_only_that_post(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("a.md", "boom.md", "c.md"):
        (data / name).write_text(GOOD, "utf-8")

    def fragile(raw, post_id):
        if post_id == "boom.md":
            raise RuntimeError("something no one foresaw")
        return parse_post(raw, post_id)

    monkeypatch.setattr(indexer, "parse_post", fragile)
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as e:
        report = e.update()
        assert report.added == ("a.md", "c.md")
        assert [(s.id, "RuntimeError" in s.reason) for s in report.skipped] == [("boom.md", True)]
        (data / "d.md").write_text(GOOD, "utf-8")
        (data / "boom.md").write_text(GOOD + "追記\n", "utf-8")
        report = e.update()
        assert report.added == ("d.md",) and [s.id for s in report.skipped] == ["boom.md"]


# --- defect 3: file names that are not UTF-8 --------------------------------


def test_file_names_that_are_not_utf8_are_skipped_with_the_name_escaped(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "good.md").write_text(GOOD, "utf-8")
    index = tmp_path / "ix"
    with open(os.path.join(os.fsencode(data), b"caf\xe9.md"), "wb") as fh:
        fh.write(b"---\ntitle: x\n---\ny\n")
    with Engine(index_dir=index, data_dir=data) as e:
        report = e.update()
        assert report.added == ("good.md",)
        assert [(s.id, "UTF-8" in s.reason) for s in report.skipped] == [("caf\\xe9.md", True)]
        assert not e.is_stale() and e.search("液浸冷却").total == 1
    os.makedirs(os.path.join(os.fsencode(data), b"d\xff"))
    with open(os.path.join(os.fsencode(data), b"d\xff", b"x.md"), "wb") as fh:
        fh.write(b"---\ntitle: y\n---\nz\n")
    out = run("query", "液浸冷却", "--data", str(data), "--index", str(index))
    assert out.returncode == 0, out.stderr
    out = run("index", "--rebuild", "--data", str(data), "--index", str(index))
    assert out.returncode == 1 and "d\\xff/x.md" in out.stderr and "caf\\xe9.md" in out.stderr


# --- defect 4: YAML alias bombs ---------------------------------------------


def alias_bomb(levels: int = 7, width: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    lines.append(f"title: *a{levels}")
    return "---\n" + "\n".join(lines) + "\n---\n本文\n"


@pytest.mark.parametrize(
    "front",
    [
        alias_bomb(),
        alias_bomb(levels=12, width=4).replace("title:", "tags:"),
        "---\nbase: &b {x: &x [1, 2]}\nloop: &l [*l]\ntitle: *l\n---\n本文\n",
    ],
)
def test_front_matter_whose_aliases_multiply_is_refused(tmp_path, front):
    data = tmp_path / "data"
    data.mkdir()
    (data / "bomb.md").write_text(front, "utf-8")
    (data / "good.md").write_text(GOOD, "utf-8")
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as e:
        report = e.update()
    assert report.added == ("good.md",)
    assert [(s.id, "front matter" in s.reason) for s in report.skipped] == [("bomb.md", True)]


def test_aliases_that_do_not_multiply_still_work():
    post = parse_post("---\nt: &t 冷却\ntitle: *t\ntags: [*t, 液浸]\n---\n本文\n", "a.md")
    assert (post.title, post.tags) == ("冷却", ("冷却", "液浸"))


# --- defects 5 and 6: files swapped while they are indexed -----------------


def swapped_scan(monkeypatch, swap):
    """``indexer.scan`` that lists the files, then lets ``swap`` replace
    some before they are read (a race won every time)."""
    real = indexer.scan

    def scan(data_dir):
        files = real(data_dir)
        swap(data_dir)
        return files

    monkeypatch.setattr(indexer, "scan", scan)


def test_a_post_swapped_for_a_link_is_not_followed(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "p.md").write_text("---\ntitle: 秘密\n---\n機密文書\n", "utf-8")
    (data / "a.md").write_text(GOOD, "utf-8")
    (data / "sub" / "p.md").write_text(GOOD, "utf-8")

    def swap(d):
        (d / "a.md").unlink()
        os.symlink(secret / "p.md", d / "a.md")
        os.rename(d / "sub", d / "old-sub")  # a folder on the path becomes a link
        os.symlink(secret, d / "sub")

    swapped_scan(monkeypatch, swap)
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as e:
        report = e.update()
        assert report.added == ()
        assert sorted(s.id for s in report.skipped) == ["a.md", "sub/p.md"]
        assert "symbolic link" in report.skipped[0].reason
        assert e.search("機密文書").total == 0


def in_thread(fn, seconds: float = 60):
    """Run ``fn`` in a daemon thread; what it returned or raised, or a
    failure when it is still blocked after ``seconds``."""
    box = {}

    def target():
        try:
            box["value"] = fn()
        except Exception as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "blocked"
    return box


def test_a_post_swapped_for_a_fifo_does_not_block_the_update(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.md").write_text(GOOD, "utf-8")
    (data / "fifo.md").write_text(GOOD, "utf-8")

    def swap(d):
        (d / "fifo.md").unlink()
        os.mkfifo(d / "fifo.md")

    swapped_scan(monkeypatch, swap)
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as e:
        box = in_thread(e.update)
    report = box["value"]
    assert report.added == ("a.md",)
    assert [(s.id, "not a regular file" in s.reason) for s in report.skipped] == [("fifo.md", True)]


@pytest.mark.parametrize("victim", ["toc", "seg", "manifest"])
def test_an_index_file_replaced_by_a_fifo_is_damage_not_a_hang(tmp_path, victim):
    data, index = _one_post(tmp_path)
    with Engine(index_dir=index, data_dir=data) as e:
        e.update()
    path = {"toc": lambda: next(index.glob("*.toc")), "seg": lambda: next(index.glob("*.seg"))}.get(
        victim, lambda: index / "jsearch.json"
    )()
    path.unlink()
    os.mkfifo(path)
    with Engine(index_dir=index, data_dir=data) as e:
        box = in_thread(lambda: e.search("液浸冷却"))
        assert isinstance(box.get("error"), IndexDamagedError)
    out = run("query", "液浸冷却", "--data", str(data), "--index", str(index), timeout=60)
    assert out.returncode == 3 and "--rebuild" in out.stderr
    assert run("index", "--rebuild", "--data", str(data), "--index", str(index)).returncode == 0
    assert run("query", "液浸冷却", "--data", str(data), "--index", str(index)).returncode == 0


# --- defect 8: skipped files are remembered ---------------------------------


def test_a_skipped_file_does_not_keep_the_index_stale(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.md").write_text(GOOD, "utf-8")
    (data / "bad.md").write_bytes(b"\xff\xfe not utf-8")
    index = tmp_path / "ix"
    with Engine(index_dir=index, data_dir=data) as e:
        assert [s.id for s in e.update().skipped] == ["bad.md"]
        assert not e.is_stale()
        reads = []
        real = indexer.read_raw
        monkeypatch.setattr(indexer, "read_raw", lambda root, i: reads.append(i) or real(root, i))
        report = e.update()  # still reported, never read again
        assert [s.id for s in report.skipped] == ["bad.md"] and reads == []
        time.sleep(0.01)
        (data / "bad.md").write_text(GOOD, "utf-8")  # fixed: read again
        assert e.is_stale()
        assert e.update().added == ("bad.md",) and reads == ["bad.md"]
    out = run("query", "液浸冷却", "--data", str(data), "--index", str(index))
    assert out.returncode == 0 and "updated index" not in out.stderr


def test_watch_ignores_its_own_reads():
    from watchdog.events import FileClosedNoWriteEvent, FileModifiedEvent, FileOpenedEvent

    from search.watch import Watcher

    w = Watcher(engine=None, on_update=lambda r: None)
    w._notify(FileOpenedEvent("/d/a.md"))
    w._notify(FileClosedNoWriteEvent("/d/a.md"))
    assert not w._changed.is_set()
    w._notify(FileModifiedEvent("/d/a.md"))
    assert w._changed.is_set()


# --- defect 10: an interrupted first build ---------------------------------


def test_files_of_an_interrupted_first_build_are_replaced_by_the_next_run(tmp_path):
    data, index = _one_post(tmp_path)
    index.mkdir()
    # what a first build killed before its manifest leaves behind
    (index / "jsearch.lock").write_text("123")
    (index / "_posts-1_0.toc").write_bytes(b"")
    (index / "posts-1_abcdef0123.seg").write_bytes(b"\0" * 100)
    (index / "posts-1_WRITELOCK").write_bytes(b"")
    out = run("query", "液浸冷却", "--data", str(data), "--index", str(index))
    assert out.returncode == 0, out.stderr
    assert not (index / "posts-1_abcdef0123.seg").exists()


def test_ctrl_c_during_a_build_prints_one_line_and_the_next_run_finishes(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    # long enough (about 4 s) that the interrupt lands in the build, not
    # while the finished process shuts down (Python then dies by SIGINT)
    for n in range(400):
        body = "".join(f"第{n}の段落{k}では液浸冷却の仕組みを説明します。" for k in range(100))
        (data / f"p{n:03d}.md").write_text(f"---\ntitle: 第{n}の投稿\n---\n{body}\n", "utf-8")
    index = tmp_path / "ix"
    proc = subprocess.Popen(
        [str(JSEARCH), "query", "液浸冷却", "--data", str(data), "--index", str(index)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not any(index.glob("posts-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    os.killpg(proc.pid, 2)  # Ctrl-C reaches the whole process group
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the build finished before the interrupt")
    assert proc.returncode == 130
    assert err.strip().splitlines() == ["jsearch: interrupted"], err
    out = run("query", "液浸冷却", "--data", str(data), "--index", str(index), "-n", "1")
    assert out.returncode == 0, out.stderr


# --- also: costly posts and compaction --------------------------------------


def test_only_the_first_characters_of_a_huge_post_are_indexed(tmp_path, monkeypatch):
    from search import documents

    monkeypatch.setattr(indexer, "MAX_INDEXED_CHARS", 1_000)
    monkeypatch.setattr(documents, "MAX_MARKDOWN_CHARS", 4_000)
    data = tmp_path / "data"
    data.mkdir()
    filler = "あ" * 1_500 + "\n\n"
    body = f"先頭語\n\n{filler}中間語\n\n{filler}{filler}末尾語\n"
    (data / "big.md").write_text("---\ntitle: 大\n---\n" + body, "utf-8")
    (data / "fm.md").write_text("---\ntags: [" + "x, " * 400_000 + "]\n---\n本文\n", "utf-8")
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as e:
        report = e.update()
        assert report.added == ("big.md",)
        assert [(s.id, "front matter longer" in s.reason) for s in report.skipped] == [("fm.md", True)]
        assert e.search("先頭語").total == 1
        assert e.search('"中間語"').total == 0  # stored and shown, not indexed
        assert "末尾語" not in "".join(p.text for p in e.search("先頭語", passages=50).hits[0].passages)


def test_incremental_updates_merge_away_replaced_posts(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for n in range(12):
        (data / f"p{n}.md").write_text(GOOD.replace("良い", f"第{n}"), "utf-8")
    index = tmp_path / "ix"
    with Engine(index_dir=index, data_dir=data) as e:
        e.update(procs=2)
        for round_ in range(8):
            for n in range(round_ % 3, 12, 3):
                (data / f"p{n}.md").write_text(GOOD.replace("良い", f"第{n}版{round_}"), "utf-8")
            e.update()
        ix = store.open_generation(index, store.read_manifest(index)["active"])
        segments = ix._segments()
        stored = sum(s.doc_count_all() for s in segments)
        ix.close()
        assert len(segments) <= 6 and stored <= 12 * 1.25
        assert e.search("液浸冷却").total == 12 and e.get("p4.md").title == "第4版7投稿"
