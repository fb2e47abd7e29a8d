"""Choosing the document encoder: the fastest that passes the fidelity check, fp32 otherwise, remembered.

Timings and encoders are fakes here (a clock that advances by what each encoder "costs"), so these run
the same on CPUs with and without bfloat16; tests/test_int8encoder.py checks the real int8 graph.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from archive.models import precision
from archive.models.embedding import SentenceTransformerEmbedder
from archive.settings import BUNDLED_MODEL
from tests.fakes import HashingEmbedder


class Clock:
    """A perf_counter stand-in that moves only when a fake encoder runs."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def encoder(clock: Clock, seconds: float, noise: float = 0.0):
    """A builder of a fake encoder: HashingEmbedder's vectors (plus ``noise``), costing ``seconds`` a call."""
    base, rng = HashingEmbedder(dim=256), np.random.default_rng(0)

    def encode(texts: list[str]) -> np.ndarray:
        clock.now += seconds
        vectors = base.embed_documents(texts) + rng.normal(0, noise, (len(texts), base.dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    return lambda: encode


def offered(clock: Clock, **candidates: tuple[float, float]) -> dict:
    """fp32 (4 s a call, exact) plus the named candidates as (seconds a call, noise)."""
    return {"fp32": encoder(clock, 4.0), **{name: encoder(clock, s, n) for name, (s, n) in candidates.items()}}


def test_auto_takes_the_fastest_candidate_that_passes():
    clock = Clock()
    choice = precision.choose("auto", offered(clock, bf16=(2.0, 0.0), int8=(1.0, 0.0)), clock)
    assert choice.precision == "int8"
    assert choice.speeds["int8"] > choice.speeds["bf16"] > choice.speeds["fp32"]
    assert choice.fidelity["int8"]["reason"] == "" and choice.fidelity["int8"]["top10"] == 1.0


def test_auto_keeps_fp32_when_it_is_fastest():
    clock = Clock()
    assert precision.choose("auto", offered(clock, int8=(8.0, 0.0)), clock).precision == "fp32"


def test_a_fast_candidate_that_fails_the_fidelity_check_is_not_used(caplog):
    clock = Clock()
    with caplog.at_level(logging.WARNING, logger="archive.models.precision"):
        choice = precision.choose("auto", offered(clock, bf16=(2.0, 0.0), int8=(0.5, 0.2)), clock)
    assert choice.precision == "bf16" and "int8" not in choice.speeds
    assert "below 0.99" in choice.fidelity["int8"]["reason"]
    assert "int8 failed its fidelity check against fp32" in caplog.text


def test_an_explicit_int8_that_fails_the_check_falls_back_to_fp32_with_the_reason(caplog):
    clock = Clock()
    with caplog.at_level(logging.WARNING, logger="archive.models.precision"):
        choice = precision.choose("int8", offered(clock, int8=(0.5, 0.2)), clock)
    assert choice.precision == "fp32" and not choice.speeds  # an explicit choice is checked, not timed
    assert "cosine" in caplog.text and "it is not used" in caplog.text


def test_a_candidate_that_cannot_be_built_is_skipped_with_its_reason():
    clock = Clock()

    def broken():
        raise RuntimeError("onnxruntime is not installed")

    choice = precision.choose("auto", {**offered(clock, bf16=(2.0, 0.0)), "int8": broken}, clock)
    assert choice.precision == "bf16" and "onnxruntime is not installed" in choice.unavailable["int8"]
    assert precision.choose("bf16", offered(clock), clock).precision == "fp32"  # not offered: fp32


@pytest.mark.parametrize(("worst", "top10", "same_first", "fails"), [
    (0.995, 1.0, True, ""), (0.985, 1.0, True, "cosine"), (0.995, 0.85, True, "top-10"),
    (0.995, 1.0, False, "best passage"),
])
def test_the_fidelity_verdict(worst, top10, same_first, fails):
    reason = precision._failure(worst, top10, same_first)
    assert (fails in reason and reason) if fails else reason == ""


def test_an_encoder_identical_to_fp32_passes_the_check():
    check = precision.fidelity(encoder(Clock(), 0)(), encoder(Clock(), 0)())
    assert check.ok and check.worst_cosine > 0.9999 and len(precision.QUERIES) >= 8


def test_speed_is_the_best_of_rounds_that_take_turns():
    """Load from elsewhere during the first round (every call slow) decides nothing: the best round counts."""
    clock, order = Clock(), []

    def costing(name: str, costs: list[float]):
        costs = iter(costs)

        def encode(texts):
            order.append(name)
            clock.now += next(costs)
        return encode

    found = precision.speeds({"fp32": costing("fp32", [9.0, 4.0, 5.0]), "int8": costing("int8", [9.0, 2.0, 2.5])},
                             ["a"] * 10, clock)
    assert found == {"fp32": pytest.approx(2.5), "int8": pytest.approx(5.0)}
    assert order == ["fp32", "int8"] * precision.ROUNDS


def test_choices_are_remembered_and_a_damaged_file_is_ignored(tmp_path):
    cache = precision.ChoiceCache(tmp_path)
    assert cache.get("k") is None
    cache.put("k", precision.Choice("int8", {"int8": 3.0}))
    assert cache.get("k").precision == "int8" and cache.get("other") is None
    cache.path.write_text("{not json", encoding="utf-8")
    assert cache.get("k") is None
    cache.put("k", precision.Choice("bf16"))
    assert precision.ChoiceCache(tmp_path).get("k").precision == "bf16"


def test_the_machine_key_changes_with_what_the_choice_depends_on():
    keys = {precision.machine_key("auto", "model-a", 2), precision.machine_key("auto", "model-b", 2),
            precision.machine_key("auto", "model-a", 1), precision.machine_key("int8", "model-a", 2)}
    assert len(keys) == 4


class FakeModel:
    def get_embedding_dimension(self):
        return 8


def settled(monkeypatch, tmp_path, requested: str, has_bf16: bool, chosen: str) -> tuple[SentenceTransformerEmbedder, list]:
    """An embedder settling its precision with ``precision.choose`` faked to answer ``chosen``."""
    calls = []

    def choose(req, candidates, clock=None):
        calls.append((req, sorted(candidates)))
        return precision.Choice(chosen)

    monkeypatch.setattr(precision, "choose", choose)
    monkeypatch.setattr("archive.models.onnxquery._cache_key", lambda model: "fake-model")
    monkeypatch.setattr("archive.models.embedding.cpu_has_bf16", lambda: has_bf16)
    e = SentenceTransformerEmbedder(BUNDLED_MODEL, precision=requested, model_cache=tmp_path)
    return e, calls


@pytest.mark.parametrize(("has_bf16", "offered_names"), [(True, ["bf16", "fp32", "int8"]), (False, ["fp32", "int8"])])
def test_auto_offers_bf16_only_where_the_cpu_has_it_and_measures_once(monkeypatch, tmp_path, has_bf16, offered_names):
    e, calls = settled(monkeypatch, tmp_path, "auto", has_bf16, "bf16")
    assert e._settle_precision(FakeModel()) == "bf16"
    assert calls == [("auto", offered_names)]
    again, calls_again = settled(monkeypatch, tmp_path, "auto", has_bf16, "fp32")
    assert again._settle_precision(FakeModel()) == "bf16" and calls_again == []  # remembered, not measured


def test_a_remembered_int8_that_no_longer_loads_means_fp32(monkeypatch, tmp_path, caplog):
    e, _ = settled(monkeypatch, tmp_path, "int8", False, "int8")
    from archive.models.onnxquery import OnnxUnavailable

    def unavailable(model):
        raise OnnxUnavailable("onnxruntime is not installed")

    monkeypatch.setattr(e, "_make_int8", unavailable)
    with caplog.at_level(logging.WARNING, logger="archive.models.embedding"):
        assert e._settle_precision(FakeModel()) == "fp32"
    assert "embedded in fp32" in caplog.text


def test_fp32_is_never_measured(monkeypatch, tmp_path):
    e, calls = settled(monkeypatch, tmp_path, "fp32", True, "int8")
    assert e.precision == "fp32" and e.requested_precision == "fp32"
    assert not (tmp_path / precision.CACHE_FILE).exists() and calls == []
