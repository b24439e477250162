"""A loopback HTTP server answering each request with the next raw response of a script.

For malformed-response tests only: our simulator serves well-formed GraphQL, and a proxy's empty
or HTML body, non-UTF-8 bytes or a body of the wrong shape are what these tests need to serve.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Answer:
    """One raw HTTP response."""

    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def json_answer(value: Any, **headers: str) -> Answer:
    return Answer(
        json.dumps(value).encode(), headers={"Content-Type": "application/json"} | headers
    )


@dataclass
class Script:
    """Answers served in order (the last one repeats) and the GraphQL bodies received."""

    answers: list[Answer]
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def next_answer(self) -> Answer:
        index = min(len(self.received) - 1, len(self.answers) - 1)
        return self.answers[index]


@contextmanager
def scripted_server(*answers: Answer) -> Iterator[Script]:
    """Serve `answers` on 127.0.0.1 (a free port) until the block ends."""
    script = Script(list(answers))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            with lock:
                script.received.append(request)
                answer = script.next_answer()
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    script.url = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll interval: `shutdown` waits for it, and these tests open many servers.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield script
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
