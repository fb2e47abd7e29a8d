"""Fetching one URL within bounds: a deadline for the whole fetch, a size limit, the address guard on every
connection (``addresses``), conditional requests, and the redirects it took.

Pages, feeds and sitemaps are all fetched here. The poller's pacer (at most so many requests per host per
second) is set through a context variable rather than passed, so that the pages an ingest fetches for a
feed's entries wait their turn too.
"""

from __future__ import annotations

import contextlib
import contextvars
import http.client
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from archive.errors import InputError
from archive.settings import Settings
from ingest.readers.addresses import checked_connection
from ingest.readers.files import MB

USER_AGENT = "news-archive/0.1"
_PERMANENT = (301, 308)

_PACER: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar("fetch_pacer", default=None)


@contextlib.contextmanager
def paced(pace: Callable[[str], None]) -> Iterator[None]:
    """Within the block, every fetch first calls ``pace(host)`` (which may wait its turn)."""
    token = _PACER.set(pace)
    try:
        yield
    finally:
        _PACER.reset(token)


@dataclass(frozen=True)
class Response:
    """What a fetch got: ``status`` 200 with a body, or 304 (not modified) without one."""

    body: bytes
    charset: str | None
    content_type: str
    url: str
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    moved_to: str = ""  # where every redirect was permanent (301/308): the URL to keep using


class FetchError(InputError):
    """A fetch that failed, with the HTTP status (0 when there was none) and the server's Retry-After."""

    def __init__(self, message: str, status: int = 0, retry_after: str = ""):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def fetch(url: str, settings: Settings, headers: Mapping[str, str] | None = None) -> Response:
    """GET ``url`` within ``url_deadline_s`` and ``max_file_mb``; a 304 to conditional ``headers`` is a Response."""
    pace = _PACER.get()
    if pace is not None:
        pace(urlsplit(url).hostname or "")
    with _Deadline(settings.url_deadline_s) as deadline:
        try:
            response = _fetch_within(url, settings, deadline, headers or {})
        except Exception as exc:
            if deadline.expired:  # whatever the shut sockets made urllib raise, the deadline is the reason
                raise InputError(deadline.reason) from exc
            raise
        if deadline.expired:  # a body without a stated length, cut short by the deadline, reads as complete
            raise InputError(deadline.reason)
    return response


def _fetch_within(url: str, settings: Settings, deadline: _Deadline, headers: Mapping[str, str]) -> Response:
    limit = int(settings.max_file_mb * MB)
    try:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers})
    except ValueError as exc:  # no URL at all ('unknown url type')
        raise FetchError(f"could not fetch URL: {exc}") from exc
    redirects = _Redirects()
    opener = urllib.request.build_opener(_HTTPHandler(deadline), _HTTPSHandler(deadline), redirects)
    try:
        with opener.open(request, timeout=min(settings.url_timeout_s, settings.url_deadline_s)) as reply:
            body = reply.read(limit + 1)
            # get_content_type() says text/plain when the header is missing; unknown should mean HTML here.
            declared = reply.headers.get_content_type() if reply.headers.get("Content-Type") else ""
            response = Response(body, reply.headers.get_content_charset(), declared, reply.geturl(),
                                reply.status, _plain(reply.headers), redirects.moved_to())
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Response(b"", None, "", exc.geturl() or url, 304, _plain(exc.headers), redirects.moved_to())
        retry = (exc.headers.get("Retry-After") or "") if exc.headers else ""
        raise FetchError(f"could not fetch URL: HTTP {exc.code} {exc.reason}", exc.code, retry.strip()) from exc
    except urllib.error.URLError as exc:
        raise FetchError(f"could not fetch URL: {exc.reason}") from exc
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise FetchError(f"could not fetch URL: {str(exc) or type(exc).__name__}") from exc
    if len(body) > limit:
        raise FetchError(f"response is over the {settings.max_file_mb:g} MB limit (ARCHIVE_MAX_FILE_MB)")
    if not body:
        raise FetchError("could not fetch URL: empty response")
    return response


def _plain(headers: Message | None) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()} if headers is not None else {}


class _Redirects(urllib.request.HTTPRedirectHandler):
    """urllib's redirects, remembered: a chain of permanent moves names the URL to use from now on."""

    def __init__(self) -> None:
        super().__init__()
        self.chain: list[tuple[int, str]] = []

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's signature
        self.chain.append((code, newurl))
        return super().redirect_request(req, fp, code, msg, headers, newurl)

    def moved_to(self) -> str:
        if self.chain and all(code in _PERMANENT for code, _ in self.chain):
            return self.chain[-1][1]
        return ""


class _Deadline:
    """The time the whole fetch of one URL may take; when it passes, the fetch's sockets are shut down.

    ``url_timeout_s`` bounds each connect and socket read, so a server sending a byte at a time could
    hold a fetch (and the ingest's write lock) forever. Shutting the sockets down wakes a read blocked
    on one wherever urllib is: in the headers, a redirect or the body.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    @property
    def reason(self) -> str:
        return f"gave up after {self.seconds:g} s: the server had not sent the whole response (ARCHIVE_URL_DEADLINE_S)"

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` down when the deadline passes (at once if it has)."""
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed, or never connected
        pass


class _Watched:
    """An HTTP connection that hands its socket to the fetch's deadline as soon as it is connected, and
    whose peer address is checked when the app allows public addresses only (``addresses``)."""

    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline
        self._create_connection = checked_connection

    def connect(self) -> None:
        super().connect()
        self._deadline.watch(self.sock)


class _HTTPConnection(_Watched, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_Watched, http.client.HTTPSConnection):
    pass


class _WatchedHandler:
    """A urllib handler opening watched connections (redirects open new ones, watched too)."""

    connection: type

    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def do_open(self, http_class: type, req: urllib.request.Request, **kwargs: Any) -> Any:
        # Overriding do_open, not http(s)_open, whose arguments differ between Python versions.
        return super().do_open(partial(self.connection, deadline=self._deadline), req, **kwargs)


class _HTTPHandler(_WatchedHandler, urllib.request.HTTPHandler):
    connection = _HTTPConnection


class _HTTPSHandler(_WatchedHandler, urllib.request.HTTPSHandler):
    connection = _HTTPSConnection
