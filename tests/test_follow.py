"""A host's threads and the change feed: a search that starts while another thread follows waits for it.

The follow itself is faked (it records when it ran); what is tested is who follows and who waits.
The real feed, between real hosts on a real ``chroma run``, is tested in tests/test_topologies.py.
"""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from archive.storage import derive


@pytest.fixture
def store():
    return SimpleNamespace(shared_server=True, settings=SimpleNamespace(follow_interval_s=0.0),
                           follow_lock=threading.Lock(), followed_at=0.0, reconciling=False)


@pytest.fixture
def slow_follow(monkeypatch):
    """The first follow holds until released; every follow is logged with the thread that ran it."""
    log, release, first_started = [], threading.Event(), threading.Event()

    def fake(store) -> int:
        name = threading.current_thread().name
        log.append(("start", name))
        if not first_started.is_set():
            first_started.set()
            release.wait(10)
        log.append(("end", name))
        return 1

    monkeypatch.setattr(derive, "_follow", fake)
    return SimpleNamespace(log=log, release=release, started=first_started)


def run_in_thread(name: str, store) -> tuple[threading.Thread, list[int]]:
    out: list[int] = []
    thread = threading.Thread(target=lambda: out.append(derive.follow(store)), name=name)
    thread.start()
    return thread, out


def test_a_search_waits_for_the_follow_in_progress_then_reads_the_feed_itself(store, slow_follow):
    first, _ = run_in_thread("first", store)
    assert slow_follow.started.wait(5)
    second, out = run_in_thread("second", store)
    time.sleep(0.2)
    assert second.is_alive()  # it waits for the first follow rather than reading a half-applied index
    slow_follow.release.set()
    first.join(5), second.join(5)
    # the first may have started before the commit the second is after: the second reads the feed again
    assert slow_follow.log == [("start", "first"), ("end", "first"), ("start", "second"), ("end", "second")]
    assert out == [1]


def test_within_the_interval_the_follow_it_waited_for_stands(store, slow_follow):
    store.settings.follow_interval_s = 60.0
    first, _ = run_in_thread("first", store)
    assert slow_follow.started.wait(5)
    store.followed_at = 0.0  # the second search comes in as if no follow had started: past the first gate
    second, out = run_in_thread("second", store)
    time.sleep(0.2)
    assert second.is_alive()  # waiting for the first follow
    store.followed_at = time.monotonic()  # which has just read the feed
    slow_follow.release.set()
    first.join(5), second.join(5)
    assert slow_follow.log == [("start", "first"), ("end", "first")] and out == [0]  # no second read of the feed


def test_a_slow_follow_of_the_feed_is_waited_for_past_the_reconcile_bound(store, slow_follow, monkeypatch):
    """Under heavy load a follow of a few articles can take longer than the bound: the search still waits, or it
    would miss a commit that finished before it began (a search found nothing that look-up found a moment later)."""
    monkeypatch.setattr(derive, "FOLLOW_WAIT_S", 0.2)
    first, _ = run_in_thread("first", store)
    assert slow_follow.started.wait(5)
    second, out = run_in_thread("second", store)
    time.sleep(0.6)  # three times the bound
    assert second.is_alive()
    slow_follow.release.set()
    first.join(5), second.join(5)
    assert slow_follow.log == [("start", "first"), ("end", "first"), ("start", "second"), ("end", "second")]
    assert out == [1]


def test_a_long_reconcile_delays_a_search_by_a_bounded_wait_only(store, slow_follow, monkeypatch):
    monkeypatch.setattr(derive, "FOLLOW_WAIT_S", 0.2)
    first, _ = run_in_thread("first", store)
    assert slow_follow.started.wait(5)
    store.reconciling = True  # the follow found its watermark past the feed's horizon: a whole-archive compare
    second, out = run_in_thread("second", store)
    second.join(5)
    assert not second.is_alive() and out == [0] and first.is_alive()  # it read what it had, the follow goes on
    slow_follow.release.set()
    first.join(5)
    assert slow_follow.log == [("start", "first"), ("end", "first")]


def test_an_embedded_store_never_follows(store, slow_follow):
    store.shared_server = False
    assert derive.follow(store) == 0 and slow_follow.log == []
