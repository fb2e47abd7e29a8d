"""Second-stage reranking of the fused candidates: a small protocol and a factory keyed by a setting.

No trained cross-encoder ships in a package (see MODELS.md), so the offline reranker uses the bundled
embedder at sentence level: a passage usually answers a question in one sentence, and a chunk vector
averages that sentence with its neighbours. Each candidate article is scored by its best sentence's
similarity to the query, and that ranking is fused with the first-stage ranking by reciprocal rank,
so neither signal needs a tuned weight. Only ``budget`` sentences are embedded in all, those sharing
the most words with the query (the sentence that answers a question nearly always repeats some of
its words), each candidate's best first: this CPU embeds ~2,400 tokens a second, and every sentence
of 30 passages cost ~2 s a query. ``cross-encoder:<name or path>`` scores (query, passage) pairs with
any sentence-transformers CrossEncoder a user configures.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from archive.errors import ConfigError
from archive.models.embedding import Embedder, embed_short
from archive.text.query import query_stems
from archive.text.sentences import sentence_spans
from archive.text.words import prefix_stems
from archive.types import SearchHit

MAX_SENTENCES_PER_HIT = 4  # the sentences sharing the most query words, per hit


class Reranker(Protocol):
    """A second opinion on search hits: one score per hit, higher is better (search fuses it with the
    hits' own order: archive/search/hybrid.py ``reranked``)."""

    name: str

    def scores(self, query: str, hits: list[SearchHit]) -> list[float]: ...




def _by_overlap(hit: SearchHit, wanted: set[str], limit: int) -> list[tuple[int, int, str]]:
    """(-shared query words, position, sentence) of the ``limit`` sentences of the hit's best passages
    sharing the most of ``wanted``, most first (earlier first on ties)."""
    scored = []
    for chunk in (hit.chunk, *hit.passages[:1]):
        for start, end in sentence_spans(chunk.text):
            sentence = chunk.text[start:end]
            scored.append((-len(wanted & prefix_stems(sentence)), len(scored), sentence))
    return sorted(scored)[:limit]


def best_sentences(hit: SearchHit, wanted: set[str], limit: int) -> list[str]:
    """The ``limit`` sentences of the hit's best passages that share the most of ``wanted``, in text order."""
    return [s for _, _, s in sorted(_by_overlap(hit, wanted, limit), key=lambda t: t[1])]


def select_sentences(hits: list[SearchHit], wanted: set[str], budget: int) -> list[tuple[int, str]]:
    """(hit index, sentence) pairs to embed: every hit's best sentence first, then the rest of ``budget``
    goes to the sentences sharing the most query words, whichever hit they belong to (ties: higher hit)."""
    ranked = [_by_overlap(hit, wanted, MAX_SENTENCES_PER_HIT) for hit in hits]
    chosen = [(i, sentences[0][2]) for i, sentences in enumerate(ranked) if sentences][:budget]
    rest = sorted((neg, i, pos, s) for i, sentences in enumerate(ranked) for neg, pos, s in sentences[1:])
    chosen += [(i, s) for _, i, _, s in rest[: max(0, budget - len(chosen))]]
    return chosen


class SentenceReranker:
    """Scores each hit by the best query-sentence similarity within its best passages."""

    name = "sentences"

    def __init__(self, embedder: Embedder, budget: int = 8):
        self._embedder = embedder
        self._budget = budget

    def scores(self, query: str, hits: list[SearchHit]) -> list[float]:
        if len(hits) < 2:
            return [0.0] * len(hits)
        wanted = query_stems(query)
        owners, sentences = [], []
        for i, sentence in select_sentences(hits, wanted, self._budget):
            owners.append(i)
            sentences.append(f"{hits[i].article.title}: {sentence}")
        vectors = embed_short(self._embedder, [query, *sentences])
        similarity = vectors[1:] @ vectors[0]
        best = np.full(len(hits), -1.0)
        for owner, value in zip(owners, similarity):
            best[owner] = max(best[owner], float(value))
        return best.tolist()


class CrossEncoderReranker:
    """Any sentence-transformers CrossEncoder (name or path), scoring (query, best passage) pairs."""

    def __init__(self, model: str):
        self.name = f"cross-encoder:{model}"
        self._model_name = model
        self._model = None

    def scores(self, query: str, hits: list[SearchHit]) -> list[float]:
        if len(hits) < 2:
            return [0.0] * len(hits)
        if self._model is None:
            from sentence_transformers import CrossEncoder

            try:
                self._model = CrossEncoder(self._model_name, device="cpu")
            except Exception as e:
                raise ConfigError(f"could not load cross-encoder {self._model_name!r}: {e}") from e
        pairs = [(query, f"{h.article.title}\n{h.chunk.text}") for h in hits]
        scores = np.asarray(self._model.predict(pairs, show_progress_bar=False), dtype=np.float32).reshape(len(hits), -1)
        return scores[:, -1].tolist()


def make_reranker(spec: str, embedder: Embedder, budget: int = 8) -> Reranker | None:
    """``none``, ``sentences`` (offline default) or ``cross-encoder:<name or path>``."""
    spec = spec.strip()
    if spec in ("", "none", "off"):
        return None
    if spec == "sentences":
        return SentenceReranker(embedder, budget)
    if spec.startswith("cross-encoder:") and spec.split(":", 1)[1]:
        return CrossEncoderReranker(spec.split(":", 1)[1])
    raise ConfigError(f"reranker must be none, sentences or cross-encoder:<name or path>, got {spec!r}")
