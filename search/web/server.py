"""Running the application: uvicorn on one bound socket, and the watcher in
a thread beside it so that an edited post shows in the next search."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

from ..errors import JSearchError
from ..models import UpdateReport
from ..watch import Watcher
from .app import create_app


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port); OSError
    when the address is taken or the host unknown."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def url_of(sock: socket.socket) -> str:
    """The URL a browser opens for the socket's address."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(
    engine,
    sock: socket.socket,
    *,
    watch: bool = True,
    on_update: Callable[[UpdateReport], None] | None = None,
    on_error: Callable[[JSearchError], None] | None = None,
) -> None:
    """Serve ``engine`` on ``sock`` until Ctrl-C (or SIGTERM); with
    ``watch``, keep its index current while serving."""
    import uvicorn

    watcher = None
    thread = None
    if watch:
        watcher = Watcher(engine, on_update or (lambda report: None), on_error or (lambda exc: None))
        thread = threading.Thread(target=watcher.run, name="jsearch-watch", daemon=True)
        thread.start()
    config = uvicorn.Config(
        create_app(engine, watching=watch),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the signal once it has shut down
    finally:
        if watcher is not None:
            watcher.stop()
            thread.join(timeout=10)
        sock.close()
