"""Derived indexes brought up to date from the record: built when missing, synced per article, following the feed.

The keyword file (and the in-memory index, which is built from it and from Chroma's vectors) is a
cache of the record. ``resync`` makes it agree with the record for some articles; ``reconcile`` for
all of them (a new host, a keyword file lost, or a host that fell behind the feed's horizon);
``follow`` applies the change feed's new entries (archive/storage/feed.py). Each bumps the keyword
file's generation with the articles it changed, so this host's in-memory index and article cache
refresh on their next use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from archive.settings import Settings
from archive.storage.feed import ChangeFeed, margin, now_seq
from archive.storage.keyword import KeywordIndex
from archive.storage.records import (
    chunk_from,
    entity_rows,
    keyword_row,
    left_out_of,
    paragraph_rows,
    parts,
    version,
)


class Store(Protocol):
    """What deriving needs of the store (archive/storage/store.py plays it)."""

    settings: Settings
    keywords: KeywordIndex
    chunks: Any  # the chunks collection (Chroma)
    feed: ChangeFeed
    follow_lock: threading.Lock
    followed_at: float
    reconciling: bool

    @property
    def shared_server(self) -> bool: ...

    def records(self, ids: Sequence[str], include: list[str]) -> dict[str, tuple[Any, dict]]: ...

    def iter_articles(self, page: int = 1000, with_meta: bool = False) -> Iterator: ...

_PART = 200
FOLLOW_WAIT_S = 5.0  # the longest a search waits for another thread's reconcile (a whole-archive compare)
_POLL_S = 0.05  # how often a waiting search looks whether the follow it waits for has become a reconcile


def open_derived(store: Store) -> None:
    """Build this host's keyword file from the record when it is empty; on a shared server, catch up."""
    keywords = store.keywords
    if keywords.count() == 0 and store.chunks.count() > 0:
        start = now_seq()
        reconcile(store)
        keywords.clear_flag("copies")  # whether Chroma's articles carry the copies marker: the next check backfills it
        keywords.set_state("feed_seq", start)
    elif store.shared_server and keywords.state("feed_seq") is None:
        start = now_seq()  # a keyword file from before the feed: compare everything once
        reconcile(store)
        keywords.set_state("feed_seq", start)
    store.followed_at = time.monotonic()


def follow(store: Store) -> int:
    """Apply the change feed's entries this host has not applied (shared server only, at most once a
    second); returns how many articles were brought up to date."""
    every = store.settings.follow_interval_s  # a search costs one extra request at most this often
    if not store.shared_server or time.monotonic() - store.followed_at < every:
        return 0
    lock = store.follow_lock
    if not _wait_for_turn(store):
        return 0  # another thread is reconciling the whole archive: this search reads what it has so far
    try:
        if time.monotonic() - store.followed_at < every:
            return 0  # the follow this thread waited for has just read the feed
        store.followed_at = time.monotonic()
        return _follow(store)
    finally:
        lock.release()


def _wait_for_turn(store: Store) -> bool:
    """Take the follow lock, waiting for another thread's follow however long it takes (what it applies is
    what this search must read: a bounded wait let a search under heavy load read an index without a commit
    that had finished before it began), except a reconcile, which is waited for ``FOLLOW_WAIT_S`` at most."""
    waited = 0.0
    while not store.follow_lock.acquire(timeout=_POLL_S):
        waited += _POLL_S
        if store.reconciling and waited >= FOLLOW_WAIT_S:
            return False
    return True


def _follow(store: Store) -> int:
    keywords = store.keywords
    mark = keywords.state("feed_seq") or 0
    if mark < store.feed.horizon():  # entries this host never read were dropped: compare everything
        start = now_seq()
        store.reconciling = True
        try:
            n = reconcile(store)
        finally:
            store.reconciling = False
        keywords.set_state("feed_seq", start)
        return n
    entries = store.feed.since(margin(mark))
    if not entries:
        return 0
    todo = keywords.unapplied([e.id for e in entries])
    new = [e for e in entries if e.id in todo]
    ids = [e.article_id for e in new if store.feed.token not in e.id]  # this store's own writes are in its file
    for part in parts(list(dict.fromkeys(ids)), _PART):
        resync(store, part)
    watermark = max([mark] + [e.seq for e in entries])
    keywords.mark_applied([(e.id, e.seq) for e in new], watermark, margin(watermark))
    return len(ids)


def resync(store: Store, article_ids: Sequence[str]) -> bool:
    """Make the keyword file agree with the record for these articles; False when some record predates
    the paragraph record (its left-out paragraphs are then unknown)."""
    keywords = store.keywords
    records = store.records(article_ids, ["metadatas", "documents"])
    need = [aid for aid, (a, _) in records.items() if not keywords.has_version(aid, version(a))]
    chunk_metas: dict[str, list[dict]] = {}
    if need:
        res = store.chunks.get(where={"article_id": {"$in": need}}, include=["metadatas"])
        for meta in res["metadatas"]:
            chunk_metas.setdefault(meta["article_id"], []).append(meta)
    complete = True
    for aid in need:
        article, meta = records[aid]
        current = [chunk_from(m, article.text) for m in chunk_metas.get(aid, []) if m["hash"] == version(article)]
        left_out = left_out_of(meta)
        complete &= left_out is not None
        keywords.add([keyword_row(article, c) for c in current], entity_rows([article]),
                     paragraph_rows([(article, left_out)]) if left_out is not None else ())
    for aid in article_ids:
        keywords.delete_stale(aid, version(records[aid][0]) if aid in records else "")
    # Names are found after an article is stored (a later write of the same version): always take the record's.
    keywords.replace_entities(list(records), entity_rows(a for a, _ in records.values()))
    keywords.touch(article_ids)
    return complete


def reconcile(store: Store) -> int:
    """Compare every article's current version in the record with this host's rows, and resync those that
    differ (and remove the rows of articles the record no longer holds); returns how many were resynced."""
    local = store.keywords.versions()
    remote = {article.id: version(article) for article in store.iter_articles()}
    todo = [aid for aid, v in remote.items() if local.get(aid) != {v}] + [aid for aid in local if aid not in remote]
    complete = True
    for part in parts(todo, _PART):
        complete &= resync(store, part)
    if not complete:
        store.keywords.forget_paragraphs()  # what older records' vectors left out is not known: the next ingest records it
    return len(todo)
