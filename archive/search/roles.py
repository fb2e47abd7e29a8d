"""The narrow roles that answers and look-up are given instead of the whole facade.

``archive.Archive`` plays ``Retriever``; its store plays ``ArticleReader`` and ``PhraseIndex``. Tests can
hand in small fakes of these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Protocol

from archive.text.query import ParsedQuery
from archive.text.timewords import TimedQuery
from archive.types import Article, ChunkMatch, Filters, SearchHit


class Retriever(Protocol):
    """Ranked articles for a query, time words read as search reads them."""

    def interpret(self, query: str, filters: Filters | None = None, as_of: str | date | None = None,
                  time_words: bool | None = None) -> TimedQuery: ...

    def search(self, query: str, k: int = 10, filters: Filters | None = None, stories: bool = True,
               as_of: str | date | None = None, time_words: bool | None = None) -> list[SearchHit]: ...


class ArticleReader(Protocol):
    """Whole stored articles by id (search hits carry only what ranking needed)."""

    def get_articles(self, ids: Sequence[str]) -> dict[str, Article]: ...

    def name_kind_lookup(self) -> Callable[[str], str | None]:
        """The kind (person, org, place) the archive gives a name, or None."""
        ...


class PhraseIndex(ArticleReader, Protocol):
    """Chunks holding a query's exact phrases, from the keyword index."""

    def keyword_chunks(self, query: ParsedQuery, n: int, filters: Filters | None = None) -> list[ChunkMatch]: ...
