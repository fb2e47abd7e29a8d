"""Filters on every read path: the in-memory index, Chroma's own `where` clauses (embedded), and a real
`chroma run` server, each alone and combined (source, date bounds, article ids, the window of
time words and the as-of date).

Every article of the corpus matches the query by words and by vector, so what a search returns is
exactly what its filters let through: the expected set is computed here from the records themselves.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from archive import Archive, Settings
from archive.text.query import parse_query
from archive.types import Filters
from tests.fakes import HashingEmbedder
from tests.servers import chroma_run

QUERY = "harbour strike"
PLACES = ["Ashby", "Brill", "Cove", "Dunmore", "Elgin", "Fenwick", "Garth", "Holm", "Islay", "Jura", "Kelso"]
# (id, source, published_at): boundary days on both ends, an evening on the last day, and undated articles.
RECORDS = [
    ("g-old", "Harbour Gazette", "2024-11-30"),
    ("g-first-day", "Harbour Gazette", "2025-01-01"),
    ("g-mid", "Harbour Gazette", "2025-02-15"),
    ("g-undated", "Harbour Gazette", ""),
    ("l-first-day", "Coastal Ledger", "2025-01-01T08:00:00"),
    ("l-last-day", "Coastal Ledger", "2025-03-31"),
    ("l-after", "Coastal Ledger", "2025-04-01"),
    ("p-mid", "Island Post", "2025-02-15"),
    ("p-last-evening", "Island Post", "2025-03-31T22:30:00"),
    ("p-undated", "Island Post", ""),
    ("w-late", "Weekly Wire", "2025-06-10"),
]


def _record(i: int, rid: str, source: str, published: str) -> dict:
    place = PLACES[i]
    text = (f"The harbour strike reached {place} on a cold morning. Dockers in {place} walked out over pay, "
            f"and ferries to {place} were cancelled while the strike went on.")
    record = {"id": rid, "title": f"Harbour strike reaches {place}", "source": source, "text": text}
    return record | ({"published_at": published} if published else {})


CASES = [
    Filters(sources=("Harbour Gazette",)),
    Filters(sources=("Coastal Ledger", "Island Post")),
    Filters(date_from="2025-01-01"),
    Filters(date_to="2025-03-31"),
    Filters(date_from="2025-01-01", date_to="2025-03-31"),
    Filters(sources=("Island Post",), date_from="2025-02-01", date_to="2025-03-31"),
    Filters(sources=("Harbour Gazette", "Coastal Ledger"), date_to="2025-01-01"),
    Filters(article_ids=("g-mid", "l-after", "p-undated")),
    Filters(sources=("Coastal Ledger",), article_ids=("g-mid", "l-after", "l-last-day")),
    Filters(article_ids=("g-old", "g-mid", "p-mid", "w-late"), date_from="2025-02-15"),
    Filters(sources=("Weekly Wire", "Island Post"), date_from="2025-03-01", article_ids=("w-late", "p-undated", "p-last-evening")),
    Filters(window_to="2025-02-15"),
    Filters(window_from="2025-02-15", window_to="2025-03-31"),
    Filters(window_to="2025-03-31", date_from="2025-01-01"),
    Filters(sources=("Island Post", "Weekly Wire"), window_from="2025-01-01", window_to="2025-03-31"),
    Filters(sources=("Nobody's Paper",)),
]


def expected(f: Filters) -> set[str]:
    """The record ids ``f`` lets through, decided from the records, not by any index."""
    def day(value: str) -> str:
        return datetime.fromisoformat(value).date().isoformat()

    keep = set()
    for rid, source, published in RECORDS:
        if f.sources and source not in f.sources:
            continue
        if f.article_ids and rid not in f.article_ids:
            continue
        if (f.date_from or f.date_to) and not published:
            continue
        if f.date_from and day(published) < f.date_from or f.date_to and day(published) > f.date_to:
            continue
        if published and (f.window_from and day(published) < f.window_from
                          or f.window_to and day(published) > f.window_to):
            continue  # outside the inferred window; undated articles pass
        keep.add(rid)
    return keep


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("filters")
    path = folder / "feed.jsonl"
    path.write_text("\n".join(json.dumps(_record(i, *r)) for i, r in enumerate(RECORDS)), encoding="utf-8")
    return path


def _open(settings: Settings, corpus, memory: bool) -> Archive:
    archive = Archive(settings, embedder=HashingEmbedder())
    report = archive.ingest([str(corpus)])
    # the two server archives share one server: the second finds the corpus stored (from another folder)
    assert report.added + report.unchanged == len(RECORDS) and not report.failed, report
    if memory:
        return archive
    chroma_only = Archive(settings.model_copy(update={"memory_index_max_chunks": 0}), embedder=archive.embedder)
    assert chroma_only.store._in_memory() is None
    return chroma_only


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    with chroma_run(tmp_path_factory.mktemp("chroma-server") / "data") as url:
        yield url


@pytest.fixture(scope="module", params=[
    "embedded-memory", "embedded-ann", "embedded-chroma",
    pytest.param("server-memory", marks=pytest.mark.server), pytest.param("server-chroma", marks=pytest.mark.server),
])
def archive(request, corpus, tmp_path_factory):
    """The corpus on each read path: where it is stored, and whether the in-memory index serves reads."""
    where, path = request.param.split("-")
    folder = tmp_path_factory.mktemp(request.param)
    url = request.getfixturevalue("server_url") if where == "server" else ""
    # "ann": the shared ANN index answers chunk vectors at any size (its filter is FAISS's bitmap of row ids)
    settings = Settings(dir=folder / "archive", chroma_url=url, **({"ann_min_chunks": 1} if path == "ann" else {}))
    archive = _open(settings, corpus, memory=path in ("memory", "ann"))
    if path == "ann":
        from archive.storage.chunkindex import AnnScan

        state = archive.store.memory.current()
        assert isinstance(archive.store.memory._chunk_index(state), AnnScan)
    return archive


def _id_of(archive: Archive) -> dict[str, str]:
    """Record id -> article id, by the place each record's title names."""
    record_of_place = {PLACES[i]: rid for i, (rid, *_) in enumerate(RECORDS)}
    return {record_of_place[a.title.rsplit(" ", 1)[1]]: a.id for a in archive.articles()}


