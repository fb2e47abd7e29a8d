"""The ONNX query path: same vectors as PyTorch, exported once, and PyTorch whenever it cannot serve.

ONNX runs in fp32. Vectors are compared like with like: against PyTorch forced to fp32 (whatever this
CPU would pick), and, for the self-check, against what the documents are embedded with, bf16 included.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from archive.errors import ConfigError
from archive.models import onnxquery
from archive.models.embedding import SentenceTransformerEmbedder
from archive.settings import BUNDLED_MODEL

pytestmark = pytest.mark.slow

TEXTS = [
    "Who said 20,000 soldiers a month?",
    "coalition of the willing",
    "Zelensky",
    "The central bank raised rates by 0.75 percentage points on Wednesday, its third increase this year. " * 12,
]


def embedder(real_embedder, tmp_path, mode: str = "auto", precision: str = "fp32") -> SentenceTransformerEmbedder:
    """A fresh embedder sharing the already loaded model, caching its export under tmp_path."""
    e = SentenceTransformerEmbedder(BUNDLED_MODEL, query_encoder=mode, model_cache=tmp_path / "models",
                                    precision=precision)
    e._model, e.dim = real_embedder._load(), real_embedder.dim
    return e


def fp32_documents(real_embedder, tmp_path, texts: list[str]) -> np.ndarray:
    return embedder(real_embedder, tmp_path, "torch", "fp32").embed_documents(texts)


def test_onnx_queries_match_pytorch(real_embedder, tmp_path):
    fast = embedder(real_embedder, tmp_path, "onnx")
    slow = embedder(real_embedder, tmp_path, "torch")
    got = np.stack([fast.embed_query(t) for t in TEXTS])
    want = np.stack([slow.embed_query(t) for t in TEXTS])
    assert isinstance(fast._onnx, onnxquery.OnnxQueryEncoder)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert np.abs(got - want).max() < 1e-5  # the long text also checks truncation at max_seq_length
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_export_is_cached_and_reused(real_embedder, tmp_path, monkeypatch):
    embedder(real_embedder, tmp_path).embed_query("first")
    files = list((tmp_path / "models").glob("*.onnx"))
    assert len(files) == 1 and not list((tmp_path / "models").glob("*.tmp"))

    def no_export(*args):
        raise AssertionError("exported again although the cached graph was fine")

    monkeypatch.setattr(onnxquery, "_export", no_export)
    again = embedder(real_embedder, tmp_path)
    again.embed_query("second")
    assert isinstance(again._onnx, onnxquery.OnnxQueryEncoder)


def test_damaged_cache_is_exported_again(real_embedder, tmp_path):
    embedder(real_embedder, tmp_path).embed_query("first")
    (cached,) = (tmp_path / "models").glob("*.onnx")
    cached.write_bytes(b"not an onnx graph")
    e = embedder(real_embedder, tmp_path)
    vector = e.embed_query("coalition of the willing")
    assert isinstance(e._onnx, onnxquery.OnnxQueryEncoder)
    assert cached.stat().st_size > 1_000_000
    assert float(vector @ fp32_documents(real_embedder, tmp_path, ["coalition of the willing"])[0]) > 0.99999


def test_auto_falls_back_to_pytorch_when_vectors_disagree(real_embedder, tmp_path, monkeypatch):
    monkeypatch.setattr(onnxquery, "TOLERANCE", {"fp32": -1.0, "bf16": -1.0})  # closer than identical: never
    e = embedder(real_embedder, tmp_path)
    vector = e.embed_query("Zelensky")
    assert e._onnx is False
    assert np.allclose(vector, fp32_documents(real_embedder, tmp_path, ["Zelensky"])[0], atol=1e-6)
    with pytest.raises(ConfigError, match="differ from PyTorch"):
        embedder(real_embedder, tmp_path, "onnx").embed_query("Zelensky")


def test_missing_onnxruntime_means_pytorch(real_embedder, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    e = embedder(real_embedder, tmp_path)
    assert e.embed_query("Zelensky").shape == (real_embedder.dim,)
    assert e._onnx is False
    assert not (tmp_path / "models").exists()
    with pytest.raises(ConfigError, match="onnxruntime is not installed"):
        embedder(real_embedder, tmp_path, "onnx").embed_query("Zelensky")


def test_unusual_pooling_is_refused(real_embedder, tmp_path, monkeypatch):
    pooling = real_embedder._load()[1]
    monkeypatch.setattr(pooling, "pooling_mode", "cls", raising=False)
    monkeypatch.setattr(pooling, "pooling_mode_mean_tokens", False, raising=False)
    with pytest.raises(onnxquery.OnnxUnavailable, match="not mean"):
        onnxquery.OnnxQueryEncoder(real_embedder._load(), tmp_path / "models")


def test_short_texts_in_batches_match_pytorch(real_embedder, tmp_path):
    fast = embedder(real_embedder, tmp_path, "onnx")
    texts = [t[:300] for t in TEXTS] * 5 + ["x"]  # mixed lengths: batches are padded and put back in order
    got = fast.embed_queries(texts)
    want = fp32_documents(real_embedder, tmp_path, texts)
    assert got.shape == want.shape and np.abs(got - want).max() < 1e-5
    assert fast.embed_queries([]).shape[0] == 0


def test_bf16_documents_are_met_by_onnx_queries_within_the_bf16_tolerance(real_embedder, tmp_path):
    """bfloat16 autocast (forced, so this runs on any CPU) moves document vectors; ONNX queries still meet them."""
    e = embedder(real_embedder, tmp_path, "onnx", "bf16")
    queries = np.stack([e.embed_query(t) for t in TEXTS])
    documents = e.embed_documents(TEXTS)
    assert isinstance(e._onnx, onnxquery.OnnxQueryEncoder)
    assert (1.0 - (queries * documents).sum(axis=1)).max() <= onnxquery.TOLERANCE["bf16"]


def test_self_check_compares_against_the_document_encoder_not_fp32(real_embedder, tmp_path, monkeypatch):
    """Documents embedded by an encoder the ONNX graph does not reproduce: ONNX must not serve queries,
    although it equals fp32 PyTorch exactly."""
    e = embedder(real_embedder, tmp_path, "auto", "fp32")
    original = e.embed_documents
    rng = np.random.default_rng(0)

    def drifted(texts):
        vectors = original(texts) + rng.normal(0, 0.01, (len(texts), e.dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    monkeypatch.setattr(e, "embed_documents", drifted)
    e.embed_query("Zelensky")
    assert e._onnx is False
    strict = embedder(real_embedder, tmp_path, "onnx", "fp32")
    monkeypatch.setattr(strict, "embed_documents", drifted)
    with pytest.raises(ConfigError, match=r"differ from PyTorch's \(fp32"):
        strict.embed_query("Zelensky")


def assert_threads_agree_with_one(embed_one, embed_many, batch_kinds: int, calls: int) -> None:
    """``calls`` calls on 8 threads, single texts and batches mixed, each giving what one thread gives."""
    from concurrent.futures import ThreadPoolExecutor

    batches = [TEXTS[: n % len(TEXTS) + 1] for n in range(batch_kinds)]
    want_one = {t: embed_one(t) for t in TEXTS}
    want_many = [embed_many(b) for b in batches]

    def call(n: int):
        return embed_one(TEXTS[n % len(TEXTS)]) if n % 2 else embed_many(batches[n % len(batches)])

    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(call, range(calls)))
    for n, vectors in enumerate(got):
        want = want_one[TEXTS[n % len(TEXTS)]] if n % 2 else want_many[n % len(batches)]
        assert vectors.shape == want.shape and np.abs(vectors - want).max() < 1e-5


def test_queries_and_batches_from_many_threads_give_the_vectors_one_thread_gives(real_embedder, tmp_path):
    """Searches embed one unpadded query while answers embed padded batches, on threads of one app. The
    encoder tokenizes with its own copy of the tokenizer, one thread at a time: a shared fast tokenizer's
    padding settings once leaked between threads and gave ragged rows (seen under bench/load.py)."""
    encoder = embedder(real_embedder, tmp_path, "onnx")._query_encoder()
    assert encoder._tokenizer._tokenizer is not real_embedder._load().tokenizer, "a private tokenizer"
    assert_threads_agree_with_one(encoder.embed, encoder.embed_many, batch_kinds=24, calls=400)


def test_the_pytorch_path_from_many_threads_gives_the_vectors_one_thread_gives(real_embedder, tmp_path):
    """Where ONNX cannot serve, queries and answers' batches both go through sentence-transformers on
    threads of one app. Its tokenizer is shared, but every call pads and truncates alike, so no call
    changes the settings another reads: the same vectors as one thread, for one text or a batch."""
    torch_only = embedder(real_embedder, tmp_path, "torch", "fp32")
    assert_threads_agree_with_one(torch_only.embed_query, torch_only.embed_documents, batch_kinds=8, calls=200)
