"""Does a cited passage support an answer sentence? Checks built from what ships offline, plus NLI.

No NLI model is packaged (see MODELS.md), so the default ``overlap`` verifier is a documented set of
rules over the sentence and the best window (one or two consecutive sentences) of the cited passage:

1. Every number in the answer sentence appears in the window ("20,000" meets "20000"; a year is a
   number too). A wrong figure is the most damaging error a news tool can make.
2. Every quoted phrase in the answer sentence appears verbatim in the cited article.
3. Negation agrees: when exactly one side carries a negation cue ("not", "never", "no", "n't", ...)
   the pair is unsupported unless the window repeats the sentence word for word.
4. Enough of the sentence's content words are in the window (``MIN_RECALL``), or fewer of them but
   with an embedding similarity of at least ``MIN_SIMILARITY`` (paraphrase).

``nli:<cross-encoder name or path>`` replaces rules 3 and 4 with an NLI cross-encoder's entailment
probability for users who configure one; rules 1 and 2 always apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from archive.errors import ConfigError
from archive.models.embedding import Embedder, embed_short
from archive.text.fold import normalize
from archive.text.sentences import sentence_spans
from archive.text.words import WORD, content_stems, numbers

MIN_RECALL = 0.6
MIN_RECALL_WITH_SIMILARITY = 0.3
MIN_SIMILARITY = 0.7
MIN_ENTAILMENT = 0.5

_QUOTED = re.compile(r"[\"“]([^\"”]{3,})[\"”]")
_NEGATION = frozenset({"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "without",
                       "cannot", "denied", "denies", "deny", "refused", "rejected"})


@dataclass(frozen=True)
class Verdict:
    """The check of one (sentence, cited passage) pair."""

    supported: bool
    reason: str  # why, in words a user can read: "supported", "number 25,000 not in the passage", ...
    span: tuple[int, int]  # the supporting window, in passage coordinates
    score: float = 0.0  # content-word recall, or entailment probability for NLI


class Verifier(Protocol):
    name: str

    def verify(self, sentence: str, passage: str, article_text: str) -> Verdict: ...


def quoted_phrases(text: str) -> list[str]:
    return [q.strip() for q in _QUOTED.findall(text) if q.strip()]


def _negated(text: str) -> bool:
    words = {w.lower() for w in WORD.findall(text)}
    return bool(words & _NEGATION) or "n't" in text.lower() or "n’t" in text.lower()


def windows(passage: str) -> list[tuple[int, int]]:
    """Each sentence of the passage and each pair of neighbouring sentences, as spans."""
    spans = sentence_spans(passage) or [(0, len(passage))]
    pairs = [(spans[i][0], spans[i + 1][1]) for i in range(len(spans) - 1)]
    return spans + pairs


def best_window(sentence: str, passage: str) -> tuple[tuple[int, int], float]:
    """The window of ``passage`` holding most of the sentence's content words, and that share."""
    wanted = content_stems(sentence)
    best, best_recall = (0, len(passage)), -1.0
    for start, end in windows(passage):
        recall = len(wanted & content_stems(passage[start:end])) / len(wanted) if wanted else 1.0
        # a single sentence wins a tie against the pair that contains it: the tighter citation
        if recall > best_recall + 1e-9 or (abs(recall - best_recall) < 1e-9 and end - start < best[1] - best[0]):
            best, best_recall = (start, end), recall
    return best, max(best_recall, 0.0)


def hard_checks(sentence: str, window: str, article_text: str) -> str | None:
    """Rules 1 and 2: the reason the pair fails, or None."""
    missing = numbers(sentence) - numbers(window)
    if missing:
        return f"number {sorted(missing)[0]} is not in the cited passage"
    article = normalize(article_text)
    for phrase in quoted_phrases(sentence):
        if normalize(phrase) not in article:
            return f"quoted phrase “{phrase}” is not in the cited article"
    return None


class OverlapVerifier:
    """The default: numbers, quotes, negation, content-word overlap and (optionally) embeddings."""

    name = "overlap"

    def __init__(self, embedder: Embedder | None = None):
        self._embedder = embedder

    def verify(self, sentence: str, passage: str, article_text: str) -> Verdict:
        span, recall = best_window(sentence, passage)
        window = passage[span[0]:span[1]]
        if normalize(sentence).strip(' ."') in normalize(passage):
            return Verdict(True, "quoted verbatim from the passage", span, 1.0)
        failure = hard_checks(sentence, window, article_text)
        if failure:
            return Verdict(False, failure, span, recall)
        if _negated(sentence) != _negated(window):
            return Verdict(False, "negation differs between the sentence and the passage", span, recall)
        if recall >= MIN_RECALL:
            return Verdict(True, f"{recall:.0%} of its content words are in the passage", span, recall)
        if recall >= MIN_RECALL_WITH_SIMILARITY and self._embedder is not None:
            vectors = embed_short(self._embedder, [sentence, window])
            similarity = float(np.dot(vectors[0], vectors[1]))
            if similarity >= MIN_SIMILARITY:
                return Verdict(True, f"paraphrase (similarity {similarity:.2f})", span, recall)
        return Verdict(False, f"only {recall:.0%} of its content words are in the passage", span, recall)


class NLIVerifier:
    """Entailment probability from a configured NLI cross-encoder (sentence-transformers)."""

    def __init__(self, model: str, offline: bool = True):
        from sentence_transformers import CrossEncoder

        self.name = f"nli:{model}"
        try:
            self._model = CrossEncoder(model, device="cpu", local_files_only=offline)
        except Exception as e:  # noqa: BLE001 - any load failure is a configuration problem
            raise ConfigError(f"cannot load the NLI model {model!r}: {e}") from e
        labels = {int(i): str(name).lower() for i, name in (self._model.config.id2label or {}).items()}
        entail = [i for i, name in labels.items() if "entail" in name]
        # Models without named labels follow the common (contradiction, entailment, neutral) order.
        self._entail = entail[0] if entail else (1 if len(labels) == 3 else 0)

    def verify(self, sentence: str, passage: str, article_text: str) -> Verdict:
        spans = windows(passage)
        logits = np.atleast_2d(np.asarray(self._model.predict([(passage[s:e], sentence) for s, e in spans])))
        if logits.shape[1] == 1:
            probs = 1 / (1 + np.exp(-logits[:, 0]))
        else:
            exp = np.exp(logits - logits.max(axis=1, keepdims=True))
            probs = (exp / exp.sum(axis=1, keepdims=True))[:, self._entail]
        i = int(np.argmax(probs))
        span, p = spans[i], float(probs[i])
        failure = hard_checks(sentence, passage[span[0]:span[1]], article_text)
        if failure:
            return Verdict(False, failure, span, p)
        if p >= MIN_ENTAILMENT:
            return Verdict(True, f"entailed (p={p:.2f})", span, p)
        return Verdict(False, f"not entailed (p={p:.2f})", span, p)


def make_verifier(spec: str, embedder: Embedder | None, offline: bool = True) -> Verifier:
    """``overlap`` (default) or ``nli:<cross-encoder name or path>``."""
    spec = (spec or "overlap").strip()
    if spec == "overlap":
        return OverlapVerifier(embedder)
    if spec.startswith("nli:") and spec[4:].strip():
        return NLIVerifier(spec[4:].strip(), offline=offline)
    raise ConfigError(f"unknown verifier {spec!r}: use 'overlap' or 'nli:<cross-encoder name or path>'")
