"""The real int8 document encoder: the same MiniLM weights quantised, close to fp32 and ranking alike.

Nothing here depends on bfloat16: fp32 is forced as the reference, so this runs on any CPU. Nor on VNNI:
the weights are quantised to ±64, where the integer products are exact with or without it, so the
ranking test holds on every x86 CPU (tests/test_int8kernel.py checks the kernel itself, on both branches).
"""

from __future__ import annotations

import numpy as np
import pytest

from archive.models import onnxquery, precision
from archive.models.embedding import SentenceTransformerEmbedder
from archive.models.int8encoder import Int8Encoder, quantised_path, widest_weight
from archive.models.int8kernel import SIGNED_MAX
from archive.settings import BUNDLED_MODEL

pytestmark = pytest.mark.slow

PASSAGES = [
    "The lottery winner said the feel-good moment came when she paid off her parents' mortgage.",
    "Heavy rain flooded the valley overnight and the river burst its banks near the old mill.",
    "The central bank raised interest rates by half a point to fight inflation. " * 10,  # long: truncation
    "Scientists photographed distant galaxies with the new space telescope.",
    "The striker scored twice as the club won the cup final in extra time.",
]
QUERIES = ["feel good story", "flooding river", "interest rate rise", "telescope images", "football final"]


@pytest.fixture(scope="module")
def fp32(real_embedder):
    e = SentenceTransformerEmbedder(BUNDLED_MODEL, precision="fp32")
    e._model, e.dim = real_embedder._load(), real_embedder.dim
    return e


@pytest.fixture(scope="module")
def int8_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def int8(real_embedder, int8_folder):
    return Int8Encoder(real_embedder._load(), int8_folder, threads=1)


def test_int8_vectors_agree_with_fp32_and_rank_alike(fp32, int8):
    want, got = fp32.embed_documents(PASSAGES + QUERIES), int8.embed_documents(PASSAGES + QUERIES)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert (want * got).sum(axis=1).min() > 0.99
    queries = want[len(PASSAGES):]  # queries embedded as searches embed them: fp32
    ranked_fp32 = np.argsort(-(queries @ want[: len(PASSAGES)].T), axis=1)
    ranked_int8 = np.argsort(-(queries @ got[: len(PASSAGES)].T), axis=1)
    # the best two alike; below them fp32's own scores differ by less than int8 moves them (0.067 vs 0.066)
    assert (ranked_int8[:, :2] == ranked_fp32[:, :2]).all()
    assert list(ranked_int8[:, 0]) == [0, 1, 2, 3, 4]


def test_the_quantised_weights_stay_within_the_range_the_kernel_is_exact_in(real_embedder, int8, int8_folder):
    """Within ±64 a pair of u8 x s8 products cannot saturate on a CPU without VNNI (archive/models/int8kernel.py);
    full-range weights reached 127 and ranked two test passages out of fp32's order on an AVX2-only CPU."""
    assert 0 < widest_weight(quantised_path(real_embedder._load(), int8_folder)) <= SIGNED_MAX


def test_int8_passes_the_fidelity_check_on_the_probe_set(fp32, int8):
    check = precision.fidelity(fp32.embed_documents, int8.embed_documents)
    assert check.ok, check.reason
    assert check.worst_cosine > 0.99 and check.same_first and check.top10 >= 0.9


def test_the_quantised_graph_is_cached_and_order_is_kept(real_embedder, tmp_path, int8):
    model = real_embedder._load()
    first = Int8Encoder(model, tmp_path, threads=1)
    path = quantised_path(model, tmp_path)
    stamp = path.stat().st_mtime_ns
    Int8Encoder(model, tmp_path, threads=1)
    assert path.stat().st_mtime_ns == stamp and not list(tmp_path.glob("*.tmp"))
    texts = ["x", PASSAGES[2], "a b c", PASSAGES[0]]  # lengths out of order: batches sorted, rows put back
    together, alone = first.embed_documents(texts), np.stack([first.embed_documents([t])[0] for t in texts])
    # activations are quantised per batch, so a text's vector moves a little with its batch-mates (most for a
    # one-word text beside a long one): close, not equal, and each row is its own text's
    assert (together * alone).sum(axis=1).min() > 0.97
    assert list((together @ alone.T).argmax(axis=1)) == [0, 1, 2, 3]


def test_an_int8_embedder_meets_its_onnx_queries_within_the_int8_tolerance(real_embedder, tmp_path):
    e = SentenceTransformerEmbedder(BUNDLED_MODEL, precision="int8", query_encoder="onnx", model_cache=tmp_path)
    documents = e.embed_documents(QUERIES)
    assert e.precision == "int8" and e.dimension() == real_embedder.dim
    queries = np.stack([e.embed_query(q) for q in QUERIES])
    assert isinstance(e._onnx, onnxquery.OnnxQueryEncoder)
    assert (1.0 - (queries * documents).sum(axis=1)).max() <= onnxquery.TOLERANCE["int8"]
