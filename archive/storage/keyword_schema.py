"""The keyword file's tables (SQLite, FTS5), the rows written to them, and its schema version with the migrations
between versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from archive.types import Chunk

# The keyword file's schema version (SQLite's user_version). A change to the tables is a new version: append
# the SQL that takes version n to n + 1 to ``MIGRATIONS[n]`` and raise SCHEMA_VERSION, so that an existing
# archive is migrated in place when it is opened (a file of version 0 predates versioning and is version 1).
# One-time backfills that need the record (Chroma), not just SQL, are marked done by ``set_flag``.
SCHEMA_VERSION = 1


MIGRATIONS: dict[int, str] = {}


SCHEMA = """
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS chunk_rows (
    id INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, article_id TEXT NOT NULL, hash TEXT NOT NULL,
    idx INTEGER, start INTEGER, stop INTEGER, source TEXT, published_ts INTEGER, body TEXT, title TEXT
);
CREATE INDEX IF NOT EXISTS chunk_rows_article ON chunk_rows (article_id, hash);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5 (
    body, title, content = 'chunk_rows', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS entity_rows (
    article_id TEXT NOT NULL, hash TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, folded TEXT NOT NULL,
    UNIQUE (article_id, hash, kind, folded)
);
CREATE INDEX IF NOT EXISTS entity_rows_folded ON entity_rows (folded);
CREATE TABLE IF NOT EXISTS paragraph_rows (
    article_id TEXT NOT NULL, hash TEXT NOT NULL, para TEXT NOT NULL, excluded INTEGER NOT NULL,
    PRIMARY KEY (article_id, hash, para)
);
CREATE INDEX IF NOT EXISTS paragraph_rows_by_para ON paragraph_rows (para, article_id, excluded);
CREATE INDEX IF NOT EXISTS paragraph_rows_left_out ON paragraph_rows (para) WHERE excluded = 1;
CREATE TABLE IF NOT EXISTS index_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS article_changes (article_id TEXT PRIMARY KEY, generation INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS article_changes_generation ON article_changes (generation);
CREATE TABLE IF NOT EXISTS feed_applied (entry_id TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS feed_applied_seq ON feed_applied (seq);
INSERT OR IGNORE INTO index_state (key, value) VALUES ('generation', 0);
CREATE TRIGGER IF NOT EXISTS chunk_rows_counted_in AFTER INSERT ON chunk_rows BEGIN
    UPDATE index_state SET value = value + 1 WHERE key = 'generation';
END;
CREATE TRIGGER IF NOT EXISTS chunk_rows_counted_out AFTER DELETE ON chunk_rows BEGIN
    UPDATE index_state SET value = value + 1 WHERE key = 'generation';
END;
CREATE TRIGGER IF NOT EXISTS chunk_rows_added AFTER INSERT ON chunk_rows BEGIN
    INSERT INTO chunk_fts (rowid, body, title) VALUES (new.id, new.body, new.title);
END;
CREATE TRIGGER IF NOT EXISTS chunk_rows_removed AFTER DELETE ON chunk_rows BEGIN
    INSERT INTO chunk_fts (chunk_fts, rowid, body, title) VALUES ('delete', old.id, old.body, old.title);
END;
"""


class KeywordRow(NamedTuple):
    """A chunk's row in the keyword file."""

    chunk_id: str
    content_hash: str
    chunk: Chunk
    title: str
    source: str
    published_ts: int | None


class EntityRow(NamedTuple):
    """A name an article's version holds."""

    article_id: str
    content_hash: str
    kind: str
    name: str


class ParagraphRow(NamedTuple):
    """A paragraph key of an article's version, and whether its embedded text left the paragraph out."""

    article_id: str
    content_hash: str
    key: str
    left_out: bool


@dataclass(frozen=True)
class Row:
    """What the keyword file knows of a new chunk row."""

    rowid: int
    chunk_id: str
    article_id: str
    source: str
    ts: int | None
    body: str
    title: str
