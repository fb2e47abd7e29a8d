"""News sitemaps (``<urlset>`` with ``<news:news>``), sitemap indexes and OPML subscription lists, parsed by
defusedxml: a document that declares entities (billion laughs, XXE) or is not well-formed is refused."""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from archive.errors import InputError
from archive.settings import Settings
from ingest.readers.entries import FeedEntry, ParsedFeed, bounded, dated


def parse_xml(body: bytes, what: str) -> Element:
    """The root element of ``body``; InputError saying what is wrong with it."""
    try:
        return SafeET.fromstring(body)
    except defusedxml.DefusedXmlException as e:
        raise InputError(f"the {what} declares entities or a DTD; refused ({type(e).__name__})") from e
    except ParseError as e:
        raise InputError(f"the {what} is not well-formed XML: {e}") from e


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(element: Element, *path: str) -> str:
    """The text of the first descendant along ``path`` of local names ('' when absent)."""
    for name in path:
        element = next((c for c in element if _local(c.tag) == name), None)
        if element is None:
            return ""
    return (element.text or "").strip()


def parse_sitemap(body: bytes, settings: Settings) -> ParsedFeed:
    """A (news) sitemap's pages as entries: the link, and the news title and date when it states them."""
    root = parse_xml(body, "sitemap")
    entries = []
    for url in (c for c in root if _local(c.tag) == "url"):
        loc = _child_text(url, "loc")
        if not loc:
            continue
        stated = _child_text(url, "news", "publication_date") or _child_text(url, "lastmod")
        published, note = dated(stated)
        entries.append(FeedEntry(guid=loc, link=loc, title=_child_text(url, "news", "title"),
                                 published=published, date_note=note))
    return bounded(ParsedFeed(kind="sitemap"), entries, settings)


def sitemap_children(body: bytes) -> list[str]:
    """The sitemaps a sitemap index lists, in its order."""
    root = parse_xml(body, "sitemap index")
    return [loc for c in root if _local(c.tag) == "sitemap" and (loc := _child_text(c, "loc"))]


def parse_opml(body: bytes) -> list[tuple[str, str]]:
    """(feed URL, title) of every outline with an ``xmlUrl``, nested folders included, in document order."""
    root = parse_xml(body, "OPML file")
    if _local(root.tag) != "opml":
        raise InputError(f"expected an OPML document (<opml>), found <{_local(root.tag)}>")
    found: list[tuple[str, str]] = []
    for outline in root.iter():
        if _local(outline.tag) == "outline" and (url := (outline.get("xmlUrl") or "").strip()):
            found.append((url, (outline.get("title") or outline.get("text") or "").strip()))
    return found


def opml_document(feeds: list[tuple[str, str]], title: str = "News archive subscriptions") -> str:
    """An OPML 2.0 document listing ``feeds`` as (URL, title)."""
    from xml.etree.ElementTree import SubElement, tostring  # writing only: nothing untrusted is parsed here

    root = Element("opml", version="2.0")
    SubElement(SubElement(root, "head"), "title").text = title
    body = SubElement(root, "body")
    for url, name in feeds:
        SubElement(body, "outline", type="rss", text=name or url, title=name or url, xmlUrl=url)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode") + "\n"
