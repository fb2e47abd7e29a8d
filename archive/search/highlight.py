"""Highlights: which sentences of a passage answer the query, and safe rendering of marked text."""

from __future__ import annotations

import math
import re

from archive.storage.keyword import contains_phrase, parse_query
from archive.types import Chunk
from ingest.chunking import sentence_spans

_WORD = re.compile(r"\w+", re.UNICODE)
MIN_SHARE = 0.4  # share of the query's content words a sentence must contain to be marked
STEM = 5  # compare words by their first letters: "soldiers" meets "soldier", "monthly" meets "month"


def stems(text: str) -> set[str]:
    """The word stems of ``text`` (each word's first letters), for counting shared words."""
    return {w[:STEM] for w in _WORD.findall(text.lower())}


def query_stems(query: str) -> set[str]:
    """The stems of a query's content words (stopwords and operators left out)."""
    return {w[:STEM] for w in parse_query(query).words}


def matching_sentences(chunk: Chunk, query: str, limit: int = 2) -> tuple[tuple[int, int], ...]:
    """Spans (in article coordinates) of the passage's sentences that best match the query's words."""
    parsed = parse_query(query)
    wanted = {w[:STEM] for w in parsed.words}
    scored = []
    for start, end in sentence_spans(chunk.text):
        sentence = chunk.text[start:end]
        score = len(wanted & stems(sentence))
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


# HTML's five special characters as html.escape writes them, and every character that starts Markdown
# syntax (links, images, emphasis, code, math, tables, headings) as a numeric reference: Markdown decodes
# a reference into plain text and never reads it as syntax.
_INERT = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
    | {c: f"&#{ord(c)};" for c in "[]!*_`~$#|\\:@"}
)
# GitHub-flavoured Markdown turns "https://…", "www.…" and "a@b.org" into links after parsing, in the
# decoded text, so no escape stops it: an empty <wbr> splits the text where the pattern would start.
_AUTOLINK = re.compile(r"(?i)\b(https?)(?=&#58;//)|\b(www)(?=\.)|(?=&#64;)")


def inert(text: str) -> str:
    """``text`` as HTML that a Markdown renderer shows as the same characters: no tag, link or image can form."""
    return _AUTOLINK.sub(lambda m: (m.group(1) or m.group(2) or "") + "<wbr>", text.translate(_INERT))


def marked_html(text: str, spans: tuple[tuple[int, int], ...], offset: int = 0) -> str:
    """``text`` made inert (``inert``) with ``<mark>`` around each span (spans in coordinates ``offset`` based)."""
    out, pos = [], 0
    for start, end in sorted(spans):
        start, end = max(start - offset, pos), min(end - offset, len(text))
        if start >= end:
            continue
        out += [inert(text[pos:start]), "<mark>", inert(text[start:end]), "</mark>"]
        pos = end
    out.append(inert(text[pos:]))
    return "".join(out).replace("\n", "<br>")
