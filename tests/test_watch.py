"""Watching the data folder: each change is in the index after the
watcher's next update.  Nothing here is timed: the tests wait (with a
generous limit) for the watcher to report."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import pytest

from search import Engine, UpdateReport
from search.watch import Watcher

#: How long to wait for a report before calling the watcher stuck.
PATIENCE = 60


def post(title: str, body: str) -> str:
    return f"---\ntitle: {title}\n---\n{body}\n"


class Running:
    """A watcher on its own thread, with its reports in a queue."""

    def __init__(self, engine: Engine) -> None:
        self.reports: queue.Queue[UpdateReport] = queue.Queue()
        self.errors: queue.Queue[Exception] = queue.Queue()
        self.watcher = Watcher(engine, self.reports.put, self.errors.put, debounce=0.05)
        self.thread = threading.Thread(target=self.watcher.run, daemon=True)
        self.thread.start()

    def next_report(self, wanted) -> UpdateReport:
        """The first report for which ``wanted(report)`` holds."""
        while True:
            report = _next(self.reports, "update")
            if wanted(report):
                return report

    def next_error(self) -> Exception:
        return _next(self.errors, "error")

    def stop(self) -> None:
        self.watcher.stop()
        self.thread.join(timeout=PATIENCE)
        assert not self.thread.is_alive(), "the watcher did not stop"


def _next(reports: queue.Queue, what: str):
    try:
        return reports.get(timeout=PATIENCE)
    except queue.Empty:
        pytest.fail(f"the watcher reported no {what} for {PATIENCE}s")


@pytest.fixture()
def watched(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "cooling.md").write_text(post("冷却", "液浸冷却でサーバを冷やす。"), "utf-8")
    (data / "power.md").write_text(post("電力", "データセンターの電力を賄う。"), "utf-8")
    with Engine(index_dir=tmp_path / "index", data_dir=data) as engine:
        running = Running(engine)
        # the first update builds the index; the observer is running by then
        running.next_report(lambda r: set(r.added) == {"cooling.md", "power.md"})
        yield engine, running
        running.stop()


def ids(engine: Engine, query: str) -> set[str]:
    return {h.id for h in engine.search(query).hits}


def test_edited_post_is_searchable_by_its_new_text(watched):
    engine, running = watched
    assert ids(engine, "蓄電池") == set()
    (engine.data_dir / "power.md").write_text(post("電力", "蓄電池で電力を賄う。"), "utf-8")
    running.next_report(lambda r: "power.md" in r.updated)
    assert ids(engine, "蓄電池") == {"power.md"}
    assert ids(engine, "データセンター") == set()


def test_added_and_deleted_posts_come_and_go(watched):
    engine, running = watched
    sub = engine.data_dir / "sub"
    sub.mkdir()
    (sub / "new.md").write_text(post("新しい記事", "光ファイバーで結ぶ。"), "utf-8")
    running.next_report(lambda r: "sub/new.md" in r.added)
    assert ids(engine, "光ファイバー") == {"sub/new.md"}
    (engine.data_dir / "cooling.md").unlink()
    running.next_report(lambda r: "cooling.md" in r.removed)
    assert ids(engine, "液浸冷却") == set()
    assert ids(engine, "電力") == {"power.md"}


def test_broken_post_is_reported_as_skipped_and_watching_goes_on(watched):
    engine, running = watched
    (engine.data_dir / "broken.md").write_bytes(b"---\ntitle: [unclosed\n---\n")
    report = running.next_report(lambda r: r.skipped)
    assert [s.id for s in report.skipped] == ["broken.md"]
    (engine.data_dir / "broken.md").write_text(post("直した", "修理した記事。"), "utf-8")
    running.next_report(lambda r: "broken.md" in r.added)
    assert ids(engine, "修理") == {"broken.md"}
    assert running.errors.empty()


def test_update_errors_go_to_on_error_and_the_watcher_keeps_running(watched, monkeypatch):
    from search import store
    from search.errors import IndexLockedError

    engine, running = watched
    monkeypatch.setattr(engine, "lock_timeout", 0.0)
    with store.writer_lock(engine.index_dir):  # another writer holds the index
        (engine.data_dir / "third.md").write_text(post("三つ目", "風力発電の記事。"), "utf-8")
        assert isinstance(running.next_error(), IndexLockedError)
    monkeypatch.setattr(engine, "lock_timeout", 10.0)
    (engine.data_dir / "third.md").write_text(post("三つ目", "風力発電の記事です。"), "utf-8")
    running.next_report(lambda r: "third.md" in r.added)
    assert ids(engine, "風力発電") == {"third.md"}
