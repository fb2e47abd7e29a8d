"""Sentence-aware chunking that keeps every chunk's character span in the article text."""

from __future__ import annotations

from collections.abc import Iterator

from archive.text.sentences import sentence_spans, skip_spaces
from archive.types import Chunk

BATCH_CHUNKS = 256  # chunks embedded per model call across articles: big enough to keep the model busy


def _split_long(text: str, start: int, end: int, size: int) -> Iterator[tuple[int, int]]:
    """Cut an over-long sentence at word boundaries into pieces of at most ``size`` characters."""
    while end - start > size:
        cut = text.rfind(" ", start + 1, start + size + 1)
        if cut <= start:
            cut = start + size  # no space to cut at: cut inside the word
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():  # a hard cut may land after a tab
            piece_end -= 1
        yield start, piece_end
        start = skip_spaces(text, cut, end)
    if start < end:
        yield start, end


def chunk_spans(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    """Pack sentences into spans of at most ``size`` characters, repeating up to ``overlap`` characters."""
    units = [piece for s, e in sentence_spans(text) for piece in _split_long(text, s, e, size)]
    spans: list[tuple[int, int]] = []
    first = 0
    while first < len(units):
        last = first
        while last + 1 < len(units) and units[last + 1][1] - units[first][0] <= size:
            last += 1
        spans.append((units[first][0], units[last][1]))
        if last + 1 >= len(units):
            break
        first = _overlap_start(units, first, last, overlap)
    return spans


def _overlap_start(units: list[tuple[int, int]], first: int, last: int, overlap: int) -> int:
    """Index of the first unit of the next chunk: whole trailing sentences within ``overlap``."""
    nxt = last + 1
    while nxt - 1 > first and units[last][1] - units[nxt - 1][0] <= overlap:
        nxt -= 1
    return nxt


def chunk_article(article_id: str, text: str, size: int, overlap: int) -> list[Chunk]:
    """The article's chunks; ``text[chunk.start:chunk.end] == chunk.text`` for each."""
    return [
        Chunk(article_id=article_id, index=i, text=text[s:e], start=s, end=e)
        for i, (s, e) in enumerate(chunk_spans(text, size, overlap))
    ]


def embedding_text(title: str, chunk_text: str) -> str:
    """What is embedded for a chunk: its article's title as a contextual header, then the passage."""
    return f"{title}\n\n{chunk_text}" if title else chunk_text


HEADLINE_CHARS = 300  # longest stand-in for a missing title


def headline_text(title: str, text: str) -> str:
    """What an article's headline vector embeds: its title, or, lacking one, its first sentence."""
    if title.strip():
        return title.strip()
    first = next(iter(sentence_spans(text)), (0, len(text)))
    return text[first[0]:first[1]][:HEADLINE_CHARS].strip()
