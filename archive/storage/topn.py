"""The ``n`` best of a score array among the rows a mask keeps: the one selection every ranking ends with."""

from __future__ import annotations

import numpy as np


def best(scores: np.ndarray, keep: np.ndarray | None, n: int, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """(positions, scores) of the ``n`` best kept entries scoring above ``floor``, best first.

    ``keep`` None keeps every entry. Ties keep their position order (a stable sort after the partition).
    """
    above = scores > floor
    candidates = np.flatnonzero(above if keep is None else above & keep)
    if not len(candidates) or n <= 0:
        return np.zeros(0, np.int64), np.zeros(0, scores.dtype)
    if len(candidates) > n:
        candidates = candidates[np.argpartition(-scores[candidates], n - 1)[:n]]
        candidates.sort()
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    return order, scores[order]
