"""The JSON shapes the command line prints (``--json``) and the HTTP API returns: one function per shape.

Both shells call these with the same arguments, so ``python -m archive search ... --json`` and
``GET /api/search?...`` cannot drift apart (tests/test_api.py compares them).
"""

from __future__ import annotations

from typing import Any

from archive.errors import NotFoundError, QueryError
from archive.text.dates import parse_date
from archive.types import Filters

ARTICLES_PAGE = 100  # articles listed per page by default


def window_dict(timed) -> dict | None:
    """The window the query's time words select, or one they named but no article is dated in (unused)."""
    w = timed.window or timed.unused
    return None if w is None else {"start": w.start, "end": w.end, "phrase": w.phrase, "applied": timed.window is not None}


def make_filters(sources=(), since: str = "", until: str = "", entities=()) -> Filters:
    """Search filters from option values; a date that is not one is a ``QueryError`` naming the option."""
    for flag, value in (("since", since), ("until", until)):
        if value and not parse_date(value):
            raise QueryError(f"--{flag} expects a date such as 2022-06-30, got {value!r}")
    return Filters(tuple(sources), parse_date(since)[:10], parse_date(until)[:10], entities=tuple(entities or ()))


def search_json(archive, query: str, k: int, filters: Filters, as_of: str = "", time_words: bool | None = None,
                facets: bool = False) -> dict[str, Any]:
    timed = archive.interpret(query, filters, as_of, time_words)
    hits = archive.search(query, k=k, filters=filters, as_of=as_of, time_words=time_words)
    data = {"query": query, "as_of": timed.as_of.isoformat(), "window": window_dict(timed),
            "query_words": timed.text, "hits": [h.to_dict() for h in hits]}
    if facets:
        data["facets"] = archive.facets_of(archive.search(query, 100, filters, as_of=as_of,
                                                          time_words=time_words)).to_dict()
    return data


def ask_json(archive, question: str, filters: Filters, as_of: str = "", time_words: bool | None = None) -> dict:
    timed = archive.interpret(question, filters, as_of, time_words)
    data = archive.ask(question, filters=filters, as_of=as_of, time_words=time_words).to_dict()
    return data | {"as_of": timed.as_of.isoformat(), "window": window_dict(timed)}


def answer_json(archive, answer, question: str, filters: Filters, as_of: str = "",
                time_words: bool | None = None) -> dict:
    """An answer already made (the last event of a stream) in ``ask_json``'s shape."""
    timed = archive.interpret(question, filters, as_of, time_words)
    return answer.to_dict() | {"as_of": timed.as_of.isoformat(), "window": window_dict(timed)}


def lookup_json(archive, phrase: str, k: int, approximate: bool = True, as_of: str = "") -> dict[str, Any]:
    matches = archive.lookup(phrase, k=k, approximate=approximate, as_of=as_of)
    return {"phrase": phrase, "matches": [m.to_dict() for m in matches]}


def stats_json(archive) -> dict[str, Any]:
    return archive.stats().to_dict()


def article_json(archive, article_id: str) -> dict[str, Any]:
    """One article with its text, its passages and the other reports of its story."""
    article = archive.article(article_id)
    if article is None:
        raise NotFoundError(f"no article has the id {article_id!r}")
    members = [m for m in archive.story_members(article.story_id) if m != article.id] if article.story_id else []
    others = archive.articles_by_id(members, with_text=False)
    return {"article": article.to_dict(),
            "passages": [{"index": c.index, "start": c.start, "end": c.end, "text": c.text}
                         for c in archive.chunks(article.id)],
            "story": {"story_id": article.story_id,
                      "also_reported_by": [{"article_id": o.id, "title": o.title, "source": o.source,
                                            "published_at": o.published_at} for o in others.values()]}}


def articles_json(archive, filters: Filters, limit: int = ARTICLES_PAGE, offset: int = 0) -> dict[str, Any]:
    """Every article's metadata passing the source and date filters, newest first, one page of it."""
    def keep(a) -> bool:
        day = a.published_at[:10]
        if filters.sources and a.source not in filters.sources:
            return False
        if (filters.date_from or filters.date_to) and not day:
            return False
        return not ((filters.date_from and day < filters.date_from) or (filters.date_to and day > filters.date_to))

    rows = sorted((a for a in archive.articles() if keep(a)), key=lambda a: (a.published_at, a.id), reverse=True)
    return {"total": len(rows), "offset": offset, "limit": limit,
            "articles": [a.to_dict(with_text=False) for a in rows[offset:offset + limit]]}


def watches_json(watches) -> dict[str, Any]:
    return {"watches": [w.as_json() for w in watches]}
