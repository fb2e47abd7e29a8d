"""A faster path for one query: the embedding model exported to ONNX and run by onnxruntime.

A search embeds one short text. PyTorch spends most of that time in per-operator overhead, not in
arithmetic: onnxruntime runs the same graph about twice as fast on one thread (measured on the dev
questions: p50 12 ms against 27 ms). The vectors are the same vectors (largest difference ~1e-7), so
queries still meet documents embedded by PyTorch at ingest. Batches of documents gain nothing from this
fp32 graph (the arithmetic dominates there); its int8 quantisation (archive/models/int8encoder.py) is a
document encoder that ``embedding_precision`` may choose.

The graph is exported once per model and cached on disk (``model_cache`` setting); every load checks
it on a few probe texts against the vectors of the encoder the documents are embedded with (PyTorch in
fp32, or under bfloat16 autocast on CPUs that have it), within the tolerance of that encoder's
precision. Any mismatch, missing package or unusual model (pooling other than mean, say) falls back to
PyTorch with a logged reason.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import logging
import os
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

PROBES = (
    "Which country's prime minister resigned this week?",
    "20,000 soldiers a month",
    "Stocks fell sharply on Tuesday after the central bank raised interest rates by half a point, "
    "the largest increase since 2000.",
)
# 1 - cosine allowed between an ONNX query vector and the document encoder's vector of the same text, by
# the document encoder's precision. fp32: the same arithmetic (measured 1.6e-7 largest difference). bf16:
# autocast rounds activations, measured 2.4e-5 on the probes; 1e-4 is the "0.9999 cosine" the setting promises.
# int8: documents quantised to int8 (archive/models/int8encoder.py) sit within 0.99 cosine of fp32 (archive/models/precision.py).
TOLERANCE = {"fp32": 1e-6, "bf16": 1e-4, "int8": 1e-2}


class OnnxUnavailable(RuntimeError):
    """The ONNX path cannot serve this model; the caller uses PyTorch."""


@dataclass(frozen=True)
class GraphIO:
    """What running ``model``'s exported graph needs: onnxruntime, the tokenizer, its inputs and length."""

    runtime: Any
    tokenizer: Any
    inputs: list[str]
    max_length: int


def graph_io(model) -> GraphIO:
    """Checks that the ONNX path can serve ``model`` (onnx and onnxruntime installed, Transformer + mean
    pooling) and returns what running its graph needs; raises OnnxUnavailable otherwise."""
    try:
        import onnx  # noqa: F401  (the exporter and the quantiser need it)
        import onnxruntime
    except ImportError as e:
        raise OnnxUnavailable(f"{e.name} is not installed") from e
    _mean_pooling_only(model)
    # A private copy of the tokenizer: a fast tokenizer keeps its padding and truncation settings in one
    # shared Rust object, so two threads tokenizing with different settings (a query unpadded, a batch
    # padded, PyTorch's own encode) could get ragged rows ("setting an array element with a sequence").
    return GraphIO(onnxruntime, LockedTokenizer(copy.deepcopy(model.tokenizer)), graph_inputs(model),
                   int(getattr(model, "max_seq_length", 0) or 512))


class LockedTokenizer:
    """A tokenizer that one thread uses at a time (tokenizing is cheap; the graph runs in parallel)."""

    def __init__(self, tokenizer: Any):
        self._tokenizer = tokenizer
        self._lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return self._tokenizer(*args, **kwargs)


def _mean_pooling_only(model) -> None:
    """Refuses models whose pipeline is not Transformer -> mean Pooling (-> Normalize)."""
    kinds = [type(module).__name__ for module in model]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k not in ("Normalize",) for k in kinds[2:]):
        raise OnnxUnavailable(f"model pipeline {kinds} is not Transformer + mean Pooling")
    pooling = model[1]
    mode = getattr(pooling, "pooling_mode", None) or (
        "mean" if getattr(pooling, "pooling_mode_mean_tokens", False) else "other"
    )
    if mode != "mean":
        raise OnnxUnavailable(f"pooling mode {mode!r} is not mean")
    if getattr(model, "prompts", None) and getattr(model, "default_prompt_name", None):
        raise OnnxUnavailable("the model adds a default prompt")


def _cache_key(model) -> str:
    """Changes when the weights, the library versions or this module's export recipe change."""
    import torch

    parts = [type(model[0].auto_model).__name__, torch.__version__, "recipe-1"]
    folder = getattr(model[0].auto_model, "name_or_path", "") or ""
    source = Path(folder)
    if source.is_dir():
        for file in sorted(source.rglob("*")):
            if file.is_file():
                stat = file.stat()
                parts.append(f"{file.relative_to(source)}:{stat.st_size}:{int(stat.st_mtime)}")
    else:
        parts.append(folder)
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]


