"""Hostile input and failures: clear errors, nothing lost."""

import errno
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search import Engine, indexer, store
from search.analysis import fold, main_analyzer, ngram_analyzer, parts_analyzer, reading_analyzer
from search.errors import IndexDamagedError, IndexWriteError, QueryError
from search.highlight import best_passages
from search.syntax import parse

from .conftest import DATA

GOOD = "---\ntitle: 良い投稿\ntags: [テスト]\n---\n本文は正常です。液浸冷却。\n"


def make_hostile(root: Path) -> dict[str, str]:
    """A data folder full of trouble; returns the ids expected to be skipped."""
    (root / "deep" / "a" / "b" / "c" / "d").mkdir(parents=True)
    (root / "good.md").write_text(GOOD, "utf-8")
    (root / "deep" / "a" / "b" / "c" / "d" / "nested.md").write_text(GOOD.replace("良い", "深い"), "utf-8")
    (root / "bom.md").write_bytes("\ufeff".encode() + GOOD.replace("良い", "BOM").encode())
    (root / "crlf.md").write_bytes(GOOD.replace("良い", "改行").replace("\n", "\r\n").encode())
    (root / "frontonly.md").write_text("---\ntitle: 前付けだけ\n---\n", "utf-8")
    (root / "numtitle.md").write_text("---\ntitle: 42\ndate: someday\n---\n数字の題名\n", "utf-8")
    (root / "listtitle.md").write_text("---\ntitle: [一, 二]\ndate: 2025-02-30\n---\n一覧\n", "utf-8")
    (root / "long.md").write_text(
        "---\ntitle: 長文\n---\n" + "あいうえおかきくけこ" * 20_000 + "終端語\n", "utf-8"
    )
    (root / "latin1.md").write_bytes("---\ntitle: x\n---\ncaf\xe9".encode("latin-1"))
    (root / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR")
    (root / "empty.md").write_bytes(b"")
    (root / "badyaml.md").write_text("---\ntitle: [unclosed\n---\n本文\n", "utf-8")
    (root / "image.png").write_bytes(b"\x89PNG")
    (root / "notes.txt").write_text("テキストファイル", "utf-8")
    os.symlink(root, root / "loop")  # a symlink loop
    outside = root.parent / "outside.md"
    outside.write_text(GOOD.replace("良い", "外部"), "utf-8")
    os.symlink(outside, root / "outside-link.md")
    return {
        "latin1.md": "UTF-8",
        "binary.md": "binary",
        "empty.md": "empty",
        "badyaml.md": "YAML",
    }


def test_every_good_post_indexed_every_bad_one_reported(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    expected_skips = make_hostile(data)
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as e:
        report = e.update()
        assert {s.id: s.reason for s in report.skipped}.keys() == expected_skips.keys()
        for s in report.skipped:
            assert expected_skips[s.id] in s.reason
        assert set(report.added) == {
            "good.md",
            "deep/a/b/c/d/nested.md",
            "bom.md",
            "crlf.md",
            "frontonly.md",
            "numtitle.md",
            "listtitle.md",
            "long.md",
        }
        assert {h.id for h in e.search("終端語").hits} == {"long.md"}
        hit = e.search("終端語").hits[0]
        assert any(p.text[a:b] == "終端語" for p in hit.passages for a, b in p.highlights)
        assert e.search("前付けだけ").hits[0].id == "frontonly.md"
        assert e.search("title:42").hits[0].title == "42"
        assert e.search("外部").total == 0  # the link outside the data folder is not followed


def test_cli_lists_skips_and_exits_1(tmp_path, jsearch):
    data = tmp_path / "data"
    data.mkdir()
    make_hostile(data)
    out = jsearch("index", "--index", str(tmp_path / "ix"), "--data", str(data))
    assert out.returncode == 1
    assert "skipped binary.md: binary file" in out.stderr
    assert "Traceback" not in out.stderr


def test_file_that_disappears_during_indexing_is_skipped(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "good.md").write_text(GOOD, "utf-8")
    real_scan = indexer.scan

    def scan_with_ghost(d):
        files = real_scan(d)
        ghost = d / "ghost.md"
        ghost.write_text(GOOD, "utf-8")
        files["ghost.md"] = (ghost, ghost.stat())
        ghost.unlink()
        return files

    monkeypatch.setattr(indexer, "scan", scan_with_ghost)
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as e:
        report = e.update()
    assert report.added == ("good.md",)
    assert [(s.id, "cannot read" in s.reason) for s in report.skipped] == [("ghost.md", True)]


@pytest.mark.parametrize("damage", ["truncate", "delete-segment", "delete-toc", "garbage-manifest"])
def test_damaged_index_gives_a_clear_error_and_rebuild_recovers(tmp_path, damage):
    index = tmp_path / "ix"
    with Engine(index_dir=index, data_dir=DATA) as e:
        e.update()
    seg = next(index.glob("*.seg"))
    if damage == "truncate":
        os.truncate(seg, 100)
    elif damage == "delete-segment":
        seg.unlink()
    elif damage == "delete-toc":
        next(index.glob("*.toc")).unlink()
    else:
        (index / "jsearch.json").write_text("{not json", "utf-8")
    with Engine(index_dir=index, data_dir=DATA) as e:
        with pytest.raises(IndexDamagedError, match="--rebuild"):
            e.search("NVIDIA")
        with pytest.raises(IndexDamagedError):
            e.update()
        assert e.update(rebuild=True).rebuilt
        assert e.search('"液浸冷却"').total == 3


def test_full_disk_keeps_the_last_committed_state(tmp_path, monkeypatch, data_copy):
    index = tmp_path / "ix"
    with Engine(index_dir=index, data_dir=data_copy) as e:
        e.update()
        (data_copy / "new.md").write_text(GOOD, "utf-8")
        from whoosh.writing import SegmentWriter

        def no_space(self, *a, **kw):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(SegmentWriter, "commit", no_space)
        with pytest.raises(IndexWriteError, match="no space left"):
            e.update()
        monkeypatch.undo()
        assert e.search('"液浸冷却"').total == 3
        assert e.update().added == ("new.md",)


def test_read_only_index_directory(tmp_path, monkeypatch):
    def refuse(*a, **kw):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(store.os, "open", refuse)
    with Engine(index_dir=tmp_path / "ix", data_dir=DATA) as e:
        with pytest.raises(IndexWriteError, match="not writable"):
            e.update()


# --- property-based tests ------------------------------------------------

OPERATORS = list('+-()"「」『』＂（）＋－:：ＯＲ OR AND NOT　')
texts = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(OPERATORS),
        st.sampled_from(list("液浸冷却データセンターのをがはＮＶＩＤＩＡnvidia\u0301\u200f\u202e🎉")),
    ),
    max_size=60,
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(texts)
def test_analyzer_offsets_point_at_their_surface(text):
    for analyzer in (main_analyzer(), parts_analyzer(), reading_analyzer()):
        for t in analyzer(text, positions=True, chars=True):
            assert 0 <= t.startchar < t.endchar <= len(text)
            assert text[t.startchar : t.endchar] == t.morph.surface
    for t in ngram_analyzer()(text, chars=True):
        assert fold(text[t.startchar : t.endchar]) == t.text


@FAST
@given(texts)
def test_parser_accepts_or_rejects_cleanly(text):
    try:
        parse(text)
    except QueryError:
        pass


@pytest.fixture(scope="module")
def shared_engine(tmp_path_factory):
    index = tmp_path_factory.mktemp("hyp")
    with Engine(index_dir=index, data_dir=DATA) as e:
        e.update()
        yield e


@FAST
@given(q=texts)
def test_search_never_fails_and_highlights_stay_inside(shared_engine, q):
    try:
        result = shared_engine.search(q, limit=3)
    except QueryError:
        return
    for hit in result.hits:
        for p in hit.passages:
            for a, b in p.highlights:
                assert 0 <= a < b <= len(p.text)


@FAST
@given(body=texts, q=texts)
def test_highlighter_on_arbitrary_text(shared_engine, body, q):
    try:
        plan = shared_engine._plan(q)
    except QueryError:
        return
    for p in best_passages(body, (), plan.units):
        assert p.text in body
        for a, b in p.highlights:
            assert 0 <= a < b <= len(p.text)


def test_huge_query_is_rejected():
    with pytest.raises(QueryError, match="longer than"):
        parse("あ" * 100_000)


def test_limits(engine):
    with pytest.raises(QueryError):
        engine.search("AI", limit=100_000)
    with pytest.raises(QueryError, match="terms"):
        engine.search(" ".join(f"語{i}" for i in range(200)))


def test_huge_post_is_skipped_with_a_reason(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "good.md").write_text(GOOD, "utf-8")
    with open(data / "huge.md", "wb") as fh:  # 50 MB, sparse: cheap to make
        fh.write(b"---\ntitle: huge\n---\n")
        fh.truncate(50 * 1024 * 1024)
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as e:
        report = e.update()
    assert report.added == ("good.md",)
    assert [(s.id, "larger than" in s.reason) for s in report.skipped] == [("huge.md", True)]
