"""Recency: what a found article gains for being published shortly before the as-of date."""

from __future__ import annotations

from datetime import UTC, date, datetime

from archive.search.fusion import Ranking, Role
from archive.search.signals.base import Query, Signal
from archive.settings import Settings
from archive.storage.store import Store
from archive.text.dates import timestamp


def recency_boosts(store: Store, article_ids: set[str], as_of: date, settings: Settings) -> dict[str, float]:
    """What each found article gains for being recent: ``recency_weight`` for one published on the as-of day,
    halving every ``recency_half_life_days`` before it. Undated articles and later ones (which an as-of
    filter leaves out) gain nothing. Absolute, not scaled over the candidates, so an archive of old news
    searched today is ranked as without it."""
    if not article_ids:
        return {}
    day = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC).timestamp() + 86400
    boosts = {}
    for article_id, article in store.get_articles(sorted(article_ids), with_text=False).items():
        ts = timestamp(article.published_at)
        if ts is None or ts >= day:
            continue
        age_days = (day - ts) / 86400
        boosts[article_id] = settings.recency_weight * 0.5 ** (age_days / settings.recency_half_life_days)
    return boosts


def rank(query: Query, before: list[Ranking]) -> list[tuple[str, float]]:
    found = {m.chunk.article_id for r in before for m in r.matches}
    return list(recency_boosts(query.store, found, query.as_of, query.settings).items())


SIGNAL = Signal("recency", "recency_weight", Role.BOOSTS, rank, needs_vector=False, after=True,
                applies=lambda q: q.as_of is not None)
