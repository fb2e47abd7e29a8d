"""The nearest vectors to a query, exactly: a float32 scan for small matrices, an int8 one with a proven bound for large.

Scoring every row of 1M x 384 float32 vectors reads 1.5 GB per query: memory bandwidth, ~60 ms on
one quiet core here and several times that when the 2 cores are shared. ``QuantizedScan`` keeps an
int8 copy (a quarter of the bytes; each dimension scaled by its largest value) and scans that with
onnxruntime's integer matrix product (``archive/models/int8kernel.py``). The query is quantized to
±``SIGNED_MAX`` (64), not ±127: on CPUs without VNNI the kernel sums pairs of products in saturating
16-bit arithmetic, and only in that range are its products exact on every x86 CPU. The kernel is
checked on probe operands once per process; where it is not exact, every scan is the float32 one.
Quantization moves a row's score by at most

    e = |q| * max_r |v_r - v^_r|  +  |q' - t q^| * max_r |c_r|

(the rows' own rounding, and the query's, by Cauchy-Schwarz; both maxima are kept with the codes), so
every row of the true top ``n`` scores at least (the n-th best approximate score) - 2e. Those few
rows, usually a few hundred, are scored again in float32: the result is exactly the float32 scan's,
not an approximation with a recall. Random vectors, which have no clusters to prune by (an IVF list
structure needs nearly every list probed to reach 0.99 recall on them), still get the 4x.

A filter that keeps few rows is cheaper as a float32 scan of just those rows, and below
``QUANTIZED_ROWS`` rows the plain scan is fast enough and needs no second copy.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from archive.models import int8kernel
from archive.storage.topn import best

log = logging.getLogger(__name__)
QUANTIZED_ROWS = 100_000  # from this many rows on, vectors are scanned as int8 first
GATHER_SHARE = 16  # a filter keeping under 1/16 of the rows scores just those, in float32
SPLIT_ROWS = 20_000  # above this many rows the float32 scan is split between this thread and a helper
_BLOCK = 65_536  # rows quantized at a time (bounds the temporary float arrays)
_float32_only = False


@contextmanager
def float32_scans():
    """Within it, every scan is the plain float32 one (bench/scale.py measures the int8 stage against it)."""
    global _float32_only
    _float32_only = True
    try:
        yield
    finally:
        _float32_only = False


class VectorIndex(Protocol):
    vectors: np.ndarray

    def top(self, query: np.ndarray, n: int, keep: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(positions, cosine) of the ``n`` rows nearest to ``query`` among ``keep``, best first."""
        ...


def vector_index(vectors: np.ndarray, previous: VectorIndex | None = None) -> VectorIndex:
    """The index for ``vectors``: extended from ``previous`` when ``vectors`` only appends rows to its."""
    if len(vectors) < QUANTIZED_ROWS or not _kernel_available():
        return ExactScan(vectors)
    if isinstance(previous, QuantizedScan) and previous.extends_to(vectors):
        return previous.extended(vectors)
    return QuantizedScan.build(vectors)


@dataclass(frozen=True)
class ExactScan:
    """Every row scored in float32."""

    vectors: np.ndarray

    def top(self, query, n, keep):
        query = np.asarray(query, dtype=np.float32)
        if keep is not None and np.count_nonzero(keep) * GATHER_SHARE < len(self.vectors):
            return _gathered(self.vectors, query, n, keep)
        return best(similarities(self.vectors, query), keep, n, floor=-np.inf)


