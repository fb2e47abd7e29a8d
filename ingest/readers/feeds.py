"""Feeds as inputs: a URL or file that holds a feed (RSS, Atom, JSON Feed) or a news sitemap is read as its
entries' articles (``entries``); any other URL is a page. The poller uses ``parse_feed`` on what its
conditional GET fetched; ``python -m ingest <feed>`` reads a feed once through ``read_any_url`` or
``read_feed_file``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from archive.errors import InputError
from archive.settings import Settings
from archive.types import IngestFailure, RawDocument
from ingest.readers.entries import ParsedFeed, entry_documents, first_entries
from ingest.readers.fetch import Response, fetch
from ingest.readers.files import read_limited
from ingest.readers.html import page_document
from ingest.readers.jsonfeed import parse_jsonfeed
from ingest.readers.sitemaps import parse_sitemap, sitemap_children
from ingest.readers.sniff import feed_kind
from ingest.readers.syndication import parse_syndication

MAX_CHILD_SITEMAPS = 50  # a news sitemap index lists a few (one per day or section); more is a whole site's


def parse_feed(url: str, body: bytes, kind: str, settings: Settings) -> ParsedFeed:
    """The entries of a fetched feed of ``kind`` (``sniff.feed_kind``); a sitemap index's sitemaps are fetched."""
    if kind in ("rss", "atom"):
        return parse_syndication(body, kind, settings)
    if kind == "jsonfeed":
        return parse_jsonfeed(body, settings)
    if kind == "sitemap":
        return parse_sitemap(body, settings)
    if kind == "sitemapindex":
        return _parse_index(body, settings)
    if kind == "opml":
        raise InputError("this is an OPML subscription list, not a feed: subscribe to its feeds with "
                         "`python -m ingest feeds import FILE`")
    raise InputError("not a feed: expected RSS, Atom, JSON Feed or a sitemap")


def _parse_index(body: bytes, settings: Settings) -> ParsedFeed:
    children = sitemap_children(body)
    feed = ParsedFeed(kind="sitemapindex")
    if len(children) > MAX_CHILD_SITEMAPS:
        feed.notes.append(f"the sitemap index lists {len(children):,} sitemaps; its first {MAX_CHILD_SITEMAPS} were read")
    for child in children[:MAX_CHILD_SITEMAPS]:
        try:
            response = fetch(child, settings)
            if feed_kind(response.body) != "sitemap":
                raise InputError("not a sitemap (<urlset>)")
            part = parse_sitemap(response.body, settings)
        except InputError as e:
            feed.notes.append(f"sitemap {child}: {e}")
            continue
        feed.entries += part.entries
        feed.total += part.total
        feed.notes += part.notes
    return feed


def feed_documents(url: str, feed: ParsedFeed, settings: Settings) -> Iterator[RawDocument | IngestFailure]:
    """A parsed feed's articles (its first ``feed_max_entries``); the feed's own notes (what was left out,
    what was read leniently) ride on its first article."""
    entries, cut = first_entries(feed.entries, settings)
    notes = tuple(f"{url}: {n}" for n in [*feed.notes, cut] if n)
    for item in entry_documents(url, entries, settings):
        if notes and isinstance(item, RawDocument):
            item, notes = replace(item, notes=notes + item.notes), ()
        yield item
    if notes:
        yield from (IngestFailure(url, n) for n in notes)  # nothing to carry them: each is a failure of the feed


def read_any_url(url: str, settings: Settings) -> Iterator[RawDocument | IngestFailure]:
    """A URL: a feed's or sitemap's entries when it holds one, else the page's article."""
    response = fetch(url, settings)
    kind = feed_kind(response.body, response.content_type)
    if not kind:
        yield page_document(url, response)
        return
    yield from feed_documents(url, parse_feed(_kept_url(url, response), response.body, kind, settings), settings)


def _kept_url(url: str, response: Response) -> str:
    return response.moved_to or url


def read_feed_file(path: str, settings: Settings) -> Iterator[RawDocument | IngestFailure]:
    """A feed saved as a file (``.xml``, ``.rss``, ``.atom``): its entries' articles."""
    data = read_limited(path, settings)
    kind = feed_kind(data)
    if not kind:
        raise InputError("not a feed: expected RSS, Atom, JSON Feed or a sitemap")
    yield from feed_documents(path, parse_feed(path, data, kind, settings), settings)
