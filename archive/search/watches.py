"""Watches: saved searches that say what is new, evaluated lazily on the change feed.

A watch's *matches* are the articles that pass its filters and contain its query (every phrase and
figure, and its words as archive/text/terms.py counts them: what the Search page calls "contain what
you asked for"), so "N new" is an exact count rather than whatever a ranking happens to return.

Where evaluation happens: when watches are read. Every write appends the articles it changed to the
change feed (archive/storage/feed.py) in the record, so any process on any host that reads a watch
can catch it up: read the feed since the watch's watermark, re-read just those articles, and record
which now match (and drop those deleted or no longer matching). Nothing has to run after a commit,
no process has to be alive for a watch to stay right, and an ingest pays nothing for the watches.
A match's time is the time of the feed entry that made it match (the commit), not of the read, so
two readers evaluating at once find the same matches with the same times; the state is written
back when the archive is writable (a read in a read-only archive evaluates without writing).
A new watch starts with the archive's current best matches (a search), none of them new.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from archive.errors import ArchiveBusyError, NotFoundError, QueryError
from archive.storage.feed import margin
from archive.storage.watchrows import WatchRow, WatchRows
from archive.text.dates import parse_date
from archive.text.terms import matches, query_terms
from archive.types import Article, Filters, SearchHit, Watch, WatchMatch

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FILTER_KEYS = ("sources", "since", "until", "entities")
MAX_MATCHES = 500  # kept per watch, newest first: a feed reader shows the latest, the count stays exact below it
SEED_DEPTH = 50  # a new watch's first matches come from this many best search hits
_PART = 200


def iso(ns: int) -> str:
    """Nanoseconds since the epoch as ISO 8601 in UTC, to the second."""
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat(timespec="seconds")


def clean_filters(filters: dict[str, Any] | None) -> dict[str, Any]:
    """The set filters only, checked: sources and entities as lists of names, since and until as ISO dates."""
    unknown = set(filters or {}) - set(FILTER_KEYS)
    if unknown:
        raise QueryError(f"a watch's filters are {', '.join(FILTER_KEYS)}; got {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for key, value in (filters or {}).items():
        if key in ("sources", "entities"):
            names = [value] if isinstance(value, str) else list(value or [])
            if any(not isinstance(n, str) for n in names):
                raise QueryError(f"the watch filter {key} expects a list of names, got {value!r}")
            if [n for n in names if n.strip()]:
                out[key] = [n.strip() for n in names if n.strip()]
        elif value not in (None, ""):
            day = parse_date(str(value))[:10]
            if not day:
                raise QueryError(f"the watch filter {key} expects a date such as 2022-06-30, got {value!r}")
            out[key] = day
    return out


def search_filters(filters: dict[str, Any]) -> Filters:
    """A watch's filters as the search's."""
    return Filters(tuple(filters.get("sources", ())), filters.get("since", ""), filters.get("until", ""),
                   entities=tuple(filters.get("entities", ())))


class WatchBook:
    """The archive's watches: read (caught up on the change feed), added, removed, marked seen."""

    def __init__(self, store, search: Callable[[str, int, Filters], list[SearchHit]],
                 write_lock: Callable[[], AbstractContextManager], writable: bool):
        self._store = store
        self._rows = WatchRows(store.conn.collection(f"{store.index_name}-watches"))
        self._search = search
        self._write_lock = write_lock  # serialises watch writers across the processes of this folder
        self._writable = writable
        self._lock = threading.Lock()  # one evaluation at a time in this process

    def all(self) -> list[Watch]:
        """Every watch, caught up with the change feed, by name."""
        with self._lock:
            rows = self._rows.all()
            changed = self._catch_up(list(rows.values()))
            if changed and self._writable:
                self._save(changed)
        return [self._watch(r) for r in rows.values()]

    def get(self, name: str) -> Watch:
        """One watch, caught up; ``NotFoundError`` when there is none of that name."""
        found = next((w for w in self.all() if w.name == name), None)
        if found is None:
            raise NotFoundError(f"no watch is named {name!r}")
        return found

    def add(self, name: str, query: str, filters: dict[str, Any] | None = None) -> Watch:
        """Save a search as a watch; its current matches are listed, none of them new."""
        if not NAME.match(name or ""):
            raise QueryError(f"a watch name is 1-64 letters, digits, '-' or '_', got {name!r}")
        terms = query_terms(query or "")
        if not terms:
            raise QueryError(f"a watch needs a word or phrase for its articles to contain, got {query!r}")
        clean = clean_filters(filters)
        with self._lock, self._write_lock():
            if name in self._rows.all():
                raise QueryError(f"a watch named {name!r} exists already; remove it first")
            now = time.time_ns()
            row = WatchRow(name, query.strip(), clean, now, now, now)
            hits = self._search(query, SEED_DEPTH, search_filters(clean))
            found = self._articles([a.id for h in hits for a in (h.article, *h.also)])
            for article in found.values():
                if matches(terms, article.title, article.text):
                    row.matches[article.id] = _match(article, now)
            self._rows.put_definition(row)
        return self._watch(row)

    def remove(self, name: str) -> None:
        """Delete a watch; ``NotFoundError`` when there is none of that name."""
        with self._lock, self._write_lock():
            if name not in self._rows.all():
                raise NotFoundError(f"no watch is named {name!r}")
            self._rows.remove(name)

    def mark_seen(self, name: str | None = None) -> None:
        """Mark one watch (or, with no name, every watch) seen now: its matches so far are no longer new."""
        self.all()  # catch up first, so every match committed before now counts as seen
        with self._lock, self._write_lock():
            rows = self._rows.all()
            if name is not None and name not in rows:
                raise NotFoundError(f"no watch is named {name!r}")
            now = time.time_ns()
            for n in [name] if name is not None else list(rows):
                self._rows.put_seen(n, now)

    # ---- evaluation ---------------------------------------------------------------------------

    def _catch_up(self, rows: list[WatchRow]) -> list[WatchRow]:
        """Apply the feed entries each watch has not applied; returns the watches that changed."""
        if not rows:
            return []
        feed = self._store.feed
        horizon = feed.horizon()
        entries = feed.since(margin(min(r.feed_seq for r in rows)))
        changed = []
        for row in rows:
            if row.feed_seq < horizon:  # entries it never read were dropped: start again from the archive
                row.feed_seq, row.applied = time.time_ns(), []
                row.matches = self._reseeded(row)
                changed.append(row)
                continue
            done = set(row.applied)
            todo = [e for e in entries if e.seq > margin(row.feed_seq) and e.id not in done]
            if not todo:
                continue
            latest = {e.article_id: e.seq for e in todo}
            todo_ids = {e.id for e in todo}  # entries are oldest first: the last one wins
            self._apply(row, latest)
            row.feed_seq = max([row.feed_seq] + [e.seq for e in todo])
            keep_from = margin(row.feed_seq)
            row.applied = [e.id for e in entries if e.seq >= keep_from and (e.id in done or e.id in todo_ids)]
            changed.append(row)
        return changed

    def _apply(self, row: WatchRow, latest: dict[str, int]) -> None:
        """Re-read the changed articles and record which of them match the watch now."""
        terms, filters = query_terms(row.query), row.filters
        articles = self._articles(list(latest))
        named = set(self._store.articles_naming(filters["entities"])) if filters.get("entities") else None
        for aid, seq in latest.items():
            article = articles.get(aid)
            ok = (article is not None and _passes(article, filters) and (named is None or aid in named)
                  and matches(terms, article.title, article.text))
            if not ok:
                row.matches.pop(aid, None)  # deleted, or changed so that it no longer matches
            elif aid in row.matches:
                row.matches[aid] = _match(article, row.matches[aid]["matched_ns"])  # an update is not new again
            else:
                row.matches[aid] = _match(article, seq)
        if len(row.matches) > MAX_MATCHES:
            newest = sorted(row.matches.items(), key=lambda kv: kv[1]["matched_ns"], reverse=True)[:MAX_MATCHES]
            row.matches = dict(newest)

    def _reseeded(self, row: WatchRow) -> dict[str, dict[str, Any]]:
        terms, now = query_terms(row.query), time.time_ns()
        hits = self._search(row.query, SEED_DEPTH, search_filters(row.filters))
        found = self._articles([a.id for h in hits for a in (h.article, *h.also)])
        return {aid: row.matches.get(aid) or _match(a, now) for aid, a in found.items()
                if matches(terms, a.title, a.text)}

    def _articles(self, ids: list[str]) -> dict[str, Article]:
        found: dict[str, Article] = {}
        for start in range(0, len(ids), _PART):
            found.update(self._store.get_articles(ids[start:start + _PART]))
        return found

    def _save(self, rows: list[WatchRow]) -> None:
        """Write caught-up states back; skipped when another process is writing watches (it will, or the next read)."""
        try:
            with self._write_lock():
                for row in rows:
                    self._rows.put_state(row)
        except ArchiveBusyError:
            pass

    def _watch(self, row: WatchRow) -> Watch:
        found = [WatchMatch(aid, m["title"], m["source"], m["url"], m["published_at"], iso(m["matched_ns"]),
                            m["matched_ns"] > row.seen_ns) for aid, m in row.matches.items()]
        order = sorted(found, key=lambda m: (m.published_at or ""), reverse=True)
        order = sorted(order, key=lambda m: (m.new, row.matches[m.article_id]["matched_ns"]), reverse=True)
        return Watch(row.name, row.query, dict(row.filters), iso(row.created_ns), iso(row.seen_ns), tuple(order))


def _passes(article: Article, filters: dict[str, Any]) -> bool:
    """Whether an article passes a watch's source and date filters (a date filter leaves out undated articles)."""
    if filters.get("sources") and article.source not in filters["sources"]:
        return False
    day = article.published_at[:10]
    if (filters.get("since") or filters.get("until")) and not day:
        return False
    return not ((filters.get("since") and day < filters["since"]) or (filters.get("until") and day > filters["until"]))


def _match(article: Article, matched_ns: int) -> dict[str, Any]:
    return {"matched_ns": int(matched_ns), "title": article.title, "source": article.source, "url": article.url,
            "published_at": article.published_at}

