"""Queries: a search box's text cleaned of pasted markup and split into exact phrases and content words."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from archive.text.fold import folded
from archive.text.words import STEM, STOPWORDS
from archive.text.words import WORD as _WORD

_PHRASE = re.compile(r'"([^"]+)"|“([^”]+)”')


@dataclass(frozen=True)
class ParsedQuery:
    """Free words and exact phrases of a query."""

    words: tuple[str, ...]
    phrases: tuple[str, ...]

    def fts(self) -> str:
        """The FTS5 MATCH expression: every phrase required, any free word counts."""
        required = " AND ".join(_quote(p) for p in self.phrases)
        optional = " OR ".join(_quote(w) for w in self.words)
        if required and optional:
            return f"({required}) AND ({optional} OR {required})"
        return required or optional

    def softened(self) -> ParsedQuery:
        """The same query with its phrases' words as free words (nothing required)."""
        extra = [w for p in self.phrases for w in _WORD.findall(p.lower()) if w not in STOPWORDS]
        return ParsedQuery(tuple(dict.fromkeys([*self.words, *extra])), ())


# Inline formatting that text copied from a web page brings along ('what should you <em>not</em> wear').
_FORMATTING_TAG = re.compile(
    r"</?(?:em|i|b|strong|u|s|mark|small|sup|sub|span|a|q|cite|abbr|code|font|br|wbr)\b[^<>]{0,200}?/?>", re.IGNORECASE
)


_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z]{2,8});")


def plain_query(text: str) -> str:
    """A query or question without the inline HTML and entities that pasting from a web page leaves.

    Only formatting tags are removed, so a search for a literal '<script>' still searches for it.
    """
    text = _FORMATTING_TAG.sub("", text)
    text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    return " ".join(text.split())


def parse_query(query: str) -> ParsedQuery:
    """Split a query into exact phrases ("coalition of the willing") and content words.

    Punctuation at a phrase's ends is the sentence's, not the phrase's: American style puts the comma of
    'the show "Cheer," was' inside the quotes, and the phrase is ``Cheer``.
    """
    quoted = (p for pair in _PHRASE.findall(query) for p in pair)
    phrases = tuple(dict.fromkeys(c for c in map(_clean_phrase, quoted) if _WORD.search(c)))
    rest = _PHRASE.sub(" ", query)
    words = [w for w in _WORD.findall(rest.lower()) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
    return ParsedQuery(tuple(dict.fromkeys(words)), phrases)


_PHRASE_EDGE = " .,;:!?'’‘\"“”()[]"  # stripped from a quoted phrase's ends


def _clean_phrase(text: str) -> str:
    return " ".join(text.split()).strip(_PHRASE_EDGE)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@lru_cache(maxsize=256)
def _phrase_regex(phrase: str) -> re.Pattern[str] | None:
    words = _WORD.findall(folded(phrase))
    if not words:
        return None
    return re.compile(r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, words)) + r"(?![^\W_])")


def contains_phrase(text: str, phrase: str) -> bool:
    """True when ``text`` holds the phrase's words in order, punctuation and case aside (as FTS5 matches)."""
    pattern = _phrase_regex(phrase)
    return pattern is not None and pattern.search(folded(text)) is not None


def query_stems(query: str) -> set[str]:
    """The stems of a query's content words (stopwords and operators left out)."""
    return {w[:STEM] for w in parse_query(query).words}
