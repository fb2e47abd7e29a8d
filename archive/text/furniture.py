"""Site furniture: paragraphs that recur verbatim across many articles are not any one article's content.

Scraped news pages carry newsletter pitches, ad-feedback forms, subscription notices and author
sign-offs ("Get CNN Health's weekly newsletter...", "1. How relevant is this ad to you?"). In the
RealTime QA pool 85 such paragraphs recur in 10 or more articles and touch 1,825 of 7,500 articles;
130 articles hold nothing else, so their only content is the headline. Embedded with the passage they
sit in, they pull its vector toward every other page that carries them.

A paragraph is one line of an article's text with at least ``MIN_WORDS`` words. Once the same
paragraph (case and spacing aside) is found in ``furniture_min_articles`` articles, it is furniture:
it is left out of the text each chunk *embeds*. The article text, the chunk spans, what is shown and
cited, and the keyword index are untouched, so nothing is lost and a search for the exact words still
finds them. Repetition is the only evidence used: no list of phrases, no per-site rules.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterator

MIN_WORDS = 5  # shorter lines ("District of Columbia", "Contributing: AP") are left alone: lists and datelines
_LINE = re.compile(r"[^\n]+")


def paragraph_key(line: str) -> str:
    """A paragraph's identity: a hash of its words, case and spacing folded."""
    folded = " ".join(line.lower().split())
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=8).hexdigest()


def paragraphs(text: str) -> Iterator[tuple[str, int, int]]:
    """(key, start, end) of each line of ``text`` long enough to be judged."""
    for match in _LINE.finditer(text):
        line = match.group()
        if len(line.split()) >= MIN_WORDS:
            yield paragraph_key(line), match.start(), match.end()


def paragraph_keys(text: str) -> set[str]:
    """The distinct paragraph keys of ``text``."""
    return {key for key, _, _ in paragraphs(text)}


def without_furniture(text: str, start: int, end: int, furniture: Collection[str]) -> str:
    """``text[start:end]`` with the furniture paragraphs cut out (what a chunk embeds)."""
    if not furniture:
        return text[start:end]
    kept: list[str] = []
    pos = start
    for key, p_start, p_end in paragraphs(text):
        if p_end <= start or p_start >= end or key not in furniture:
            continue
        kept.append(text[pos:max(pos, p_start)])
        pos = max(pos, p_end)
    kept.append(text[pos:end])
    return "\n".join(piece.strip() for piece in kept if piece.strip())
