"""A real HTTP receiver on a free local port, answering as each test scripts it."""

from __future__ import annotations

import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from attrs import field, frozen


@frozen
class Answer:
    """What the receiver answers to one request, after ``delay`` seconds."""

    status: int = 200
    headers: dict[str, str] = field(factory=dict)
    body: bytes = b""
    delay: float = 0.0


@frozen
class Received:
    """One request as it arrived: path, headers (names lowercased) and raw body."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class Receiver:
    """A threaded HTTP server that records every POST and answers from a script.

    Scripted answers are used in order; once they run out, it answers ``default``.
    ``taken`` holds the requests answered 2xx or 409, which the notifier counts as delivered.
    """

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.taken: list[Received] = []
        self.answers: deque[Answer] = deque()
        self.default = Answer()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/serviceflow"

    def script(self, *answers: Answer) -> None:
        """Answer the next requests with ``answers``, in order."""
        with self._lock:
            self.answers.extend(answers)

    def _take(self, received: Received) -> Answer:
        with self._lock:
            self.requests.append(received)
            answer = self.answers.popleft() if self.answers else self.default
            if 200 <= answer.status < 300 or answer.status == 409:
                self.taken.append(received)
            return answer

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = receiver._take(Received(self.path, headers, body, time.monotonic()))
            time.sleep(answer.delay)
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except OSError:
                pass  # the client gave up waiting (the timeout tests)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the tests read ``receiver.requests`` instead."""

    return Handler
