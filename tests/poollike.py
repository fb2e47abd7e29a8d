"""Pool-like vectors: many chunk vectors made from a few real ones, for the scalable index's tests and benches.

Random unit vectors have no clusters, which makes a partitioned index look worse than it is on text.
These are mixed instead from real chunk vectors and their near neighbours, with a little noise, then
renormalised, so that the archive has the clusters and near-duplicates real news has.
"""

from __future__ import annotations

import numpy as np

NEIGHBOURS = 8  # a new vector mixes a real one with one of its 8 nearest real ones


def pool_like(real: np.ndarray, n: int, seed: int = 0, noise: float = 0.02, block: int = 200_000) -> np.ndarray:
    """``n`` unit vectors mixed from rows of ``real`` (unit length) and their near neighbours, plus noise."""
    rng = np.random.default_rng(seed)
    real = np.asarray(real, np.float32)
    near = _neighbours(real, min(NEIGHBOURS, len(real) - 1))
    out = np.empty((n, real.shape[1]), np.float32)
    for start in range(0, n, block):
        m = min(block, n - start)
        base = rng.integers(0, len(real), m)
        other = near[base, rng.integers(0, near.shape[1], m)]
        weight = rng.uniform(0.5, 1.0, (m, 1)).astype(np.float32)
        v = weight * real[base] + (1 - weight) * real[other]
        v += rng.standard_normal(v.shape, dtype=np.float32) * noise
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        out[start:start + m] = v
    return out


def queries_near(real: np.ndarray, n: int, seed: int = 1, noise: float = 0.03) -> np.ndarray:
    """``n`` query vectors near the rows of ``real`` (a question and the passages it is about are close)."""
    rng = np.random.default_rng(seed)
    v = real[rng.integers(0, len(real), n)] + rng.standard_normal((n, real.shape[1]), dtype=np.float32) * noise
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def random_unit(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """The worst case: unit vectors with no clusters at all."""
    v = np.random.default_rng(seed).standard_normal((n, dim), dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _neighbours(real: np.ndarray, k: int) -> np.ndarray:
    sims = real @ real.T
    np.fill_diagonal(sims, -np.inf)
    return np.argpartition(-sims, k - 1, axis=1)[:, :k]
