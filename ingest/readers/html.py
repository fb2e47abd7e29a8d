"""HTML pages, from files or fetched URLs: trafilatura finds the article text and its stated metadata."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import trafilatura
from trafilatura.xml import xmltotxt

from archive.errors import InputError
from archive.settings import Settings
from archive.types import RawDocument
from ingest.readers.decoding import declared_html_charset, decode_declared
from ingest.readers.fields import same_words
from ingest.readers.files import MB, read_limited
from ingest.readers.sidecars import sidecar_hints

USER_AGENT = "news-archive/0.1"


def read_html_file(path: str, settings: Settings) -> Iterator[RawDocument]:
    data = read_limited(path, settings)
    text, hints = _html_to_text(decode_declared(data, declared_html_charset(data)), url=None)
    hints.update(sidecar_hints(path, settings))
    yield RawDocument(text=text, origin=path, hints=hints, title_from_text=False)


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
    text, hints = _html_to_text(text, url=response.url)
    hints["url"] = response.url
    yield RawDocument(text=text, origin=url, hints=hints, title_from_text=False)


def _fetch(url: str, settings: Settings) -> _Response:
    limit = int(settings.max_file_mb * MB)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=settings.url_timeout_s) as reply:
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
