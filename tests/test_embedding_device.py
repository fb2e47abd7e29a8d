"""Where the embedding model runs: a GPU when PyTorch sees one, else the CPU (CI has no GPU: the choice is
tested against what torch reports, and the CPU path runs in every other test)."""

from __future__ import annotations

import pytest

from archive import Settings
from archive.models.embedding import choose_device, make_embedder


@pytest.mark.parametrize(("cuda", "mps", "chosen"), [(True, False, "cuda"), (True, True, "cuda"),
                                                    (False, True, "mps"), (False, False, "cpu")])
def test_auto_takes_a_gpu_when_torch_sees_one(monkeypatch, cuda, mps, chosen):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert choose_device("auto") == chosen


@pytest.mark.parametrize("wanted", ["cpu", "cuda", "cuda:1", "mps"])
def test_a_named_device_is_taken_as_given(wanted):
    assert choose_device(wanted) == wanted


def test_the_setting_reaches_the_embedder_and_bad_names_are_refused(monkeypatch):
    monkeypatch.setenv("ARCHIVE_EMBEDDING_DEVICE", "cuda:0")
    assert make_embedder(Settings()).device == "cuda:0"
    monkeypatch.setenv("ARCHIVE_EMBEDDING_DEVICE", "gpu")
    with pytest.raises(ValueError):
        Settings()


def test_on_a_gpu_the_model_runs_in_fp32_with_torch_for_queries(monkeypatch):
    """bf16 autocast and the ONNX query encoder are CPU paths; the GPU's own speed needs neither."""
    import sentence_transformers

    loaded = {}

    class Model:
        def __init__(self, path, device):
            loaded["device"] = device

        def get_embedding_dimension(self):
            return 384

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", Model)
    embedder = make_embedder(Settings(embedding_device="cuda", embedding_precision="bf16", query_encoder="onnx"))
    embedder._load()
    assert loaded["device"] == "cuda" and embedder.precision == "fp32" and embedder.query_encoder == "torch"
