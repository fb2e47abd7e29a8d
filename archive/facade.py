"""The facade every front end uses: ``Archive(settings)``."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from archive.errors import ArchiveError, ReadOnlyError
from archive.feeds import FeedMethods
from archive.locks import folder_lock
from archive.models.embedding import Embedder, make_embedder
from archive.settings import PROJECT_ROOT, Settings
from archive.types import (
    ArchiveStats,
    Article,
    Chunk,
    Facets,
    Filters,
    IngestReport,
    SearchHit,
    Watch,
)

if TYPE_CHECKING:
    from datetime import date

    from archive.answers.answerer import Answerer
    from archive.answers.types import Answer, Event
    from archive.lookup import LookupHit
    from archive.models.rerank import Reranker
    from archive.search.watches import WatchBook
    from archive.storage import Store
    from archive.storage.tokens import Tokens
    from archive.text.timewords import TimedQuery

LOCK_FILE = "ingest.lock"
WATCH_LOCK_FILE = "watches.lock"  # watch writers of this folder take turns (an ingest does not wait for them)
WATCH_LOCK_WAIT_S = 10.0
TURN_WAIT_S = 300.0  # longest an ingest on a shared server waits for another host's turn to write (one batch)
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"


class Archive(FeedMethods):
    """A news archive: ingest articles, search them, read them back, and poll its feeds (``FeedMethods``)."""

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None):
        self.settings = settings or Settings()
        self._embedder = embedder
        self._store: Store | None = None
        self._reranker: Reranker | None = None
        self._answerer: Answerer | None = None
        self._watches: WatchBook | None = None
        self._tokens: Tokens | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.settings)
        return self._embedder

    @property
    def store(self) -> Store:
        if self._store is None:
            from archive.storage import (
                Store,  # chromadb loads only when the store is used
            )

            self._store = Store(self.settings, self.settings.index_name(self.embedder.name))
        return self._store

    def ingest(
        self,
        paths: Iterable[str],
        source: str = "",
        prune: bool = False,
        progress: bool | None = False,
        on_progress: Callable[[int, str], None] | None = None,
        admin: bool = False,
    ) -> IngestReport:
        """Add or update articles from files, folders and URLs; holds the archive's write lock.

        A read-only archive (``settings.read_only``) refuses unless ``admin`` is True, which a front end
        passes only after it has authenticated an administrator.
        """
        from ingest.pipeline import Ingestor

        self._refuse_if_read_only("adding articles", admin)

        # The file lock holds for the whole run (one ingest per archive folder: its journal and derived
        # files); on a shared server the lease is taken per write, so hosts encode at once (ingest/pipeline.py).
        with self._write_lock(lease=False):
            turn = self._lease_turn if self.settings.chroma_url else contextlib.nullcontext
            report = Ingestor(self.store, self.embedder, self.settings, turn).run(
                paths, source=source, prune=prune, progress=progress, on_progress=on_progress
            )
            if report.added or report.updated or report.pruned:
                self.store.save_memory_index()  # the next search (or process) starts from an up-to-date snapshot
            if self.store.shared_server:
                with turn():
                    self.store.feed.trim()  # entries older than any host needs (one behind further reconciles)
            return report

    def _refuse_if_read_only(self, what: str, admin: bool = False) -> None:
        """Every method that writes calls this first: a read-only archive refuses whatever front end calls."""
        if self.settings.read_only and not admin:
            raise ReadOnlyError(f"this archive is read-only (ARCHIVE_READ_ONLY is set): {what} needs the admin password")

    def _lease_turn(self):
        """The writers' lease for one write on a shared server; waits for another host's write to end."""
        return self.store.lease.held(max(self.settings.lock_timeout_s, TURN_WAIT_S))

    def delete_articles(self, ids: Sequence[str], admin: bool = False) -> None:
        """Remove articles with their chunks, keyword and entity rows and headlines; holds the write lock.

        A read-only archive refuses unless ``admin`` is True, as ``ingest`` does.
        """
        self._refuse_if_read_only("deleting", admin)
        with self._write_lock():
            self.store.delete_articles(list(ids))
            self.store.save_memory_index()  # the next process starts without the deleted articles

    def interpret(
        self, query: str, filters: Filters | None = None, as_of: str | date | None = None, time_words: bool | None = None
    ) -> TimedQuery:
        """The query as search runs it: time words ("this week", "on Monday", "in June") resolved against
        the as-of date (today when not given) into a window of publication dates, and left out of its words.
        A given as-of date also leaves out articles published after it; undated articles stay. A window in
        which no stored article is dated is not applied (``unused`` names it)."""
        from dataclasses import replace

        from archive.text.query import plain_query
        from archive.text.timewords import parse_as_of, timed_query

        use_words = self.settings.time_words if time_words is None else time_words
        plain, when, explicit = plain_query(query), parse_as_of(as_of), as_of not in (None, "")
        timed = timed_query(plain, filters, when, explicit, use_words)
        w = timed.window
        if w is not None and not self.store.any_dated_between(w.start, w.end):
            # No article is dated then (an archive of older news asked about "this week"): search all
            # dates with the words as written, and say so, rather than find nothing but undated articles.
            timed = replace(timed_query(plain, filters, when, explicit, False), unused=w)
        return timed

    def search(
        self,
        query: str,
        k: int = 10,
        filters: Filters | None = None,
        stories: bool = True,
        as_of: str | date | None = None,
        time_words: bool | None = None,
    ) -> list[SearchHit]:
        """The ``k`` best articles for a query, each with its best passage; ``stories``: one hit per story.
        ``as_of``: the date the archive is consulted as of (see ``interpret``); ``time_words=False`` takes
        "this week" as two more words."""
        from archive.search.hybrid import hybrid_search

        timed = self.interpret(query, filters, as_of, time_words)
        return hybrid_search(self.store, self.embedder, self.settings, timed.text, k, timed.filters, self.reranker,
                             stories, as_of=timed.as_of)

    @property
    def reranker(self) -> Reranker | None:
        """The configured second stage (None when ``reranker`` is ``none``)."""
        if self._reranker is None and self.settings.reranker not in ("", "none", "off"):
            from archive.models.rerank import make_reranker

            self._reranker = make_reranker(self.settings.reranker, self.embedder, self.settings.rerank_sentences)
        return self._reranker

    @property
    def answerer(self) -> Answerer:
        """The configured answerer (``settings.answerer``) with its verifier, made once."""
        if self._answerer is None:
            from archive.answers.answerer import Answerer
            from archive.answers.verify import make_verifier
            from archive.models.chat import make_chat

            verifier = make_verifier(self.settings.verifier, self.embedder, offline=not self.settings.allow_model_downloads)
            self._answerer = Answerer(self.settings, self, self.store, self.embedder, verifier, make_chat(self.settings))
        return self._answerer

    def ask(
        self, question: str, history: Sequence[Answer] = (), filters: Filters | None = None,
        as_of: str | date | None = None, time_words: bool | None = None,
    ) -> Answer:
        """A grounded answer whose every sentence cites a numbered passage, or a refusal (time words as in search)."""
        return self.answerer.ask(question, history, filters, as_of, time_words)

    def ask_stream(
        self, question: str, history: Sequence[Answer] = (), filters: Filters | None = None,
        as_of: str | date | None = None, time_words: bool | None = None,
    ) -> Iterator[Event]:
        """The answer as events: ("sources", [...]), ("token", text)... and finally ("answer", Answer)."""
        return self.answerer.stream(question, history, filters, as_of, time_words)

    def lookup(
        self, phrase: str, k: int = 10, filters: Filters | None = None, approximate: bool = True,
        as_of: str | date | None = None,
    ) -> list[LookupHit]:
        """Where a phrase occurs, exactly or approximately, with who the article says said it (time words as
        in search: "20,000 soldiers last week")."""
        from archive.lookup import lookup

        timed = self.interpret(phrase, filters, as_of)
        if timed.text == phrase.strip():  # the phrase is a date ("December 19"): look it up as written
            timed = self.interpret(phrase, filters, as_of, time_words=False)
        return lookup(self.store, self, timed.text, k, timed.filters, approximate)

    def facets(self, query: str, filters: Filters | None = None, depth: int = 100) -> Facets:
        """Counts per source, month and named entity over the ``depth`` best matches of a query."""
        return self.facets_of(self.search(query, depth, filters))

    def facets_of(self, hits: list[SearchHit]) -> Facets:
        """Counts per source, month and named entity over search hits (and their stories' other reports)."""
        from dataclasses import replace

        from archive.search.facets import facet_counts

        ids = [a.id for h in hits for a in (h.article, *h.also)]
        return replace(facet_counts(hits), entities=self.store.entity_counts(ids))

    def ranked_ids(
        self, query: str, k: int = 10, filters: Filters | None = None, as_of: str | date | None = None,
        time_words: bool | None = None,
    ) -> list[str]:
        """Article ids in rank order, each hit followed by the other reports of its story."""
        ids: list[str] = []
        for hit in self.search(query, k, filters, as_of=as_of, time_words=time_words):
            ids += [hit.article.id, *(a.id for a in hit.also)]
        return ids[:k]

    def article(self, article_id: str) -> Article | None:
        """An article with its full text, or None."""
        return self.store.get_articles([article_id]).get(article_id)

    def chunks(self, article_id: str) -> list[Chunk]:
        """The chunks of an article, in order."""
        return self.store.chunks_of(article_id)

    def chunk(self, chunk_id: str) -> Chunk | None:
        """A chunk by its id, ``{article_id}:{index}`` (as ``Chunk.id`` gives it), or None."""
        article_id, _, index = chunk_id.rpartition(":")
        if not index.isdigit():
            return None
        return next((c for c in self.chunks(article_id) if c.index == int(index)), None)

    def articles(self) -> list[Article]:
        """Every article's metadata (no text)."""
        return list(self.store.iter_articles())

    def articles_by_id(self, ids: Sequence[str], with_text: bool = True) -> dict[str, Article]:
        """Articles by id (unknown ids left out); ``with_text=False`` reads only their metadata, from a cache."""
        return self.store.get_articles(list(ids), with_text=with_text)

    def story_members(self, story_id: str) -> list[str]:
        """The ids of every report of a story."""
        return list(self.store.story_members(story_id))

    def articles_naming(self, names: Sequence[str]) -> set[str]:
        """The ids of the articles that name all of ``names`` (any spelling the name book joins)."""
        return set(self.store.articles_naming(names))

    def count_articles(self) -> int:
        return self.store.count_articles()

    def seed_sample(self) -> IngestReport | None:
        """Ingest the bundled sample articles when the archive is empty; None when it was not."""
        if not self.is_empty():
            return None
        return self.ingest([str(SAMPLE_DIR)])

    def restory(self, progress=None, admin: bool = False) -> int:
        """Decide every article's story again under the current settings (holds the write lock);
        returns how many articles moved. A read-only archive refuses unless ``admin``."""
        from archive.search.stories import reassign_stories

        self._refuse_if_read_only("deciding stories again", admin)
        with self._write_lock():
            return reassign_stories(self.store, self.settings, progress)

    def name_articles(self, everything: bool = False, progress: bool | None = False, admin: bool = False) -> int:
        """Find the names articles hold (people, organisations, places) without embedding anything again:
        those not named yet (an archive from before names came after embedding, or an interrupted pass), or
        ``everything``. Holds the write lock; returns how many articles were named. Read-only refuses unless ``admin``."""
        from ingest.naming import name_articles

        self._refuse_if_read_only("finding names again", admin)
        with self._write_lock():
            ids = [a.id for a in self.store.iter_articles()] if everything else self.store.unnamed()
            return name_articles(self.store, self.settings, ids, progress)

    def is_empty(self) -> bool:
        return self.count_articles() == 0

    def stats(self) -> ArchiveStats:
        """How many articles and chunks, from which sources, over which dates."""
        from archive.storage import store_location
        from archive.storage.vectorscan import scan_path

        articles = self.articles()
        dates = sorted(a.published_at[:10] for a in articles if a.published_at)
        return ArchiveStats(
            articles=len(articles),
            chunks=self.store.count_chunks(),
            sources=dict(Counter(a.source or "(unknown)" for a in articles).most_common()),
            index_name=self.store.index_name,
            embedding_model=self.embedder.name,
            location=store_location(self.settings),
            first_published=dates[0] if dates else "",
            last_published=dates[-1] if dates else "",
            vector_scan=scan_path(),
        )

    # ---- watches (archive/search/watches.py, docs/watches.md) and API tokens (archive/storage/tokens.py) ----

    @property
    def _watchbook(self) -> WatchBook:
        if self._watches is None:
            from archive.search.watches import WatchBook

            search = lambda q, k, f: self.search(q, k, f, time_words=False)  # noqa: E731 - a watch's words are words
            self._watches = WatchBook(self.store, search, self._watch_lock, not self.settings.read_only)
        return self._watches

    def watches(self) -> list[Watch]:
        """Every watch, its matches caught up with the change feed, new matches first."""
        return self._watchbook.all()

    def watch(self, name: str) -> Watch:
        """One watch, or ``NotFoundError``."""
        return self._watchbook.get(name)

    def add_watch(self, name: str, query: str, filters: dict | None = None) -> Watch:
        """Save a search (query and filters: sources, since, until, entities) as a watch (a write)."""
        self._refuse_if_read_only("adding a watch")
        return self._watchbook.add(name, query, filters)

    def remove_watch(self, name: str) -> None:
        """Delete a watch (a write)."""
        self._refuse_if_read_only("removing a watch")
        self._watchbook.remove(name)

    def mark_watch_seen(self, name: str | None = None, admin: bool = False) -> None:
        """Mark a watch (None: every watch) seen now; refused in read-only mode unless ``admin``."""
        self._refuse_if_read_only("marking a watch seen", admin)
        self._watchbook.mark_seen(name)

    def watch_atom(self, name: str, base_url: str = "") -> str:
        """A watch as an Atom 1.0 document, its new matches first."""
        from archive.search.atom import watch_atom

        return watch_atom(self.watch(name), base_url)

    @property
    def _token_book(self) -> Tokens:
        if self._tokens is None:
            from archive.storage.tokens import COLLECTION, Tokens

            self._tokens = Tokens(self.store.conn.collection(COLLECTION))
        return self._tokens

    def add_token(self, name: str) -> str:
        """A new write token for the HTTP API, returned once (only its hash is kept; a write)."""
        self._refuse_if_read_only("making an API token")
        return self._token_book.add(name)

    def tokens(self) -> list[dict]:
        """Every API token's name, creation time and whether it was revoked."""
        return self._token_book.list()

    def revoke_token(self, name: str) -> int:
        """Revoke the live tokens of that name (a write; allowed in read-only mode, which only takes rights away)."""
        return self._token_book.revoke(name)

    def token_status(self, token: str) -> tuple[str, str]:
        """('ok' | 'revoked' | 'unknown', the token's name) for a token a client presented."""
        return self._token_book.check(token)

    def _watch_lock(self):
        busy = f"another process is writing watches in {self.settings.dir}; try again"
        return folder_lock(self.settings.dir / WATCH_LOCK_FILE, WATCH_LOCK_WAIT_S, busy)

    @contextmanager
    def _write_lock(self, lease: bool = True):
        """This folder's file lock; with ``lease``, on a shared server also the writers' lease, for the block."""
        path = self.settings.dir / LOCK_FILE
        busy = f"another ingest is writing to {self.settings.dir} (lock {path}); try again when it ends"
        with folder_lock(path, self.settings.lock_timeout_s, busy):
            if lease and self.settings.chroma_url:  # other hosts may write to the same server: one writer at a time
                with self.store.lease.held(self.settings.lock_timeout_s):
                    yield
            else:
                yield


__all__ = ["Archive", "ArchiveError"]
