"""RSS 0.9x, 1.0 and 2.0 and Atom, read by feedparser (from bytes only: it is never given a URL to fetch)."""

from __future__ import annotations

from typing import Any

import feedparser

from archive.errors import InputError
from archive.settings import Settings
from ingest.readers.entries import FeedEntry, ParsedFeed, bounded, dated
from ingest.readers.sniff import refuse_entities

# feedparser's own notes that change nothing we read: a charset header that differs from the document's.
_HARMLESS = (feedparser.CharacterEncodingOverride,)


def parse_syndication(body: bytes, kind: str, settings: Settings) -> ParsedFeed:
    """An RSS or Atom document's entries; InputError when it is not well-formed and nothing could be read."""
    refuse_entities(body)
    parsed = feedparser.parse(body, sanitize_html=True, resolve_relative_uris=True)
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if problem is not None and isinstance(problem, _HARMLESS):
        problem = None
    feed = ParsedFeed(kind=kind, title=str(parsed.feed.get("title", "")).strip(), ttl_s=_ttl_s(parsed.feed))
    if problem is not None:
        where = _where(problem)
        if not parsed.entries:
            raise InputError(f"the feed is not well-formed XML{where}: {problem}")
        feed.notes.append(f"the feed is not well-formed XML{where} ({problem}); "
                          f"its {len(parsed.entries)} entries were read leniently")
    return bounded(feed, [_entry(e) for e in parsed.entries], settings)


def _where(problem: Exception) -> str:
    line = getattr(problem, "getLineNumber", None)
    return f" at line {line()}" if callable(line) else ""


def _ttl_s(channel: Any) -> float:
    """RSS ``<ttl>``: minutes the feed asks to be cached."""
    try:
        return max(0.0, float(channel.get("ttl", 0)) * 60)
    except (TypeError, ValueError):
        return 0.0


def _entry(item: Any) -> FeedEntry:
    stated = str(item.get("published") or item.get("updated") or "")
    published, note = dated(stated)
    content = _full_content(item)
    return FeedEntry(
        guid=str(item.get("id", "")).strip(),
        link=str(item.get("link", "")).strip(),
        title=str(item.get("title", "")).strip(),
        author=str(item.get("author", "")).strip(),
        published=published,
        content_html=content if "<" in content else "",
        content_text="" if "<" in content else content,
        summary=str(item.get("summary", "")).strip(),
        date_note=note,
    )


def _full_content(item: Any) -> str:
    """``content:encoded`` or Atom ``content``, the longest when there are several; '' when the feed has none
    (a ``description`` or Atom ``summary`` is a teaser, not the article)."""
    values = [str(c.get("value", "")) for c in item.get("content", []) or [] if c.get("value")]
    return max(values, key=len).strip() if values else ""
