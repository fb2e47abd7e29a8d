"""The change feed: how a host learns what other hosts wrote to a shared Chroma server.

Every write appends one entry per article it changed to ``<index>-changes`` in Chroma, after the
article's record has committed: ``{seq: the writer's clock in ns, article_id}``. The keyword file,
the in-memory index and the article cache are derived, and each host keeps its own; a host follows
the feed (at most once a second, before a search) and brings each named article up to date from
the record: its current version's keyword rows written if missing, other versions' rows removed, a
deleted article's rows removed, its cached metadata dropped. Applying an entry twice does nothing
more, so the follower re-reads a margin (``SLACK_S``) before its watermark: an entry written late,
or by a host whose clock lags by up to that margin, is still applied; the entries it already
applied are remembered in the keyword file and skipped. Hosts' clocks must agree within the margin.

Entries older than ``KEEP_DAYS`` are dropped by writers, which record the cut (the horizon); a host
whose watermark is older than the horizon, or that has none, reconciles instead: it compares every
article's current version in the record with its own rows.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from archive.storage.chroma import Collection

SLACK_S = 60
KEEP_DAYS = 30
HORIZON = "horizon"
_NS = 1_000_000_000


@dataclass(frozen=True)
class Entry:
    id: str
    seq: int
    article_id: str


class ChangeFeed:
    def __init__(self, collection: Collection, batch: int):
        self._col = collection
        self._batch = batch
        self.token = uuid.uuid4().hex[:12]  # this writer's entries are named apart from every other's

    def append(self, article_ids: Sequence[str]) -> None:
        """Record that these articles changed (call after the change committed)."""
        ids = list(dict.fromkeys(article_ids))
        if not ids:
            return
        seq = time.time_ns()
        self._col.put([f"{seq:020d}-{self.token}-{i}" for i in range(len(ids))], [[1.0]] * len(ids),
                      [{"seq": seq, "article_id": a} for a in ids], None, self._batch)

    def since(self, seq: int, page: int = 5000) -> list[Entry]:
        """Entries with a sequence above ``seq``, oldest first."""
        found: list[Entry] = []
        while True:
            res = self._col.get(where={"seq": {"$gt": seq}}, include=["metadatas"], limit=page, offset=len(found))
            found += [Entry(i, int(m["seq"]), str(m["article_id"])) for i, m in zip(res["ids"], res["metadatas"])
                      if i != HORIZON]
            if len(res["ids"]) < page:
                return sorted(found, key=lambda e: (e.seq, e.id))

    def horizon(self) -> int:
        """The sequence before which entries were dropped (0: none ever were)."""
        res = self._col.get(ids=[HORIZON], include=["metadatas"])
        return int(res["metadatas"][0]["cut"]) if res["ids"] else 0

    def trim(self, keep_days: float = KEEP_DAYS) -> None:
        """Drop entries older than ``keep_days`` and record the cut."""
        cut = time.time_ns() - int(keep_days * 86400 * _NS)
        self._col.put([HORIZON], [[1.0]], [{"seq": 0, "article_id": "", "cut": cut}], None, 1)
        self._col.delete(where={"$and": [{"seq": {"$lt": cut}}, {"seq": {"$gt": 0}}]})


def margin(seq: int) -> int:
    """Where a follower at watermark ``seq`` starts reading again."""
    return max(0, seq - SLACK_S * _NS)


def now_seq() -> int:
    return time.time_ns()
