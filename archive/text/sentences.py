"""Sentences: where each one starts and ends in a text (the one sentence splitter, for ingest and the archive alike)."""

from __future__ import annotations

import re
from collections.abc import Iterator

# Words after which a full stop does not end a sentence (titles, initials, months, common abbreviations).
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st gen col lt sgt capt cmdr adm gov sen rep pres rev hon
    no vs etc inc ltd corp co dept univ approx est fig jan feb mar apr jun jul aug sep sept oct nov dec
    u.s u.k u.n e.u a.m p.m i.e e.g d.c""".split()
)


# A candidate boundary: terminal punctuation, closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")


_NEXT_STARTS_SENTENCE = re.compile(r"\s+[\"'“‘«(\[]*[A-Z0-9À-Ý–—-]")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``, whitespace excluded; line breaks always split."""
    spans: list[tuple[int, int]] = []
    for line_start, line_end in _line_spans(text):
        start = line_start
        line = text[line_start:line_end]
        for match in _BOUNDARY.finditer(line):
            end = line_start + match.end()
            if not _ends_sentence(text, start, end, line_end):
                continue
            spans.append((start, end))
            start = skip_spaces(text, end, line_end)
        if start < line_end:
            spans.append((start, line_end))
    return spans


def _line_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in re.finditer(r"[^\n]+", text):
        start, end = match.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            yield start, end


def skip_spaces(text: str, index: int, limit: int) -> int:
    while index < limit and text[index].isspace():
        index += 1
    return index


def _ends_sentence(text: str, start: int, end: int, line_end: int) -> bool:
    if not _NEXT_STARTS_SENTENCE.match(text, end, line_end):
        return False
    head = text[start:end].rstrip("\"'”’»)]")
    if not head.endswith("."):
        return True
    word = head[:-1].rsplit(None, 1)[-1] if head[:-1].strip() else ""
    word = word.lstrip("\"'“‘«([").lower()
    # "J." (an initial) or a known abbreviation does not end the sentence.
    return not (len(word) == 1 and word.isalpha()) and word not in _ABBREVIATIONS
