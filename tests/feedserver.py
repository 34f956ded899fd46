"""A scripted HTTP server on 127.0.0.1 for tests that need real HTTP (fetch, pull, XSS, bench).

Owns nothing of the hub: it serves what a test scripts per path and records every request.

    with FeedServer() as server:
        server.route("/feed.xml", body=b"<rss/>", headers={"ETag": '"v1"'})
        server.route("/slow", body=b"x" * 100, drip=1.0)          # one byte a second
        server.route("/dyn", handler=lambda req: Reply(304) if req.header("If-None-Match") else
                     Reply(200, b"<rss/>"))
        url = server.url("/feed.xml")                           # http://127.0.0.1:PORT/feed.xml
        ...
        [req.header("User-Agent") for req in server.requests("/feed.xml")]
        server.max_in_flight()                                  # most simultaneous requests seen

A body may be bytes (sent with Content-Length, keep-alive) or a callable returning an iterable
of byte chunks, streamed as they are produced and ended by closing the connection (so a test
can serve a 200 MB gzip stream without holding it). Unknown paths answer 404.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Body = bytes | Callable[[], Iterable[bytes]]
HeaderItems = Mapping[str, str] | Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Reply:
    """One scripted response."""

    status: int = 200
    body: Body = b""
    headers: HeaderItems = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before the status line
    drip: float | None = None  # seconds between single body bytes


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server received it; `time` is time.monotonic() on arrival."""

    method: str
    path: str  # with the query string
    headers: tuple[tuple[str, str], ...]
    time: float

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive name), exactly as received."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    @property
    def host(self) -> str:
        return self.header("Host") or ""


Handler = Callable[[RecordedRequest], Reply]


def _items(headers: HeaderItems) -> list[tuple[str, str]]:
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


class FeedServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 with scripted routes and a request log."""

    def __init__(self) -> None:
        self._routes: dict[str, Handler] = {}
        self._log: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._in_flight: Counter[str] = Counter()
        self._max_in_flight: Counter[str] = Counter()
        self._sent: Counter[str] = Counter()
        self._httpd = _Server(("127.0.0.1", 0), _make_handler(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # lifecycle
    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # scripting
    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        """The absolute URL of `path`; `host="localhost"` reaches the same server by name."""
        return f"http://{host}:{self.port}{path}"

    def route(
        self,
        path: str,
        status: int = 200,
        body: Body = b"",
        headers: HeaderItems | None = None,
        *,
        delay: float = 0.0,
        drip: float | None = None,
        handler: Handler | None = None,
    ) -> None:
        """Answer `path` (query ignored) with a fixed reply, or with `handler(request)`."""
        if handler is None:
            fixed = Reply(status, body, headers or {}, delay, drip)
            handler = lambda _request: fixed  # noqa: E731
        with self._lock:
            self._routes[path] = handler

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        """Answer `path` with a redirect to `to` (a path on this server or an absolute URL)."""
        self.route(path, status, headers={"Location": to})

    # inspection
    def requests(self, path: str | None = None) -> list[RecordedRequest]:
        """Every request received so far, or those for `path` (query ignored), in arrival order."""
        with self._lock:
            log = list(self._log)
        return [r for r in log if path is None or urlsplit(r.path).path == path]

    def max_in_flight(self, host: str | None = None) -> int:
        """The most requests in flight at once, overall or for one Host header value. A
        request is in flight from its arrival until just before the bytes that complete its
        response go out (a streamed one: until it closes), never after its client could have
        finished it: a sequential client is never seen with two."""
        with self._lock:
            return self._max_in_flight["" if host is None else host]

    def body_bytes_sent(self, path: str) -> int:
        """How many body bytes the server wrote for `path` (all requests together)."""
        with self._lock:
            return self._sent[path]

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no request is being handled (e.g. a stream noticed its client left)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._in_flight[""] == 0:
                    return True
            time.sleep(0.01)
        return False

    # used by the request handler
    def _begin(self, request: RecordedRequest) -> Handler | None:
        with self._lock:
            self._log.append(request)
            for key in ("", request.host):
                self._in_flight[key] += 1
                self._max_in_flight[key] = max(self._max_in_flight[key], self._in_flight[key])
            return self._routes.get(urlsplit(request.path).path)

    def _end(self, request: RecordedRequest) -> None:
        with self._lock:
            for key in ("", request.host):
                self._in_flight[key] -= 1

    def _count_sent(self, path: str, n: int) -> None:
        with self._lock:
            self._sent[path] += n


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # an idle keep-alive connection must not hold up stop()
    request_queue_size = 256  # the benchmark opens hundreds of connections at once


def _make_handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30  # idle keep-alive connections are dropped eventually
        disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

        def do_GET(self) -> None:
            self._serve()

        do_HEAD = do_POST = do_GET

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            request = RecordedRequest(
                self.command, self.path, tuple(self.headers.items()), time.monotonic()
            )
            handler = server._begin(request)
            self._in_flight: RecordedRequest | None = request
            try:
                self._send(urlsplit(self.path).path, self._reply(handler, request))
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client went away: that is its right
            finally:
                self._done()

        def _done(self) -> None:
            """The request is no longer in flight (once: `_send` may say so first)."""
            if self._in_flight is not None:
                server._end(self._in_flight)
                self._in_flight = None

        def _reply(self, handler: Handler | None, request: RecordedRequest) -> Reply:
            if handler is None:
                return Reply(404, b"not found")
            try:
                return handler(request)
            except Exception as exc:  # a broken test handler shows up as a 500 with its error
                return Reply(500, f"handler failed: {exc!r}".encode())

        def _send(self, path: str, reply: Reply) -> None:
            if reply.delay and server._stop.wait(reply.delay):
                self.close_connection = True
                return
            self.send_response(reply.status)
            headers = _items(reply.headers)
            names = {name.lower() for name, _ in headers}
            streamed = callable(reply.body) or reply.drip is not None
            for name, value in headers:
                self.send_header(name, value)
            if streamed:  # ends when the connection closes, after `_serve` says it is done
                self.send_header("Connection", "close")
                self.close_connection = True
            else:
                if "content-length" not in names:
                    assert isinstance(reply.body, bytes)
                    self.send_header("Content-Length", str(len(reply.body)))
                # Done before the bytes that let the client finish go out: a client that
                # starts its next request at once must not find this one still counted (the
                # count is then of requests the client truly had open at once). So the count
                # covers a handler's work (its delay), not the transfer of its bytes.
                self._done()
            self.end_headers()
            if self.command == "HEAD":
                return
            self._write_body(path, reply)

        def _write_body(self, path: str, reply: Reply) -> None:
            chunks = reply.body() if callable(reply.body) else [reply.body]
            for chunk in chunks:
                pieces = [chunk[i : i + 1] for i in range(len(chunk))] if reply.drip else [chunk]
                for piece in pieces:
                    if server._stop.is_set():
                        return
                    self.wfile.write(piece)
                    self.wfile.flush()
                    server._count_sent(path, len(piece))
                    if reply.drip and server._stop.wait(reply.drip):
                        return

    return _Handler
