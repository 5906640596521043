"""Hostile use of the CLI and the library: damage reported as damage,
readers never blocked, clean output, exit codes, the library's contract."""

import json
import os
import pickle
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from search import Engine, store
from search.errors import ArgumentError, IndexDamagedError, JSearchError, QueryError

JSEARCH = Path(sys.executable).with_name("jsearch")
GOOD = "---\ntitle: 良い投稿\ntags: [冷却]\n---\n本文は正常です。液浸冷却。\n"


def run(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env or {})}
    return subprocess.run([str(JSEARCH), *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture()
def small(tmp_path) -> tuple[Path, Path]:
    """A data folder of three posts (one undated) and its index."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "old.md").write_text(GOOD.replace("---\n本文", "date: 2020-01-01\n---\n本文"), "utf-8")
    (data / "new.md").write_text(GOOD.replace("---\n本文", "date: 2024-05-01\n---\n本文"), "utf-8")
    (data / "none.md").write_text(GOOD, "utf-8")
    index = tmp_path / "ix"
    with Engine(index_dir=index, data_dir=data) as e:
        e.update()
    return data, index


def cli(small, *args: str, **kw) -> subprocess.CompletedProcess:
    data, index = small
    return run(*args, "--data", str(data), "--index", str(index), **kw)


# --- defect 7: readers are never blocked ------------------------------------


def test_a_query_answers_from_the_last_index_while_another_process_writes(small):
    data, index = small
    (data / "added.md").write_text(GOOD.replace("良い", "追加"), "utf-8")
    with store.writer_lock(index):
        out = cli(small, "query", "液浸冷却", env={"JSEARCH_LOCK_TIMEOUT": "5"})
    assert out.returncode == 0, out.stderr
    assert "answering from the last committed index" in out.stderr
    assert "3 posts match" in out.stdout


# --- defect 9: damage is reported as damage ---------------------------------


def damage(index: Path, how: str) -> None:
    toc = next(index.glob("*.toc"))
    seg = next(index.glob("*.seg"))
    if how == "empty-toc":
        toc.write_bytes(b"")
    elif how == "garbled-toc":
        toc.write_bytes(bytes(range(256)) * 4)
    elif how == "pickled-toc":
        toc.write_bytes(toc.read_bytes()[:24] + pickle.dumps(object)[:-1] + b"\x00" * 50)
    elif how == "block-tag":
        seg.write_bytes(seg.read_bytes().replace(b"W3Bl", b"XXXX"))
    elif how == "nested-manifest":
        (index / "jsearch.json").write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    elif how == "manifest-folder":
        (index / "jsearch.json").unlink()
        (index / "jsearch.json").mkdir()


@pytest.mark.parametrize(
    "how", ["empty-toc", "garbled-toc", "pickled-toc", "block-tag", "nested-manifest", "manifest-folder"]
)
def test_damage_is_reported_as_damage_and_rebuild_recovers(small, how):
    data, index = small
    damage(index, how)
    for args in (["query", "液浸冷却", "--no-refresh"], ["similar", "old.md"]):
        out = cli(small, *args)
        assert out.returncode == 3, (args, out.stderr)
        assert "--rebuild" in out.stderr and "internal error" not in out.stderr
    out = cli(small, "index", "--rebuild")
    assert out.returncode == 0, out.stderr
    assert cli(small, "query", "液浸冷却").returncode == 0


@pytest.mark.parametrize(
    "error", [struct.error("unpack requires a buffer"), zlib.error("bad block"), pickle.UnpicklingError("x")]
)
def test_damaged_stored_records_in_similar_and_get_are_damage(small, monkeypatch, error):
    from whoosh.reading import SegmentReader

    def broken(self, docnum):
        raise error

    data, index = small
    with Engine(index_dir=index, data_dir=data) as e:
        monkeypatch.setattr(SegmentReader, "stored_fields", broken)
        with pytest.raises(IndexDamagedError, match="--rebuild"):
            e.similar("old.md")
        with pytest.raises(IndexDamagedError, match="--rebuild"):
            e.get("old.md")


# --- defect 11: undated posts last --------------------------------------------


def test_undated_posts_come_last_in_both_date_orders(small):
    data, index = small
    with Engine(index_dir=index, data_dir=data) as e:
        assert [h.id for h in e.search("液浸冷却", sort="-date").hits] == ["new.md", "old.md", "none.md"]
        assert [h.id for h in e.search("液浸冷却", sort="date").hits] == ["old.md", "new.md", "none.md"]
        assert [h.id for h in e.search("液浸冷却", sort="-date", offset=2).hits] == ["none.md"]


# --- defect 12: control characters never reach the terminal ----------------

NASTY = "\x1b]0;HACKED\x07\x9b31m"


def test_control_characters_are_escaped_in_everything_printed(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / f"bad{NASTY}.md").write_bytes(b"\xff not utf-8")
    front = '---\ntitle: "題\\e]0;HACKED\\a\\x9b31m"\ntags: ["t\\e[2J"]\n---\n'
    (data / f"p{NASTY}.md").write_text(front + "## 見出し\x1b[8m\n\n液浸冷却\x1b[2Jの本文\n", "utf-8")
    index = tmp_path / "ix"
    outs = [
        run("index", "--data", str(data), "--index", str(index)),
        run("query", "液浸冷却", "--facets", "--data", str(data), "--index", str(index)),
        run("similar", f"p{NASTY}.md", "--data", str(data), "--index", str(index)),
        run("query", f"nothing{NASTY}", "--data", str(data), "--index", str(index)),
        run("explain", f"液浸冷却{NASTY}", "--data", str(data), "--index", str(index)),
    ]
    assert outs[0].returncode == 1 and "bad\\x1b]0;HACKED\\x07" in outs[0].stderr
    assert "\\x1b" in outs[1].stdout
    for out in outs:
        for text in (out.stdout, out.stderr):
            assert not any(c in text for c in "\x1b\x07\x9b"), out.args
    as_json = run("query", "液浸冷却", "--json", "--data", str(data), "--index", str(index))
    assert json.loads(as_json.stdout)["hits"][0]["title"] == "題\x1b]0;HACKED\x07\x9b31m"


# --- defect 13: exit codes and messages ------------------------------------


def test_bad_usage_is_one_line_and_exit_2(small, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"\xff\xfe")
    cases = [
        (["eval", str(bad)], "UTF-8"),
        (["query", "x", "--limit", "-1"], "--limit"),
        (["query", "x", "--bogus"], "--bogus"),
        (["query", "+++"], "no words"),
        (["query", "-"], "no words"),
        (["query", "＋ －"], "no words"),
        (["query", "x"], "JSEARCH_LOCK_TIMEOUT"),
    ]
    for args, needle in cases:
        env = {"JSEARCH_LOCK_TIMEOUT": "abc"} if needle == "JSEARCH_LOCK_TIMEOUT" else None
        out = cli(small, *args, env=env)
        assert out.returncode == 2, (args, out.stderr)
        assert len(out.stderr.strip().splitlines()) == 1 and needle in out.stderr, (args, out.stderr)
    out = run("index", "--data", str(bad), "--index", str(tmp_path / "ix2"))
    assert out.returncode == 2 and "not a folder" in out.stderr
    assert not (tmp_path / "ix2").exists()


def test_dates_at_the_end_of_the_calendar_are_searchable(small):
    out = cli(small, "query", "date:9999-12")
    assert out.returncode == 1 and "does not exist" not in out.stderr
    assert cli(small, "query", "date:2025-02-30").returncode == 2


def test_empty_pages_still_say_how_many_posts_match(small):
    out = cli(small, "query", "液浸冷却", "--offset", "100")
    assert out.returncode == 0 and "3 posts match" in out.stdout
    out = cli(small, "query", "液浸冷却", "--limit", "0")
    assert out.returncode == 0 and "3 posts match" in out.stdout


def test_a_title_given_as_a_mapping_is_text(small):
    data, _ = small
    (data / "map.md").write_text("---\ntitle: {main: 主題, sub: 副題}\n---\n液浸冷却\n", "utf-8")
    out = cli(small, "query", "主題")
    assert "主題 副題" in out.stdout and "{" not in out.stdout


# --- defect 14: the library's contract --------------------------------------


def test_wrong_types_raise_type_error_and_wrong_values_jsearch_errors(small, tmp_path):
    data, index = small
    with Engine(index_dir=index, data_dir=data) as e:
        wrong_types = [
            lambda: e.search("x", limit="3"),
            lambda: e.search(None),
            lambda: e.search("x", require_all="yes"),
            lambda: e.similar(None),
            lambda: e.get(None),
            lambda: e.analyze(None),
            lambda: e.explain("x", post_id=3),
            lambda: e.evaluate(None),
            lambda: e.update(procs="2"),
            lambda: Engine(index_dir=None),
            lambda: Engine(index_dir=index, stoptags="名詞"),
        ]
        for call in wrong_types:
            with pytest.raises(TypeError):
                call()
        wrong_values = [
            (lambda: e.similar("old.md", limit=-1), QueryError),
            (lambda: e.search("液浸冷却", passages=-1), QueryError),
            (lambda: e.search("x", sort="size"), QueryError),
            (lambda: e.evaluate(tmp_path / "missing.jsonl"), QueryError),
            (lambda: e.analyze("x", field="nope"), QueryError),
            (lambda: e.update(procs=-1), ArgumentError),
            (lambda: Engine(index_dir=index, lock_timeout=-1.0), ArgumentError),
            (lambda: e.get("missing.md"), JSearchError),
        ]
        for call, kind in wrong_values:
            with pytest.raises(kind):
                call()
        assert len(e.search("液浸冷却", passages=0).hits[0].passages) == 0
