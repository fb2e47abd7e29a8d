"""The domain nouns, in one place: what flows from a file to a search hit."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from archive.errors import QueryError


@dataclass(frozen=True)
class RawDocument:
    """What a reader extracted from one input, before normalisation.

    ``hints`` carries metadata the input stated itself (title, source, url, author, published_at);
    ``record_id`` is the input's own id (JSON records), scoped by its feed to make the article id;
    ``notes`` says what the reader left out of a large input (the report shows it).
    """

    text: str
    origin: str
    hints: dict[str, Any] = field(default_factory=dict)
    record_id: str | None = None
    title_from_text: bool = True  # plain text: may the first line be taken as the headline?
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    """A normalised news article. ``text`` is what every chunk span points into."""

    id: str
    title: str
    text: str
    content_hash: str
    origin: str
    source: str = ""
    url: str = ""
    author: str = ""
    published_at: str = ""  # ISO 8601; empty when unknown
    ingested_at: str = ""
    origins: tuple[str, ...] = ()  # every origin this exact content was seen under
    story_id: str = ""
    entities: tuple[tuple[str, str], ...] = ()  # (kind, name): people, organisations, places it names
    named: bool = False  # whether ``entities`` were found in this version (a pass after embedding finds them)

    @property
    def found_names(self) -> tuple[tuple[str, str], ...] | None:
        """The (kind, name) pairs the names pass found in this version (None: the pass has not read it)."""
        return self.entities if self.named else None

    def to_dict(self, with_text: bool = True) -> dict[str, Any]:
        data = asdict(self)
        data["origins"] = list(self.origins)
        data["entities"] = [list(e) for e in self.entities]
        if not with_text:
            data.pop("text")
        return data


@dataclass(frozen=True)
class Chunk:
    """A sentence-aligned passage: ``article.text[start:end] == text``."""

    article_id: str
    index: int
    text: str
    start: int
    end: int

    @property
    def id(self) -> str:
        return f"{self.article_id}:{self.index}"


@dataclass(frozen=True)
class Filters:
    """Search restrictions: publishers, and an inclusive published date range (ISO dates)."""

    sources: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""
    article_ids: tuple[str, ...] = ()
    story: str = ""
    entities: tuple[str, ...] = ()  # names every matching article must name ("Mark Rutte", "Berlin")
    # A window inferred from the as-of date and the query's time words ("this week"): dated articles outside
    # it are left out; unlike date_from/date_to, undated articles pass (they may well be from that week).
    window_from: str = ""
    window_to: str = ""

    def __post_init__(self) -> None:
        for name in ("date_from", "date_to", "window_from", "window_to"):
            value = getattr(self, name)
            if value and not _is_iso_date(value):
                raise QueryError(f"{name} expects an ISO date such as 2022-06-30, got {value!r}")

    def is_empty(self) -> bool:
        return not (self.sources or self.date_from or self.date_to or self.article_ids or self.story or self.entities
                    or self.window_from or self.window_to)


def _is_iso_date(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class ChunkMatch:
    """A chunk one index ranked for a query: cosine similarity (vectors) or BM25 (keywords)."""

    chunk: Chunk
    score: float
    content_hash: str  # prefix of the article version the chunk belongs to


@dataclass(frozen=True)
class SearchHit:
    """One article in a result list, with its best passage."""

    article: Article
    chunk: Chunk
    score: float
    passages: tuple[Chunk, ...] = ()  # further matching chunks of the same article, best first
    also: tuple[Article, ...] = ()  # other reports of the same story, in rank order
    highlights: tuple[tuple[int, int], ...] = ()  # spans (article coordinates) of the sentences that match

    def to_dict(self) -> dict[str, Any]:
        a = self.article
        return {
            "article_id": a.id,
            "title": a.title,
            "source": a.source,
            "published_at": a.published_at,
            "origin": a.origin,
            "url": a.url,
            "score": round(self.score, 4),
            "passage": self.chunk.text,
            "start": self.chunk.start,
            "end": self.chunk.end,
            "highlights": [list(span) for span in self.highlights],
            "story_id": a.story_id,
            "also_reported_by": [
                {"article_id": o.id, "title": o.title, "source": o.source, "published_at": o.published_at}
                for o in self.also
            ],
        }


@dataclass(frozen=True)
class Facets:
    """Counts over the articles that match a query: per source and per publication month."""

    sources: dict[str, int]
    months: dict[str, int]
    articles: int
    entities: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> name -> articles naming it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class IngestFailure:
    """One input that could not be ingested, and why."""

    path: str
    reason: str


@dataclass
class IngestReport:
    """What one ingest run did, counted per article."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate: int = 0
    pruned: int = 0
    skipped: int = 0  # files of a type we do not read, met while walking a folder
    chunks_embedded: int = 0
    refurnished: int = 0  # stored articles embedded again because their site furniture changed
    named: int = 0  # articles whose names (people, organisations, places) were found, after they were stored
    failed: list[IngestFailure] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (origin, article id it repeats)
    notes: list[IngestFailure] = field(default_factory=list)  # ingested, but something was left out, and why

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicate": self.duplicate,
            "pruned": self.pruned,
            "skipped": self.skipped,
            "chunks_embedded": self.chunks_embedded,
            "refurnished": self.refurnished,
            "named": self.named,
            "failed": [{"path": f.path, "reason": f.reason} for f in self.failed],
            "duplicates": [{"origin": o, "article_id": a} for o, a in self.duplicates],
            "notes": [{"path": n.path, "note": n.reason} for n in self.notes],
        }


@dataclass(frozen=True)
class ArchiveStats:
    """Size of the archive and what built its index."""

    articles: int
    chunks: int
    sources: dict[str, int]
    index_name: str
    embedding_model: str
    location: str
    first_published: str = ""
    last_published: str = ""
    vector_scan: str = ""  # which vector scan large archives get on this CPU, and why (int8 kernel checked or not)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)



@dataclass(frozen=True)
class WatchMatch:
    """One article a watch matched: ``matched_at`` is when the write that made it match committed."""

    article_id: str
    title: str
    source: str
    url: str
    published_at: str
    matched_at: str  # ISO 8601, UTC
    new: bool = False  # matched after the watch was last seen

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Watch:
    """A named saved search (docs/watches.md): a query and its filters, its matches new first."""

    name: str
    query: str
    filters: dict[str, Any]  # the search options that are set: sources, since, until, entities
    created_at: str
    seen_at: str
    matches: tuple[WatchMatch, ...] = ()

    @property
    def new(self) -> int:
        """How many matches arrived after ``seen_at``."""
        return sum(m.new for m in self.matches)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "query": self.query, "filters": dict(self.filters), "created_at": self.created_at,
                "seen_at": self.seen_at, "new": self.new, "matches": [m.as_json() for m in self.matches]}

# The feed part of a record's article id: the slug and short hash ingest gives the feed's file or URL.
_FEED_PREFIX = re.compile(r"^[A-Za-z0-9_-]+-[0-9a-f]{8}/")


def record_id_of(article_id: str) -> str:
    """The id a question file names an article by: a record's own id without its feed prefix.

    Ids of files and URLs, and of records stored before ids were scoped by feed, have no such prefix and
    are returned as they are.
    """
    return _FEED_PREFIX.sub("", article_id, count=1)
