"""Site furniture: paragraphs many articles repeat are left out of what chunks embed, and only that."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from archive import Archive, Settings
from archive.text.furniture import paragraph_key, paragraphs, without_furniture
from ingest.chunking import embedding_text
from tests.archive_checks import consistency_problems
from tests.fakes import HashingEmbedder

PITCH = "Sign up for our weekly newsletter to get the latest news of the day."
STORIES = {
    "harbour": ("Dock workers strike at the harbour", "Dock workers walked out at the harbour on Monday over pay."),
    "bridge": ("Old bridge closes for repairs", "The old river bridge will close for six months of repairs."),
    "school": ("School board approves budget", "The school board approved a budget that adds twelve teachers."),
    "storm": ("Storm knocks out power", "A storm knocked out power to nine thousand homes overnight."),
}


def write_articles(folder: Path, names) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        title, body = STORIES[name]
        (folder / f"{name}.md").write_text(f"# {title}\n\n{body}\n\n{PITCH}\n", encoding="utf-8")


def stored_vectors(archive: Archive, article_id: str) -> np.ndarray:
    res = archive.store.chunks.get(where={"article_id": article_id}, include=["embeddings", "metadatas"])
    order = np.argsort([m["index"] for m in res["metadatas"]])
    return np.asarray(res["embeddings"])[order]


def expected_vectors(archive: Archive, article_id: str, leave_out: set[str]) -> np.ndarray:
    article = archive.article(article_id)
    texts = [embedding_text(article.title, without_furniture(article.text, c.start, c.end, leave_out))
             for c in archive.chunks(article_id)]
    return HashingEmbedder().embed_documents(texts)


def by_title(archive: Archive) -> dict[str, str]:
    return {a.title: a.id for a in archive.articles()}


def test_paragraphs_are_lines_of_five_words_or_more():
    text = "District of Columbia\nSign up for our weekly newsletter today.\n\n  Short line here  \n"
    found = list(paragraphs(text))
    assert [text[s:e] for _, s, e in found] == ["Sign up for our weekly newsletter today."]
    assert found[0][0] == paragraph_key("  SIGN up for our   weekly newsletter today.")  # case and spacing folded


def test_without_furniture_cuts_whole_and_partial_paragraphs():
    text = f"First paragraph of real reporting here.\n{PITCH}\nSecond paragraph of real reporting here."
    key = paragraph_key(PITCH)
    assert without_furniture(text, 0, len(text), {key}) == (
        "First paragraph of real reporting here.\nSecond paragraph of real reporting here.")
    assert without_furniture(text, 0, len(text), set()) == text
    # A chunk that starts or ends inside a furniture paragraph loses that part too.
    inside = text.index("weekly")
    assert without_furniture(text, inside, len(text), {key}) == "Second paragraph of real reporting here."
    assert without_furniture(text, 0, inside, {key}) == "First paragraph of real reporting here."


def test_a_paragraph_becomes_furniture_when_enough_articles_hold_it(tmp_path):
    """Two articles share a pitch: ordinary text. Two more arrive: it is furniture in all four, and the
    first two are embedded again; the text, the spans and the keyword index keep it."""
    archive = Archive(Settings(dir=tmp_path / "archive", furniture_min_articles=3), embedder=HashingEmbedder())
    folder = tmp_path / "in"
    write_articles(folder, ["harbour", "bridge"])
    first = archive.ingest([str(folder)])
    assert first.added == 2 and first.refurnished == 0
    ids = by_title(archive)
    for aid in ids.values():
        assert np.allclose(stored_vectors(archive, aid), expected_vectors(archive, aid, set()))

    write_articles(folder, ["school", "storm"])
    second = archive.ingest([str(folder)])
    assert second.added == 2 and second.refurnished == 2  # the two stored before the pitch was furniture
    pitch = {paragraph_key(PITCH)}
    for title, aid in by_title(archive).items():
        assert np.allclose(stored_vectors(archive, aid), expected_vectors(archive, aid, pitch)), title
        assert not np.allclose(stored_vectors(archive, aid), expected_vectors(archive, aid, set())), title
        assert PITCH in archive.article(aid).text  # shown and cited as it was
    assert archive.store.misfurnished(3) == []
    with archive.store.keywords._lock:  # the keyword index still holds the pitch's words
        found = archive.store.keywords._db.execute(
            "SELECT count(*) FROM chunk_fts WHERE chunk_fts MATCH '\"weekly newsletter\"'").fetchone()[0]
    assert found == 4
    assert consistency_problems(archive, search_for="harbour strike") == []
    again = archive.ingest([str(folder)])
    assert again.unchanged == 4 and again.refurnished == 0 and again.chunks_embedded == 0


def test_copies_arriving_in_one_ingest_are_furniture_at_once(tmp_path):
    """A batch counts its own copies: nothing needs embedding twice when they arrive together."""
    archive = Archive(Settings(dir=tmp_path / "archive", furniture_min_articles=3), embedder=HashingEmbedder())
    folder = tmp_path / "in"
    write_articles(folder, STORIES)
    report = archive.ingest([str(folder)])
    assert report.added == 4 and report.refurnished == 0
    for title, aid in by_title(archive).items():
        assert np.allclose(stored_vectors(archive, aid), expected_vectors(archive, aid, {paragraph_key(PITCH)})), title
    assert archive.store.misfurnished(3) == []


def test_deletions_that_bring_a_paragraph_below_the_threshold_restore_it(tmp_path):
    archive = Archive(Settings(dir=tmp_path / "archive", furniture_min_articles=3), embedder=HashingEmbedder())
    folder = tmp_path / "in"
    write_articles(folder, STORIES)
    archive.ingest([str(folder)])
    for name in ("school", "storm"):
        (folder / f"{name}.md").unlink()
    report = archive.ingest([str(folder)], prune=True)
    assert report.pruned == 2 and report.refurnished == 2
    for title, aid in by_title(archive).items():
        assert np.allclose(stored_vectors(archive, aid), expected_vectors(archive, aid, set())), title
    assert consistency_problems(archive) == []


def test_an_article_of_furniture_alone_embeds_its_title(tmp_path):
    archive = Archive(Settings(dir=tmp_path / "archive", furniture_min_articles=3), embedder=HashingEmbedder())
    folder = tmp_path / "in"
    write_articles(folder, STORIES)
    (folder / "empty.md").write_text(f"# Ferry service returns to the island\n\n{PITCH}\n", encoding="utf-8")
    archive.ingest([str(folder)])
    aid = by_title(archive)["Ferry service returns to the island"]
    title_only = HashingEmbedder().embed_documents(["Ferry service returns to the island"])
    assert np.allclose(stored_vectors(archive, aid), title_only)


def test_an_archive_from_before_paragraph_rows_is_brought_up_to_date(tmp_path):
    archive = Archive(Settings(dir=tmp_path / "archive", furniture_min_articles=3), embedder=HashingEmbedder())
    folder = tmp_path / "in"
    write_articles(folder, STORIES)
    archive.ingest([str(folder)])
    # Make it look like an archive written before furniture existed: nothing recorded, nothing left out.
    path = archive.settings.dir / f"{archive.store.index_name}.keywords.sqlite"
    db = sqlite3.connect(path)
    db.execute("DELETE FROM paragraph_rows")
    db.execute("DELETE FROM index_state WHERE key = 'paragraphs'")
    db.commit()
    db.close()
    old = Archive(Settings(dir=tmp_path / "archive", furniture_min_articles=3), embedder=HashingEmbedder())
    report = old.ingest([str(folder)])
    assert report.unchanged == 4 and report.refurnished == 4  # recorded as embedded whole, so embedded again
    assert old.store.misfurnished(3) == []
    for aid in by_title(old).values():
        assert np.allclose(stored_vectors(old, aid), expected_vectors(old, aid, {paragraph_key(PITCH)}))
    off = Archive(Settings(dir=tmp_path / "archive", furniture_min_articles=0), embedder=HashingEmbedder())
    assert off.ingest([]).refurnished == 4  # turned off: every chunk embeds its whole passage again
    for aid in by_title(off).values():
        assert np.allclose(stored_vectors(off, aid), expected_vectors(off, aid, set()))


def test_a_failed_embedding_while_refurnishing_keeps_the_vectors_and_tries_again(tmp_path):
    fail_on = "Dock workers"
    settings = Settings(dir=tmp_path / "archive", furniture_min_articles=3)
    folder = tmp_path / "in"
    write_articles(folder, ["harbour", "bridge"])
    Archive(settings, embedder=HashingEmbedder()).ingest([str(folder)])
    write_articles(folder, ["school", "storm"])
    failing = Archive(settings, embedder=HashingEmbedder(fail_on=fail_on))
    report = failing.ingest([str(folder)])
    assert report.added == 2 and report.refurnished == 0
    harbour = by_title(failing)["Dock workers strike at the harbour"]
    assert np.allclose(stored_vectors(failing, harbour), expected_vectors(failing, harbour, set()))
    assert harbour in failing.store.misfurnished(3)
    healed = Archive(settings, embedder=HashingEmbedder()).ingest([])
    assert healed.refurnished == 2
    assert consistency_problems(failing) == []


def _drop_keyword_file(archive: Archive) -> None:
    path = archive.settings.dir / f"{archive.store.index_name}.keywords.sqlite"
    archive.store.keywords.close()
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _stories_ingested(tmp_path):
    """(settings, input folder, archive, article ids) of the stories ingested with a low furniture bound."""
    settings = Settings(dir=tmp_path / "archive", furniture_min_articles=3)
    folder = tmp_path / "in"
    write_articles(folder, STORIES)
    archive = Archive(settings, embedder=HashingEmbedder())
    archive.ingest([str(folder)])
    return settings, folder, archive, list(by_title(archive).values())


def test_a_rebuilt_keyword_file_knows_the_furniture_from_the_record(tmp_path):
    """The paragraphs each article's vectors left out are kept in its record too, so a keyword file rebuilt
    from Chroma (a lost file, a new host) knows them at once and nothing is embedded again."""
    settings, folder, archive, ids = _stories_ingested(tmp_path)
    before = archive.store.left_out(ids)
    assert any(before.values()), "the pitch was left out of some articles' vectors"
    _drop_keyword_file(archive)
    reopened = Archive(settings, embedder=HashingEmbedder())
    assert reopened.store.keywords.has_flag("paragraphs") and reopened.store.left_out(ids) == before
    report = reopened.ingest([str(folder)])
    assert report.unchanged == 4 and report.refurnished == 0 and reopened.store.misfurnished(3) == []
    assert consistency_problems(reopened) == []


def test_a_keyword_file_rebuilt_from_older_records_learns_the_furniture_at_the_next_ingest(tmp_path):
    """Records from before the left-out paragraphs were kept in them: the rebuilt file cannot know them."""
    settings, folder, archive, ids = _stories_ingested(tmp_path)
    archive.store.articles.update(ids=ids, metadatas=[{"left_out": None}] * len(ids))  # None deletes the key
    _drop_keyword_file(archive)
    reopened = Archive(settings, embedder=HashingEmbedder())
    assert not reopened.store.keywords.has_flag("paragraphs")
    report = reopened.ingest([str(folder)])
    assert report.unchanged == 4 and reopened.store.misfurnished(3) == []
    for aid in by_title(reopened).values():
        assert np.allclose(stored_vectors(reopened, aid), expected_vectors(reopened, aid, {paragraph_key(PITCH)}))
    assert consistency_problems(reopened) == []


def test_a_failed_store_write_while_refurnishing_loses_nothing_and_is_retried(tmp_path, monkeypatch):
    from archive.errors import StoreError

    settings = Settings(dir=tmp_path / "archive", furniture_min_articles=3)
    folder = tmp_path / "in"
    write_articles(folder, ["harbour", "bridge"])
    archive = Archive(settings, embedder=HashingEmbedder())
    archive.ingest([str(folder)])
    write_articles(folder, ["school", "storm"])
    real_write = archive.store.write

    def failing_write(versions):
        if all(v.headline is None for v in versions):  # only the refurnishing write comes without headlines
            raise StoreError("disk full (simulated)")
        return real_write(versions)

    monkeypatch.setattr(archive.store, "write", failing_write)
    report = archive.ingest([str(folder)])
    assert report.added == 2 and report.refurnished == 0 and not report.failed
    monkeypatch.setattr(archive.store, "write", real_write)
    assert archive.ingest([]).refurnished == 2
    assert consistency_problems(archive) == []
