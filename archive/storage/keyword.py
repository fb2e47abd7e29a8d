"""Keyword index: BM25 over chunk text with SQLite FTS5, kept beside Chroma and updated incrementally.

Chroma 1.5's own sparse (BM25) index and its Search/Rrf API are refused by both the embedded client
and `chroma run` ("Sparse vector indexing is not enabled in local", "Search is not implemented for
Local Chroma"), so the keyword side lives here: one SQLite file, transactional, written in the same
commit protocol as the vectors (rows carry the article's content hash, stale rows are swept with the
stale chunks), queried in milliseconds and never rebuilt per query.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from archive.errors import StoreError
from archive.storage.keyword_schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION, EntityRow, KeywordRow, ParagraphRow, Row
from archive.text.fold import name_form
from archive.text.query import ParsedQuery
from archive.types import Chunk, ChunkMatch


def _in_parts(values: Collection[str], size: int = 500) -> Iterator[tuple[list[str], str]]:
    """``values`` in parts small enough for one SQL ``IN (...)``, each with its placeholders."""
    values = list(values)
    for start in range(0, len(values), size):
        part = values[start:start + size]
        yield part, ",".join("?" * len(part))


class KeywordIndex:
    """BM25 ranking of chunks with SQLite FTS5 (porter stemming, diacritics folded)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{path} was written by a newer version of the archive (keyword schema {version}, "
                                 f"this one reads up to {SCHEMA_VERSION}): upgrade, or delete the file and the "
                                 "next open rebuilds it from the record")
            self._db.executescript(SCHEMA)  # idempotent: what every version starts from
            for step in range(max(version, 1), SCHEMA_VERSION):
                self._db.executescript(MIGRATIONS[step])  # from schema ``step`` to ``step + 1``
            if version != SCHEMA_VERSION:
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            if self._db.execute("SELECT 1 FROM chunk_rows LIMIT 1").fetchone() is None:
                # A new (or empty) archive records paragraphs from its first write: nothing to backfill.
                self._db.execute("INSERT OR IGNORE INTO index_state (key, value) VALUES ('paragraphs', 1)")
                self._db.execute("INSERT OR IGNORE INTO index_state (key, value) VALUES ('copies', 1)")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One SQLite transaction under the index's lock: committed when the block ends, rolled back (and the
        error raised) when it fails."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def has_flag(self, key: str) -> bool:
        """Whether a one-time backfill named ``key`` was done for this archive."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM index_state WHERE key = ?", (key,)).fetchone() is not None

    def set_flag(self, key: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO index_state (key, value) VALUES (?, 1)", (key,))

    def clear_flag(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM index_state WHERE key = ?", (key,))

    def add(
        self,
        rows: Sequence[KeywordRow],
        entities: Sequence[EntityRow] = (),
        paragraphs: Sequence[ParagraphRow] = (),
    ) -> None:
        """Insert chunk, entity and paragraph rows in one transaction."""
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO paragraph_rows (article_id, hash, para, excluded) VALUES (?, ?, ?, ?)",
                [(aid, h, key, int(excluded)) for aid, h, key, excluded in paragraphs],
            )
            self._db.executemany(
                "INSERT OR IGNORE INTO entity_rows (article_id, hash, kind, name, folded) VALUES (?, ?, ?, ?, ?)",
                [(aid, h, kind, name, name_form(name)) for aid, h, kind, name in entities],
            )
            self._db.executemany("DELETE FROM chunk_rows WHERE chunk_id = ?", [(row[0],) for row in rows])
            self._db.executemany(
                "INSERT INTO chunk_rows (chunk_id, article_id, hash, idx, start, stop, source, published_ts, body, title)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (cid, c.article_id, h, c.index, c.start, c.end, source, ts, c.text, title)
                    for cid, h, c, title, source, ts in rows
                ],
            )

    def replace_entities(self, article_ids: Sequence[str], entities: Sequence[EntityRow]) -> None:
        """Replace these articles' entity rows, in one transaction."""
        with self._transaction():
            self._db.executemany("DELETE FROM entity_rows WHERE article_id = ?", [(a,) for a in article_ids])
            self._db.executemany(
                "INSERT OR IGNORE INTO entity_rows (article_id, hash, kind, name, folded) VALUES (?, ?, ?, ?, ?)",
                [(aid, h, kind, name, name_form(name)) for aid, h, kind, name in entities],
            )

    def delete_stale(self, article_id: str, keep_hash: str) -> None:
        """Remove an article's rows from versions other than ``keep_hash`` ('' removes all)."""
        with self._lock:
            self._db.execute("DELETE FROM chunk_rows WHERE article_id = ? AND hash != ?", (article_id, keep_hash))
            self._db.execute("DELETE FROM entity_rows WHERE article_id = ? AND hash != ?", (article_id, keep_hash))
            self._db.execute("DELETE FROM paragraph_rows WHERE article_id = ? AND hash != ?", (article_id, keep_hash))

    # ---- site furniture (archive/text/furniture.py) -------------------------------------------------------

    def paragraph_counts(self, keys: Collection[str], leave_out: Collection[str] = ()) -> dict[str, int]:
        """How many articles (other than ``leave_out``) hold each paragraph key."""
        counts: dict[str, int] = {}
        with self._lock:
            for part, marks in _in_parts(keys):
                for key, n in self._db.execute(
                    f"SELECT para, count(DISTINCT article_id) FROM paragraph_rows WHERE para IN ({marks})"
                    f" AND article_id NOT IN ({','.join('?' * len(leave_out))}) GROUP BY para",
                    [*part, *leave_out],
                ):
                    counts[key] = n
        return counts

    def misfurnished(self, min_articles: int) -> list[str]:
        """Articles whose embedded text left out a different set of paragraphs than the furniture is now:
        furniture they kept, or a paragraph they left out that is no longer furniture."""
        with self._lock:
            furniture = [r[0] for r in self._db.execute(
                "SELECT para FROM paragraph_rows GROUP BY para HAVING count(DISTINCT article_id) >= ?",
                (min_articles if min_articles > 0 else 2**62,),
            )]
            found: set[str] = set()
            for part, marks in _in_parts(furniture):
                found.update(r[0] for r in self._db.execute(
                    f"SELECT DISTINCT article_id FROM paragraph_rows WHERE para IN ({marks}) AND excluded = 0", part))
            wanted = set(furniture)
            found.update(aid for aid, para in self._db.execute(
                "SELECT article_id, para FROM paragraph_rows WHERE excluded = 1") if para not in wanted)
        return sorted(found)

    def left_out(self, article_ids: Sequence[str]) -> dict[str, set[str]]:
        """The paragraph keys each article's chunk vectors were embedded without."""
        out: dict[str, set[str]] = {aid: set() for aid in article_ids}
        with self._lock:
            for part, marks in _in_parts(article_ids):
                for aid, key in self._db.execute(
                    f"SELECT article_id, para FROM paragraph_rows WHERE excluded = 1 AND article_id IN ({marks})", part,
                ):
                    out[aid].add(key)
        return out

    def forget_paragraphs(self) -> None:
        """Drop the paragraph record (a keyword file rebuilt from Chroma cannot know it)."""
        with self._lock:
            self._db.execute("DELETE FROM paragraph_rows")
        self.clear_flag("paragraphs")

    def backfill_paragraphs(self, paragraphs: Sequence[ParagraphRow]) -> None:
        """Record paragraph rows of articles stored before they existed (rows already there are kept)."""
        with self._lock:
            self._db.executemany(
                "INSERT OR IGNORE INTO paragraph_rows (article_id, hash, para, excluded) VALUES (?, ?, ?, ?)",
                [(aid, h, key, int(excluded)) for aid, h, key, excluded in paragraphs],
            )

    def articles_naming_any(self, folded_names: Collection[str]) -> set[str]:
        """Ids of articles with an entity row whose folded name is one of ``folded_names``."""
        if not folded_names:
            return set()
        marks = ",".join("?" * len(folded_names))
        with self._lock:
            rows = self._db.execute(f"SELECT DISTINCT article_id FROM entity_rows WHERE folded IN ({marks})",
                                    list(folded_names)).fetchall()
        return {r[0] for r in rows}

    def entity_table(self) -> list[tuple[str, str, int]]:
        """(kind, name, articles) for every stored kind and spelling: what the archive's name book is built of."""
        with self._lock:
            return self._db.execute(
                "SELECT kind, name, count(DISTINCT article_id) FROM entity_rows GROUP BY kind, folded, name"
            ).fetchall()

    def entity_signature(self) -> tuple[int, int]:
        """Changes when entity rows are written, by any process (row count and highest row id)."""
        with self._lock:
            return tuple(self._db.execute("SELECT count(*), coalesce(max(rowid), 0) FROM entity_rows").fetchone())

    def entity_names_of(self, article_ids: Sequence[str]) -> list[tuple[str, str]]:
        """(article id, folded name) of every entity row of the given articles."""
        if not article_ids:
            return []
        marks = ",".join("?" * len(article_ids))
        with self._lock:
            return self._db.execute(f"SELECT article_id, folded FROM entity_rows WHERE article_id IN ({marks})",
                                    list(article_ids)).fetchall()

    def texts(self, chunk_ids: Sequence[str]) -> dict[str, str]:
        """Chunk text by chunk id (the keyword index holds each chunk's text once)."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        with self._lock:
            rows = self._db.execute(f"SELECT chunk_id, body FROM chunk_rows WHERE chunk_id IN ({marks})", list(chunk_ids))
            return dict(rows.fetchall())

    def generation(self) -> int:
        """A counter every inserted or deleted chunk row bumps, whichever process wrote it."""
        with self._lock:
            return self._db.execute("SELECT value FROM index_state WHERE key = 'generation'").fetchone()[0]

    def touch(self, article_ids: Sequence[str]) -> None:
        """Bump the generation and note that these articles' metadata changed (in Chroma, by any process)."""
        with self._transaction():
            self._db.execute("UPDATE index_state SET value = value + 1 WHERE key = 'generation'")
            self._db.executemany(
                "INSERT OR REPLACE INTO article_changes (article_id, generation)"
                " SELECT ?, value FROM index_state WHERE key = 'generation'",
                [(a,) for a in dict.fromkeys(article_ids)],
            )

    def changed_since(self, generation: int) -> list[str]:
        """Ids of the articles touched after ``generation``."""
        with self._lock:
            rows = self._db.execute("SELECT article_id FROM article_changes WHERE generation > ?", (generation,))
            return [r[0] for r in rows.fetchall()]

    # ---- following other hosts' writes (archive/storage/feed.py) --------------------------------------

    def state(self, key: str) -> int | None:
        """A number kept in the file (None when never set), e.g. the change feed's watermark."""
        with self._lock:
            row = self._db.execute("SELECT value FROM index_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def set_state(self, key: str, value: int) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO index_state (key, value) VALUES (?, ?)", (key, value))

    def unapplied(self, entry_ids: Sequence[str]) -> set[str]:
        """Which of these change-feed entries this file has not applied yet."""
        seen: set[str] = set()
        with self._lock:
            for part, marks in _in_parts(entry_ids):
                seen.update(r[0] for r in self._db.execute(
                    f"SELECT entry_id FROM feed_applied WHERE entry_id IN ({marks})", part).fetchall())
        return set(entry_ids) - seen

    def mark_applied(self, entries: Sequence[tuple[str, int]], watermark: int, forget_before: int) -> None:
        """Record applied (entry id, seq) pairs and the new watermark; forget entries too old to be read again."""
        with self._transaction():
            self._db.executemany("INSERT OR IGNORE INTO feed_applied (entry_id, seq) VALUES (?, ?)", entries)
            self._db.execute("INSERT OR REPLACE INTO index_state (key, value) VALUES ('feed_seq', ?)", (watermark,))
            self._db.execute("DELETE FROM feed_applied WHERE seq < ?", (forget_before,))

    def versions(self) -> dict[str, set[str]]:
        """article id -> the versions (short content hashes) this file holds rows of."""
        out: dict[str, set[str]] = {}
        with self._lock:
            for aid, h in self._db.execute("SELECT DISTINCT article_id, hash FROM chunk_rows").fetchall():
                out.setdefault(aid, set()).add(h)
        return out

    def has_version(self, article_id: str, version: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM chunk_rows WHERE article_id = ? AND hash = ? LIMIT 1",
                                    (article_id, version)).fetchone() is not None

    def live_rows(self) -> dict[int, str]:
        """Row id -> chunk id of every chunk row."""
        with self._lock:
            return dict(self._db.execute("SELECT id, chunk_id FROM chunk_rows").fetchall())

    def new_rows(self, after: int) -> list[Row]:
        """The chunk rows with a row id above ``after``, for the in-memory index."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, chunk_id, article_id, source, published_ts, body, title FROM chunk_rows WHERE id > ? ORDER BY id",
                (after,),
            ).fetchall()
        return [Row(*r) for r in rows]

    def matches(self, scored: Sequence[tuple[int, float]]) -> list[ChunkMatch]:
        """Chunk matches for (row id, score) pairs, in the given order (rows since deleted are skipped)."""
        if not scored:
            return []
        marks = ",".join("?" * len(scored))
        with self._lock:
            rows = self._db.execute(
                f"SELECT id, body, article_id, idx, start, stop, hash FROM chunk_rows WHERE id IN ({marks})",
                [r for r, _ in scored],
            ).fetchall()
        by_id = {r[0]: r[1:] for r in rows}
        out = []
        for rowid, score in scored:
            if rowid in by_id:
                body, aid, idx, start, stop, h = by_id[rowid]
                out.append(ChunkMatch(Chunk(aid, int(idx), body, int(start), int(stop)), score, h))
        return out

    def first_chunks(self, article_ids: Sequence[str]) -> dict[str, ChunkMatch]:
        """Each article's first chunk (of its latest written version), score 0."""
        found: dict[str, ChunkMatch] = {}
        for part, marks in _in_parts(article_ids):
            with self._lock:
                rows = self._db.execute(
                    f"SELECT article_id, body, idx, start, stop, hash FROM chunk_rows WHERE idx = 0 "
                    f"AND article_id IN ({marks}) ORDER BY id",
                    part,
                ).fetchall()
            for aid, body, idx, start, stop, h in rows:  # a later row (a newer version) wins
                found[aid] = ChunkMatch(Chunk(aid, int(idx), body, int(start), int(stop)), 0.0, h)
        return found

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM chunk_rows").fetchone()[0]

    def search(
        self,
        query: ParsedQuery,
        n: int,
        sources: Sequence[str] = (),
        ts_range: tuple[int | None, int | None] = (None, None),
        article_ids: Sequence[str] = (),
        window: tuple[int | None, int | None] = (None, None),
    ) -> list[ChunkMatch]:
        """The ``n`` best chunks by BM25 (body weighted over title) that pass the filters (``window``: dated
        rows outside it are left out, undated kept)."""
        expression = query.fts()
        if not expression:
            return []
        sql = [
            "SELECT r.body, r.article_id, r.idx, r.start, r.stop, r.hash, -bm25(chunk_fts, 1.0, 0.3)"
            " FROM chunk_fts JOIN chunk_rows r ON r.id = chunk_fts.rowid WHERE chunk_fts MATCH ?"
        ]
        args: list[object] = [expression]
        if sources:
            sql.append(f"AND r.source IN ({','.join('?' * len(sources))})")
            args += list(sources)
        if article_ids:
            sql.append(f"AND r.article_id IN ({','.join('?' * len(article_ids))})")
            args += list(article_ids)
        low, high = ts_range
        if low is not None:
            sql.append("AND r.published_ts >= ?")
            args.append(low)
        if high is not None:
            sql.append("AND r.published_ts <= ?")
            args.append(high)
        low, high = window
        if low is not None or high is not None:
            sql.append("AND (r.published_ts IS NULL OR (r.published_ts >= ? AND r.published_ts <= ?))")
            args += [low if low is not None else -(2**62), high if high is not None else 2**62]
        sql.append("ORDER BY bm25(chunk_fts, 1.0, 0.3) LIMIT ?")
        args.append(n)
        with self._lock:
            try:
                rows = self._db.execute(" ".join(sql), args).fetchall()
            except sqlite3.OperationalError:
                return []  # a query FTS5 cannot parse finds nothing by keywords; the vector side still runs
        return [
            ChunkMatch(Chunk(aid, int(idx), body, int(start), int(stop)), float(score), h)
            for body, aid, idx, start, stop, h, score in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._db.close()
