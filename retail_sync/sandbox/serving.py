"""Run a simulator's HTTP handler on a loopback port in a background thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SandboxHTTPServer(ThreadingHTTPServer):
    """A threading server whose handler threads never outlive a stop."""

    daemon_threads = True
    allow_reuse_address = True
    # Bursts of concurrent clients (bulk polling, paged ingestion) must not be refused.
    request_queue_size = 128


@dataclass
class RunningServer:
    """A started server: its base URL, and `stop()` to shut it down and free the port."""

    server: SandboxHTTPServer
    thread: threading.Thread
    host: str
    port: int
    _stopped: bool = field(default=False, init=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_in_thread(
    handler_class: type[BaseHTTPRequestHandler],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    server_class: type[SandboxHTTPServer] = SandboxHTTPServer,
    name: str = "sandbox-server",
) -> RunningServer:
    """Bind `host:port` (port 0 picks a free one, read back from the socket) and serve."""
    server = server_class((host, port), handler_class)
    bound_port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return RunningServer(server=server, thread=thread, host=host, port=int(bound_port))
