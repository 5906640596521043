"""A real ``jsearch serve`` in a subprocess on a free port of 127.0.0.1, for
the tests that need one (and the load benchmark)."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("jsearch")
_URL = re.compile(r"serving .* at (http://127\.0\.0\.1:\d+/)")


class ServerProcess:
    """The process, the URL it printed, and every line it wrote so far."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        for stream in (proc.stdout, proc.stderr):
            threading.Thread(target=self._drain, args=(stream,), daemon=True).start()
        self.url = self._wait_for_url()

    def _drain(self, stream) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))

    def wait_for_line(self, pattern: str, timeout: float = 120) -> str:
        """The first line (seen from now on, or already) matching ``pattern``."""
        found = next((line for line in self.lines if re.search(pattern, line)), None)
        while found is None:
            line = self._queue.get(timeout=timeout)
            self.lines.append(line)
            if re.search(pattern, line):
                found = line
        return found

    def drain(self) -> list[str]:
        """Every line written so far."""
        while not self._queue.empty():
            self.lines.append(self._queue.get())
        return self.lines

    def _wait_for_url(self) -> str:
        try:
            line = self.wait_for_line(r"serving .* at http")
        except queue.Empty:
            self.proc.kill()
            raise RuntimeError(f"jsearch serve did not start: {self.lines}") from None
        return _URL.search(line).group(1)

    def stop(self, timeout: float = 30) -> int:
        """Ctrl-C, as a user would press it; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        return self.proc.returncode


@contextmanager
def running_server(data: Path, index: Path, *options: str) -> Iterator[ServerProcess]:
    """``jsearch serve --port 0`` over ``data``, stopped with Ctrl-C at the end."""
    proc = subprocess.Popen(
        [str(SCRIPT), "serve", "--port", "0", "--data", str(data), "--index", str(index), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = ServerProcess(proc)
    try:
        yield server
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
