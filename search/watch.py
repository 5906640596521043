"""Keeping an index current while files change (``jsearch watch``).

File-system events come from watchdog; they are debounced (editors write a
file several times when saving) and each quiet burst becomes one
incremental update.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .errors import JSearchError
from .models import UpdateReport

#: Events that only say a file was read.
_READS = frozenset({"opened", "closed_no_write"})


class Watcher:
    """Watch ``engine.data_dir`` and update ``engine``'s index on change."""

    def __init__(
        self,
        engine,
        on_update: Callable[[UpdateReport], None],
        on_error: Callable[[JSearchError], None] | None = None,
        debounce: float = 0.5,
    ) -> None:
        self.engine = engine
        self.on_update = on_update
        self.on_error = on_error
        self.debounce = debounce
        self._changed = threading.Event()
        self._stop = threading.Event()
        self._last_event = 0.0

    def _notify(self, event) -> None:
        if getattr(event, "is_directory", False) and event.event_type == "modified":
            return
        if event.event_type in _READS:
            return  # reading a file (updates do) changes nothing
        self._last_event = time.monotonic()
        self._changed.set()

    def stop(self) -> None:
        self._stop.set()
        self._changed.set()

    def run(self) -> None:
        """Update once, then block until :meth:`stop` (or Ctrl-C)."""
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        handler = FileSystemEventHandler()
        handler.on_any_event = self._notify
        observer = Observer()
        observer.schedule(handler, str(self.engine.data_dir), recursive=True)
        observer.start()
        try:
            self._update()
            while not self._stop.is_set():
                self._changed.wait()
                if self._stop.is_set():
                    break
                while time.monotonic() - self._last_event < self.debounce and not self._stop.is_set():
                    time.sleep(self.debounce / 5)
                self._changed.clear()
                self._update()
        finally:
            observer.stop()
            observer.join(timeout=5)

    def _update(self) -> None:
        try:
            report = self.engine.update()
        except JSearchError as exc:
            if self.on_error is None:
                raise
            self.on_error(exc)
            return
        if report.changed or report.skipped:
            self.on_update(report)
