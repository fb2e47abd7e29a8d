"""What a ranking signal is, and what it is given: one module per signal in this package, each a ``SIGNAL``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from archive.search.fusion import Ranking, Role
from archive.settings import Settings
from archive.storage import Store
from archive.text.query import ParsedQuery
from archive.types import ChunkMatch, Filters


@dataclass(frozen=True)
class Query:
    """A search as every signal sees it: the words and phrases, the filters (already narrowed by story,
    names and quoted phrases), how many candidates to fetch, and the query's vector once it is embedded."""

    text: str
    parsed: ParsedQuery
    n: int
    filters: Filters | None
    store: Store
    settings: Settings
    as_of: date | None = None
    phrase_matches: Sequence[ChunkMatch] | None = None  # with quoted phrases: the chunks that hold them
    vector: np.ndarray | None = None


@dataclass(frozen=True)
class Signal:
    """One ranking signal: its name, the setting that holds its weight, its role in the fusion, and how it
    ranks. ``needs_vector``: it waits for the query's embedding (the others run while the query is embedded).
    ``after``: it ranks from the rankings before it (``rank`` gets them). ``applies``: whether it runs for
    this query at all. A signal whose weight is 0 is skipped, unless it brings candidates in (PASSAGES)."""

    name: str
    weight: str
    role: Role
    rank: Callable[[Query, list[Ranking]], list[Any]]
    needs_vector: bool = True
    after: bool = False
    applies: Callable[[Query], bool] = lambda query: True

    def weight_in(self, settings: Settings) -> float:
        return float(getattr(settings, self.weight))

    def active(self, query: Query) -> bool:
        weighted = self.role is Role.PASSAGES or self.weight_in(query.settings) != 0
        return weighted and self.applies(query)

    def ranking(self, items: list[Any], settings: Settings) -> Ranking:
        """The signal's items as a typed Ranking (passage matches or (article id, score) pairs by role)."""
        if self.role in (Role.PASSAGES, Role.NOMINATES):
            return Ranking(self.name, self.weight_in(settings), self.role, matches=items)
        return Ranking(self.name, self.weight_in(settings), self.role, articles=items)