def _export(model, inputs: list[str], target: Path) -> None:
    import torch

    transformer = model[0].auto_model.eval()

    class Graph(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
            return self.transformer(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state

    sample = model.tokenizer(["an example query"], return_tensors="pt")

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".onnx.tmp")
    os.close(fd)
    try:
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on Python control flow it froze
            torch.onnx.export(
                Graph(),
                tuple(sample[name] for name in inputs),
                tmp,
                input_names=inputs,
                output_names=["tokens"],
                dynamic_axes={name: {0: "batch", 1: "length"} for name in [*inputs, "tokens"]},
                opset_version=17,
                dynamo=False,
            )
        os.replace(tmp, target)  # another process exporting the same model writes the same bytes
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class OnnxQueryEncoder:
    """Embeds one text at a time with onnxruntime, as the sentence-transformers ``model`` would."""

    def __init__(self, model, cache_dir: Path, reference: np.ndarray | None = None, precision: str = "fp32"):
        """``reference``: the document encoder's vectors of ``PROBES`` (fp32 PyTorch when not given), of
        ``precision``, the tolerance the check applies."""
        io = graph_io(model)
        onnxruntime = io.runtime
        self._tokenizer, self._max_length, self._inputs = io.tokenizer, io.max_length, io.inputs
        path = export_path(model, cache_dir)
        try:
            self._session = open_session(model, self._inputs, path, threads=1)
            # batches of sentences (a reranker's, an answer's) are worth both cores
            self._batch_session = onnxruntime.InferenceSession(
                str(path), session_options(min(2, os.cpu_count() or 1)), providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # export and load raise many kinds; any of them means "use PyTorch"
            raise OnnxUnavailable(f"could not export or load the ONNX graph: {e}") from e
        self._check(model, reference, precision)

    def _check(self, model, reference: np.ndarray | None, precision: str) -> None:
        """Queries must meet documents where the document encoder puts them: compare like with like."""
        expected = reference if reference is not None else model.encode(
            list(PROBES), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        got = np.stack([self.embed(text) for text in PROBES])
        worst = float(1.0 - (got * np.asarray(expected, dtype=np.float32)).sum(axis=1).min())
        if not worst <= TOLERANCE[precision]:
            raise OnnxUnavailable(
                f"ONNX vectors differ from PyTorch's ({precision}, as documents are embedded) by 1 - cosine "
                f"{worst:.2g}, more than {TOLERANCE[precision]:.0e}"
            )

    def embed_many(self, texts: list[str], batch: int = 16) -> np.ndarray:
        """Several short texts (a reranker's sentences) on both cores, shortest first so padding stays small."""
        return embed_by_length(texts, batch, lambda part: self._pooled(self._batch_session, part))

    def embed(self, text: str) -> np.ndarray:
        return self._pooled(self._session, [text])[0]

    def _pooled(self, session, texts: list[str]) -> np.ndarray:
        return mean_pooled(session, self._tokenizer, self._inputs, self._max_length, texts)


def graph_inputs(model) -> list[str]:
    """The tokenizer outputs the model's forward takes, in the exported graph's order."""
    forward_args = inspect.signature(model[0].auto_model.forward).parameters
    given = model.tokenizer(["x"], return_tensors="np").keys()
    inputs = [name for name in ("input_ids", "attention_mask", "token_type_ids") if name in given and name in forward_args]
    if inputs[:2] != ["input_ids", "attention_mask"]:
        raise OnnxUnavailable(f"the tokenizer gives {sorted(given)}, not input_ids and attention_mask")
    return inputs


def export_path(model, cache_dir: Path) -> Path:
    """Where the fp32 export of ``model`` is cached."""
    return Path(cache_dir).expanduser() / f"{_cache_key(model)}.onnx"


def session_options(threads: int):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # idle threads yield the cores
    options.log_severity_level = 3
    return options


def open_session(model, inputs: list[str], path: Path, threads: int):
    """An onnxruntime session on the cached fp32 graph; exports it first when missing, and again when damaged."""
    import onnxruntime

    options = session_options(threads)
    if path.exists():
        try:
            return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001 - an unreadable cached graph is exported again
            log.warning("the cached ONNX graph %s is unreadable (%s); exporting it again", path, e)
    log.info("exporting the embedding model to %s (once)", path)
    _export(model, inputs, path)
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def embed_by_length(texts: list[str], batch: int, encode) -> np.ndarray:
    """``encode`` over batches of texts of similar length (so little padding is computed), in input order."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.empty((len(texts), 0), dtype=np.float32)
    for start in range(0, len(order), batch):
        rows = order[start : start + batch]
        vectors = encode([texts[i] for i in rows])
        if not out.shape[1]:
            out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
        out[rows] = vectors
    return out


def mean_pooled(session, tokenizer, inputs: list[str], max_length: int, texts: list[str]) -> np.ndarray:
    """Mean of the token vectors under the attention mask, normalised: sentence-transformers' pooling."""
    encoded = tokenizer(texts, return_tensors="np", truncation=True, max_length=max_length, padding=len(texts) > 1)
    feeds = {name: np.asarray(encoded[name], dtype=np.int64) for name in inputs}
    tokens = session.run(None, feeds)[0]
    mask = np.asarray(encoded["attention_mask"], dtype=np.float32)[..., None]
    vectors = (tokens * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1.0)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
