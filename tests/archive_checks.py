"""What a healthy archive looks like, read straight from Chroma and the keyword index.

Used by the hostile-input, crash and concurrency tests and by ``bench/crash.py``: a snapshot of what
must survive bad input, and the invariants that must hold after any crash or concurrent run.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass

from archive import Archive
from archive.storage import HASH_PREFIX, JOURNAL

PAGE = 5000


@dataclass(frozen=True)
class StoredArticle:
    """One article as stored: what a bad input must never change."""

    content_hash: str
    origins: tuple[str, ...]
    n_chunks: int  # the count the article record states
    chunk_ids: tuple[str, ...]  # ids of its chunk vectors in Chroma
    keyword_ids: tuple[str, ...]  # ids of its rows in the keyword index


def _all(collection) -> tuple[list[str], list[dict]]:
    ids, metas, offset = [], [], 0
    while True:
        res = collection.get(include=["metadatas"], limit=PAGE, offset=offset)
        ids += res["ids"]
        metas += res["metadatas"]
        if len(res["ids"]) < PAGE:
            return ids, metas
        offset += PAGE


def keyword_rows(archive: Archive) -> list[tuple[str, str, str]]:
    """(chunk_id, article_id, hash) of every keyword row, through a connection of our own."""
    path = archive.settings.dir / f"{archive.store.index_name}.keywords.sqlite"
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute("SELECT chunk_id, article_id, hash FROM chunk_rows").fetchall()
    finally:
        db.close()


def entity_rows(archive: Archive, table: str = "entity_rows") -> list[tuple[str, str]]:
    """(article_id, hash) of every entity (or paragraph) row, or none when the index has no such table."""
    path = archive.settings.dir / f"{archive.store.index_name}.keywords.sqlite"
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(f"SELECT article_id, hash FROM {table}").fetchall()
    except sqlite3.OperationalError:  # an index from before entities (or paragraphs) were stored
        return []
    finally:
        db.close()


def snapshot(archive: Archive) -> dict[str, StoredArticle]:
    """Article id -> what is stored for it: content hash, origins, chunk count, chunk and keyword ids."""
    store = archive.store
    chunk_ids: dict[str, list[str]] = defaultdict(list)
    for cid, meta in zip(*_all(store.chunks)):
        chunk_ids[meta["article_id"]].append(cid)
    keyword_ids: dict[str, list[str]] = defaultdict(list)
    for cid, aid, _ in keyword_rows(archive):
        keyword_ids[aid].append(cid)
    out = {}
    for aid, meta in zip(*_all(store.articles)):
        article = store.get_articles([aid], with_text=False)[aid]
        out[aid] = StoredArticle(
            article.content_hash,
            article.origins,
            int(meta["n_chunks"]),
            tuple(sorted(chunk_ids[aid])),
            tuple(sorted(keyword_ids[aid])),
        )
    return out


def consistency_problems(archive: Archive, search_for: str | None = None) -> list[str]:
    """Every broken invariant, as a sentence; an empty list means the archive is consistent.

    Every chunk belongs to a stored article and to its current version; every article has exactly
    chunks 0..n-1; no content is stored twice; the keyword index holds exactly the chunks Chroma holds,
    and entity and paragraph rows only for stored versions; the copies marker matches the origins; every article has one headline vector and no other exists; every article's vectors left out the current site furniture; chunk spans point into the article text; no write journal
    is left; search answers.
    """
    store = archive.store
    problems: list[str] = []
    article_ids, article_metas = _all(store.articles)
    articles = dict(zip(article_ids, article_metas))
    chunk_ids, chunk_metas = _all(store.chunks)
    by_article: dict[str, list[int]] = defaultdict(list)
    for cid, meta in zip(chunk_ids, chunk_metas):
        aid = meta["article_id"]
        if aid not in articles:
            problems.append(f"chunk {cid} belongs to no stored article")
            continue
        version = articles[aid]["content_hash"][:HASH_PREFIX]
        if meta["hash"] != version:
            problems.append(f"chunk {cid} is of version {meta['hash']}, the article is at {version}")
            continue
        if cid != f"{aid}:{version}:{meta['index']}":
            problems.append(f"chunk {cid} has index {meta['index']}")
        by_article[aid].append(int(meta["index"]))
    for aid, meta in articles.items():
        indexes = sorted(by_article.get(aid, []))
        if indexes != list(range(int(meta["n_chunks"]))) or not indexes:
            problems.append(f"article {aid} states {meta['n_chunks']} chunks, has chunk indexes {indexes[:20]}")
    for aid, meta in articles.items():
        copies = len(json.loads(meta.get("origins") or "[]")) > 1
        if "has_copies" in meta and meta["has_copies"] != copies:
            problems.append(f"article {aid} is marked has_copies={meta['has_copies']} with {meta.get('origins')}")
    hashes = Counter(m["content_hash"] for m in article_metas)
    problems += [f"content {h[:12]} is stored {n} times" for h, n in hashes.items() if n > 1]
    keyword_ids = Counter(cid for cid, _, _ in keyword_rows(archive))
    if set(keyword_ids) != set(chunk_ids) or any(n > 1 for n in keyword_ids.values()):
        extra, missing = set(keyword_ids) - set(chunk_ids), set(chunk_ids) - set(keyword_ids)
        problems.append(f"keyword index differs from Chroma: {len(extra)} extra rows, {len(missing)} missing")
    for table in ("entity_rows", "paragraph_rows"):
        stale = {(aid, h) for aid, h in entity_rows(archive, table)
                 if aid not in articles or articles[aid]["content_hash"][:HASH_PREFIX] != h}
        if stale:
            problems.append(f"{len(stale)} {table} of articles or versions not stored, e.g. {sorted(stale)[:3]}")
    headline_ids = set(_all(store.headlines)[0])
    if headline_ids != set(article_ids):
        extra, missing = headline_ids - set(article_ids), set(article_ids) - headline_ids
        problems.append(f"headline vectors differ from the articles: {len(extra)} extra, {len(missing)} missing")
    misfurnished = store.misfurnished(archive.settings.furniture_min_articles)
    if misfurnished:
        problems.append(f"{len(misfurnished)} articles embedded with other site furniture left out than now, "
                        f"e.g. {misfurnished[:3]}")
    problems += _span_problems(archive, article_ids)
    journal = archive.settings.dir / f"{store.index_name}.{JOURNAL}"
    if journal.exists():
        problems.append(f"write journal {journal.name} left behind")
    if search_for is not None and not archive.search(search_for, k=3):
        problems.append(f"search for {search_for!r} found nothing")
    return problems


def _span_problems(archive: Archive, article_ids: list[str], limit: int = 200) -> list[str]:
    problems = []
    for aid in article_ids[:limit]:  # spans are cheap to check but need each article's text
        article = archive.article(aid)
        keys = {f"{aid}:{article.content_hash[:HASH_PREFIX]}:{c.index}": c for c in archive.chunks(aid)}
        texts = archive.store.keywords.texts(list(keys))
        for key, chunk in keys.items():
            if texts.get(key) != article.text[chunk.start : chunk.end]:
                problems.append(f"chunk {key}: keyword text differs from the article text at its span")
    return problems


def report_total(report: dict) -> int:
    """Articles and records a ``--json`` ingest report accounts for (failures counted once each)."""
    return report["added"] + report["updated"] + report["unchanged"] + report["duplicate"] + len(report["failed"])


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.archive_checks DIR [--real] [--search WORDS]``: print the archive's state as JSON."""
    import argparse
    import json

    from archive import Settings
    from tests.fakes import HashingEmbedder

    parser = argparse.ArgumentParser(prog="python -m tests.archive_checks")
    parser.add_argument("dir")
    parser.add_argument("--real", action="store_true", help="the archive was built with the real model")
    parser.add_argument("--search", default=None)
    args = parser.parse_args(argv)
    archive = Archive(Settings(dir=args.dir), embedder=None if args.real else HashingEmbedder())
    articles = list(archive.store.iter_articles())
    state = {
        "articles": len(articles),
        "chunks": archive.store.count_chunks(),
        "content_hashes": sorted(a.content_hash for a in articles),
        "problems": consistency_problems(archive, search_for=args.search),
    }
    print(json.dumps(state))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
