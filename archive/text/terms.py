"""What an article must contain to match a query: its phrases and figures, and enough of its words.

Search ranks by meaning as well as by words, so every article can come back for any query. An article
*contains* a query when it holds each quoted phrase or figure, and the words: all of them for a short
query, at least half of a long question's. Words compare by their first letters, as highlighting does,
so "soldiers" meets "soldier". The Search page counts such articles (webui/counts.py); a watch's
matches are exactly such articles (archive/search/watches.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from archive.text.query import contains_phrase, parse_query
from archive.text.words import STEM, prefix_stems

ALL_WORDS_UP_TO = 3  # a query of up to this many words matches an article that holds every one
_FIGURE = re.compile(r"\d[\d,.]*\d")  # "20,000" is one figure, not the words "20" and "000"


@dataclass(frozen=True)
class Terms:
    """What an article must contain to match a query: every phrase and ``need`` of the words."""

    words: tuple[str, ...]  # as the query spells them
    phrases: tuple[str, ...]
    need: int

    def label(self) -> str:
        """What matching articles contain, in words: '“Rutte”', '“Piet”, “de” and “Vries”', 'at least 3 of …'."""
        quoted = [f"“{t}”" for t in (*self.phrases, *self.words)]
        if self.need < len(self.words):
            fixed = f"{joined(quoted[:len(self.phrases)])} and " if self.phrases else ""
            return f"{fixed}at least {self.need} of the query's {len(self.words)} words"
        return joined(quoted)

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)


def query_terms(query: str) -> Terms:
    """The phrases, figures and words of a query; a long question's articles need half of its words."""
    parsed = parse_query(query)
    unquoted = re.sub(r'"[^"]*"|“[^”]*”', " ", query)
    figures = tuple(dict.fromkeys(_FIGURE.findall(unquoted)))
    in_figures = {w for f in figures for w in re.findall(r"\w+", f)}
    words = tuple(_as_typed(w, unquoted) for w in parsed.words if w not in in_figures)
    need = len(words) if len(words) <= ALL_WORDS_UP_TO else math.ceil(len(words) / 2)
    return Terms(words, parsed.phrases + figures, need)


def matches(terms: Terms, title: str, text: str) -> bool:
    """True when the article (title and text) holds every phrase and enough of the words."""
    whole = f"{title}\n{text}"
    if not all(contains_phrase(whole, p) for p in terms.phrases):
        return False
    have = prefix_stems(whole)
    return sum(w.lower()[:STEM] in have for w in terms.words) >= terms.need


def matching_ids(terms: Terms, articles: Iterable) -> set[str]:
    """Ids of the articles (with their text) that match; none when the query has nothing to match."""
    if not terms:
        return set()
    return {a.id for a in articles if matches(terms, a.title, a.text)}


def joined(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _as_typed(word: str, query: str) -> str:
    found = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", query, re.IGNORECASE)
    return found.group(0) if found else word
