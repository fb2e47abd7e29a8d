"""BM25 over postings held as arrays, with the best rows found without scoring every posting.

A field's postings are CSR-like: for each term id, the rows holding it (ascending) and how often.
What BM25 adds for a (term, row) pair depends on the query only through the term's idf, so each
posting's *impact*, ``tf * (K1 + 1) / (tf + norm(row))``, is computed once per set of live rows and
kept; a query multiplies it by the idf.

Top rows are found MaxScore-style (Turtle and Flood 1995): terms are taken from the highest possible
contribution down (rare terms first; a term with a negative idf, which only lowers scores, before
all); once the best ``n`` kept rows so far score more than everything the remaining terms could add,
no row missing from those scored can reach the top, so the remaining (long, low-idf) postings are
only looked up for the rows that still can. The result is exactly the
full scoring's; a word found in nearly every chunk costs a few look-ups instead of a pass over 1M rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from archive.storage.topn import best

K1, B = 1.2, 0.75  # the BM25 constants FTS5 uses
_MARGIN = 1e-4  # float32 sums differ by order: rows this close to the bound are scored too


@dataclass
class _Impacts:
    """One field's per-posting BM25 impacts for one set of live rows."""

    alive: np.ndarray  # the mask they were computed for (compared by identity)
    n_alive: int
    impact: np.ndarray  # float32, aligned with Field.rows
    term_max: np.ndarray  # float32 per term: its largest impact


@dataclass
class Field:
    """Postings of one text field: for each term id, the rows holding it and how often (CSR layout)."""

    indptr: np.ndarray  # int64, len(vocab) + 1
    rows: np.ndarray  # int32 row positions, grouped by term, ascending within a term
    tf: np.ndarray  # float32 term frequency, aligned with rows
    length: np.ndarray  # float32 words per row
    _impacts: _Impacts | None = field(default=None, repr=False, compare=False)

    @staticmethod
    def build(triples: tuple[np.ndarray, np.ndarray, np.ndarray], n_terms: int, length: np.ndarray) -> Field:
        """Postings from (term, row, tf) triples given in row order."""
        term, row, tf = triples
        order = np.argsort(term, kind="stable")
        counts = np.bincount(term, minlength=n_terms)
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return Field(indptr, row[order].astype(np.int32), tf[order].astype(np.float32), length.astype(np.float32))

    @staticmethod
    def empty() -> Field:
        return Field(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(0, np.float32))

    def triples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        term = np.repeat(np.arange(len(self.indptr) - 1, dtype=np.int32), np.diff(self.indptr))
        return term, self.rows, self.tf

    def impacts(self, alive: np.ndarray) -> _Impacts:
        """Per-posting impacts with lengths averaged over ``alive`` rows (computed once per mask)."""
        cached = self._impacts
        if cached is None or cached.alive is not alive:
            n_alive = max(int(np.count_nonzero(alive)), 1)
            live_len = self.length[alive]
            avg = float(live_len.mean()) if len(live_len) else 1.0
            norm = (K1 * (1 - B + B * self.length / (avg or 1.0))).astype(np.float32)
            impact = (self.tf * (K1 + 1) / (self.tf + norm[self.rows])).astype(np.float32)
            cached = self._impacts = _Impacts(alive, n_alive, impact, _term_max(impact, self.indptr))
        return cached

    def lists(self, term_ids: Sequence[int], alive: np.ndarray, weight: float) -> list[TermList]:
        """The query terms' postings in this field, each weighted by ``weight`` times its idf."""
        impacts = self.impacts(alive)
        found = []
        for t in term_ids:
            if t >= len(self.indptr) - 1 or self.indptr[t] == self.indptr[t + 1]:
                continue
            lo, hi = int(self.indptr[t]), int(self.indptr[t + 1])
            df = hi - lo
            w = weight * float(np.log((impacts.n_alive - df + 0.5) / (df + 0.5) + 1.0))
            # idf is negative when dead rows' postings put df above the live rows: that term only lowers scores
            found.append(TermList(self.rows[lo:hi], impacts.impact[lo:hi], w, max(w, 0.0) * float(impacts.term_max[t])))
        return found


@dataclass(frozen=True)
class TermList:
    """One query term's postings in one field: rows (ascending), impacts, the term's weight, its largest value."""

    rows: np.ndarray
    impact: np.ndarray
    weight: float
    bound: float  # the most it adds to a row (0 for a term that only lowers scores)

    def add_to(self, scores: np.ndarray) -> None:
        scores[self.rows] += self.weight * self.impact

    def values_at(self, rows: np.ndarray) -> np.ndarray:
        """This term's contribution to each of ``rows`` (sorted or not); 0 where the term is absent."""
        at = np.minimum(np.searchsorted(self.rows, rows), len(self.rows) - 1)
        return np.where(self.rows[at] == rows, self.weight * self.impact[at], 0.0).astype(np.float32)


def top_rows(lists: list[TermList], keep: np.ndarray, n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(positions, BM25) of the ``n`` best rows ``keep`` passes, exactly as scoring every posting would."""
    if not lists or n <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    # Terms that lower scores go first (partial scores must never exceed full ones), then the rarest.
    lists = sorted(lists, key=lambda term: (term.weight >= 0, -term.bound))
    rest = np.cumsum([term.bound for term in lists][::-1])[::-1]  # rest[j]: the most lists j.. can add
    scores = np.zeros(size, np.float32)
    for j, term in enumerate(lists):
        term.add_to(scores)
        remaining = float(rest[j + 1]) if j + 1 < len(lists) else 0.0
        if remaining and remaining < float(rest[0] - rest[j + 1]):  # the top could already be out of their reach
            found = _pruned(scores, keep, n, remaining, lists[j + 1:])
            if found is not None:
                return found
    return best(scores, keep, n, floor=0.0)


def _pruned(
    scores: np.ndarray, keep: np.ndarray, n: int, remaining: float, later: list[TermList]
) -> tuple[np.ndarray, np.ndarray] | None:
    """The top rows from partial ``scores`` when the ``later`` lists (adding at most ``remaining``) cannot
    lift any unscored row into it; None when they might."""
    scored = np.flatnonzero((scores > 0) & keep)
    if len(scored) < n:
        return None
    partial = scores[scored]
    nth = float(np.partition(partial, len(partial) - n)[len(partial) - n])  # a floor for the final n-th best
    if remaining * (1 + _MARGIN) >= nth:
        return None
    rows = scored[partial >= nth - remaining * (1 + _MARGIN) - _MARGIN]
    total = scores[rows] + sum(term.values_at(rows) for term in later)
    picked, values = best(total, None, n, floor=0.0)
    return rows[picked], values


def _term_max(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """The largest of each term's ``values`` (0 for a term without postings)."""
    starts = indptr[:-1]
    nonempty = indptr[1:] > starts
    out = np.zeros(len(starts), np.float32)
    if nonempty.any():
        out[nonempty] = np.maximum.reduceat(values, starts[nonempty])
    return out
