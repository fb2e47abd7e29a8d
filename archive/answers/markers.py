"""Citation markers: ``[n]`` parsed out of a generated answer, its sentences split, sources renumbered."""

from __future__ import annotations

import re

from archive.answers.types import AnswerSentence, Citation, Source
from archive.text.sentences import sentence_spans

_MARKER = re.compile(r"\[(\s*\d+(?:\s*(?:,|;|-|–|and)\s*\d+)*\s*)\]")


def make_citation(n: int, source: Source, start: int, end: int, supported: bool, reason: str) -> Citation:
    chunk, article = source.chunk, source.article
    return Citation(n=n, article_id=article.id, chunk_id=chunk.id, title=article.title, origin=article.origin,
                    start=chunk.start + start, end=chunk.start + end, quote=chunk.text[start:end],
                    supported=supported, reason=reason)


def parse_markers(text: str, known: int) -> tuple[str, list[int], list[int]]:
    """Strip ``[n]`` markers from a sentence: (clean text, numbers in range, numbers out of range)."""
    found: list[int] = []
    for match in _MARKER.finditer(text):
        for part in re.split(r"\s*(?:,|;|and)\s*", match.group(1).strip()):
            bounds = re.split(r"\s*[-–]\s*", part)
            if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
                lo, hi = int(bounds[0]), int(bounds[1])
                found += list(range(lo, hi + 1)) if 0 < hi - lo < 20 else [lo, hi]
            elif part.isdigit():
                found.append(int(part))
    clean = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", _MARKER.sub("", text))).strip()
    valid = list(dict.fromkeys(n for n in found if 1 <= n <= known))
    invalid = list(dict.fromkeys(n for n in found if not 1 <= n <= known))
    return clean, valid, invalid


def split_answer(text: str) -> list[str]:
    """Sentences of a generated answer; markers that follow a full stop stay with their sentence."""
    text = re.sub(r"([.!?])\s*((?:\[[^\]]*\]\s*)+)", lambda m: " " + m.group(2).strip() + m.group(1) + " ", text)
    return [text[s:e].strip() for s, e in sentence_spans(text) if text[s:e].strip()]


def renumber(sentences: list[AnswerSentence], sources: list[Source]) -> tuple[list[AnswerSentence], list[Source]]:
    order: dict[int, int] = {}
    for sentence in sentences:
        for c in sentence.citations:
            order.setdefault(c.n, len(order) + 1)
    by_n = {s.n: s for s in sources}
    new_sources = [Source(new, by_n[old].article, by_n[old].chunk) for old, new in order.items()]
    new_sentences = [AnswerSentence(s.text, tuple(Citation(**{**c.__dict__, "n": order[c.n]}) for c in s.citations))
                     for s in sentences]
    return new_sentences, new_sources
