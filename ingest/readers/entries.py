"""A feed's entries, whatever the format said them in, and the articles they become.

Every format's reader (RSS and Atom, JSON Feed, news sitemaps) gives a ``ParsedFeed`` of ``FeedEntry``s.
An entry becomes one raw document: its own full content when the feed carries it, else the linked
page fetched through the URL reader (its guard, deadline and size bounds). Its title, author, date and
link are kept as the article's metadata. The article is known by the entry's canonical link, so two
feeds carrying one story, or one link with another tracking parameter, make one article; an entry with
no link is known by its feed and GUID.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

import lxml.html

from archive.errors import InputError
from archive.settings import Settings
from archive.text.dates import parse_date
from archive.types import IngestFailure, RawDocument
from ingest.readers.fetch import fetch
from ingest.readers.html import page_document
from ingest.readers.links import canonical_link
from ingest.readers.origins import is_url
from ingest.readers.records import RecordFailure

_FUTURE_SLACK = timedelta(days=1)  # a feed's clock may be a time zone ahead; a day past now is a wrong date
_BLOCKS = ("p", "div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "figure", "section",
           "article", "ul", "ol", "table")


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed: what it links to, what it says, and its full content when it carries it."""

    guid: str = ""
    link: str = ""
    title: str = ""
    author: str = ""
    published: str = ""  # ISO 8601, '' when the feed gave none that could be used
    content_html: str = ""  # the full article (content:encoded, Atom content, JSON Feed content_html)
    content_text: str = ""
    summary: str = ""
    date_note: str = ""  # why a stated date was left out (unparseable, in the future)

    @cached_property  # a hash of the whole entry, asked for several times a poll
    def key(self) -> str:
        """What the poller remembers of an entry it stored: who it is and what it said (a change is an update)."""
        said = "\x1f".join((self.title, self.published, self.content_html, self.content_text, self.summary))
        who = self.guid or canonical_link(self.link)  # canonical: a new tracking parameter is no new entry
        return hashlib.sha1(f"{who}\x1e{said}".encode("utf-8", "replace")).hexdigest()[:16]


@dataclass
class ParsedFeed:
    """A feed read: its title, its entries, how long it asks to be left alone (RSS ``ttl``), and notes on what
    was left out or read leniently."""

    kind: str
    title: str = ""
    entries: list[FeedEntry] = field(default_factory=list)
    ttl_s: float = 0.0
    total: int = 0  # entries the feed holds
    notes: list[str] = field(default_factory=list)


def dated(stated: str) -> tuple[str, str]:
    """(ISO date, note) of a date as a feed states it: one in the future or unreadable gives '' and says why."""
    if not stated.strip():
        return "", ""
    iso = parse_date(stated)
    if not iso:
        return "", f"its date {stated.strip()[:60]!r} could not be read; left undated"
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if when > datetime.now(UTC) + _FUTURE_SLACK:
        return "", f"its date {iso[:10]} is in the future; left undated"
    return iso, ""


def bounded(feed: ParsedFeed, entries: list[FeedEntry], settings: Settings) -> ParsedFeed:
    """``feed`` holding ``entries`` (all of them: the body was already bounded by the fetch or file size limit;
    how many are read at once is ``first_entries``'s to say)."""
    feed.entries, feed.total = entries, len(entries)
    return feed


def first_entries(entries: list[FeedEntry], settings: Settings) -> tuple[list[FeedEntry], str]:
    """The first ``feed_max_entries`` (feeds list their newest first), and a note when that left some out."""
    limit = settings.feed_max_entries
    if len(entries) <= limit:
        return entries, ""
    return entries[:limit], (f"{len(entries):,} entries to read; the first {limit:,} were read "
                             "(ARCHIVE_FEED_MAX_ENTRIES), the rest wait for the next poll")


def entry_documents(feed_url: str, entries: Iterable[FeedEntry], settings: Settings
                    ) -> Iterator[RawDocument | IngestFailure]:
    """Each entry's article, or a failure naming the entry (the feed's other entries go on)."""
    for position, entry in enumerate(entries, start=1):
        where = _link_of(entry) or f"{feed_url}#{entry.guid or position}"
        try:
            yield entry_document(feed_url, entry, settings)
        except InputError as e:
            yield RecordFailure(where, f"feed entry {entry.title or entry.guid or position!s}: {e}", where)


def entry_document(feed_url: str, entry: FeedEntry, settings: Settings) -> RawDocument:
    """The raw document of one entry (fetching its linked page when the feed carries no full content)."""
    link = _link_of(entry)
    hints = {"title": entry.title, "author": entry.author, "published_at": entry.published, "url": link}
    text = html_text(entry.content_html) if entry.content_html else entry.content_text.strip()
    notes = (f"feed entry {entry.title or link}: {entry.date_note}",) if entry.date_note else ()
    if not text and link:
        page = page_document(link, fetch(link, settings))
        page_hints = {k: v for k, v in page.hints.items() if k in ("source", "author", "published_at")}
        hints = {**page_hints, **{k: v for k, v in hints.items() if v}, "url": link}
        return RawDocument(text=page.text, origin=link, hints=hints, title_from_text=False,
                           notes=notes + page.notes)
    if not text:
        text = html_text(entry.summary) if entry.summary else ""
    if not text:
        raise InputError("the entry has no link and no content")
    if link:
        return RawDocument(text=text, origin=link, hints=_set(hints), title_from_text=not entry.title, notes=notes)
    guid = entry.guid or hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:16]
    return RawDocument(text=text, origin=f"{feed_url}#{guid}", hints=_set(hints), record_id=guid,
                       title_from_text=not entry.title, notes=notes)


def _link_of(entry: FeedEntry) -> str:
    """The entry's canonical link; '' when it has none that can be fetched (an RSS guid taken for a link)."""
    return canonical_link(entry.link) if is_url(entry.link) else ""


def _set(hints: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in hints.items() if v}


def html_text(markup: str) -> str:
    """The text of an HTML fragment (an entry's content), a blank line between its blocks."""
    if "<" not in markup:
        return markup.strip()
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return ""
    for bad in root.xpath("//script|//style|//noscript|//iframe"):
        bad.drop_tree()
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for block in root.iter(*_BLOCKS):
        block.tail = "\n\n" + (block.tail or "")
    lines = [" ".join(line.split()) for line in root.text_content().split("\n")]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()
