"""A background writer: the store writes one batch while the model embeds the next.

Torch releases the GIL while it computes, so writing to Chroma and SQLite in a second thread hides
most of the write time behind encoding. A failed batch is retried article by article, so one bad
article costs only itself, and its previous version stays in the store.

Each batch is written in a ``turn``: on a shared Chroma server, the writers' lease, held for that one
batch (with its ``before_write`` step), so that ingests on several hosts encode at once and take
turns to write.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from archive.errors import ArchiveError
from archive.types import Article, Chunk, IngestFailure

_STOP = object()


@dataclass
class WriteResult:
    """What the writer stored (merged into the ingest report when it closes)."""

    added: int = 0
    updated: int = 0
    chunks: int = 0
    failed: list[IngestFailure] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)  # the articles stored


@dataclass(frozen=True)
class Embedded:
    """An article whose chunks are all embedded, ready to be stored."""

    article: Article
    chunks: list[Chunk]
    vectors: np.ndarray
    is_update: bool
    headline: np.ndarray | None = None  # the vector of its title (or first sentence)
    furniture: frozenset[str] = frozenset()  # paragraph keys the chunk vectors were embedded without


class BackgroundWriter:
    """Stores batches of embedded articles in a thread; ``close()`` waits and returns the result."""

    def __init__(self, store, depth: int = 2, before_write: Callable[[list[Embedded]], list[Embedded]] | None = None,
                 turn: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext):
        self._store = store
        self._before_write = before_write
        self._turn = turn
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self.result = WriteResult()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self._thread.start()

    def submit(self, batch: list[Embedded]) -> None:
        if self._error is not None:
            raise self._error
        if batch:
            self._queue.put(batch)

    def close(self) -> WriteResult:
        self._queue.put(_STOP)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.result

    def _run(self) -> None:
        while (batch := self._queue.get()) is not _STOP:
            try:
                self._write(batch)
            except BaseException as e:  # noqa: BLE001 - surfaced to the ingesting thread on its next call
                self._error = e

    def _write(self, batch: list[Embedded]) -> None:
        with self._turn():
            if self._before_write is not None:
                try:
                    batch = self._before_write(batch)
                except ArchiveError:
                    pass  # enrichment (stories) is best effort: the articles are stored without it
            self._store_each(batch)

    def _store_each(self, batch: list[Embedded]) -> list[Embedded]:
        """Store the batch; on failure, article by article. Returns what was stored."""
        try:
            self._store_batch(batch)
            return batch
        except ArchiveError as e:
            if len(batch) == 1:
                self._fail(batch[0], f"storing failed: {e}")
                return []
        stored = []
        for item in batch:  # isolate the article that fails; the others are stored
            try:
                self._store_batch([item])
                stored.append(item)
            except ArchiveError as e:
                self._fail(item, f"storing failed: {e}")
        return stored

    def _store_batch(self, batch: list[Embedded]) -> None:
        from archive.storage import Version

        self._store.write([Version(e.article, e.chunks, e.vectors, e.is_update, e.headline, e.furniture) for e in batch])
        for item in batch:
            if item.is_update:
                self.result.updated += 1
            else:
                self.result.added += 1
            self.result.chunks += len(item.chunks)
            self.result.ids.add(item.article.id)

    def _fail(self, item: Embedded, reason: str) -> None:
        self.result.failed.append(IngestFailure(item.article.origin, f"{reason}; previous version kept"))
