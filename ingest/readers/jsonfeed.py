"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), read by hand, within bounds: feedparser does not
read it. The body is already bounded by the fetch or file size limit; entries by ``feed_max_entries``."""

from __future__ import annotations

from typing import Any

from archive.errors import InputError
from archive.settings import Settings
from ingest.readers.decoding import decode_bytes
from ingest.readers.entries import FeedEntry, ParsedFeed, bounded, dated
from ingest.readers.records import json_type, parse_json

_MAX_FIELD = 2_000_000  # characters of one field kept (an article's HTML is far less)


def parse_jsonfeed(body: bytes, settings: Settings) -> ParsedFeed:
    """A JSON Feed's items as entries; InputError when it is no JSON Feed object with an items list."""
    value = parse_json(decode_bytes(body))
    if not isinstance(value, dict):
        raise InputError(f"a JSON Feed is an object, found {json_type(value)}")
    items = value.get("items")
    if not isinstance(items, list):
        raise InputError(f"a JSON Feed has an 'items' list, found {json_type(items)}")
    feed = ParsedFeed(kind="jsonfeed", title=_text(value.get("title")))
    entries = []
    for position, item in enumerate(items, start=1):
        if isinstance(item, dict):
            entries.append(_entry(item))
        else:
            feed.notes.append(f"item {position} is not an object (found {json_type(item)}); skipped")
    return bounded(feed, entries, settings)


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    return value.strip()[:_MAX_FIELD] if isinstance(value, str) else ""


def _authors(item: dict[str, Any]) -> str:
    people = item.get("authors")
    if not isinstance(people, list):
        people = [item.get("author")]  # JSON Feed 1.0 had one author object
    names = [_text(p.get("name")) for p in people if isinstance(p, dict)]
    return ", ".join(n for n in names if n)


def _entry(item: dict[str, Any]) -> FeedEntry:
    published, note = dated(_text(item.get("date_published")) or _text(item.get("date_modified")))
    return FeedEntry(
        guid=_text(item.get("id")),
        link=_text(item.get("url")) or _text(item.get("external_url")),
        title=_text(item.get("title")),
        author=_authors(item),
        published=published,
        content_html=_text(item.get("content_html")),
        content_text=_text(item.get("content_text")),
        summary=_text(item.get("summary")),
        date_note=note,
    )
