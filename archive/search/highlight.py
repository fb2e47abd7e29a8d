"""Highlights: which sentences of a passage answer the query (rendering them is the web UI's: webui/marked.py)."""

from __future__ import annotations

import math

from archive.text.query import contains_phrase, parse_query
from archive.text.sentences import sentence_spans
from archive.text.words import STEM, prefix_stems
from archive.types import Chunk

MIN_SHARE = 0.4  # share of the query's content words a sentence must contain to be marked


def matching_sentences(chunk: Chunk, query: str, limit: int = 2) -> tuple[tuple[int, int], ...]:
    """Spans (in article coordinates) of the passage's sentences that best match the query's words."""
    parsed = parse_query(query)
    wanted = {w[:STEM] for w in parsed.words}
    scored = []
    for start, end in sentence_spans(chunk.text):
        sentence = chunk.text[start:end]
        score = len(wanted & prefix_stems(sentence))
        score += sum(3 for p in parsed.phrases if contains_phrase(sentence, p))
        if score:
            scored.append((score, start, end))
    # A sentence that shares one word of a long question is not an answer: ask for a good part of it.
    floor = max(1, math.ceil(len(wanted) * MIN_SHARE)) if not parsed.phrases else 3
    scored = [t for t in scored if t[0] >= floor]
    if not scored:
        return ()
    best = max(s for s, _, _ in scored)
    chosen = sorted(sorted(scored, key=lambda t: -t[0])[:limit], key=lambda t: t[1])
    return tuple((chunk.start + s, chunk.start + e) for score, s, e in chosen if score >= best - 1)


