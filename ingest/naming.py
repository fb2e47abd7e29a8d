"""The names pass after embedding: people, organisations and places found over each article's whole text
(archive/models/entities.py), on every core (archive/models/nameworkers.py), recorded batch by batch."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable, Iterator

from archive.settings import Settings
from archive.types import Article

NAME_BATCH = 32  # articles per names batch (spaCy pipes them 16 at a time; a worker takes one at a time)


def name_articles(store, settings: Settings, article_ids: list[str], progress: bool | None = None,
                  turn: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext) -> int:
    """Find the people, organisations and places each article names, over its whole text (spaCy's NER
    pipe alone, batched), and record them: a pass after embedding, so encoding never waits for it.
    With more than one batch, the batches are shared among a worker process per core
    (archive/models/nameworkers.py), the encoder being idle by now. Each batch's names are recorded in a
    ``turn`` (see the module docstring). Returns how many articles were named."""
    if not article_ids:
        return 0
    from tqdm import tqdm

    from archive.models.nameworkers import NamePool, cores

    shown = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=len(article_ids), unit="article", desc="names", file=sys.stderr, disable=not shown)
    batches = (list(store.get_articles(article_ids[start : start + NAME_BATCH]).values())
               for start in range(0, len(article_ids), NAME_BATCH))
    workers = min(cores(), -(-len(article_ids) // NAME_BATCH))
    named = 0
    with contextlib.ExitStack() as stack:
        if workers > 1:
            found_in = stack.enter_context(NamePool(settings.entity_chars, workers)).map(batches)
        else:
            found_in = _names_here(batches, settings.entity_chars)
        for articles, found in found_in:
            with turn():
                named += store.set_entities({a.id: f for a, f in zip(articles, found)},
                                            {a.id: a.content_hash for a in articles})
            bar.update(len(articles))
    bar.close()
    return named


def _names_here(batches: Iterable[list[Article]], max_chars: int) -> Iterator[tuple[list[Article], list[tuple]]]:
    """Each batch of articles with its names, found in this process."""
    from archive.models.entities import get_extractor

    extractor = get_extractor(max_chars)
    for articles in batches:
        yield articles, extractor.extract([a.title for a in articles], [a.text for a in articles])
