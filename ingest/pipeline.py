"""Ingest: inputs → articles → chunks → vectors → store, idempotent and incremental.

Articles are processed in batches so the model embeds many chunks per call. Within a batch, an
article is only written once all of its chunks are embedded, and the store keeps the previous
version readable until the new one is committed, so a failure never loses what was there.

Writes happen in turns (``turn``, the writers' lease on a shared Chroma server; nothing on an
embedded archive, which the archive's file lock keeps to one ingest): the sweep and catch-up before
the run, each batch, the origins and names after it, and prune. Between turns other hosts may write,
so on a shared server each batch is checked again in its turn: an article another host stored
meanwhile (the same content, or the same id) is recorded as a copy or left as it is, not stored twice.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from archive.errors import ArchiveError, EmbeddingError, InputError
from archive.models.embedding import Embedder, mean_vector
from archive.search.stories import assign_stories
from archive.settings import Settings
from archive.types import Article, Chunk, IngestFailure, IngestReport, RawDocument, record_id_of
from ingest import sources
from ingest.chunking import BATCH_CHUNKS, chunk_article, headline_text
from ingest.furnishing import Furnishing, chunk_text
from ingest.naming import name_articles
from ingest.normalize import normalize, valid_unicode
from ingest.progress import progress_bar
from ingest.reads import Reads, file_state, finish_read, origin_file, prune_verdict
from ingest.writer import BackgroundWriter, Embedded

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    article: Article
    chunks: list[Chunk] = field(default_factory=list)
    is_update: bool = False
    furniture: frozenset[str] = frozenset()  # paragraph keys its chunks embed without


class Ingestor(Furnishing):
    """Runs one ingest over a store and an embedder."""

    def __init__(self, store, embedder: Embedder, settings: Settings,
                 turn: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext):
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self._turn = turn  # held around every write (see the module docstring)
        self._taken: list[tuple[Embedded, str]] = []  # stored by another host meanwhile, and by which id

    def run(
        self,
        paths: Iterable[str],
        source: str = "",
        prune: bool = False,
        progress: bool | None = None,
        on_progress: Callable[[int, str], None] | None = None,
    ) -> IngestReport:
        """Ingest files, folders and URLs; returns what happened to each."""
        paths = list(paths)
        report = IngestReport()
        with self._turn():
            self.store.recover()
            self._backfill_headlines()
            report.refurnished = self._refurnish()
        origins, failures, report.skipped = sources.discover(paths)
        report.failed.extend(failures)
        defaults = {"source": source} if source else {}
        reads = Reads()
        seen_ids: set[str] = set()
        bar = progress_bar(origins, progress)
        pending: list[_Pending] = []
        done = 0
        self._writer = BackgroundWriter(self.store, before_write=self._in_turn, turn=self._turn)
        self._run_hashes: dict[str, str] = {}
        # Origins to add to stored articles, applied once the writer is done (their owner may be in flight).
        self._extra_origins: list[tuple[str, str]] = []
        self._replaced: set[str] = set()  # articles this run updates: their stored content is going away
        self._stored_dups: list[tuple[_Pending, str]] = []  # duplicates of a stored article, and its id
        self._holder: dict[str, str] = {}  # each origin read this run -> the article holding its content
        try:
            for article in self._articles(origins, defaults, report, reads):
                done += 1
                bar.update(1)
                if on_progress:
                    on_progress(done, article.origin)
                if article.id in seen_ids:
                    report.duplicate += 1
                    report.duplicates.append((article.origin, article.id))
                    continue
                seen_ids.add(article.id)
                self._holder[article.origin] = article.id
                pending.append(_Pending(article))
                if len(pending) >= 64:
                    self._flush(pending, report)
                    pending = []
            self._flush(pending, report)
        finally:
            # Whatever stops the run, what was already embedded is still written.
            self._written = written = self._writer.close()
            report.added, report.updated, report.chunks_embedded = written.added, written.updated, written.chunks
            report.failed.extend(written.failed)
        self._record_taken(report)
        with self._turn():
            for article_id, origin in self._extra_origins:
                self.store.add_origin(article_id, origin)
            self._drop_moved_origins()
        bar.close()
        if self.settings.entities:  # the articles are searchable already; their names fill in now
            try:
                report.named = name_articles(self.store, self.settings, self._to_name(), progress, self._turn)
            except ArchiveError as e:  # the articles stay stored and searchable; `python -m archive names` retries
                log.warning("could not find the names articles hold (they are stored; retry with "
                            "`python -m archive names`): %s", e)
        with self._turn():
            if prune:
                report.pruned = self._prune(paths, reads, report)
            # Paragraphs this run made furniture (or deletions made ordinary again) change what stored chunks embed.
            report.refurnished += self._refurnish()
        return report

    # ---- reading ---------------------------------------------------------------------------------

    def _articles(
        self, origins: list[str], defaults: dict[str, str], report: IngestReport, reads: Reads
    ) -> Iterator[Article]:
        for origin in origins:
            before = file_state(origin)
            try:
                for item in sources.read(origin, self.settings):
                    article = self._take(origin, item, defaults, report, reads)
                    if article is not None:
                        yield article
            except InputError as e:
                report.failed.append(IngestFailure(origin, str(e)))
                reads.skip(origin, f"its read failed ({e})")
                continue
            except (OSError, ValueError, RecursionError) as e:  # a reader bug must not stop the run
                report.failed.append(IngestFailure(origin, f"could not read: {type(e).__name__}: {e}"))
                reads.skip(origin, f"its read failed ({type(e).__name__}: {e})")
                continue
            finish_read(origin, before, reads)

    def _take(self, origin: str, item: RawDocument | IngestFailure, defaults: dict[str, str], report: IngestReport,
              reads: Reads) -> Article | None:
        """The article of one item a reader gave, or None for a failure; either way noted for --prune."""
        if isinstance(item, sources.RecordFailure):  # one record failed; the rest of its file is read
            report.failed.append(IngestFailure(item.path, item.reason))
            if item.record_origin:
                reads.origins.add(valid_unicode(item.record_origin))
            else:
                reads.skip(origin, f"{item.path} could not be read, and it may be any of its records")
            return None
        if isinstance(item, IngestFailure):  # the reader stopped part-way through the file
            report.failed.append(item)
            reads.skip(origin, f"its read stopped part-way ({item.reason})")
            return None
        reads.origins.add(valid_unicode(item.origin))  # a record that fails normalisation is still in its file
        report.notes.extend(IngestFailure(item.origin, note) for note in item.notes)
        return self._normalize(item, defaults, report)

    def _normalize(self, raw: RawDocument, defaults: dict[str, str], report: IngestReport) -> Article | None:
        try:
            return normalize(raw, defaults, max_chars=self.settings.max_article_chars)
        except InputError as e:
            report.failed.append(IngestFailure(raw.origin, str(e)))
            return None

    # ---- deciding and writing ----------------------------------------------------------------------

    def _flush(self, pending: list[_Pending], report: IngestReport) -> None:
        if not pending:
            return
        ids = [p.article.id for p in pending]
        bare = [record_id_of(i) for i in ids]  # the ids records had before they were scoped by feed
        stored = self.store.get_articles(list(dict.fromkeys(ids + bare)), with_text=False)
        fresh: list[_Pending] = []
        for item in pending:
            self._adopt_legacy_id(item, stored)
            old = stored.get(item.article.id)
            if old is None:
                fresh.append(item)
            elif old.content_hash == item.article.content_hash:
                report.unchanged += 1
                if item.article.origin not in old.origins:
                    self._extra_origins.append((old.id, item.article.origin))
            elif other := _other_input(item.article, old):
                reason = f"article id {old.id} is already taken by {other}; that article is kept, this one not stored"
                report.failed.append(IngestFailure(item.article.origin, reason))
            else:
                item.is_update = True
                item.article = replace(item.article, origins=_merge(item.article.origin, old.origins))
                self._replaced.add(old.id)
                fresh += self._revive_duplicates_of(old.id, report)
                fresh.append(item)
        to_write = self._drop_duplicates(fresh, report)
        self._embed_and_write(to_write, report)

    def _adopt_legacy_id(self, item: _Pending, stored: dict[str, Article]) -> None:
        """A record stored under its bare id (by an ingest from before feed-scoped ids) keeps that id.

        So an older archive is updated in place, not filled with a second copy of every record.
        """
        article = item.article
        old = stored.get(record_id_of(article.id))
        if article.id not in stored and old is not None and article.origin in (old.origins or (old.origin,)):
            item.article = replace(article, id=old.id)
            self._holder[article.origin] = old.id

    def _drop_duplicates(self, items: list[_Pending], report: IngestReport) -> list[_Pending]:
        """New articles whose exact content is already stored under another id are recorded, not stored."""
        new_items = [i for i in items if not i.is_update]
        found = self.store.find_by_hash([i.article.content_hash for i in new_items])
        stored = {h: aid for h, aid in found.items() if aid not in self._replaced}
        owners = {**self._run_hashes, **stored}
        keep: list[_Pending] = []
        for item in items:
            content = item.article.content_hash
            owner = owners.get(content)
            if item.is_update or owner is None or owner == item.article.id:
                # An update owns its new content too: a new copy of it later in the run is a duplicate.
                owners.setdefault(content, item.article.id)
                self._run_hashes.setdefault(content, item.article.id)
                keep.append(item)
                continue
            report.duplicate += 1
            report.duplicates.append((item.article.origin, owner))
            self._holder[item.article.origin] = owner
            if any(k.article.id == owner for k in keep):
                keep = [_with_origin(k, item.article.origin) if k.article.id == owner else k for k in keep]
            else:
                self._extra_origins.append((owner, item.article.origin))
                if stored.get(content) == owner:
                    self._stored_dups.append((item, owner))
        return keep

    def _drop_moved_origins(self) -> None:
        """An article no longer lists origins whose content this run found elsewhere.

        A copy read again with different content is now another article (or a copy of one), and listing
        it here would show a source that does not say this; this happens when the copy changed, or when
        the article did and its copies held its old content. Origins not read again stay, as nothing
        says they changed.
        """
        if not self._holder:
            return
        candidates = {a.id: a for a in self.store.articles_with_copies()}
        candidates.update(self.store.get_articles(sorted(self._replaced), with_text=False))
        for article_id, article in candidates.items():
            kept = [o for o in article.origins if self._holder.get(o, article_id) == article_id]
            if kept and len(kept) < len(article.origins):
                self.store.set_origins(article_id, kept)

    def _revive_duplicates_of(self, owner: str, report: IngestReport) -> list[_Pending]:
        """Duplicates matched earlier in this run to a stored article that is now being updated.

        Their content is about to leave the archive with the owner's old version, so they are stored
        after all, instead of being recorded as origins of an article that no longer holds them.
        """
        revived = [item for item, of in self._stored_dups if of == owner]
        if not revived:
            return []
        self._stored_dups = [(item, of) for item, of in self._stored_dups if of != owner]
        origins = {item.article.origin for item in revived}
        self._holder.update((item.article.origin, item.article.id) for item in revived)  # their own now
        self._extra_origins = [(of, o) for of, o in self._extra_origins if not (of == owner and o in origins)]
        report.duplicates = [(o, of) for o, of in report.duplicates if not (of == owner and o in origins)]
        report.duplicate -= len(revived)
        return revived

    def _embed_and_write(self, items: list[_Pending], report: IngestReport) -> None:
        size, overlap = self.settings.chunk_size, self.settings.chunk_overlap
        for item in items:
            item.chunks = chunk_article(item.article.id, item.article.text, size, overlap)
        furniture = self._furniture([i.article for i in items], stored=False)
        for item in items:
            item.furniture = furniture.get(item.article.id, frozenset())
        for group in _groups(items, BATCH_CHUNKS):
            try:
                embedded = self._embed(group)
            except EmbeddingError:
                # Isolate the article that failed; the others are still stored.
                embedded = []
                for item in group:
                    try:
                        embedded += self._embed([item])
                    except EmbeddingError as e:
                        reason = f"embedding failed: {e}; previous version kept"
                        report.failed.append(IngestFailure(item.article.origin, reason))
            self._writer.submit(embedded)

    def _embed(self, group: list[_Pending]) -> list[Embedded]:
        texts = [chunk_text(i.article, c, i.furniture) for i in group for c in i.chunks]
        texts += [headline_text(i.article.title, i.article.text) for i in group]
        vectors = self.embedder.embed_documents(texts)
        embedded, offset = [], 0
        headlines = vectors[len(texts) - len(group):]
        for item, headline in zip(group, headlines):
            n = len(item.chunks)
            embedded.append(Embedded(item.article, item.chunks, vectors[offset : offset + n], item.is_update, headline,
                                     item.furniture))
            offset += n
        return embedded

    def _to_name(self) -> list[str]:
        """Articles whose names are not found yet; on a shared server only this run's (each worker names its
        own; what an interrupted worker left, `python -m archive names` finds)."""
        unnamed = self.store.unnamed()
        return [i for i in unnamed if i in self._written.ids] if self.store.shared_server else unnamed

    def _in_turn(self, batch: list[Embedded]) -> list[Embedded]:
        """What the writer does in a batch's turn before storing it: check it again, then find its stories."""
        return self._with_stories(self._still_new(batch) if self.store.shared_server else batch)

    def _still_new(self, batch: list[Embedded]) -> list[Embedded]:
        """The batch less what another host stored since this run decided to store it (see the module docstring).

        An article whose content another host stored under another id is a copy of that one; one whose id
        another host stored is left as it is when the content is the same, and replaced otherwise.
        """
        new = [e for e in batch if not e.is_update]
        owners = self.store.find_by_hash([e.article.content_hash for e in new])
        stored = self.store.records([e.article.id for e in new], ["metadatas"])
        kept = []
        for e in batch:
            owner, article = owners.get(e.article.content_hash), e.article
            if e.is_update:
                kept.append(e)
            elif owner is not None and owner != article.id and owner not in self._replaced:
                self._taken.append((e, owner))  # a copy of another host's article
            elif article.id in stored and stored[article.id][0].content_hash == article.content_hash:
                self._taken.append((e, article.id))  # the same article, stored by another host
            else:  # new, or its id stored meanwhile with other content, which this version replaces
                kept.append(replace(e, is_update=article.id in stored))
        return kept

    def _record_taken(self, report: IngestReport) -> None:
        """Articles another host stored first: copies of its articles (or the same article), not stored again."""
        for e, owner in self._taken:
            origin = e.article.origin
            self._holder[origin] = owner
            self._extra_origins.append((owner, origin))
            if owner == e.article.id:
                report.unchanged += 1
            else:
                report.duplicate += 1
                report.duplicates.append((origin, owner))

    def _with_stories(self, batch: list[Embedded]) -> list[Embedded]:
        """Each article with its story id, so that it is written once, complete (names come after: ``name``)."""
        stories = assign_stories(self.store, [(e.article, mean_vector(e.vectors)) for e in batch], self.settings)
        return [replace(e, article=replace(e.article, story_id=story)) for e, story in zip(batch, stories)]

    # ---- pruning ---------------------------------------------------------------------------------

    def _prune(self, paths: list[str], reads: Reads, report: IngestReport) -> int:
        """Remove articles whose file under ``paths`` is gone, or whose record left a file read whole now.

        A file that was not read whole (its read failed part-way, or it changed meanwhile) says nothing
        about the records it did not yield: they are kept, and the report says prune skipped the file.
        """
        roots = [str(Path(p).resolve()) for p in paths if not p.startswith(("http://", "https://"))]
        gone: list[str] = []
        held_back: set[str] = set()
        for article in self.store.iter_articles():
            origins = article.origins or (article.origin,)
            verdicts = [(o, *prune_verdict(o, roots, reads)) for o in origins]
            kept = [o for o, is_gone, _ in verdicts if not is_gone]
            held_back.update(path for _, _, path in verdicts if path)
            if not kept:
                gone.append(article.id)
            elif len(kept) < len(origins):
                self.store.set_origins(article.id, kept)
        self.store.delete_articles(gone)
        report.failed += [IngestFailure(p, f"prune skipped it: {reads.skipped[p]}") for p in sorted(held_back)]
        return len(gone)


def _other_input(article: Article, stored: Article) -> str:
    """An origin of the stored article holding this id, when none came from this article's file or URL."""
    origins = stored.origins or (stored.origin,)
    inputs = {origin_file(o) or o for o in origins}  # a record's input is its file; a URL is its own
    return "" if (origin_file(article.origin) or article.origin) in inputs else origins[0]


def _merge(origin: str, others: tuple[str, ...]) -> tuple[str, ...]:
    return (origin, *[o for o in others if o != origin])


def _with_origin(item: _Pending, origin: str) -> _Pending:
    item.article = replace(item.article, origins=(*item.article.origins, origin))
    return item


def _groups(items: list[_Pending], max_chunks: int) -> Iterator[list[_Pending]]:
    group: list[_Pending] = []
    count = 0
    for item in items:
        if group and count + len(item.chunks) > max_chunks:
            yield group
            group, count = [], 0
        group.append(item)
        count += len(item.chunks)
    if group:
        yield group


