"""The facade's feed methods (mixed into ``archive.Archive``): subscriptions, OPML, and the poller.

Subscriptions live with the record (``archive.storage.subscriptions``), so reading them opens Chroma but
loads no model. One poller runs per archive at a time: it holds a lease (``archive-poller``, the writers'
kind of lease, so it works across the hosts of a Chroma server too) for as long as it runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from archive.errors import ArchiveBusyError, InputError, ReadOnlyError
from archive.settings import Settings

if TYPE_CHECKING:
    from archive.storage.subscriptions import Feed, Subscriptions
    from archive.types import IngestReport
    from ingest.poller import PollResult


class FeedMethods:
    """Feeds for ``Archive``: it provides ``settings`` and ``ingest``."""

    settings: Settings
    ingest: Callable[..., IngestReport]

    @property
    def subscriptions(self) -> Subscriptions:
        from archive.storage.chroma import Connection
        from archive.storage.subscriptions import SUBSCRIPTIONS, Subscriptions

        return Subscriptions(Connection.to(self.settings).collection(SUBSCRIPTIONS))

    def feeds(self) -> list[Feed]:
        """Every subscribed feed with its state, in the order they were added."""
        return self.subscriptions.all()

    def feed(self, url: str) -> Feed | None:
        """The feed subscribed at ``url`` (or first added with it), or None."""
        return self.subscriptions.get(url)

    def add_feed(self, url: str, title: str = "", admin: bool = False) -> tuple[Feed, bool]:
        """Subscribe to the feed at ``url``, or to the feed a web page names in its ``<link rel="alternate">``;
        returns (the feed, whether it is new). The URL is fetched once to find out."""
        self._may_write(admin)
        from ingest.readers.feedlinks import find_feed

        found_url, found_title = find_feed(url.strip(), self.settings)
        return self.subscriptions.add(found_url, title or found_title, self.settings.feed_interval_s)

    def remove_feed(self, url: str, admin: bool = False) -> bool:
        """Unsubscribe (the articles it brought stay); False when no feed has that URL."""
        self._may_write(admin)
        return self.subscriptions.remove(url.strip())

    def import_opml(self, data: bytes, admin: bool = False) -> int:
        """Subscribe to every feed of an OPML list (without fetching them); returns how many were new."""
        self._may_write(admin)
        from ingest.readers.sitemaps import parse_opml

        feeds = parse_opml(data)
        if not feeds:
            raise InputError("the OPML file lists no feeds (no <outline xmlUrl=...>)")
        return self.subscriptions.add_many(feeds, self.settings.feed_interval_s)

    def export_opml(self) -> str:
        """Every subscription as an OPML 2.0 document."""
        from ingest.readers.sitemaps import opml_document

        return opml_document([(f.url, f.title) for f in self.feeds()])

    def poll_feeds(self, once: bool = True, force: bool = False, stop: threading.Event | None = None,
                   on_result: Callable[[PollResult], None] | None = None) -> list[PollResult]:
        """Poll the due feeds (``force``: all of them) once, or with ``once=False`` until ``stop`` is set,
        holding the poller's lease throughout; another poller running refuses with ArchiveBusyError."""
        from archive.storage.chroma import Connection
        from archive.storage.lease import WriterLease
        from archive.storage.store import store_location
        from archive.storage.subscriptions import POLLER
        from ingest.poller import Poller

        stop = stop or threading.Event()
        lease = WriterLease(Connection.to(self.settings).collection(POLLER), store_location(self.settings))
        holder = lease.holder()
        poller = Poller(self.subscriptions, self.settings,
                        lambda paths: self.ingest(paths, progress=False, admin=True))
        results: list[PollResult] = []
        try:
            with lease.held(0):
                while True:
                    results += poller.cycle(force, stop, on_result)
                    force = False
                    if once or stop.wait(min(max(poller.seconds_to_next(), 1.0), 60.0)):
                        return results
        except ArchiveBusyError as e:
            owner = (lease.holder() or holder or {}).get("owner", "another process")
            raise ArchiveBusyError(f"another poller ({owner}) is polling the feeds of this archive; "
                                   "one poller runs at a time") from e

    def _may_write(self, admin: bool) -> None:
        if self.settings.read_only and not admin:
            raise ReadOnlyError("this archive is read-only (ARCHIVE_READ_ONLY is set): changing its feeds needs "
                                "the admin password")
