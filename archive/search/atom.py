"""A watch as an Atom 1.0 document (RFC 4287), so a journalist can follow it in their own feed reader.

Built with the standard library's ElementTree, which escapes every title and URL: an article's
metadata is text in the feed, never markup. Entries are the watch's matches in its order (new first).
"""

from __future__ import annotations

from urllib.parse import quote
from xml.etree import ElementTree as ET

from archive.types import Watch

ATOM = "http://www.w3.org/2005/Atom"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        node.text = text
    return node


def watch_atom(watch: Watch, base_url: str = "") -> str:
    """The watch's matches as an Atom feed; links point to each article's own URL, else to the API's copy."""
    ET.register_namespace("", ATOM)
    base = base_url.rstrip("/")
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", f"urn:news-archive:watch:{quote(watch.name)}")
    _sub(feed, "title", f"Watch {watch.name}: {watch.query}")
    _sub(feed, "subtitle", f"{watch.new} new since {watch.seen_at}")
    updated = max([m.matched_at for m in watch.matches] + [watch.created_at])
    _sub(feed, "updated", updated)
    author = _sub(feed, "author")
    _sub(author, "name", "News archive")
    _sub(feed, "generator", "news archive watches")
    if base:
        _sub(feed, "link", rel="self", href=f"{base}/api/watches/{quote(watch.name)}.atom",
             type="application/atom+xml")
    for m in watch.matches:
        entry = _sub(feed, "entry")
        _sub(entry, "id", f"urn:news-archive:article:{quote(m.article_id, safe='')}")
        _sub(entry, "title", m.title or m.article_id)
        _sub(entry, "updated", m.matched_at)
        if m.published_at:
            _sub(entry, "published", _instant(m.published_at))
        href = m.url or (f"{base}/api/articles/{quote(m.article_id, safe='')}" if base else "")
        if href:
            _sub(entry, "link", rel="alternate", href=href)
        what = " · ".join(x for x in (m.source, m.published_at[:10], "new" if m.new else "") if x)
        _sub(entry, "summary", what or "matched", type="text")
        if m.source:
            _sub(entry, "category", term=m.source)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode")


def _instant(published: str) -> str:
    """An Atom date-time from an ISO date or date-time (a bare date is taken as midnight UTC)."""
    if len(published) == 10:
        return f"{published}T00:00:00Z"
    return published
