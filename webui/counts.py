"""What a result list's numbers mean: articles that contain the query's words, apart from those shown.

Search ranks by meaning as well as by words, so every article in the archive can come back for any
query. A count of what came back says nothing; a count of the articles that contain what was asked
for (each quoted phrase or figure, and the words: all of them for a short query, at least half of a
long question's) says how much the archive holds on it. Words compare by their first letters, as
highlighting does, so "soldiers" meets "soldier".
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
            fixed = f"{_joined(quoted[:len(self.phrases)])} and " if self.phrases else ""
            return f"{fixed}at least {self.need} of the query's {len(self.words)} words"
        return _joined(quoted)


@dataclass(frozen=True)
class Counts:
    """Articles found (the shown results and their stories' other reports), how many match, how many shown."""

    found: int
    matching: int
    shown: int
    shown_matching: int


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
    if not (terms.words or terms.phrases):
        return set()
    return {a.id for a in articles if matches(terms, a.title, a.text)}


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """'1 article', '3 articles'."""
    return f"{n:,} {noun if n == 1 else (nouns or noun + 's')}"


def count_line(counts: Counts, terms: Terms) -> str:
    """'4 of 12 articles found contain “Rutte” · showing 10, 6 of them only close in meaning'."""
    if not (terms.words or terms.phrases):  # only stopwords: nothing to contain, meaning alone ranks
        return f"{plural(counts.found, 'article')} found by meaning · showing {counts.shown:,}"
    verb = "contains" if counts.matching == 1 else "contain"
    line = f"{counts.matching:,} of {plural(counts.found, 'article')} found {verb} {terms.label()} · showing {counts.shown:,}"
    others = counts.shown - counts.shown_matching
    if others and counts.shown_matching:
        line += f", {others:,} of them only close in meaning"
    elif others:
        line += ", all only close in meaning"
    return line


def undated_notice(n: int) -> str:
    """The articles a date filter leaves out because they state no date."""
    verb = "is" if n == 1 else "are"
    return f"{plural(n, 'undated article')} {verb} not shown: a date filter leaves out articles that state no date."


def _as_typed(word: str, query: str) -> str:
    found = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", query, re.IGNORECASE)
    return found.group(0) if found else word


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
