"""HTML pages, from files or fetched URLs: trafilatura finds the article text and its stated metadata."""

from __future__ import annotations

import http.client
import re
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import trafilatura
from trafilatura.xml import xmltotxt

from archive.errors import InputError
from archive.settings import Settings
from archive.types import RawDocument
from ingest.readers.addresses import checked_connection
from ingest.readers.decoding import declared_html_charset, decode_declared
from ingest.readers.fields import same_words
from ingest.readers.files import MB, read_limited
from ingest.readers.sidecars import sidecar_hints

USER_AGENT = "news-archive/0.1"
# What the extractor is given at most. Article text is a few KB to a few hundred KB even on the longest
# pages; the rest of a huge page is markup. Past about 10 MB of one text node lxml drops the node, and
# trafilatura then finds no text at all (a 10 MB inline style or script lost a whole article), and the
# date search scans every character, so the bulk that carries no text is taken out first.
MAX_HTML_CHARS = 2_000_000
_DATA_URI = re.compile(r"data:[\w/+.-]+(?:;[\w=.-]+)*;base64,[A-Za-z0-9+/=\s]{200,}")
_BULK = re.compile(r"(<(script|style|svg|template)\b[^>]*>)(.*?)(</\2\s*>)", re.I | re.S)
_KEEP_SCRIPT = re.compile(r"application/(?:ld\+)?json", re.I)  # JSON-LD states title, author and date
_MAX_KEPT_SCRIPT = 100_000


def read_html_file(path: str, settings: Settings) -> Iterator[RawDocument]:
    data = read_limited(path, settings)
    html, notes = slimmed(decode_declared(data, declared_html_charset(data)))
    text, hints = _html_to_text(html, url=None)
    hints.update(sidecar_hints(path, settings))
    yield RawDocument(text=text, origin=path, hints=hints, title_from_text=False, notes=notes)


def slimmed(html: str) -> tuple[str, tuple[str, ...]]:
    """The page without what carries no article text (inline base64 data, scripts, styles, SVG), and cut
    to ``MAX_HTML_CHARS`` at a tag's end if still longer; the notes say what was cut, when it matters."""
    html = _DATA_URI.sub("data:,", html)
    html = _BULK.sub(_bulk_emptied, html)
    if len(html) <= MAX_HTML_CHARS:
        return html, ()
    end = html.rfind(">", 0, MAX_HTML_CHARS) + 1 or MAX_HTML_CHARS
    return html[:end], (f"the page's markup was cut at {end:,} of {len(html):,} characters "
                        "(after inline images, scripts and styles were left out); text past the cut is not stored",)


def _bulk_emptied(match: re.Match) -> str:
    opening, _, content, closing = match.groups()
    if match.group(2).lower() == "script" and _KEEP_SCRIPT.search(opening) and len(content) <= _MAX_KEPT_SCRIPT:
        return match.group(0)
    return opening + closing


def _html_to_text(html: str, url: str | None) -> tuple[str, dict[str, str]]:
    doc = _extract(html, url)
    if doc is None:
        raise InputError("no article text found in HTML")
    hints = _html_hints(doc)
    text = _html_body_text(doc, hints.get("title"))
    if not text.strip():
        raise InputError("no article text found in HTML")
    return text, hints


def _extract(html: str, url: str | None) -> Any:
    # trafilatura is a large third-party parser: any failure inside it means this page is unusable,
    # which must not abort a whole ingest run.
    try:
        for recall in (False, True):
            doc = trafilatura.bare_extraction(
                html, url=url, with_metadata=True, include_comments=False, favor_recall=recall
            )
            if doc is not None and (doc.text or "").strip():
                return doc
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"could not parse HTML: {exc}") from exc
    return None


def _html_hints(doc: Any) -> dict[str, str]:
    found = {
        "title": doc.title,
        "author": doc.author,
        "published_at": doc.date,
        "source": doc.sitename,
        "url": doc.url,
    }
    return {key: value.strip() for key, value in found.items() if isinstance(value, str) and value.strip()}


def _html_body_text(doc: Any, title: str | None) -> str:
    """Main text with a blank line between blocks (trafilatura's own text uses single newlines)."""
    if doc.body is None or not len(doc.body):
        return doc.text or ""
    blocks = [xmltotxt(block, False).strip() for block in doc.body]
    blocks = [block for block in blocks if block]
    if blocks and title and same_words(blocks[0], title):
        blocks = blocks[1:]  # the headline repeated as the first block is already the title
    return "\n\n".join(blocks)


# --------------------------------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Response:
    body: bytes
    charset: str | None
    content_type: str
    url: str


def read_url(url: str, settings: Settings) -> Iterator[RawDocument]:
    response = _fetch(url, settings)
    charset = response.charset or declared_html_charset(response.body)
    text = decode_declared(response.body, charset)
    if response.content_type == "text/plain":
        yield RawDocument(text=text, origin=url, hints={"url": response.url}, title_from_text=True)
        return
    html, notes = slimmed(text)
    text, hints = _html_to_text(html, url=response.url)
    hints["url"] = response.url
    yield RawDocument(text=text, origin=url, hints=hints, title_from_text=False, notes=notes)


def _fetch(url: str, settings: Settings) -> _Response:
    with _Deadline(settings.url_deadline_s) as deadline:
        try:
            response = _fetch_within(url, settings, deadline)
        except Exception as exc:
            if deadline.expired:  # whatever the shut sockets made urllib raise, the deadline is the reason
                raise InputError(deadline.reason) from exc
            raise
        if deadline.expired:  # a body without a stated length, cut short by the deadline, reads as complete
            raise InputError(deadline.reason)
    return response


def _fetch_within(url: str, settings: Settings, deadline: _Deadline) -> _Response:
    limit = int(settings.max_file_mb * MB)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    opener = urllib.request.build_opener(_HTTPHandler(deadline), _HTTPSHandler(deadline))
    try:
        with opener.open(request, timeout=min(settings.url_timeout_s, settings.url_deadline_s)) as reply:
            body = reply.read(limit + 1)
            # get_content_type() says text/plain when the header is missing; unknown should mean HTML here.
            declared = reply.headers.get_content_type() if reply.headers.get("Content-Type") else ""
            response = _Response(body, reply.headers.get_content_charset(), declared, reply.geturl())
    except urllib.error.HTTPError as exc:
        raise InputError(f"could not fetch URL: HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise InputError(f"could not fetch URL: {exc.reason}") from exc
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise InputError(f"could not fetch URL: {str(exc) or type(exc).__name__}") from exc
    if len(body) > limit:
        raise InputError(f"response is over the {settings.max_file_mb:g} MB limit (ARCHIVE_MAX_FILE_MB)")
    if not body:
        raise InputError("could not fetch URL: empty response")
    return response


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