@dataclass(frozen=True)
class QuantizedScan:
    """int8 codes of ``vectors`` (per-dimension scales) and the bounds that make a two-stage scan exact."""

    vectors: np.ndarray
    codes: np.ndarray  # uint8 (n, dim): the int8 code + 128, as onnxruntime's MatMulInteger takes it
    scales: np.ndarray  # float64 per dimension
    max_residual: float  # the largest |v - v^| of any row
    max_code_norm: float  # the largest |c| of any row, in code units
    fitted_residual: float  # max_residual when the scales were fitted (appended rows may exceed it)

    @staticmethod
    def build(vectors: np.ndarray) -> QuantizedScan:
        peak = np.abs(vectors).max(axis=0).astype(np.float64) if len(vectors) else np.ones(vectors.shape[1])
        scales = np.where(peak > 0, peak / 127, 1.0)
        codes, residual, code_norm = _quantized(vectors, scales)
        return QuantizedScan(vectors, codes, scales, residual, code_norm, residual)

    def extends_to(self, vectors: np.ndarray) -> bool:
        """Whether ``vectors`` is this index's rows with more appended (and the scales still fit them)."""
        n = len(self.vectors)
        return (vectors.shape[1:] == self.vectors.shape[1:] and len(vectors) >= n
                and self.max_residual <= 2 * self.fitted_residual
                and (n == 0 or np.array_equal(vectors[n - 1], self.vectors[n - 1])))

    def extended(self, vectors: np.ndarray) -> QuantizedScan:
        """This index with the rows ``vectors`` appends, quantized with the same scales."""
        codes, residual, code_norm = _quantized(vectors[len(self.vectors):], self.scales)
        return QuantizedScan(vectors, np.concatenate([self.codes, codes]), self.scales,
                             max(self.max_residual, residual), max(self.max_code_norm, code_norm), self.fitted_residual)

    def top(self, query, n, keep):
        query = np.asarray(query, dtype=np.float32)
        if _float32_only:
            return ExactScan(self.vectors).top(query, n, keep)
        kept = len(self.vectors) if keep is None else int(np.count_nonzero(keep))
        if kept * GATHER_SHARE < len(self.vectors) or kept <= n or n <= 0:
            return _gathered(self.vectors, query, n, keep)
        approx, slack = self._approximate(query)
        if approx is None:  # a zero query: every score is 0
            return best(np.zeros(len(self.vectors), np.float32), keep, n, floor=-np.inf)
        if keep is not None and kept < len(self.vectors):
            np.copyto(approx, np.iinfo(np.int32).min, where=~keep)
        nth = int(np.partition(approx, len(approx) - n)[len(approx) - n])
        rows = np.flatnonzero(approx >= nth - 2 * slack)
        if keep is not None:
            rows = rows[keep[rows]]
        picked, scores = best(self.vectors[rows] @ query, None, n, floor=-np.inf)
        return rows[picked], scores

    def _approximate(self, query: np.ndarray) -> tuple[np.ndarray | None, int]:
        """Integer scores proportional to the quantized ones, and the bound 2e is made of, in the same units."""
        scaled = query.astype(np.float64) * self.scales
        step = float(np.abs(scaled).max()) / int8kernel.SIGNED_MAX
        if step == 0:
            return None, 0
        q = np.round(scaled / step)
        error = (float(np.linalg.norm(query)) * self.max_residual
                 + float(np.linalg.norm(scaled - step * q)) * self.max_code_norm)
        slack = int(np.ceil(error * (1 + 1e-3) / step + 1e-5 / step)) + 1  # + float32 rounding of the rescoring
        return _int8_product(self.codes, q.astype(np.int8)), slack


def _quantized(vectors: np.ndarray, scales: np.ndarray) -> tuple[np.ndarray, float, float]:
    """uint8 codes (int8 + 128) of ``vectors``, the largest row residual and the largest code norm."""
    codes = np.empty(vectors.shape, np.uint8)
    residual = code_norm = 0.0
    for start in range(0, len(vectors), _BLOCK):
        block = vectors[start:start + _BLOCK].astype(np.float64)
        c = np.clip(np.round(block / scales), -127, 127)
        residual = max(residual, float(np.linalg.norm(block - c * scales, axis=1).max()))
        code_norm = max(code_norm, float(np.linalg.norm(c, axis=1).max()))
        codes[start:start + _BLOCK] = (c + 128).astype(np.uint8)
    return codes, residual, code_norm


def _gathered(vectors: np.ndarray, query: np.ndarray, n: int, keep: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    rows = np.arange(len(vectors)) if keep is None else np.flatnonzero(keep)
    picked, scores = best(vectors[rows] @ query, None, n, floor=-np.inf)
    return rows[picked], scores


# ---- the float32 scan ----------------------------------------------------------------------------

_HELPER = None
_helper_lock = threading.Lock()


def similarities(vectors: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``vectors @ vector``, the two halves computed at once in two threads once the matrix is large.

    One core does not saturate the memory bus: two threads took the 81k-chunk scan from 10 to 7 ms.
    BLAS itself stays on one thread (``memindex.single_threaded_blas``); these are plain Python
    threads, and numpy releases the GIL.
    """
    rows = len(vectors)
    if rows < SPLIT_ROWS:
        return vectors @ vector
    out = np.empty(rows, dtype=np.float32)
    half = rows // 2
    other = _helper().submit(np.dot, vectors[half:], vector, out[half:])
    np.dot(vectors[:half], vector, out[:half])
    other.result()
    return out


def _helper():
    global _HELPER
    with _helper_lock:
        if _HELPER is None:
            from concurrent.futures import ThreadPoolExecutor

            _HELPER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="memindex-scan")
        return _HELPER


# ---- the int8 kernel (archive/models/int8kernel.py) ----------------------------------------------


def scan_path() -> str:
    """Which scan large archives get on this CPU, and why (for logs and ``python -m archive stats``)."""
    check = int8kernel.check()
    if check.exact:
        return f"int8 first, then float32 (exact) from {QUANTIZED_ROWS:,} chunks; {check.describe()}"
    return f"float32 at every size; {check.describe()}"


def _kernel_available() -> bool:
    return int8kernel.check().exact


def _int8_product(codes: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``(codes - 128) @ query`` in int32, exactly (``query`` within ±SIGNED_MAX)."""
    out = int8kernel.product(codes, query)
    out -= np.int32(128 * int(query.astype(np.int64).sum()))
    return out
