"""onnxruntime's integer matrix product, in operand ranges that are exact on every x86 CPU, checked at startup.

Both int8 paths of the archive (the vector scan in ``archive/storage/vectorscan.py`` and the int8 document
encoder in ``int8encoder.py``) multiply unsigned 8-bit values by signed 8-bit ones. With VNNI
(``avx512_vnni``, ``avx_vnni``, AMX) the CPU sums four such products straight into 32 bits. Without it,
onnxruntime's AVX2 kernel uses ``vpmaddubsw``: two products summed into a *saturating* signed 16-bit value.
With full-range operands, 255 x 127 x 2 = 64,770 > 32,767: large scores are silently clipped, and a result
that was promised exact is not.

So the signed operand is kept within ``SIGNED_MAX`` = 64: 2 x 255 x 64 = 32,640 fits in 16 bits, and the
product is exact whether the CPU has VNNI or not (onnxruntime's quantiser calls this ``reduce_range``).
``check()`` does not take that on trust: once per process it multiplies probe operands at the extremes of
those ranges (and random ones) and compares with numpy's int64 product. A path whose kernel is not exact is
not used; the float32 path serves instead, and the reason is logged and shown by ``python -m archive stats``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import cache

import numpy as np

from archive.models.cpu import VNNI, cpu_info

log = logging.getLogger(__name__)

SIGNED_MAX = 64  # |signed operand| <= this keeps a vpmaddubsw pair sum within int16: 2 * 255 * 64 = 32,640
# probe shapes (inner dimension, columns): a scan's one query column of 384, and products as wide as the
# encoder's feed-forward (1536) with several columns; kernels differ by shape, so each is checked
SHAPES = ((384, 1), (1536, 4), (1000, 3))

_session = None
_session_lock = threading.Lock()


@dataclass(frozen=True)
class KernelCheck:
    """Whether uint8 x int8 products come out exact here, in the reduced range and in the full 8-bit one."""

    exact: bool  # within SIGNED_MAX: what the archive's int8 paths use
    full_range_exact: bool  # with signed values up to 127 (true with VNNI; false where pair sums saturate)
    reason: str = ""  # why the kernel is not used ("" when exact)
    instructions: str = ""  # the CPU's integer dot-product instructions, as /proc/cpuinfo names them

    def describe(self) -> str:
        """One line for logs and ``stats``."""
        if not self.exact:
            return f"int8 kernel not used: {self.reason}"
        full = "the full 8-bit range is exact too" if self.full_range_exact else "the full 8-bit range saturates"
        return f"int8 kernel exact within ±{SIGNED_MAX} ({self.instructions or 'no VNNI'}: {full})"


def product(unsigned: np.ndarray, signed: np.ndarray) -> np.ndarray:
    """``unsigned (rows, dim) uint8 @ signed (dim,) or (dim, cols) int8`` in int32, by onnxruntime."""
    column = signed.ndim == 1
    b = signed.reshape(-1, 1) if column else signed
    out = _int8_session().run(None, {"A": np.ascontiguousarray(unsigned), "B": np.ascontiguousarray(b)})[0]
    return out.reshape(-1) if column else out


@cache
def check() -> KernelCheck:
    """The probe, run once per process (see the module docstring)."""
    instructions = _dot_instructions()
    try:
        exact = _exact_within(SIGNED_MAX)
        full = _exact_within(127)
    except Exception as e:  # noqa: BLE001 - a kernel that cannot run is not used; float32 serves
        found = KernelCheck(False, False, f"onnxruntime's MatMulInteger could not run ({type(e).__name__}: {e})",
                            instructions)
    else:
        reason = "" if exact else f"its products are not exact within ±{SIGNED_MAX} on this CPU"
        found = KernelCheck(exact, full, reason, instructions)
    (log.info if found.exact else log.warning)("%s", found.describe())
    return found


def probe_operands(signed_max: int, inner: int, columns: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Operands that reach the extremes: rows of 255 and of 0 against columns of ±signed_max, and random ones."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (16, inner)).astype(np.uint8)
    a[0], a[1], a[2, ::2], a[2, 1::2] = 255, 0, 255, 0
    b = rng.integers(-signed_max, signed_max + 1, (inner, columns)).astype(np.int8)
    b[:, 0] = signed_max  # against the row of 255s: every pair sum at its largest
    if columns > 1:
        b[::2, -1], b[1::2, -1] = -signed_max, signed_max
    if columns > 2:
        b[:, 1] = -signed_max
    return a, b


def _exact_within(signed_max: int) -> bool:
    for inner, columns in SHAPES:
        a, b = probe_operands(signed_max, inner, columns)
        want = a.astype(np.int64) @ b.astype(np.int64)
        if not np.array_equal(product(a, b).astype(np.int64), want):
            return False
    return True


def _dot_instructions() -> str:
    info = cpu_info()
    return ", ".join(info.has_any(VNNI)) if info else ""


def _int8_session():
    """A one-node onnxruntime graph, uint8 (rows, dim) x int8 (dim, cols) -> int32; built once per process."""
    global _session
    with _session_lock:
        if _session is None:
            import onnxruntime as ort
            from onnx import TensorProto, helper

            graph = helper.make_graph(
                [helper.make_node("MatMulInteger", ["A", "B"], ["Y"])], "int8_product",
                [helper.make_tensor_value_info("A", TensorProto.UINT8, [None, None]),
                 helper.make_tensor_value_info("B", TensorProto.INT8, [None, None])],
                [helper.make_tensor_value_info("Y", TensorProto.INT32, [None, None])],
            )
            model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
            model.ir_version = 8
            options = ort.SessionOptions()
            options.intra_op_num_threads = 2
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # the cores are shared
            _session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        return _session
