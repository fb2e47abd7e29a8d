"""The keyword side of search: query parsing, BM25 ranking, exact phrases, versions, rebuild."""

from __future__ import annotations

import pytest

from archive.storage.keyword import KeywordIndex
from archive.text.query import contains_phrase, parse_query, plain_query
from archive.types import Chunk


@pytest.mark.parametrize(
    "query, words, phrases",
    [
        ("How many soldiers does Russia lose each month?", ("soldiers", "russia", "lose", "month"), ()),
        ('the "coalition of the willing" in Paris', ("paris",), ("coalition of the willing",)),
        ("“NATO remains here”", (), ("NATO remains here",)),
        ("20,000 soldiers", ("20", "000", "soldiers"), ()),
        ("", (), ()),
        ("the of and", (), ()),
        ('the Netflix show “Cheer,” was', ("netflix", "show"), ("Cheer",)),  # the comma is the sentence's
        ('known as the “PSL.” What is “PSL”?', ("known",), ("PSL",)),
        ('"  ,. "', (), ()),
    ],
)
def test_parse_query(query, words, phrases):
    parsed = parse_query(query)
    assert (parsed.words, parsed.phrases) == (words, phrases)


@pytest.mark.parametrize(
    "pasted, plain",
    [
        ("What color should you <em>not</em> wear after Labor Day?", "What color should you not wear after Labor Day?"),
        ('<a href="https://x.org/a?b=1">AT&amp;T</a> deal&nbsp;terms', "AT&T deal terms"),
        ("<STRONG>Ford</STRONG> recall<br/>", "Ford recall"),
        # Not formatting: searched for as written.
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("x < 5 and y > 3 &c", "x < 5 and y > 3 &c"),
    ],
)
def test_plain_query_drops_what_pasting_from_a_page_brings(pasted, plain):
    assert plain_query(pasted) == plain


@pytest.mark.parametrize(
    "text, phrase, expected",
    [
        ("The coalition of the willing met.", "coalition of the willing", True),
        ("the Coalition  of\nthe WILLING", "coalition of the willing", True),  # case and spacing aside
        ("a coalition of the unwilling", "coalition of the willing", False),
        ("cheerleaders", "Cheer", False),  # whole words only
        ("Netflix's Cheer.", "Cheer", True),
        ("Café Society", "cafe society", True),
        ("the U.S. said", "U.S.", True),
        ("anything", "  ", False),
    ],
)
def test_contains_phrase(text, phrase, expected):
    assert contains_phrase(text, phrase) is expected


def _rows(article_id: str, version: str, texts: list[str], title: str = "", source: str = "", ts=None):
    return [(f"{article_id}:{version}:{i}", version, Chunk(article_id, i, t, 0, len(t)), title, source, ts)
            for i, t in enumerate(texts)]


@pytest.fixture
def index(tmp_path) -> KeywordIndex:
    idx = KeywordIndex(tmp_path / "kw.sqlite")
    idx.add(_rows("a", "v1", ["Russia suffers 20,000 soldier losses monthly, Rutte said.", "NATO remains here."]))
    idx.add(_rows("b", "v1", ["A coalition of the willing met in Paris.", "The willing coalition of states met."], source="x.com", ts=100))
    idx.add(_rows("c", "v1", ["Floods in Pakistan displaced millions."], ts=200))
    return idx


def test_stemming_finds_plural_and_singular(index):
    hits = index.search(parse_query("How many soldiers does Russia lose?"), 5)
    assert hits[0].chunk.article_id == "a" and hits[0].chunk.index == 0
    assert hits[0].score > 0


def test_quoted_phrase_matches_exactly(index):
    hits = index.search(parse_query('"coalition of the willing"'), 5)
    assert [(h.chunk.article_id, h.chunk.index) for h in hits] == [("b", 0)]


def test_filters(index):
    q = parse_query("coalition floods")
    assert {h.chunk.article_id for h in index.search(q, 5, sources=["x.com"])} == {"b"}
    assert {h.chunk.article_id for h in index.search(q, 5, ts_range=(150, None))} == {"c"}
    assert {h.chunk.article_id for h in index.search(q, 5, article_ids=["c"])} == {"c"}


def test_first_chunks_are_those_of_the_latest_version(index):
    index.add(_rows("a", "v2", ["Ceasefire talks resumed.", "They failed."]))  # written, old rows not yet swept
    first = index.first_chunks(["a", "b", "missing"])
    assert set(first) == {"a", "b"}
    assert (first["a"].chunk.text, first["a"].content_hash, first["a"].chunk.index) == ("Ceasefire talks resumed.", "v2", 0)
    assert first["b"].chunk.text == "A coalition of the willing met in Paris."


def test_new_version_replaces_old_rows(index):
    index.add(_rows("a", "v2", ["Ceasefire talks resumed."]))
    index.delete_stale("a", "v2")
    assert index.search(parse_query("soldier"), 5) == []
    assert [h.content_hash for h in index.search(parse_query("ceasefire"), 5)] == ["v2"]
    index.delete_stale("a", "")
    assert index.search(parse_query("ceasefire"), 5) == []


def test_unparseable_query_finds_nothing_instead_of_failing(index):
    assert index.search(parse_query('NATO "remains'), 5)[0].chunk.article_id == "a"
    assert index.search(parse_query("AND OR NOT NEAR"), 5) == []
    assert index.search(parse_query("*"), 5) == []


def test_index_survives_reopen(tmp_path, index):
    again = KeywordIndex(tmp_path / "kw.sqlite")
    assert again.count() == index.count() == 5


def test_store_rebuilds_a_missing_keyword_index(fake_archive, sample_copy):
    fake_archive.ingest([str(sample_copy)])
    store = fake_archive.store
    path = store.settings.dir / f"{store.index_name}.keywords.sqlite"
    store.keywords.close()
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    from archive import Archive

    reopened = Archive(fake_archive.settings, embedder=fake_archive.embedder)
    assert reopened.store.keywords.count() == store.count_chunks() > 0
    hits = reopened.search("soldier losses monthly", k=1)
    assert hits and hits[0].article.origin.endswith("004_d6acca71867ffea4.txt")


def test_the_schema_version_is_recorded_and_a_newer_file_is_refused(tmp_path):
    import sqlite3

    from archive.errors import StoreError
    from archive.storage.keyword_schema import SCHEMA_VERSION

    path = tmp_path / "k.sqlite"
    KeywordIndex(path).close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer version"):
        KeywordIndex(path)


def test_a_failed_write_leaves_nothing_half_written(tmp_path):
    import sqlite3

    index = KeywordIndex(tmp_path / "k.sqlite")
    chunk = Chunk("a", 0, "Ferries dock at the northern pier.", 0, 34)
    with pytest.raises(sqlite3.Error):  # the chunk rows go in last; an unstorable value fails there
        index.add([("a:0", "h1", chunk, "Ferries", "example.com", object())],
                  entities=[("a", "h1", "place", "Northern Pier")], paragraphs=[("a", "h1", "p1", False)])
    assert index.count() == 0
    assert index.entity_table() == [] and index.paragraph_counts(["p1"]) == {}, "the rows before it were rolled back"
