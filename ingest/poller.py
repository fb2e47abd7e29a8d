"""The feed poller: one cycle polls every due feed once, with conditional GETs, and ingests what is new.

Per feed: a GET with the ETag and Last-Modified it gave last time; a 304 costs nothing more. Otherwise
the body is parsed, the entries whose key (``FeedEntry.key``: who they are and what they say) was stored
before are left out, and the rest (at most ``feed_max_entries``) are ingested like any input, through
the archive's ingest (its write lock, its idempotence: an entry seen again is one article, an entry
whose text changed is an update). The state is written after the ingest has committed, so a poller
stopped in between polls that feed again in full next time, and the ingest finds the articles unchanged.

Errors are the feed's, never the poller's: each is written to the feed's ``last_error`` and logged, the
feed backs off (``schedule.after_error``) and the cycle goes on to the next feed. A cycle polls at most
``feed_cycle_max_feeds`` feeds, most overdue first; every request waits its host's turn (``HostPacer``).
Fetches go through the URL reader's guard: unless ``allow_private_urls`` is set, a feed or entry link
that leads to a loopback or private address is refused, as in the app.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from archive.errors import ArchiveError, InputError
from archive.settings import Settings
from archive.storage.subscriptions import Feed, Subscriptions
from archive.types import IngestReport
from ingest.readers.addresses import Classifier, address_kind, public_addresses_only
from ingest.readers.dispatch import given
from ingest.readers.entries import FeedEntry, ParsedFeed, first_entries
from ingest.readers.feeds import feed_documents, parse_feed
from ingest.readers.fetch import FetchError, Response, fetch, paced
from ingest.readers.links import canonical_link
from ingest.readers.origins import is_url
from ingest.readers.sniff import feed_kind
from ingest.schedule import HostPacer, after_error, after_success, iso, max_age_s, retry_after_s, unix

log = logging.getLogger(__name__)
Ingest = Callable[[list[str]], IngestReport]


@dataclass(frozen=True)
class PollResult:
    """What polling one feed did: ``status`` is unchanged (304), new, no-new, error, or moved (to a feed that
    was subscribed already, which it is now merged into)."""

    url: str
    status: str
    added: int = 0
    updated: int = 0
    error: str = ""
    next_poll: str = ""

    def line(self) -> str:
        done = {"unchanged": "unchanged (304)", "no-new": "no new entries",
                "new": f"{self.added} added, {self.updated} updated", "error": f"error: {self.error}",
                "moved": f"{self.error}; unsubscribed"}
        return f"{self.url}: {done[self.status]}; next poll {self.next_poll}"


class Poller:
    """Polls the subscriptions of one archive; ``ingest`` stores documents (``Archive.ingest``)."""

    def __init__(self, subscriptions: Subscriptions, settings: Settings, ingest: Ingest,
                 clock: Callable[[], float] = time.time, classify: Classifier = address_kind):
        self.subs = subscriptions
        self._classify = classify  # which addresses count as not public (tests stand a loopback in for the web)
        self.settings = settings
        self._ingest = ingest
        self._clock = clock
        self.pacer = HostPacer(settings.feed_host_rate)
        self._pending: dict[str, Feed] = {}  # state to write at the end of the cycle (see ``flush``)

    def due(self, force: bool = False) -> list[Feed]:
        """The feeds to poll now, most overdue first, at most ``feed_cycle_max_feeds``."""
        now = self._clock()
        feeds = [f for f in self.subs.all() if force or unix(f.next_poll) <= now]
        return sorted(feeds, key=lambda f: unix(f.next_poll))[: self.settings.feed_cycle_max_feeds]

    def cycle(self, force: bool = False, stop: threading.Event | None = None,
              on_result: Callable[[PollResult], None] | None = None) -> list[PollResult]:
        """Poll every due feed once (``force``: every feed); ``stop`` ends the cycle between feeds."""
        results = []
        guard = contextlib.nullcontext() if self.settings.allow_private_urls else public_addresses_only(self._classify)
        try:
            with guard, paced(self.pacer):
                for feed in self.due(force):
                    if stop is not None and stop.is_set():
                        break
                    result = self.poll(feed)
                    results.append(result)
                    if on_result:
                        on_result(result)
        finally:
            self.flush()
        return results

    def flush(self) -> None:
        """Write the state of the feeds that stored nothing (304s, errors), kept back to write in one call.

        A Chroma write costs a commit (tens of ms): 200 unchanged feeds written one by one took most of a
        cycle. Losing this state (a crash before the flush) only makes those feeds due again."""
        pending, self._pending = list(self._pending.values()), {}
        self.subs.save_many(pending)

    def seconds_to_next(self) -> float:
        """Seconds until the next feed is due (the interval when there are none)."""
        times = [unix(f.next_poll) for f in self.subs.all()]
        return max(0.0, min(times) - self._clock()) if times else self.settings.feed_interval_s

    # ---- one feed ---------------------------------------------------------------------------------

    def poll(self, feed: Feed) -> PollResult:
        """Poll one feed and write its state; never raises for what the feed or its server did."""
        headers = {k: v for k, v in (("If-None-Match", feed.etag), ("If-Modified-Since", feed.last_modified)) if v}
        try:
            response = fetch(feed.url, self.settings, headers)
        except FetchError as e:
            return self._failed(feed, str(e), retry_after_s(e.retry_after, self._clock()))
        except InputError as e:
            return self._failed(feed, str(e))
        if response.moved_to and response.moved_to != feed.url:
            other = self.subs.get(response.moved_to)
            if other is not None and other.id != feed.id:  # it moved to a feed subscribed already: one is enough
                log.info("feed %s moved permanently to %s, which is subscribed too: keeping that one",
                         feed.url, response.moved_to)
                self.subs.remove(feed.url)
                return PollResult(feed.url, "moved", error=f"moved to {other.url}, already subscribed",
                                  next_poll=other.next_poll)
            log.info("feed %s moved permanently to %s; polling the new URL from now on", feed.url, response.moved_to)
            feed = self.subs.update(feed, url=response.moved_to)
        if response.status == 304:
            return self._answered(feed, response, "unchanged", ttl_s=0.0)
        kind = feed_kind(response.body, response.content_type)
        if not kind or kind == "opml":
            what = "an HTML page" if _looks_html(response) else "no feed"
            return self._failed(feed, f"the feed's URL returned {what}, not RSS, Atom, JSON Feed or a sitemap "
                                      "(subscribe to the feed the page links to)")
        try:
            parsed = parse_feed(feed.url, response.body, kind, self.settings)
        except InputError as e:
            return self._failed(feed, str(e))
        return self._ingest_new(feed, response, parsed)

    def _ingest_new(self, feed: Feed, response: Response, parsed: ParsedFeed) -> PollResult:
        seen = set(feed.seen)
        fresh, cut = first_entries([e for e in parsed.entries if e.key not in seen], self.settings)
        report = IngestReport()
        if fresh:
            todo = replace(parsed, entries=fresh, notes=[*parsed.notes, cut] if cut else parsed.notes)
            try:
                with given({feed.url: lambda: feed_documents(feed.url, todo, self.settings)}):
                    report = self._ingest([feed.url])
            except ArchiveError as e:  # the archive is busy or cannot be written: the same entries next time
                return self._failed(feed, f"could not store the new entries: {e}")
        retry = {f.path for f in report.failed}
        stored = [e.key for e in fresh if not (_link(e) and _link(e) in retry)]  # a page to fetch again: retried
        # The feed's own notes (what was cut, read leniently) ride on its documents, so the report holds them.
        problems = ([*(f"{f.path}: {f.reason}" for f in report.failed), *(n.reason for n in report.notes)]
                    if fresh else list(parsed.notes))
        for problem in problems:
            log.warning("feed %s: %s", feed.url, problem)
        now = self._clock()
        listed = {e.key for e in parsed.entries}  # keys of entries the feed no longer lists are forgotten
        feed = replace(
            feed, title=feed.title or parsed.title, entries_added=feed.entries_added + report.added,
            last_new_entry=iso(now) if report.added else feed.last_new_entry,
            seen=tuple(k for k in feed.seen if k in listed) + tuple(stored))
        # Validators are kept only when every entry was read: else the next GET must see the whole feed again.
        complete = not cut and len(stored) == len(fresh)
        status = "new" if report.added or report.updated else "no-new"
        return self._answered(feed, response if complete else None, status, parsed.ttl_s, report,
                              "; ".join(problems)[:2000])

    def _answered(self, feed: Feed, response: Response | None, status: str, ttl_s: float,
                  report: IngestReport | None = None, problem: str = "") -> PollResult:
        now = self._clock()
        headers = response.headers if response is not None else {}
        wait = after_success(feed.interval_s, ttl_s, max_age_s(headers), self.settings.feed_max_backoff_s)
        if response is not None and response.status == 304:
            etag, modified = feed.etag, feed.last_modified
        else:
            etag, modified = headers.get("etag", ""), headers.get("last-modified", "")
        feed = replace(feed, last_success=iso(now), last_error=problem, failures=0, etag=etag,
                       last_modified=modified, next_poll=iso(now + wait))
        self._keep(feed, stored=report is not None)
        return PollResult(feed.url, status, report.added if report else 0, report.updated if report else 0,
                          problem, feed.next_poll)

    def _failed(self, feed: Feed, error: str, retry_after: float = 0.0) -> PollResult:
        now = self._clock()
        failures = feed.failures + 1
        wait = after_error(feed.interval_s, failures, self.settings.feed_max_backoff_s, retry_after)
        log.warning("feed %s: %s (error %d in a row; next poll in %.0f s)", feed.url, error, failures, wait)
        feed = replace(feed, last_error=error, failures=failures, next_poll=iso(now + wait))
        self._keep(feed, stored=False)
        return PollResult(feed.url, "error", error=error, next_poll=feed.next_poll)


    def _keep(self, feed: Feed, stored: bool) -> None:
        """Write the state now when this poll stored entries (their keys must outlive a crash), else later."""
        if stored:
            self._pending.pop(feed.id, None)
            self.subs.save(feed)
        else:
            self._pending[feed.id] = feed


def _link(entry: FeedEntry) -> str:
    return canonical_link(entry.link) if is_url(entry.link) else ""


def _looks_html(response: Response) -> bool:
    return response.content_type == "text/html" or response.body[:512].lstrip().lower().startswith((b"<!doctype html",
                                                                                                     b"<html"))
