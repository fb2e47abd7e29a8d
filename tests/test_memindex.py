"""The in-memory index: exact vector and BM25 search over every chunk, kept in step with the archive."""

from __future__ import annotations

import numpy as np
import pytest

from archive.storage.keyword import KeywordIndex
from archive.storage.memindex import MemoryIndex
from archive.text.query import parse_query
from archive.text.words import Tokenizer
from archive.types import Chunk


def _rows(article_id, version, texts, title="", source="", ts=None):
    return [(f"{article_id}:{version}:{i}", version, Chunk(article_id, i, t, 0, len(t)), title, source, ts)
            for i, t in enumerate(texts)]


class Vectors:
    """Deterministic unit vectors per chunk id (a stand-in for Chroma), counting what is asked of it."""

    def __init__(self):
        self.asked: list[str] = []

    def vector(self, chunk_id: str) -> np.ndarray:
        v = np.random.default_rng(abs(hash(chunk_id)) % 2**32).normal(size=8).astype(np.float32)
        return v / np.linalg.norm(v)

    def __call__(self, chunk_ids):
        self.asked += list(chunk_ids)
        return {c: self.vector(c) for c in chunk_ids}


def _memory(kw: KeywordIndex, path, vectors) -> MemoryIndex:
    return MemoryIndex(path, kw.generation, kw.live_rows, kw.new_rows, vectors)


@pytest.fixture
def kw(tmp_path) -> KeywordIndex:
    idx = KeywordIndex(tmp_path / "kw.sqlite")
    idx.add(_rows("a", "v1", ["Russia suffers 20,000 soldier losses monthly, Rutte said.", "NATO remains here."],
                  title="Rutte warns NATO"))
    idx.add(_rows("b", "v1", ["A coalition of the willing met in Paris.", "The willing coalition of states met."],
                  source="x.com", ts=100))
    idx.add(_rows("c", "v1", ["Floods in Pakistan displaced millions.", "Café owners in Zürich protested."], ts=200))
    return idx


def _ids(memory: MemoryIndex, kw: KeywordIndex, query: str, **filters) -> list[str]:
    state = memory.current()
    keep = memory.mask(state, **filters)
    return [m.chunk.article_id + f":{m.chunk.index}" for m in kw.matches(memory.bm25(state, parse_query(query).words, 5, keep))]


def test_tokenizer_folds_stems_and_drops_stopwords():
    tok = Tokenizer()
    words = tok.words("The soldiers' Losses in Zürich, café")
    assert words == ["the", "soldiers", "losses", "in", "zurich", "cafe"]
    assert tok.terms(words) == ["soldier", "loss", "zurich", "cafe"]


def test_bm25_agrees_with_fts5_on_the_best_chunk(kw, tmp_path):
    memory = _memory(kw, tmp_path / "m.npz", Vectors())
    for query in ("How many soldiers does Russia lose?", "willing coalition", "floods displaced", "zurich cafe"):
        fts = [f"{m.chunk.article_id}:{m.chunk.index}" for m in kw.search(parse_query(query), 5)]
        assert _ids(memory, kw, query)[0] == fts[0], query
    assert _ids(memory, kw, "Rutte")[:2] == ["a:0", "a:1"]  # the title counts for every chunk, the body more
    assert _ids(memory, kw, "nothing matches this") == []


def test_filters_are_masks(kw, tmp_path):
    memory = _memory(kw, tmp_path / "m.npz", Vectors())
    assert {i[0] for i in _ids(memory, kw, "coalition floods", sources=["x.com"])} == {"b"}
    assert {i[0] for i in _ids(memory, kw, "coalition floods", ts_range=(150, None))} == {"c"}
    assert {i[0] for i in _ids(memory, kw, "coalition floods", article_ids=["c"])} == {"c"}
    assert _ids(memory, kw, "soldiers", ts_range=(None, 10**12)) == []  # undated articles fail a date filter
    assert _ids(memory, kw, "coalition", sources=["unknown.org"]) == []


