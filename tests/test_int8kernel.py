"""The int8 products both int8 paths rely on: exact on every x86 CPU within ±64, and refused where they are not.

Which instructions the kernel uses depends on the CPU: with VNNI (``avx512_vnni``, ``avx_vnni``) four
products are summed straight into int32; without it (AVX2 only, or AVX-512 without VNNI) ``vpmaddubsw``
sums pairs into a saturating int16. The real kernel is checked on whatever CPU runs the suite, and the
branch that CPU does not take is exercised through a numpy emulation of the saturating instruction pair,
so both branches are checked everywhere.
"""

from __future__ import annotations

import numpy as np
import pytest

from archive.models import int8kernel, precision
from archive.models.cpu import cpu_info
from archive.storage import vectorscan
from archive.storage.vectorscan import ExactScan, QuantizedScan, vector_index


def saturating_product(unsigned: np.ndarray, signed: np.ndarray) -> np.ndarray:
    """What AVX2's ``vpmaddubsw`` then ``vpmaddwd`` compute: u8 x s8 products summed in pairs into a saturating
    int16, then the pairs summed exactly into int32."""
    b = signed.reshape(-1, 1) if signed.ndim == 1 else signed
    products = unsigned.astype(np.int64)[:, :, None] * b.astype(np.int64)[None, :, :]
    if products.shape[1] % 2:
        products = np.concatenate([products, np.zeros_like(products[:, :1])], axis=1)
    pairs = np.clip(products[:, 0::2] + products[:, 1::2], -32768, 32767)
    out = pairs.sum(axis=1).astype(np.int32)
    return out.reshape(-1) if signed.ndim == 1 else out


def _cpu_flags() -> frozenset[str]:
    info = cpu_info()
    return info.flags if info else frozenset()


@pytest.fixture
def fresh_check():
    int8kernel.check.cache_clear()
    yield
    int8kernel.check.cache_clear()


def test_the_reduced_range_cannot_saturate_a_pair_sum():
    """The design's arithmetic: the largest pair sum of u8 x s8 within ±SIGNED_MAX fits in int16; ±127 does not."""
    assert 2 * 255 * int8kernel.SIGNED_MAX <= 32767 < 2 * 255 * 127
    for inner, columns in int8kernel.SHAPES:
        a, b = int8kernel.probe_operands(int8kernel.SIGNED_MAX, inner, columns)
        assert np.array_equal(saturating_product(a, b), a.astype(np.int64) @ b.astype(np.int64))
        a, b = int8kernel.probe_operands(127, inner, columns)
        assert not np.array_equal(saturating_product(a, b), a.astype(np.int64) @ b.astype(np.int64))


@pytest.mark.skipif(not _cpu_flags() & {"avx2", "avx512f"}, reason="an x86 CPU: onnxruntime's MLAS kernels")
def test_the_real_kernel_is_exact_here_and_saturates_at_full_range_only_without_vnni(fresh_check):
    found = int8kernel.check()
    assert found.exact, found.reason
    has_vnni = bool(_cpu_flags() & {"avx512_vnni", "avx_vnni", "amx_int8"})
    assert found.full_range_exact == has_vnni  # the cause named in the module docstring, on this CPU's branch
    assert ("no VNNI" in found.describe()) != has_vnni


def test_a_saturating_kernel_is_refused_and_every_scan_is_float32(fresh_check, monkeypatch):
    """The other branch: a kernel that saturates within the range used is caught by the probe, never served."""
    monkeypatch.setattr(int8kernel, "SIGNED_MAX", 127)  # as the range was before: full 8-bit queries
    monkeypatch.setattr(int8kernel, "product", saturating_product)
    monkeypatch.setattr(vectorscan, "QUANTIZED_ROWS", 500)
    found = int8kernel.check()
    assert not found.exact and "not exact" in found.reason
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((2000, 48)).astype(np.float32)
    assert isinstance(vector_index(vectors), ExactScan)
    assert vectorscan.scan_path().startswith("float32 at every size")
    assert precision.kernel_fault("int8") == found.reason and precision.kernel_fault("bf16") == ""
    same = lambda texts: np.eye(len(texts), 32, dtype=np.float32)  # noqa: E731 - vectors whose cosines all pass
    choice = precision.choose("int8", {"fp32": lambda: same, "int8": lambda: same})
    assert choice.precision == "fp32" and "not exact" in choice.fidelity["int8"]["reason"]  # the probe refuses int8


def test_an_exact_kernel_is_used_for_large_archives(fresh_check, monkeypatch):
    monkeypatch.setattr(int8kernel, "product", saturating_product)  # exact within ±64, as on an AVX2 CPU
    monkeypatch.setattr(vectorscan, "QUANTIZED_ROWS", 500)
    rng = np.random.default_rng(4)
    vectors = rng.standard_normal((2000, 48)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = vector_index(vectors)
    assert isinstance(index, QuantizedScan) and vectorscan.scan_path().startswith("int8 first")
    for query in vectors[:20] + 0.01:
        positions, _ = index.top(query, 10, None)
        assert list(positions) == list(np.argsort(-(vectors.astype(np.float64) @ query), kind="stable")[:10])


def test_a_kernel_that_cannot_run_is_refused_with_the_reason(fresh_check, monkeypatch):
    def broken(a, b):
        raise RuntimeError("no CPU provider")

    monkeypatch.setattr(int8kernel, "product", broken)
    found = int8kernel.check()
    assert not found.exact and "no CPU provider" in found.reason and "not used" in found.describe()


def test_the_fidelity_check_rejects_an_int8_encoder_whose_kernel_is_not_exact():
    same = lambda texts: np.eye(len(texts), 32, dtype=np.float32)  # noqa: E731 - identical vectors: cosines pass
    assert precision.fidelity(same, same).ok
    check = precision.fidelity(same, same, kernel="its products are not exact within ±64 on this CPU")
    assert not check.ok and "not exact" in check.reason
