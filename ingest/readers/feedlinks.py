"""Finding a site's feed: a URL that is a feed is its own; a web page names its feeds in
``<link rel="alternate" type="application/rss+xml" href="...">`` (or Atom, or JSON Feed)."""

from __future__ import annotations

from urllib.parse import urljoin

import lxml.html

from archive.errors import InputError
from archive.settings import Settings
from ingest.readers.decoding import declared_html_charset, decode_declared
from ingest.readers.feeds import parse_feed
from ingest.readers.fetch import Response, fetch
from ingest.readers.sniff import feed_kind

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json",
              "application/rdf+xml")


def find_feed(url: str, settings: Settings) -> tuple[str, str]:
    """(feed URL, feed title) for ``url``: the feed itself, or the first feed its page links to."""
    response = fetch(url, settings)
    kind = feed_kind(response.body, response.content_type)
    if kind == "opml":
        raise InputError("this is an OPML list of feeds: import it (`python -m ingest feeds import FILE`)")
    if kind:
        return _titled(response.moved_to or url, response, kind, settings)
    for link in linked_feeds(response):
        try:
            found = fetch(link, settings)
        except InputError:
            continue
        found_kind = feed_kind(found.body, found.content_type)
        if found_kind and found_kind != "opml":
            return _titled(found.moved_to or link, found, found_kind, settings)
    raise InputError(f"no feed at {url}: it is no RSS, Atom, JSON Feed or sitemap, and names none in "
                     '<link rel="alternate">')


def linked_feeds(response: Response) -> list[str]:
    """The feed URLs a page names in its alternate links, in page order (RSS, Atom, JSON Feed)."""
    text = decode_declared(response.body, response.charset or declared_html_charset(response.body))
    try:
        page = lxml.html.document_fromstring(text[:2_000_000])
    except (ValueError, lxml.etree.ParserError):
        return []
    found = []
    for link in page.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in FEED_TYPES and href:
            found.append(urljoin(response.url, href))
    return list(dict.fromkeys(found))


def _titled(url: str, response: Response, kind: str, settings: Settings) -> tuple[str, str]:
    try:
        return url, parse_feed(url, response.body, kind, settings).title
    except InputError:
        return url, ""  # a feed that cannot be read today is still subscribed: the poller reports its errors
