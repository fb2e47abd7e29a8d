"""Site furniture at ingest: which paragraphs of a batch are furniture, stored articles embedded again when
the furniture changed (only their changed chunks), and headlines backfilled for archives from before them."""

from __future__ import annotations

import logging
from collections import Counter

import numpy as np

from archive.errors import ArchiveError, EmbeddingError
from archive.text.furniture import paragraph_keys, without_furniture
from archive.types import Article, Chunk
from ingest.chunking import BATCH_CHUNKS, embedding_text, headline_text

log = logging.getLogger(__name__)


class Furnishing:
    """The Ingestor's furniture and headline work (it provides ``store``, ``embedder``, ``settings`` and ``_turn``)."""

    def _furniture(self, articles: list[Article], stored: bool) -> dict[str, frozenset[str]]:
        """Each article's paragraphs that are site furniture (archive/text/furniture.py).

        ``stored``: the articles' own paragraph rows are in the archive and count; otherwise the batch's
        articles are counted on top of the stored articles that hold the paragraph.
        """
        least = self.settings.furniture_min_articles
        if least <= 0 or not articles:
            return {}
        keys = {a.id: paragraph_keys(a.text) for a in articles}
        counts = Counter(self.store.paragraph_counts(set().union(*keys.values()), () if stored else list(keys)))
        if not stored:  # the batch counts too: ten new copies of a pitch make it furniture in all ten at once
            counts.update(k for ks in keys.values() for k in ks)
        return {aid: frozenset(k for k in ks if counts[k] >= least) for aid, ks in keys.items()}

    def _refurnish(self) -> int:
        """Embed again the chunks of stored articles whose furniture changed since they were embedded.

        A paragraph becomes furniture when enough articles hold it, after the first of them were stored;
        it stops being furniture when deletions bring it below the threshold. Chunks keep their spans
        and ids; only their vectors (and their article's mean vector) change.
        """
        ids = self.store.misfurnished(self.settings.furniture_min_articles)
        done = 0
        for start in range(0, len(ids), 64):
            articles = list(self.store.get_articles(ids[start:start + 64]).values())
            furniture = self._furniture(articles, stored=True)
            before = self.store.left_out([a.id for a in articles])
            batch = [(a, self.store.chunks_of(a.id, a)) for a in articles]
            batch = [(a, chunks) for a, chunks in batch if chunks]
            # Only chunks whose embedded text changes are embedded; the others keep their stored vector.
            vectors: dict[tuple[str, int], np.ndarray] = {}
            texts: dict[tuple[str, int], str] = {}
            for a, chunks in batch:
                stored = self.store.chunk_vectors(a, chunks)
                for c in chunks:
                    text = chunk_text(a, c, furniture.get(a.id, ()))
                    if c.index in stored and text == chunk_text(a, c, before.get(a.id, ())):
                        vectors[(a.id, c.index)] = stored[c.index]
                    else:
                        texts[(a.id, c.index)] = text
            try:
                if texts:
                    vectors.update(zip(texts, self.embedder.embed_documents(list(texts.values()))))
            except EmbeddingError as e:  # the articles keep their current vectors; the next ingest tries again
                log.warning("could not embed again %d articles whose site furniture changed: %s", len(ids) - start, e)
                return done
            from archive.storage import Version

            rows = [Version(a, chunks, np.asarray([vectors[(a.id, c.index)] for c in chunks], dtype=np.float32),
                            left_out=frozenset(furniture.get(a.id, ()))) for a, chunks in batch]
            try:
                self.store.write(rows)
            except ArchiveError as e:  # the write protocol keeps the stored version; the next ingest tries again
                log.warning("could not store %d articles embedded again without site furniture: %s", len(rows), e)
                return done
            done += len(batch)
        if done:
            log.info("embedded again the chunks of %d articles whose site furniture changed", done)
        return done

    def _backfill_headlines(self) -> int:
        """Embed the headlines of stored articles that lack one (an archive from before headlines)."""
        missing = self.store.articles_missing_headlines()
        for start in range(0, len(missing), BATCH_CHUNKS):
            part = missing[start:start + BATCH_CHUNKS]
            try:
                vectors = self.embedder.embed_documents([headline_text(a.title, a.text) for a in part])
            except EmbeddingError as e:  # the articles keep searching without this signal
                log.warning("could not embed the headlines of %d stored articles (the next ingest tries again): %s",
                            len(missing) - start, e)
                return start
            self.store.set_headline_vectors(part, vectors)
        return len(missing)


def chunk_text(article: Article, chunk: Chunk, furniture) -> str:
    """What a chunk embeds: the article's title, then the passage without site furniture."""
    return embedding_text(article.title, without_furniture(article.text, chunk.start, chunk.end, furniture))
