"""What a fetched body or a file is, from its first bytes: a feed (RSS, Atom, JSON Feed), a sitemap, an
OPML list, or none of them (a page). Servers label feeds ``text/html``, ``text/plain`` or ``text/xml`` alike,
so the content, not the header, decides."""

from __future__ import annotations

import re

from archive.errors import InputError

FEED_KINDS = ("rss", "atom", "jsonfeed", "sitemap", "sitemapindex", "opml")
_HEAD = 4096
# The XML prolog: declaration, comments, processing instructions and a DOCTYPE (with its internal subset).
_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)", re.S | re.I)
_ROOT = re.compile(rb"\s*<([A-Za-z_][\w.:-]*)")
_ROOTS = {b"rss": "rss", b"rdf:rdf": "rss", b"feed": "atom", b"urlset": "sitemap",
          b"sitemapindex": "sitemapindex", b"opml": "opml"}
_JSONFEED = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org/version/', re.I)
_BOMS = (b"\xef\xbb\xbf",)


def feed_kind(body: bytes, content_type: str = "") -> str:
    """One of ``FEED_KINDS``, or '' for anything else (HTML, plain text, JSON records)."""
    head = body[:_HEAD].removeprefix(_BOMS[0])
    if head.lstrip().startswith(b"{"):
        return "jsonfeed" if _JSONFEED.search(body[:65536]) else ""
    return _xml_root_kind(head)


def _xml_root_kind(head: bytes) -> str:
    root = _ROOT.match(head, _prolog_end(head))
    return _ROOTS.get(root.group(1).lower(), "") if root else ""


def _prolog_end(data: bytes) -> int:
    position = 0
    while match := _PROLOG.match(data, position):
        position = match.end()
    return position


def refuse_entities(body: bytes) -> None:
    """Raise InputError when the XML declares entities (billion laughs, external entities: XXE).

    Entities can only be declared in the DOCTYPE's internal subset, before the root element; no feed
    needs one, and an expanded or external entity is how a document attacks its parser."""
    head = body[:1_000_000]
    end = _prolog_end(head)
    prolog = head[:end] if _ROOT.match(head, end) else head  # an unreadable prolog: look at all of it
    if re.search(rb"<!ENTITY", prolog, re.I):
        raise InputError("the XML declares entities (<!ENTITY>); refused: entity expansion and external entities "
                         "are how a document attacks its parser")