def test_nearest_is_exact(kw, tmp_path):
    vectors = Vectors()
    memory = _memory(kw, tmp_path / "m.npz", vectors)
    state = memory.current()
    query = vectors.vector("a:v1:1")
    best = memory.nearest(state, query, 3, memory.mask(state))
    ids = dict(kw.live_rows())
    assert ids[best[0][0]] == "a:v1:1" and best[0][1] == pytest.approx(1.0, abs=1e-5)
    scores = sorted((float(vectors.vector(c) @ query) for c in ids.values()), reverse=True)
    assert [s for _, s in best] == pytest.approx(scores[:3], abs=1e-5)


def test_follows_new_versions_and_other_writers(kw, tmp_path):
    memory = _memory(kw, tmp_path / "m.npz", Vectors())
    assert _ids(memory, kw, "soldiers")[0] == "a:0"
    other = KeywordIndex(tmp_path / "kw.sqlite")  # another process's connection to the same file
    other.add(_rows("a", "v2", ["Ceasefire talks resumed in Geneva."]))
    other.delete_stale("a", "v2")
    assert _ids(memory, kw, "soldiers") == []
    assert _ids(memory, kw, "ceasefire geneva") == ["a:0"]
    other.delete_stale("c", "")
    assert _ids(memory, kw, "floods") == []


def test_a_reused_row_id_is_not_mistaken_for_the_old_row(kw, tmp_path):
    memory = _memory(kw, tmp_path / "m.npz", Vectors())
    assert _ids(memory, kw, "zurich")[0] == "c:1"
    kw.delete_stale("c", "")  # the highest row ids go; SQLite hands them out again
    kw.add(_rows("d", "v1", ["Volcano erupts in Iceland.", "Flights cancelled across Europe."]))
    assert _ids(memory, kw, "zurich") == [] and _ids(memory, kw, "flights europe") == ["d:1"]


def test_snapshot_spares_a_restart_the_rebuild(kw, tmp_path):
    path = tmp_path / "m.npz"
    first = _memory(kw, path, Vectors())
    first.current()
    first.save()
    assert path.exists()
    vectors = Vectors()
    second = _memory(kw, path, vectors)
    assert _ids(second, kw, "soldiers")[0] == "a:0"
    assert vectors.asked == []  # nothing re-read from the vector store
    kw.add(_rows("e", "v1", ["Elections held in Chile."]))
    assert _ids(second, kw, "chile elections") == ["e:0"]
    assert vectors.asked == ["e:v1:0"]  # only the new row


def test_a_damaged_snapshot_is_rebuilt_not_trusted(kw, tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(b"not a snapshot")
    vectors = Vectors()
    memory = _memory(kw, path, vectors)
    assert _ids(memory, kw, "soldiers")[0] == "a:0"
    assert len(vectors.asked) == 6


def test_numpy_blas_is_held_to_one_thread(kw, tmp_path):
    import threadpoolctl

    _memory(kw, tmp_path / "m.npz", Vectors())
    pools = threadpoolctl.threadpool_info()
    numpy_blas = [p["num_threads"] for p in pools if p["internal_api"] == "openblas" and "numpy" in p["filepath"]]
    assert numpy_blas == [1]


def test_empty_archive(tmp_path):
    kw = KeywordIndex(tmp_path / "kw.sqlite")
    memory = _memory(kw, tmp_path / "m.npz", Vectors())
    state = memory.current()
    assert memory.bm25(state, ["anything"], 5, memory.mask(state)) == []
    assert memory.nearest(state, np.ones(8, np.float32), 5, memory.mask(state)) == []


def test_memory_and_chroma_paths_agree_on_the_sample(sample_archive):
    """The in-memory index is an accelerator: its chunk rankings must find the same first article as Chroma's.

    (Whole-article signals are left out of the comparison: BM25 over whole articles exists only in memory.)"""
    from archive import Archive
    from archive.types import Filters

    chunks_only = {"article_keyword_weight": 0, "headline_weight": 0}
    sample_archive = Archive(sample_archive.settings.model_copy(update=chunks_only), embedder=sample_archive.embedder)
    chroma_only = Archive(sample_archive.settings.model_copy(update={"memory_index_max_chunks": 0}), embedder=sample_archive.embedder)
    assert chroma_only.store._in_memory() is None and sample_archive.store._in_memory() is not None
    some = tuple(a.id for a in sample_archive.articles()[2:4])
    for query, filters in [
        ("How many soldiers does Russia lose each month?", None),
        ("coalition of the willing security guarantees", None),
        ("Rutte warning", Filters(article_ids=some)),
    ]:
        ours = [h.article.id for h in sample_archive.search(query, k=3, filters=filters)]
        theirs = [h.article.id for h in chroma_only.search(query, k=3, filters=filters)]
        assert ours and ours[0] == theirs[0], query
        assert filters is None or set(ours) <= set(some)


def test_split_scan_equals_one_matrix_product():
    from archive.storage.memindex import SPLIT_ROWS, similarities

    rng = np.random.default_rng(3)
    for rows in (10, SPLIT_ROWS + 7):
        vectors = rng.standard_normal((rows, 16)).astype(np.float32)
        query = rng.standard_normal(16).astype(np.float32)
        got = similarities(vectors, query)
        assert got.shape == (rows,) and np.allclose(got, vectors @ query, atol=1e-5)


def _whole_article_bm25(docs: dict[str, tuple[str, list[str]]], query: str) -> dict[str, float]:
    """BM25 of whole articles (title once, then the body) computed from scratch, for comparison."""
    from collections import Counter
    from math import log

    from archive.storage.memindex import K1, B

    tok = Tokenizer()
    fields = {}
    for name, (title, chunks) in docs.items():
        body_words, title_words = tok.words(" ".join(chunks)), tok.words(title)
        fields[name] = [(Counter(tok.terms(body_words)), len(body_words)), (Counter(tok.terms(title_words)), len(title_words))]
    scores = dict.fromkeys(docs, 0.0)
    for part in (0, 1):
        avg = sum(f[part][1] for f in fields.values()) / len(fields)
        for term in dict.fromkeys(tok.terms(tok.words(query))):
            df = sum(1 for f in fields.values() if term in f[part][0])
            if not df:
                continue
            idf = log((len(fields) - df + 0.5) / (df + 0.5) + 1.0)
            for name, f in fields.items():
                tf = f[part][0][term]
                scores[name] += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * f[part][1] / avg))
    return {name: s for name, s in scores.items() if s > 0}