def _in_archive(archive: Archive, f: Filters) -> Filters:
    ids = _id_of(archive)
    return Filters(sources=f.sources, date_from=f.date_from, date_to=f.date_to, window_from=f.window_from,
                   window_to=f.window_to,
                   article_ids=tuple(ids[r] for r in f.article_ids))


def _records(archive: Archive, article_ids) -> set[str]:
    back = {v: k for k, v in _id_of(archive).items()}
    return {back[a] for a in article_ids}


@pytest.mark.parametrize("f", CASES, ids=lambda f: ",".join(
    f"{k}={'+'.join(v) if isinstance(v, tuple) else v}" for k, v in f.__dict__.items() if v))
def test_every_read_path_returns_exactly_what_the_filters_allow(archive, f):
    want = expected(f)
    filters = _in_archive(archive, f)
    n = 4 * len(RECORDS)
    vector = archive.embedder.embed_query(QUERY)
    store = archive.store
    assert _records(archive, {m.chunk.article_id for m in store.query_chunks(vector, n, filters)}) == want
    assert _records(archive, {m.chunk.article_id for m in store.keyword_chunks(parse_query(QUERY), n, filters)}) == want
    assert _records(archive, {a for a, _ in store.query_headlines(vector, n, filters)}) == want
    assert _records(archive, {a for a, _ in store.query_articles(vector, n, filters)}) == want
    hits = archive.search(QUERY, k=n, filters=filters, stories=False)
    assert _records(archive, {h.article.id for h in hits}) == want


def test_a_quoted_phrase_is_filtered_on_every_path(archive):
    """Phrases are served by FTS5 (the keyword file) whichever index serves free words."""
    f = Filters(sources=("Coastal Ledger",), date_to="2025-03-31")
    hits = archive.search('"ferries to"', k=20, filters=_in_archive(archive, f), stories=False)
    assert _records(archive, {h.article.id for h in hits}) == {"l-first-day", "l-last-day"}


def test_the_expected_sets_are_not_trivial():
    """Each case keeps some articles and drops others (but the unknown source), so no path passes by accident."""
    for f in CASES[:-1]:
        assert 0 < len(expected(f)) < len(RECORDS), f
    assert expected(CASES[-1]) == set()
