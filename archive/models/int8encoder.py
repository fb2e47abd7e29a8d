"""A document encoder in int8: the project's ONNX export of the model, quantised, run by onnxruntime.

``onnxruntime.quantization.quantize_dynamic`` turns the weights of the graph's matrix products into
int8 (one scale per output channel) and quantises their inputs on the fly. Not every product takes it
equally: the feed-forward output of each layer reads GELU activations with a few large outliers, and
quantising it moved 1000-character news chunks to 0.909 cosine of fp32 (per-tensor scales) or 0.989
(per-channel). With those six products kept in fp32 the same chunks stayed at 0.994-0.999 (mean
0.997), still about 1.5x faster than fp32 PyTorch on one core of this Xeon (measured contended).

The weights are quantised to ±64 (onnxruntime's ``reduce_range``), not ±127: activations are unsigned
8-bit, and on CPUs without VNNI onnxruntime sums pairs of products in saturating 16-bit arithmetic, which
full-range weights overflow (``archive/models/int8kernel.py``). In that range the graph computes the same
vectors on every x86 CPU; the fidelity check also refuses the encoder where the kernel's products are not
exact. Full-range weights had ranked two of five test passages out of fp32's order on an AVX2-only EPYC
(worst cosine 0.9915); with ±64 the order was fp32's (worst 0.9938).

Activations are quantised per batch (their range is measured on the fly), so a text's vector moves a
little with the texts it is batched with (cosine 0.99+ between the two), where PyTorch's stays put.

Whether it is used at all is decided by measurement and a fidelity check against fp32
(archive/models/precision.py). The quantised graph is cached next to the fp32 export, keyed by the same
weights and library versions plus this recipe.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from archive.models.int8kernel import SIGNED_MAX
from archive.models.onnxquery import (
    OnnxUnavailable,
    embed_by_length,
    export_path,
    graph_io,
    mean_pooled,
    open_session,
    session_options,
)

log = logging.getLogger(__name__)

RECIPE = "int8-r2"  # change when the quantisation below changes: a new file is made
BATCH = 32  # texts per session run, of similar length (shortest first)
KEPT_FP32 = "/output/dense/MatMul"  # each layer's feed-forward output (not attention/output/dense)


def quantised_path(model, cache_dir: Path) -> Path:
    """Where the int8 graph of ``model`` is cached."""
    fp32 = export_path(model, cache_dir)
    return fp32.with_name(f"{fp32.stem}.{RECIPE}.onnx")


def _kept_fp32(graph_path: Path) -> list[str]:
    import onnx

    graph = onnx.load(str(graph_path), load_external_data=False).graph
    return [n.name for n in graph.node if n.op_type == "MatMul" and n.name.endswith(KEPT_FP32) and "attention" not in n.name]


def quantise(fp32: Path, target: Path) -> None:
    """Writes the int8 graph of ``fp32`` to ``target`` atomically (another process may be writing the same)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".onnx.tmp")
    os.close(fd)
    quiet = logging.root.manager.disable
    logging.disable(logging.INFO)  # the quantiser notes every tensor it leaves alone on the root logger
    try:
        quantize_dynamic(str(fp32), tmp, weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
                         op_types_to_quantize=["MatMul"], nodes_to_exclude=_kept_fp32(fp32))
        os.replace(tmp, target)
    finally:
        logging.disable(quiet)
        if os.path.exists(tmp):
            os.unlink(tmp)


def widest_weight(graph_path: Path) -> int:
    """The largest |value| of the graph's int8 weights."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(graph_path)).graph
    found = [numpy_helper.to_array(t) for t in graph.initializer if t.data_type == onnx.TensorProto.INT8]
    return max((int(np.abs(w.astype(np.int16)).max()) for w in found if w.size), default=0)


class Int8Encoder:
    """Embeds documents with the int8 graph, batched by length; the same pooling as sentence-transformers."""

    def __init__(self, model, cache_dir: Path, threads: int):
        io = graph_io(model)
        onnxruntime = io.runtime
        self._tokenizer, self._max_length, self._inputs = io.tokenizer, io.max_length, io.inputs
        try:
            self._session = self._open(model, Path(cache_dir), onnxruntime, threads)
        except Exception as e:  # export, quantisation and load raise many kinds; any means "not int8"
            raise OnnxUnavailable(f"could not make or load the int8 graph: {e}") from e

    def _open(self, model, cache_dir: Path, onnxruntime, threads: int):
        target = quantised_path(model, cache_dir)
        if target.exists():
            try:
                return onnxruntime.InferenceSession(str(target), session_options(threads),
                                                    providers=["CPUExecutionProvider"])
            except Exception as e:  # noqa: BLE001 - an unreadable cached graph is made again
                log.warning("the cached int8 graph %s is unreadable (%s); quantising again", target, e)
        fp32 = export_path(model, cache_dir)
        open_session(model, self._inputs, fp32, threads=1)  # exports (or repairs) the fp32 graph
        log.info("quantising the embedding model to int8 in %s (once)", target)
        quantise(fp32, target)
        widest = widest_weight(target)
        if widest > SIGNED_MAX:  # the kernel is exact on every CPU only within this range
            target.unlink()
            raise OnnxUnavailable(f"the quantised weights reach {widest}, beyond ±{SIGNED_MAX}")
        return onnxruntime.InferenceSession(str(target), session_options(threads), providers=["CPUExecutionProvider"])

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return embed_by_length(texts, BATCH, self._pooled)

    def _pooled(self, texts: list[str]) -> np.ndarray:
        return mean_pooled(self._session, self._tokenizer, self._inputs, self._max_length, texts)