def test_article_bm25_scores_whole_articles(kw, tmp_path):
    """Words spread over two chunks of one article count together, as BM25 over the whole text would."""
    memory = _memory(kw, tmp_path / "m.npz", Vectors())
    state = memory.current()
    docs = {
        "a": ("Rutte warns NATO", ["Russia suffers 20,000 soldier losses monthly, Rutte said.", "NATO remains here."]),
        "b": ("", ["A coalition of the willing met in Paris.", "The willing coalition of states met."]),
        "c": ("", ["Floods in Pakistan displaced millions.", "Café owners in Zürich protested."]),
    }
    for query in ("soldiers NATO remains", "willing coalition Paris", "zurich floods", "Rutte"):
        got = dict(memory.article_bm25(state, parse_query(query).words, 5, state.alive))
        want = _whole_article_bm25(docs, query)
        assert got.keys() == want.keys(), query
        assert all(abs(got[a] - want[a]) < 1e-4 for a in want), (query, got, want)
    ranked = memory.article_bm25(state, parse_query("soldiers NATO remains").words, 5, state.alive)
    assert [a for a, _ in ranked] == ["a"]
    only_c = memory.mask(state, article_ids=["c"])
    assert memory.article_bm25(state, parse_query("willing zurich").words, 5, only_c)[0][0] == "c"
    assert [a for a, _ in memory.article_bm25(state, parse_query("willing zurich").words, 5, only_c)] == ["c"]


def test_article_bm25_follows_new_articles(kw, tmp_path):
    memory = _memory(kw, tmp_path / "m.npz", Vectors())
    assert memory.article_bm25(memory.current(), ["referendum"], 5, memory.current().alive) == []
    kw.add(_rows("d", "v1", ["A referendum was called.", "The referendum failed."]))
    state = memory.current()
    assert [a for a, _ in memory.article_bm25(state, ["referendum"], 5, state.alive)] == ["d"]


class Headlines(Vectors):
    """Headline vectors for some articles (the rest have none yet), counting what is asked."""

    def __init__(self, have):
        super().__init__()
        self.have = set(have)

    def __call__(self, article_ids):
        self.asked += list(article_ids)
        return {a: self.vector("headline:" + a) for a in article_ids if a in self.have}


