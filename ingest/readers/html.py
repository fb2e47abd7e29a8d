"""HTML pages, from files or fetched URLs: trafilatura finds the article text and its stated metadata."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import trafilatura
from trafilatura.xml import xmltotxt

from archive.errors import InputError
from archive.settings import Settings
from archive.types import RawDocument
from ingest.readers.decoding import declared_html_charset, decode_declared
from ingest.readers.fetch import Response, fetch
from ingest.readers.fields import same_words
from ingest.readers.files import read_limited
from ingest.readers.sidecars import sidecar_hints

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


def read_url(url: str, settings: Settings) -> Iterator[RawDocument]:
    """A web page fetched (the address guard, deadline and size bounds in ``fetch``), as its article."""
    yield page_document(url, fetch(url, settings))


def page_document(url: str, response: Response) -> RawDocument:
    """The article of a fetched page (or plain text), known by ``url``."""
    charset = response.charset or declared_html_charset(response.body)
    text = decode_declared(response.body, charset)
    if response.content_type == "text/plain":
        return RawDocument(text=text, origin=url, hints={"url": response.url}, title_from_text=True)
    html, notes = slimmed(text)
    text, hints = _html_to_text(html, url=response.url)
    hints["url"] = response.url
    return RawDocument(text=text, origin=url, hints=hints, title_from_text=False, notes=notes)
