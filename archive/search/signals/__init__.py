"""Ranking signals, one module each. A new signal is one module here (a ``SIGNAL``: name, weight setting,
role, how it ranks), one line in ``SIGNALS`` and one weight setting in archive/settings.py; search runs every
active signal and archive/search/fusion.py combines them by role. ``SIGNALS`` is in the order the fusion
adds them up."""

from archive.search.signals import (
    article_keywords,
    article_vectors,
    headline_nominations,
    headlines,
    passage_keywords,
    passage_vectors,
    recency,
)
from archive.search.signals.base import Query, Signal

SIGNALS: tuple[Signal, ...] = (
    passage_vectors.SIGNAL,
    passage_keywords.SIGNAL,
    article_vectors.SIGNAL,
    article_keywords.SIGNAL,
    headlines.SIGNAL,
    headline_nominations.SIGNAL,
    recency.SIGNAL,
)

__all__ = ["SIGNALS", "Query", "Signal"]