def test_headlines_are_searched_exactly_and_fetched_once(kw, tmp_path):
    heads = Headlines({"a", "b"})
    memory = MemoryIndex(tmp_path / "m.npz", kw.generation, kw.live_rows, kw.new_rows, Vectors(), heads)
    state = memory.current()
    assert sorted(heads.asked) == ["a", "b", "c"]
    query = heads.vector("headline:b")
    assert [a for a, _ in memory.nearest_headlines(state, query, 5, state.alive)] == ["b", "a"]  # c has none
    assert memory.nearest_headlines(state, query, 5, memory.mask(state, article_ids=["a"]))[0][0] == "a"
    heads.asked.clear()
    heads.have.add("c")
    kw.touch(["c"])  # a backfill stores c's headline and bumps the generation
    state = memory.current()
    assert heads.asked == ["c"], "only the missing headline is fetched"
    assert {a for a, _ in memory.nearest_headlines(state, query, 5, state.alive)} == {"a", "b", "c"}
    memory.save()
    restarted = MemoryIndex(tmp_path / "m.npz", kw.generation, kw.live_rows, kw.new_rows, Vectors(), Headlines(set()))
    assert restarted.nearest_headlines(restarted.current(), query, 1, restarted.current().alive)[0][0] == "b"


def _rewrite_twice(kw, texts=("Russia suffers 30,000 soldier losses monthly.", "NATO stays."), title="Rutte"):
    """Article ``a`` written again twice: the rows of its first two versions die."""
    for version in ("v2", "v3"):
        kw.add(_rows("a", version, list(texts), title=title))
        kw.delete_stale("a", version)


def test_dead_rows_are_dropped_and_rankings_equal_a_fresh_index(kw, tmp_path):
    """Rows of replaced chunks leave the index once they are a tenth of it; BM25 and vector rankings
    then equal those of an index built from scratch (dead rows no longer count in document frequencies)."""
    memory = _memory(kw, tmp_path / "m.npz", Vectors())
    memory.current()
    _rewrite_twice(kw, ["Russia suffers 30,000 soldier losses monthly, Rutte said.", "NATO stays."], "Rutte warns NATO")
    served = memory.current()  # compaction starts off the query path; this search scans the dead rows
    assert len(served) > int(served.alive.sum()) == 6
    memory.wait_for_compaction()
    state = memory.current()
    assert len(state) == int(state.alive.sum()) == 6
    fresh = _memory(kw, tmp_path / "fresh.npz", Vectors())
    again = fresh.current()
    def same(ours, theirs):
        assert [r for r, _ in ours] == [r for r, _ in theirs]
        assert [x for _, x in ours] == pytest.approx([x for _, x in theirs], rel=1e-5)

    for query in ("soldier losses Rutte", "willing coalition", "zurich cafe floods"):
        words = parse_query(query).words
        same(memory.bm25(state, words, 5, memory.mask(state)), fresh.bm25(again, words, 5, fresh.mask(again)))
    vector = Vectors().vector("b:v1:0")
    same(memory.nearest(state, vector, 6, memory.mask(state)), fresh.nearest(again, vector, 6, fresh.mask(again)))
    memory.save()  # the snapshot is rewritten without them
    assert len(_memory(kw, tmp_path / "m.npz", Vectors()).current()) == 6


def test_a_compaction_of_a_state_that_was_refreshed_meanwhile_is_dropped(kw, tmp_path):
    memory = _memory(kw, tmp_path / "m.npz", Vectors())
    memory.current()
    _rewrite_twice(kw)
    old = memory.current()  # holds dead rows; their compaction starts in the background
    assert len(old) > int(old.alive.sum())
    memory.wait_for_compaction()
    kw.add(_rows("d", "v1", ["A new story about Zurich floods arrives."], title="Zurich"))
    newer = memory.current()  # refreshed: the new row is in
    memory._compact(old)  # a compaction of the older state finishing late must not replace the newer one
    assert memory.current() is newer
    assert "d:v1:0" in memory.current().chunk_id


def test_save_drops_dead_rows_at_once(kw, tmp_path):
    memory = _memory(kw, tmp_path / "m.npz", Vectors())
    memory.current()
    _rewrite_twice(kw)
    memory.save()  # an ingest's last step: no search pays for the compaction afterwards
    assert len(_memory(kw, tmp_path / "m.npz", Vectors()).current()) == 6
