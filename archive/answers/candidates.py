"""Candidate sentences: every sentence of the retrieved passages scored against the question (embedding
similarity, the share of its content words, the lede, the expected answer type), and the ones quoted."""

from __future__ import annotations

import numpy as np

from archive.answers.followups import MONTHS, QUESTION_WORDS, question_words
from archive.answers.types import Candidate
from archive.models.embedding import embed_short
from archive.text.sentences import sentence_spans
from archive.text.words import content_stems, numbers
from archive.types import Chunk, SearchHit

MIN_SENTENCE_CHARS = 20
MAX_SENTENCE_CHARS = 700
NEAR_DUPLICATE = 0.6  # share of content words two answer sentences may share before one is dropped
SECOND_SENTENCE_MARGIN = 0.2  # a further sentence must score within this of the best one
COVERAGE_WEIGHT = 0.3  # sentence score = similarity + COVERAGE_WEIGHT * coverage + lede + answer type
LEDE_WEIGHT = 0.06
MAX_SCORED_SENTENCES = 16  # sentences embedded per answer, chosen by a cheap pre-score (``_pre_score``)
OWN_COVERAGE_WEIGHT = 0.5  # in the pre-score: the question's words in the sentence itself, beside its headline
LEDE_SCALE = 500  # characters: the lede bonus halves 500 characters into the article


def _answer_type_bonus(question: str, sentence: str) -> float:
    q = question.lower()
    if q.startswith(("how many", "how much")) or "how large" in q or "what percentage" in q:
        return 0.05 if numbers(sentence) else 0.0
    if q.startswith("when") or "what year" in q or "what date" in q:
        s = sentence.lower()
        return 0.05 if numbers(sentence) or any(m in s for m in MONTHS) else 0.0
    return 0.0


def _is_prose(sentence: str) -> bool:
    """False for headings and datelines ("Rutte's Firm Warning to Russia"): a sentence ends in punctuation."""
    return sentence.rstrip().endswith((".", "!", "?", "\"", "”", "’", "'", ")", ":", ";"))


def score_candidates(question: str, hits: list[SearchHit], embedder) -> list[Candidate]:
    """The sentences of each hit's best passage, scored: similarity + coverage + answer-type evidence."""
    wanted = content_stems(" ".join(w for w in question_words(question) if w not in QUESTION_WORDS))
    from archive.answers.prompts import instruction_spans

    rows: list[tuple[int, SearchHit, Chunk, int, int]] = []
    for rank, hit in enumerate(hits):
        withheld = instruction_spans(hit.article.text)  # text aimed at an AI is never quoted as news
        for chunk in (hit.chunk, *hit.passages[:2]):
            for start, end in sentence_spans(chunk.text):
                at = chunk.start + start
                if any(s <= at < e for s, e in withheld):
                    continue
                if MIN_SENTENCE_CHARS <= end - start <= MAX_SENTENCE_CHARS and _is_prose(chunk.text[start:end]):
                    rows.append((rank, hit, chunk, start, end))
    seen, unique = set(), []
    for row in rows:
        key = (row[1].article.id, row[2].start + row[3])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    if not unique:
        return []
    # Word coverage is cheap and embedding is not (it is most of an answer's time): only the sentences a
    # cheap pre-score puts first are embedded (earlier ones first on ties).
    covered = []
    for rank, hit, chunk, s, e in unique:
        have = content_stems(f"{hit.article.title} {chunk.text[s:e]}")
        coverage = len(wanted & have) / len(wanted) if wanted else 0.0
        covered.append((coverage, _pre_score(question, wanted, coverage, chunk, s, e), rank, hit, chunk, s, e))
    covered = sorted(covered, key=lambda t: (-t[1], t[4].start + t[5]))[:MAX_SCORED_SENTENCES]
    texts = [question] + [chunk.text[s:e] for *_, chunk, s, e in covered]
    vectors = np.asarray(embed_short(embedder, texts), dtype=np.float32)
    sims = vectors[1:] @ vectors[0]
    out = []
    for (coverage, _, rank, hit, chunk, s, e), sim in zip(covered, sims):
        score = float(sim) + COVERAGE_WEIGHT * coverage + _evidence(question, chunk, s, e)
        out.append(Candidate(rank, hit.article, chunk, s, e, float(sim), coverage, score))
    return sorted(out, key=lambda c: -c.score)


def _evidence(question: str, chunk: Chunk, s: int, e: int) -> float:
    """The score's terms that need no embedding: answer-type evidence, and a small lift for an early
    sentence (news puts the key facts first, the inverted pyramid)."""
    return _answer_type_bonus(question, chunk.text[s:e]) + LEDE_WEIGHT / (1 + (chunk.start + s) / LEDE_SCALE)


def _pre_score(question: str, wanted: set[str], coverage: float, chunk: Chunk, s: int, e: int) -> float:
    """What decides which sentences are embedded: the score without its similarity (in units of coverage),
    plus the share of the question's words the sentence holds itself, not through its headline (the
    headline's words lift every sentence of an article alike). On the dev questions the 16 sentences it
    keeps hold the top-scored sentence of all as often as the 32 that coverage alone kept (72 and 75 of 75).
    A sentence holding the question's numbers ("what did he say about 2029?") comes first: no sentence
    answers without them (archive/focus.py), and a refusal names who the archive quotes on them."""
    sentence = chunk.text[s:e]
    own = len(wanted & content_stems(sentence)) / len(wanted) if wanted else 0.0
    asked = numbers(question)
    held = len(asked & numbers(sentence)) / len(asked) if asked else 0.0
    return coverage + OWN_COVERAGE_WEIGHT * own + held + _evidence(question, chunk, s, e) / COVERAGE_WEIGHT


def choose_sentences(candidates: list[Candidate], limit: int, min_similarity: float) -> list[Candidate]:
    """The best sentence and up to ``limit - 1`` others close to its score that add something new."""
    if not candidates:
        return []
    best = candidates[0]
    chosen = [best]
    for c in candidates[1:]:
        if len(chosen) >= limit:
            break
        if c.score < best.score - SECOND_SENTENCE_MARGIN or c.similarity < min_similarity:
            continue
        stems = content_stems(c.text)
        if any(len(stems & content_stems(o.text)) / max(1, min(len(stems), len(content_stems(o.text))))
               > NEAR_DUPLICATE for o in chosen):
            continue
        chosen.append(c)
    return chosen
