"""A scriptable HTTP server on 127.0.0.1 for the web client's tests.

A test says what each path answers — a :class:`Reply`, or a list of replies given one after the other
(the last one repeats) — and reads back what the server received.  Replies can do what real servers
and networks do to a client: wait before answering, send the body a byte at a time, stop half-way
through a body whose ``Content-Length`` promised more, break off a chunked body, redirect.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest


@attrs.define
class Reply:
    """One answer of the test server."""

    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = attrs.field(factory=dict)
    #: seconds to wait before sending anything
    delay: float = 0.0
    #: seconds between single bytes of the body (a server that trickles)
    trickle: float = 0.0
    #: send only this many bytes of the body, then close the connection
    cut_after: int | None = None
    #: send the body chunked (``Transfer-Encoding: chunked``) instead of with a Content-Length
    chunked: bool = False
    #: send no length at all: the body ends when the connection closes
    close_delimited: bool = False
    #: send this many made-up header lines, one every ``trickle`` seconds, before the real headers
    header_lines: int = 0


@attrs.define
class Seen:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Answer = Reply | list[Reply] | Callable[[Seen], Reply]


class Server:
    """What the server answers and what it has seen; ``url(path)`` gives the full URL."""

    def __init__(self) -> None:
        self.routes: dict[str, Answer] = {}
        self.seen: list[Seen] = []
        self.base = ""
        self._lock = threading.Lock()

    def url(self, path: str = "/") -> str:
        return f"{self.base}{path}"

    def answer(self, path: str, reply: Answer) -> None:
        self.routes[path] = reply

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path.split("?", 1)[0] == path]

    def reply_for(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            route = self.routes.get(seen.path.split("?", 1)[0])
            if route is None:
                return Reply(status=404, body=b'{"title": "Not found"}')
            if callable(route):
                return route(seen)
            if isinstance(route, list):
                return route.pop(0) if len(route) > 1 else route[0]
            return route


class _Handler(http.server.BaseHTTPRequestHandler):
    server_state: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        reply = self.server_state.reply_for(seen)
        self.close_connection = True
        try:
            self._send(reply)
        except (BrokenPipeError, ConnectionResetError):
            return

    def _send(self, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        self.send_response(reply.status)
        if reply.header_lines:
            self.flush_headers()
            for number in range(reply.header_lines):
                self.wfile.write(f"X-Filler-{number}: {number}\r\n".encode())
                self.wfile.flush()
                time.sleep(reply.trickle)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif not reply.close_delimited:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        body = reply.body if reply.cut_after is None else reply.body[: reply.cut_after]
        if reply.chunked:
            self.wfile.write(f"{len(body):x}\r\n".encode() + body + b"\r\n")
            if reply.cut_after is None:
                self.wfile.write(b"0\r\n\r\n")
        elif reply.trickle and not reply.header_lines:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(reply.trickle)
        else:
            self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()


class _ThreadingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


def _start(state: Server, host: str) -> tuple[_ThreadingServer, threading.Thread]:
    handler = type("Handler", (_Handler,), {"server_state": state})
    server = _ThreadingServer(("127.0.0.1", 0), handler)
    state.base = f"http://{host}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    return server, thread


def _serving(host: str) -> Iterator[Server]:
    state = Server()
    server, thread = _start(state, host)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def server() -> Iterator[Server]:
    """A scriptable server, addressed as ``http://127.0.0.1:<port>``."""
    yield from _serving("127.0.0.1")


@pytest.fixture
def other_host() -> Iterator[Server]:
    """A second server, addressed by another host name (``localhost``) — "another host"."""
    yield from _serving("localhost")


class Recorder:
    """A stand-in for ``time.sleep`` that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class WallClock:
    """A wall clock the test moves by hand (for cache ages)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.time = start

    def __call__(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds
