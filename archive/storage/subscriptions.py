"""Feed subscriptions and each feed's polling state, kept with the record in Chroma.

One row per feed in ``archive-feeds`` (not named after the index: changing the embedding model builds a
new index, and the subscriptions stay). On a Chroma server every host sees the same list. The row's id
is made from the URL the feed was added with and stays when a 301 moves the feed; its metadata holds
the current URL, the conditional-GET validators (ETag, Last-Modified), the poll history and the keys of
the entries already stored (``FeedEntry.key``), so an unchanged entry is never fetched or embedded again.
Only the poller writes state (one at a time: ``archive-poller``, a lease like the writers'), and it
updates rows in place, so a feed removed meanwhile is not brought back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

from archive.storage.chroma import Collection

SUBSCRIPTIONS = "archive-feeds"
POLLER = "archive-poller"
MAX_SEEN = 5000  # entry keys remembered per feed: a feed lists far fewer, and a key is 16 characters


def now_iso() -> str:
    """Now in ISO 8601, UTC, to the microsecond (feeds added in one second keep their order)."""
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class Feed:
    """A subscription and its state; times are ISO 8601 in UTC ('' when it has not happened)."""

    url: str
    title: str = ""
    added_at: str = ""
    interval_s: float = 900.0
    last_success: str = ""
    last_new_entry: str = ""
    entries_added: int = 0
    last_error: str = ""
    next_poll: str = ""
    # kept for polling, not shown
    id: str = ""
    etag: str = ""
    last_modified: str = ""
    failures: int = 0  # errors in a row, for the backoff
    seen: tuple[str, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        """The shape of ``python -m ingest feeds list --json`` (docs/watches.md)."""
        out = {k: getattr(self, k) for k in ("url", "title", "added_at", "interval_s", "last_success",
                                              "last_new_entry", "entries_added", "last_error", "next_poll")}
        for key in ("last_success", "last_new_entry", "last_error", "next_poll"):
            out[key] = out[key] or None
        return out


def feed_id(url: str) -> str:
    return "feed-" + hashlib.sha1(url.encode("utf-8", "replace")).hexdigest()[:20]


def _meta(feed: Feed) -> dict[str, Any]:
    values = asdict(feed)
    values.pop("id")
    values["seen"] = " ".join(feed.seen[-MAX_SEEN:])
    return values


def _feed(row_id: str, meta: dict[str, Any]) -> Feed:
    known = {f.name for f in fields(Feed)}
    values = {k: v for k, v in meta.items() if k in known}
    values["seen"] = tuple(str(meta.get("seen", "")).split())
    return Feed(id=row_id, **values)


class Subscriptions:
    """The archive's feeds, read and written through the Chroma boundary."""

    def __init__(self, collection: Collection):
        self._col = collection

    def all(self) -> list[Feed]:
        """Every feed, in the order they were added."""
        res = self._col.get(include=["metadatas"])
        feeds = [_feed(i, m) for i, m in zip(res["ids"], res["metadatas"])]
        return sorted(feeds, key=lambda f: (f.added_at, f.url))

    def get(self, url: str) -> Feed | None:
        """The feed now at ``url``, or added with it."""
        res = self._col.get(ids=[feed_id(url)], include=["metadatas"])
        if not res["ids"]:
            res = self._col.get(where={"url": url}, include=["metadatas"])
        return _feed(res["ids"][0], res["metadatas"][0]) if res["ids"] else None

    def add(self, url: str, title: str = "", interval_s: float = 900.0) -> tuple[Feed, bool]:
        """Subscribe (an existing subscription is kept as it is): (the feed, whether it is new)."""
        found = self.get(url)
        if found is not None:
            return found, False
        feed = Feed(url=url, title=title, added_at=now_iso(), interval_s=interval_s, id=feed_id(url))
        self._col.add(ids=[feed.id], embeddings=[[1.0]], metadatas=[_meta(feed)])
        return self.get(url) or feed, True

    def add_many(self, feeds: Iterable[tuple[str, str]], interval_s: float) -> int:
        """Subscribe to each (url, title); returns how many were new."""
        return sum(self.add(url, title, interval_s)[1] for url, title in feeds)

    def remove(self, url: str) -> bool:
        """Unsubscribe; False when there was no such feed."""
        found = self.get(url)
        if found is None:
            return False
        self._col.delete(ids=[found.id])
        return True

    def save(self, feed: Feed) -> None:
        """Write a feed's state (a feed removed meanwhile stays removed)."""
        self._col.update(ids=[feed.id], metadatas=[_meta(feed)])

    def save_many(self, feeds: Iterable[Feed]) -> None:
        """Write several feeds' state in one call (a Chroma write costs a commit, whatever its size)."""
        feeds = list(feeds)
        if feeds:
            self._col.update(ids=[f.id for f in feeds], metadatas=[_meta(f) for f in feeds])

    def update(self, feed: Feed, **changes: Any) -> Feed:
        """``feed`` with ``changes``, saved."""
        changed = replace(feed, **changes)
        self.save(changed)
        return changed
