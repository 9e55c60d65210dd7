"""A Slack incoming-webhook stand-in: an HTTP server on 127.0.0.1 (an ephemeral port) in a daemon thread.

It records every POST (path, headers, parsed JSON body, the status it answered) and answers like Slack:
200 ``ok``; 400 ``invalid_payload`` for a body that is not JSON, 400 ``no_text`` for one with neither
``text`` nor ``blocks``. ``fail_next(status, times, retry_after)`` makes the next posts fail, e.g. with 429
``rate_limited`` and a ``Retry-After`` header, or 500. ``misbehave_next(mode, times)`` makes the next posts
take the message (recorded with status 200) and then ``"drop"`` the connection without answering, ``"hang"``
(never answer), or ``"dribble"`` the answer one byte every ``interval`` seconds: the answer lost or late.

    with SlackStandIn() as slack:
        slack.fail_next(429, times=1, retry_after=2)
        ...post to slack.url...
        assert slack.posts[-1].body["blocks"]
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

WEBHOOK_PATH = "/services/T00000000/B00000000/standin-secret-token"
_REASONS = {429: "rate_limited", 500: "internal_error", 502: "bad_gateway", 503: "service_unavailable"}


@dataclass(frozen=True, slots=True)
class Post:
    path: str
    headers: dict[str, str]
    body: Any  # the parsed JSON, or None when the body was not JSON
    raw: bytes
    status: int  # what the stand-in answered


@dataclass(frozen=True, slots=True)
class _Failure:
    status: int
    retry_after: float | int | None
    mode: str | None = None  # "drop", "hang" or "dribble": Slack took the post, its answer is lost or late


MISBEHAVIOURS = ("drop", "hang", "dribble")


class SlackStandIn:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._posts: list[Post] = []
        self._failures: list[_Failure] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._interval = 3.0
        self._stopped = threading.Event()

    def start(self) -> SlackStandIn:
        if self._server is None:
            self._stopped.clear()
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
            self._server.daemon_threads = True
            serve = partial(self._server.serve_forever, poll_interval=0.05)  # stop() waits for one poll
            self._thread = threading.Thread(target=serve, name="slack-standin", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()  # hanging and dribbling handlers give up
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = self._thread = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Slack stand-in is not running: call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{WEBHOOK_PATH}"

    @property
    def posts(self) -> list[Post]:
        with self._lock:
            return list(self._posts)

    def fail_next(self, status: int, times: int = 1, retry_after: float | int | None = None) -> None:
        """Answer the next ``times`` posts with ``status`` (and a ``Retry-After`` header when given)."""
        with self._lock:
            self._failures += [_Failure(status, retry_after)] * times

    def misbehave_next(self, mode: str, times: int = 1, interval: float = 3.0) -> None:
        """Take the next ``times`` posts, then ``drop``, ``hang`` or ``dribble`` (a byte every ``interval`` s)."""
        if mode not in MISBEHAVIOURS:
            raise ValueError(f"mode must be one of {MISBEHAVIOURS}")
        with self._lock:
            self._interval = interval
            self._failures += [_Failure(200, None, mode)] * times

    def reset(self) -> None:
        with self._lock:
            self._posts.clear()
            self._failures.clear()

    def _answer(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, str, dict[str, str], str | None]:
        body = _json_or_none(raw)
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
            if failure is not None and failure.mode is not None:
                self._posts.append(Post(path, headers, body, raw, 200))
                return 200, "ok", {}, failure.mode
            if failure is not None:
                status, text = failure.status, _REASONS.get(failure.status, "error")
                extra = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            elif body is None:
                status, text, extra = 400, "invalid_payload", {}
            elif not (isinstance(body, dict) and (body.get("text") or body.get("blocks"))):
                status, text, extra = 400, "no_text", {}
            else:
                status, text, extra = 200, "ok", {}
            self._posts.append(Post(path, headers, body, raw, status))
        return status, text, extra, None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _handler_for(standin: SlackStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, text, extra, mode = standin._answer(self.path, dict(self.headers.items()), raw)
            if mode == "drop":
                self.close_connection = True
                return
            if mode == "hang":
                standin._stopped.wait(300)
                self.close_connection = True
                return
            head = f"HTTP/1.1 {status} OK\r\nContent-Type: text/plain\r\nContent-Length: {len(text)}\r\n\r\n{text}"
            if mode == "dribble":
                for byte in head.encode("ascii"):
                    if standin._stopped.wait(standin._interval):
                        return
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:  # the client gave up
                        return
                return
            self.send_response(status)
            for name, value in {"Content-Type": "text/plain", **extra}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text.encode("ascii"))

        def log_message(self, format: str, *args: Any) -> None:  # quiet: tests and the demo print what matters
            return

    return Handler
