"""The index follows the content: incremental updates and fingerprints."""

import os
import time

import pytest

from search import Engine, sudachi
from search.errors import DataDirError

POST = "---\ntitle: {title}\ntags: [{tags}]\ndate: 2025-12-01\n---\n{body}\n"


def write(path, title="題名", body="本文", tags="タグ"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(POST.format(title=title, body=body, tags=tags), "utf-8")
    # make sure the stat fast path sees a change even within one mtime tick
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


@pytest.fixture()
def engine(tmp_path, data_copy):
    with Engine(index_dir=tmp_path / "index", data_dir=data_copy) as e:
        e.update()
        yield e


def ids(engine, q):
    return {h.id for h in engine.search(q).hits}


def test_add_edit_rename_delete_are_reflected(engine):
    data = engine.data_dir
    write(data / "new" / "quantum.md", title="量子計算の入門", body="キュービットの話。")
    report = engine.update()
    assert report.added == ("new/quantum.md",) and report.unchanged == 5
    assert ids(engine, "キュービット") == {"new/quantum.md"}

    write(data / "new" / "quantum.md", title="光量子の入門", body="フォトンの話。", tags="フォトニクス")
    assert engine.update().updated == ("new/quantum.md",)
    assert ids(engine, "キュービット") == set()
    assert ids(engine, "フォトン") == {"new/quantum.md"}
    assert ids(engine, "tag:フォトニクス") == {"new/quantum.md"}

    (data / "new" / "quantum.md").rename(data / "photon.md")
    report = engine.update()
    assert report.added == ("photon.md",) and report.removed == ("new/quantum.md",)
    assert ids(engine, "フォトン") == {"photon.md"}

    (data / "photon.md").unlink()
    assert engine.update().removed == ("photon.md",)
    assert ids(engine, "フォトン") == set()


def test_unchanged_files_are_not_analysed_again(engine, monkeypatch):
    calls = []
    real = sudachi.analyze
    monkeypatch.setattr(sudachi, "analyze", lambda text, **kw: calls.append(1) or real(text, **kw))
    assert not engine.update().changed
    assert calls == []
    path = engine.data_dir / "000_b8fa68eb6a450baa.md"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000))
    report = engine.update()  # touched but same content: hashed, not analysed
    assert not report.changed and calls == []
    write(engine.data_dir / "one.md", body="新しい本文")
    assert engine.update().added == ("one.md",)
    assert 0 < len(calls) <= 5  # one post's fields, not the corpus


def test_is_stale_sees_changes_cheaply(engine):
    assert not engine.is_stale()
    write(engine.data_dir / "x.md")
    assert engine.is_stale()
    engine.update()
    assert not engine.is_stale()


def test_fingerprint_change_rebuilds(engine, monkeypatch):
    from search import schema

    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 100)
    report = engine.update()
    assert report.rebuilt and "different" in report.reason
    assert len(report.added) == 5
    assert not engine.update().rebuilt
    assert engine.search('"液浸冷却"').total == 3


def test_rebuild_switches_generation_and_cleans_up(engine):
    before = {p.name for p in engine.index_dir.iterdir()}
    report = engine.update(rebuild=True)
    assert report.rebuilt
    after = {p.name for p in engine.index_dir.iterdir()}
    assert not any(name.startswith("posts-1") for name in after)
    assert any(name.startswith("_posts-1_") for name in before)
    assert engine.search('"液浸冷却"').total == 3


def test_bad_post_replaces_nothing_and_is_reported(engine):
    path = engine.data_dir / "000_b8fa68eb6a450baa.md"
    path.write_bytes(b"---\ntitle: [broken\n---\n")
    report = engine.update()
    assert [s.id for s in report.skipped] == ["000_b8fa68eb6a450baa.md"]
    assert "YAML" in report.skipped[0].reason
    assert "000_b8fa68eb6a450baa.md" in report.removed  # its old version is gone too
    assert engine.search('"液浸冷却"').total == 2


def test_missing_data_dir(tmp_path):
    with Engine(index_dir=tmp_path / "ix", data_dir=tmp_path / "nope") as e:
        with pytest.raises(DataDirError):
            e.update()


def test_data_dir_is_never_written(engine):
    def snapshot():
        return sorted(
            (p.relative_to(engine.data_dir), p.stat().st_mtime_ns) for p in engine.data_dir.rglob("*")
        )

    before = snapshot()
    engine.update(rebuild=True)
    engine.search("NVIDIA")
    time.sleep(0.01)
    assert snapshot() == before
