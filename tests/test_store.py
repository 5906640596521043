"""The index folder: its manifest, the single-writer lock, generations."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from search import Engine, store
from search.errors import (
    IndexDamagedError,
    IndexFolderError,
    IndexLockedError,
    IndexMissingError,
    IndexWriteError,
)

from .conftest import DATA


def test_manifest_round_trip_leaves_no_temporary_file(tmp_path):
    assert store.read_manifest(tmp_path) is None
    store.write_manifest(tmp_path, {"active": "posts-1", "fingerprint": {"schema": 1}})
    store.write_manifest(tmp_path, {"active": "posts-2", "note": "液浸"})
    assert store.read_manifest(tmp_path) == {"active": "posts-2", "note": "液浸"}
    assert [p.name for p in tmp_path.iterdir()] == [store.MANIFEST]


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"{not json", "unreadable"),
        (b"\xff\xfe", "unreadable"),
        (b"[1, 2]", "not a jsearch manifest"),
        (b'{"active": 3}', "not a jsearch manifest"),
    ],
)
def test_bad_manifest_is_damage_with_the_remedy(tmp_path, content, problem):
    (tmp_path / store.MANIFEST).write_bytes(content)
    with pytest.raises(IndexDamagedError, match=problem) as info:
        store.read_manifest(tmp_path)
    assert "jsearch index --rebuild" in str(info.value)


@pytest.mark.parametrize(
    "code, message",
    [(errno.ENOSPC, "no space left"), (errno.EROFS, "not writable"), (errno.EIO, "cannot write index")],
)
def test_failed_manifest_write_keeps_the_old_manifest(tmp_path, monkeypatch, code, message):
    store.write_manifest(tmp_path, {"active": "posts-1"})

    def failing_replace(src, dst):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(store.os, "replace", failing_replace)
    with pytest.raises(IndexWriteError, match=message):
        store.write_manifest(tmp_path, {"active": "posts-2"})
    assert store.read_manifest(tmp_path) == {"active": "posts-1"}


def test_missing_or_foreign_folder(tmp_path):
    assert isinstance(store.describe_missing(tmp_path / "nowhere"), IndexMissingError)
    (tmp_path / ".gitkeep").touch()
    (tmp_path / store.LOCK).touch()
    assert isinstance(store.describe_missing(tmp_path), IndexMissingError)
    (tmp_path / "photos.db").touch()
    foreign = store.describe_missing(tmp_path)
    assert isinstance(foreign, IndexFolderError) and "did not create (photos.db)" in str(foreign)


def test_missing_generation_is_damage(tmp_path):
    with pytest.raises(IndexDamagedError, match="posts-9 .* is missing"):
        store.open_generation(tmp_path, "posts-9")


def test_writer_lock_is_exclusive_and_released(tmp_path):
    with store.writer_lock(tmp_path / "ix"):
        assert (tmp_path / "ix" / store.LOCK).read_text() == str(os.getpid())
        with pytest.raises(IndexLockedError, match="another process is updating"):
            with store.writer_lock(tmp_path / "ix", timeout=0):
                pass
    with store.writer_lock(tmp_path / "ix", timeout=0):
        pass


HOLD_LOCK = """
import sys
from pathlib import Path
from search import store
with store.writer_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.read()
"""


def test_lock_of_a_killed_writer_is_free(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "locked\n"
        with pytest.raises(IndexLockedError):
            with store.writer_lock(tmp_path, timeout=0):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
    with store.writer_lock(tmp_path, timeout=0):
        pass


def test_unwritable_lock_place_is_a_write_error(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(IndexWriteError):
        with store.writer_lock(tmp_path / "file" / "ix"):
            pass


def generation_files(folder: Path, name: str) -> list[Path]:
    """The files of generation ``name`` in ``folder``."""
    return [p for p in folder.iterdir() if (m := store.OWN_NAME.match(p.name)) and m.group(1) == name]


def test_other_generations_are_removed_and_nothing_else(tmp_path):
    names = ["_posts-1_1.toc", "posts-1_abc.seg", "_posts-2_3.toc", "posts-2_def.seg", "notes.txt"]
    for name in names:
        (tmp_path / name).touch()
    store.write_manifest(tmp_path, {"active": "posts-2"})
    assert {p.name for p in generation_files(tmp_path, "posts-1")} == set(names[:2])
    store.remove_other_generations(tmp_path, keep="posts-2")
    assert {p.name for p in tmp_path.iterdir()} == {*names[2:], store.MANIFEST}


def test_built_index_names_its_generation_and_fingerprint(tmp_path: Path):
    with Engine(index_dir=tmp_path, data_dir=DATA) as engine:
        engine.update()
        first = store.read_manifest(tmp_path)
        engine.update(rebuild=True)
        second = store.read_manifest(tmp_path)
    assert first["active"] != second["active"]
    assert first["fingerprint"] == second["fingerprint"]
    assert generation_files(tmp_path, second["active"])
    assert not generation_files(tmp_path, first["active"])


@pytest.mark.parametrize("kind", ["link", "folder"])
def test_a_lock_that_is_not_a_file_says_to_remove_it(tmp_path, kind):
    # --rebuild takes the same lock, so advising it would go round in circles
    index = tmp_path / "ix"
    index.mkdir()
    if kind == "link":
        (index / store.LOCK).symlink_to(tmp_path / "elsewhere")
    else:
        (index / store.LOCK).mkdir()
    with pytest.raises(IndexDamagedError, match="remove it") as caught:
        with store.writer_lock(index, timeout=0):
            pass
    assert "--rebuild" not in str(caught.value)
    assert not (tmp_path / "elsewhere").exists()
