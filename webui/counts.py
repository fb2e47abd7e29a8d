"""What a result list's numbers mean: articles that contain the query's words, apart from those shown.

What "contain" means (each phrase and figure, all or half of the words) is archive/text/terms.py, which
watches share; this module words the counts for the Search page.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.text.terms import Terms, matches, matching_ids, query_terms

__all__ = ["Counts", "Terms", "count_line", "matches", "matching_ids", "plural", "query_terms", "undated_notice"]


@dataclass(frozen=True)
class Counts:
    """Articles found (the shown results and their stories' other reports), how many match, how many shown."""

    found: int
    matching: int
    shown: int
    shown_matching: int


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
