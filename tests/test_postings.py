"""BM25 over postings: the pruned top rows equal scoring every posting."""

from __future__ import annotations

import numpy as np
import pytest

from archive.storage import postings
from archive.storage.postings import K1, B, Field, top_rows


def _field(rows: int, terms: int, seed: int) -> Field:
    """Zipf-distributed words: a few terms in nearly every row, most in a handful."""
    rng = np.random.default_rng(seed)
    triples = [], [], []
    length = np.zeros(rows, np.float32)
    for r in range(rows):
        words = np.minimum(rng.zipf(1.2, size=int(rng.integers(5, 40))), terms) - 1
        ids, counts = np.unique(words, return_counts=True)
        triples[0].append(ids.astype(np.int32))
        triples[1].append(np.full(len(ids), r, np.int32))
        triples[2].append(counts.astype(np.float32))
        length[r] = len(words)
    return Field.build(tuple(np.concatenate(t) for t in triples), terms, length)


def _brute(field: Field, term_ids, alive, weight) -> np.ndarray:
    """BM25 from the definition, one posting at a time."""
    scores = np.zeros(len(field.length))
    n, avg = alive.sum(), field.length[alive].mean()
    for t in term_ids:
        lo, hi = field.indptr[t], field.indptr[t + 1]
        df = hi - lo
        idf = np.log((n - df + 0.5) / (df + 0.5) + 1.0)
        for row, tf in zip(field.rows[lo:hi], field.tf[lo:hi]):
            scores[row] += weight * idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * field.length[row] / avg))
    return scores


@pytest.fixture
def pruned_calls(monkeypatch):
    """How often the pruned path answered (so the tests cover it, not only the full scoring)."""
    answered = []
    real = postings._pruned

    def counting(*args):
        found = real(*args)
        answered.append(found is not None)
        return found

    monkeypatch.setattr(postings, "_pruned", counting)
    return answered


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pruned_top_rows_equal_full_scoring(seed, pruned_calls):
    body, title = _field(3000, 400, seed), _field(3000, 400, seed + 10)
    alive = np.random.default_rng(seed).random(3000) > 0.05
    keeps = [alive, alive & (np.arange(3000) % 7 == 0)]
    rng = np.random.default_rng(seed + 20)
    for _ in range(30):
        terms = sorted(set(np.minimum(rng.zipf(1.3, size=3), 400) - 1) | {int(rng.integers(0, 400))})
        want_all = _brute(body, terms, alive, 1.0) + _brute(title, terms, alive, 0.3)
        for keep in keeps:
            lists = body.lists(terms, alive, 1.0) + title.lists(terms, alive, 0.3)
            positions, scores = top_rows(lists, keep, 10, 3000)
            want = np.where(keep & (want_all > 0), want_all, -np.inf)
            expected = np.sort(want[np.isfinite(want)])[::-1][:10]
            assert np.allclose(scores, expected, rtol=1e-5), terms
            assert np.allclose(want_all[positions], scores, rtol=1e-5) and keep[positions].all()
    assert any(pruned_calls), "no query took the pruned path"


def test_postings_are_ascending_within_a_term():
    """Pruning looks rows up by binary search in each term's postings."""
    field = _field(500, 50, 3)
    for t in range(50):
        rows = field.rows[field.indptr[t]:field.indptr[t + 1]]
        assert np.all(np.diff(rows) > 0)


def test_impacts_follow_the_live_rows():
    field = _field(200, 30, 4)
    everything = np.ones(200, bool)
    some = everything.copy()
    some[:100] = False
    assert field.impacts(everything) is field.impacts(everything)
    assert field.impacts(some).n_alive == 100
