"""Feeds end to end over real HTTP on loopback (tests/outlets.py) into a real Chroma: subscriptions, the
poller's conditional GETs, backoff and recovery, no duplicates across feeds, polls and restarts, one
poller at a time, and every bad feed of issue 30 as that feed's error while the others are stored."""

from __future__ import annotations

import threading

import pytest

from archive import Archive, Settings
from archive.errors import ArchiveBusyError, InputError
from ingest.poller import Poller
from ingest.readers.addresses import address_kind
from tests.fakes import HashingEmbedder
from tests.outlets import Outlet, handler_for, outlet  # noqa: F401 - fixture
from tests.servers import http_server


def _archive(tmp_path, **overrides) -> Archive:
    settings = Settings(dir=tmp_path / "archive", entities=False, allow_private_urls=True, **overrides)
    return Archive(settings, embedder=HashingEmbedder())


@pytest.fixture
def archive(tmp_path) -> Archive:
    return _archive(tmp_path)


def _by_url(archive: Archive) -> dict[str, object]:
    return {a.url: a for a in archive.articles()}


def test_four_shapes_of_feed_are_polled_into_articles_with_their_metadata(archive, outlet):
    for path in ("/rss", "/atom", "/feed.json", "/sitemap-index.xml"):
        archive.add_feed(outlet.base + path)
    results = {r.url.removeprefix(outlet.base): r for r in archive.poll_feeds()}
    assert sum(r.added for r in results.values()) == 6 and not any(r.error for r in results.values())
    # The RSS and JSON feeds carry the same three links, with other tracking parameters: whichever is polled
    # second finds its three articles stored. So do the Atom feed and the sitemap, which link the same pages.
    assert results["/rss"].added + results["/feed.json"].added == 3
    assert results["/atom"].added + results["/sitemap-index.xml"].added == 3
    articles = _by_url(archive)
    assert sorted(articles) == sorted([f"{outlet.base}/news/{k}" for k in outlet.stories]
                                      + [f"{outlet.base}/pages/{k}" for k in outlet.stories])
    rss = articles[f"{outlet.base}/news/rutte"]
    assert rss.title == outlet.stories["rutte"][0] and rss.published_at.startswith("2024-05-06")
    assert "20,000 soldiers" in archive.article(rss.id).text
    atom = articles[f"{outlet.base}/pages/odesa"]
    assert atom.author == "Atom Writer" and "grain silos" in archive.article(atom.id).text  # from the linked page
    assert outlet.bodies("/pages/odesa")  # the page was fetched, since the Atom entry had only a summary
    feeds = {f.url: f for f in archive.feeds()}
    assert feeds[outlet.base + "/rss"].entries_added + feeds[outlet.base + "/feed.json"].entries_added == 3
    assert all(f.last_success and not f.last_error and f.next_poll for f in feeds.values())


def test_the_second_poll_of_an_unchanged_feed_transfers_no_body_and_parses_nothing(archive, outlet):
    archive.add_feed(outlet.base + "/rss")
    archive.add_feed(outlet.base + "/atom")
    archive.poll_feeds()
    pages_before = len(outlet.bodies("/pages/rutte"))
    results = archive.poll_feeds(force=True)
    assert [r.status for r in results] == ["unchanged", "unchanged"]
    assert outlet.bodies("/rss")[-1] == 0 and outlet.bodies("/atom")[-1] == 0  # 304s, no body
    assert len(outlet.bodies("/pages/rutte")) == pages_before  # no linked page fetched again


def test_a_changed_feed_stores_only_its_new_and_changed_entries(archive, outlet):
    archive.add_feed(outlet.base + "/atom")
    archive.poll_feeds()
    fetched = {k: len(outlet.bodies(f"/pages/{k}")) for k in outlet.stories}
    outlet.stories["rutte"] = (outlet.stories["rutte"][0] + " again", outlet.stories["rutte"][1] + " He repeated it.")
    outlet.stories["harbour"] = ("Harbour reopens after storm", "The harbour reopened on Tuesday after the storm. " * 3)
    (result,) = archive.poll_feeds(force=True)
    assert (result.added, result.updated) == (1, 1)
    assert len(outlet.bodies("/pages/odesa")) == fetched["odesa"]  # an entry seen before is not fetched again
    rutte = _by_url(archive)[f"{outlet.base}/pages/rutte"]
    assert "He repeated it." in archive.article(rutte.id).text and len(archive.articles()) == 4


def test_the_same_guid_with_changed_text_is_an_update_not_a_new_article(archive, outlet):
    archive.add_feed(outlet.base + "/rss")
    archive.poll_feeds()
    outlet.stories["odesa"] = (outlet.stories["odesa"][0], "Corrected: the drones struck a different terminal.")
    (result,) = archive.poll_feeds(force=True)
    assert (result.added, result.updated) == (0, 1)
    odesa = _by_url(archive)[f"{outlet.base}/news/odesa"]
    assert "Corrected" in archive.article(odesa.id).text and len(archive.articles()) == 3


def test_errors_back_off_exponentially_honour_retry_after_and_recover(archive, outlet):
    now = [1_000_000.0]
    archive.add_feed(outlet.base + "/flaky")
    poller = Poller(archive.subscriptions, archive.settings, lambda p: archive.ingest(p, admin=True),
                    clock=lambda: now[0])
    interval = archive.settings.feed_interval_s
    outlet.down, outlet.retry_after = 3, "5000"

    def poll_due() -> tuple[str, float]:
        (result,) = poller.cycle()
        feed = archive.feed(outlet.base + "/flaky")
        from ingest.schedule import unix

        return result.status, unix(feed.next_poll) - now[0]

    assert poll_due() == ("error", 5000)  # 2 x interval is less than Retry-After: Retry-After wins
    assert "HTTP 503" in archive.feed(outlet.base + "/flaky").last_error
    assert poller.cycle() == []  # not due yet
    now[0] += 5000
    outlet.retry_after = "1"
    assert poll_due() == ("error", 4 * interval)
    now[0] += 4 * interval
    assert poll_due() == ("error", 8 * interval)
    now[0] += 8 * interval
    status, wait = poll_due()
    feed = archive.feed(outlet.base + "/flaky")
    assert (status, wait, feed.failures, feed.last_error, feed.entries_added) == ("new", interval, 0, "", 3)


def test_a_restart_mid_cycle_leaves_no_duplicates(archive, outlet):
    archive.add_feed(outlet.base + "/rss")
    archive.add_feed(outlet.base + "/atom")

    def ingest_then_die(paths):
        archive.ingest(paths, admin=True)
        raise KeyboardInterrupt  # stopped after the ingest committed, before the feed's state was written

    with pytest.raises(KeyboardInterrupt):
        Poller(archive.subscriptions, archive.settings, ingest_then_die).cycle()
    assert len(archive.articles()) == 3 and not archive.feed(outlet.base + "/rss").seen
    results = archive.poll_feeds()  # the restarted poller polls both feeds in full
    assert [(r.status, r.added) for r in results] == [("no-new", 0), ("new", 3)]
    assert len(archive.articles()) == 6
    assert len(archive.feed(outlet.base + "/rss").seen) == 3


def test_two_pollers_at_once_one_polls(tmp_path, outlet):
    first, second = _archive(tmp_path), _archive(tmp_path)
    first.add_feed(outlet.base + "/rss")
    stop, polled = threading.Event(), threading.Event()
    runner = threading.Thread(target=first.poll_feeds,
                              kwargs={"once": False, "stop": stop, "on_result": lambda r: polled.set()})
    runner.start()
    try:
        assert polled.wait(60)
        requests = len(outlet.log)
        with pytest.raises(ArchiveBusyError, match="another poller .* is polling the feeds of this archive"):
            second.poll_feeds(force=True)
        assert len(outlet.log) == requests  # the second poller sent nothing
    finally:
        stop.set()
        runner.join(60)
    assert [r.status for r in second.poll_feeds(force=True)] == ["unchanged"]  # the lease was let go


def test_a_permanent_move_is_followed_and_kept_a_temporary_one_only_followed(archive, outlet):
    archive.add_feed(outlet.base + "/moved")  # add fetches it: already the new URL
    assert [f.url for f in archive.feeds()] == [outlet.base + "/rss"]
    archive.subscriptions.add(outlet.base + "/moved")  # subscribed before the feed moved
    archive.subscriptions.add(outlet.base + "/elsewhere")
    archive.poll_feeds()
    # /moved now is /rss, subscribed already: the two are one; /elsewhere moved only for now
    assert sorted(f.url for f in archive.feeds()) == sorted([outlet.base + "/rss", outlet.base + "/elsewhere"])
    archive.subscriptions.remove(outlet.base + "/rss")
    archive.subscriptions.add(outlet.base + "/moved")
    (result,) = [r for r in archive.poll_feeds(force=True) if "moved" in r.url or r.url.endswith("/rss")]
    assert result.url == outlet.base + "/rss" and result.status == "no-new"  # followed (its articles came before)
    assert archive.feed(outlet.base + "/moved").url == outlet.base + "/rss"


def test_adding_a_site_subscribes_to_the_feed_its_page_names(archive, outlet):
    feed, new = archive.add_feed(outlet.base + "/site")
    assert (feed.url, feed.title, new) == (outlet.base + "/rss", "Outlet RSS", True)
    assert archive.add_feed(outlet.base + "/rss")[1] is False


BAD = {
    "/broken": "not well-formed XML",
    "/bomb": "declares entities",
    "/xxe": "declares entities",
    "/html": "returned an HTML page",
    "/drip": "gave up after 1 s",
    "/huge": "over the 1 MB limit",
}


def test_every_bad_feed_is_its_own_error_and_the_poller_goes_on(tmp_path, outlet):
    archive = _archive(tmp_path, url_deadline_s=1, max_file_mb=1)
    for path in BAD:
        archive.subscriptions.add(outlet.base + path)  # feeds that went bad after they were added
    archive.add_feed(outlet.base + "/rss")
    results = {r.url.removeprefix(outlet.base): r for r in archive.poll_feeds()}
    for path, expected in BAD.items():
        assert results[path].status == "error" and expected in archive.feed(outlet.base + path).last_error, path
    assert results["/rss"].added == 3 and len(archive.articles()) == 3


def test_adding_a_url_that_is_no_feed_says_so(archive, outlet):
    with pytest.raises(InputError, match="no feed at .*/html"):
        archive.add_feed(outlet.base + "/html")
    assert archive.feeds() == []


@pytest.fixture
def inside(outlet):
    """A feed on 127.0.0.2 (the machine's own network), where the outlet's /private redirects."""
    with http_server(handler_for(outlet), host="127.0.0.2") as base:
        outlet.private = base + "/rss"
        yield base


def test_a_feed_redirected_to_a_private_address_is_refused_by_the_guard(tmp_path, outlet, inside):
    archive = _archive(tmp_path)
    archive.subscriptions.add(outlet.base + "/private")
    archive.subscriptions.add(outlet.base + "/rss")
    strict = Settings(dir=tmp_path / "archive", entities=False, allow_private_urls=False)
    poller = Poller(archive.subscriptions, strict, lambda p: archive.ingest(p, admin=True),
                    classify=lambda ip: "" if ip == "127.0.0.1" else address_kind(ip))
    results = {r.url.removeprefix(outlet.base): r for r in poller.cycle()}
    assert "127.0.0.2 is a loopback address" in results["/private"].error
    assert results["/rss"].added == 3


def test_feeds_cli_add_list_json_export_import_remove(tmp_path, outlet, capsys):
    import json

    from ingest.__main__ import main

    where = ["--archive-dir", str(tmp_path / "archive")]
    assert main(["feeds", "add", outlet.base + "/rss", *where]) == 0
    assert main(["feeds", "list", "--json", *where]) == 0
    out = capsys.readouterr().out
    (feed,) = json.loads(out[out.index("{"):])["feeds"]
    assert set(feed) == {"url", "title", "added_at", "interval_s", "last_success", "last_new_entry",
                         "entries_added", "last_error", "next_poll"}
    assert (feed["url"], feed["title"], feed["last_success"]) == (outlet.base + "/rss", "Outlet RSS", None)
    assert main(["feeds", "export", *where]) == 0
    opml = tmp_path / "subs.opml"
    opml.write_text(capsys.readouterr().out.replace("/rss", "/atom"), encoding="utf-8")
    assert main(["feeds", "import", str(opml), *where]) == 0
    assert "1 new feeds; 2 in all" in capsys.readouterr().out
    assert main(["feeds", "remove", outlet.base + "/rss", *where]) == 0
    assert main(["feeds", "remove", outlet.base + "/rss", *where]) == 1
    assert [f.url for f in Archive(Settings(dir=tmp_path / "archive")).feeds()] == [outlet.base + "/atom"]


def test_one_shot_ingest_of_a_feed_url(archive, outlet):
    report = archive.ingest([outlet.base + "/feed.json"])
    assert report.added == 3 and not report.failed
    assert {a.author for a in archive.articles()} == {"JSON Writer"}


def test_polled_articles_are_searchable_by_meaning(tmp_path, outlet, real_embedder):
    archive = Archive(Settings(dir=tmp_path / "archive", entities=False, allow_private_urls=True),
                      embedder=real_embedder)
    archive.add_feed(outlet.base + "/atom")
    archive.poll_feeds()
    (hit, *_) = archive.search("drones attacked a Black Sea harbour", k=3)
    assert hit.article.url == f"{outlet.base}/pages/odesa"


def test_a_long_feed_is_read_a_bound_at_a_time_and_bad_dates_are_noted(tmp_path, outlet):
    archive = _archive(tmp_path, feed_max_entries=2)
    outlet.stories["future"] = ("Dated in the future", "A story the feed dates in the year 2999, wrongly. " * 3)
    archive.add_feed(outlet.base + "/rss")
    original = outlet.rss

    def dated_rss() -> bytes:
        return original().replace(b"<pubDate>Mon, 06 May 2024 16:45:00 +0000</pubDate><author>desk@outlet.example "
                                  b"(Jane Doe)</author><description>A teaser.</description><content:encoded><![CDATA["
                                  b"<p>A story the feed dates", b"<pubDate>Fri, 01 Jan 2999 10:00:00 +0000</pubDate>"
                                  b"<description>A teaser.</description><content:encoded><![CDATA[<p>A story the feed dates")

    outlet.rss = dated_rss
    first, second, third = (archive.poll_feeds(force=True)[0] for _ in range(3))
    assert (first.added, second.added, third.status) == (2, 2, "unchanged")  # 4 entries, 2 a poll, then a 304
    assert "4 entries to read; the first 2 were read" in first.error
    future = _by_url(archive)[f"{outlet.base}/news/future"]
    assert future.published_at == "" and "2999-01-01 is in the future; left undated" in second.error


def test_schedule_reads_cache_control_retry_after_and_paces_each_host():
    from ingest.schedule import HostPacer, after_error, after_success, max_age_s, retry_after_s

    assert max_age_s({"cache-control": "public, max-age=3600"}) == 3600
    assert max_age_s({"cache-control": "no-cache, max-age=3600"}) == 0
    assert retry_after_s("120", 0) == 120
    assert retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 60) == 60
    assert retry_after_s("soon", 0) == 0
    assert after_success(900, ttl_s=3600, max_age=0, max_backoff_s=86400) == 3600
    assert after_success(900, ttl_s=10**9, max_age=0, max_backoff_s=86400) == 86400  # a feed cannot ask for ever
    assert [after_error(900, n, 86400) for n in (1, 2, 3, 10)] == [1800, 3600, 7200, 86400]
    clock, slept = [0.0], []
    pacer = HostPacer(2.0, clock=lambda: clock[0], sleep=slept.append)
    for host in ("a", "a", "b", "a"):
        pacer(host)
    assert slept == [0.5, 1.0]  # host a's second and third request wait their turns; host b does not


def test_the_watch_process_killed_mid_cycle_then_restarted_stores_everything_once(tmp_path, outlet, real_embedder):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    folder = tmp_path / "archive"
    setup = _archive(tmp_path)
    setup.add_feed(outlet.base + "/rss")
    setup.add_feed(outlet.base + "/atom")
    env = {**os.environ, "ARCHIVE_DIR": str(folder), "ARCHIVE_ALLOW_PRIVATE_URLS": "true", "ARCHIVE_ENTITIES": "false"}
    outlet.page_delay = 2.0
    watch = [sys.executable, "-m", "ingest", "watch"]
    killed = subprocess.Popen(watch, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while not any(p.startswith("/pages/") for p, _, _ in outlet.log):  # the Atom feed's pages are being fetched
        assert killed.poll() is None and time.monotonic() < deadline, killed.stdout.read().decode()
        time.sleep(0.1)  # waiting for the child to reach the middle of its cycle
    killed.send_signal(signal.SIGKILL)
    killed.wait(30)
    outlet.page_delay = 0.0
    done = subprocess.run([*watch, "--once"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr  # the dead poller's lease was taken over
    urls = [a.url for a in Archive(Settings(dir=folder), embedder=real_embedder).articles()]
    assert sorted(urls) == sorted({*urls}) and len(urls) == 6  # all stored, none twice

    running = subprocess.Popen(watch, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert "watching 2 feeds" in running.stdout.readline()  # it is in its loop (every feed polled just now)
    running.send_signal(signal.SIGTERM)  # a service manager stopping it: it ends between feeds, with status 0
    assert running.wait(120) == 0, running.stderr.read()


def test_one_article_under_two_outlets_links_is_stored_once_with_both_origins(archive, outlet):
    archive.add_feed(outlet.base + "/rss")
    archive.add_feed(outlet.base + "/mirror")
    results = archive.poll_feeds()
    assert [r.added for r in results] == [3, 0]
    (rutte,) = [a for a in archive.articles() if "rutte" in a.url]
    assert sorted(rutte.origins) == [f"{outlet.base}/mirror/rutte", f"{outlet.base}/news/rutte"]


def test_each_host_waits_its_turn_at_the_per_host_rate(tmp_path, outlet):
    archive = _archive(tmp_path, feed_host_rate=2.0)
    for path in ("/rss", "/atom", "/feed.json"):
        archive.subscriptions.add(outlet.base + path)
    poller = Poller(archive.subscriptions, archive.settings, lambda p: archive.ingest(p, admin=True))
    poller.cycle()
    # 3 feeds and the Atom feed's 3 linked pages: 6 requests to one host, at most 2 a second
    span = outlet.times[-1] - outlet.times[0]
    assert len(outlet.log) == 6 and span >= 2.3 and poller.pacer.waited > 0, span  # 5 gaps of 0.5 s, less jitter


@pytest.mark.server
def test_hosts_of_one_chroma_server_share_the_feeds_and_one_polls(tmp_path, outlet):
    from tests.servers import chroma_run

    with chroma_run(tmp_path / "server-data") as url:
        def host(name: str) -> Archive:
            settings = Settings(dir=tmp_path / name, chroma_url=url, entities=False, allow_private_urls=True)
            return Archive(settings, embedder=HashingEmbedder())

        first, second = host("host-a"), host("host-b")
        first.add_feed(outlet.base + "/rss")
        assert [f.url for f in second.feeds()] == [outlet.base + "/rss"]  # one list for every host
        stop, polled = threading.Event(), threading.Event()
        runner = threading.Thread(target=first.poll_feeds,
                                  kwargs={"once": False, "stop": stop, "on_result": lambda r: polled.set()})
        runner.start()
        try:
            assert polled.wait(120)
            with pytest.raises(ArchiveBusyError, match="another poller"):
                second.poll_feeds(force=True)
        finally:
            stop.set()
            runner.join(120)
        assert second.feed(outlet.base + "/rss").entries_added == 3 and len(second.articles()) == 3


def test_watch_once_prints_each_feed_and_fails_when_one_failed(tmp_path, outlet, cli, monkeypatch):
    import json

    monkeypatch.setenv("ARCHIVE_ALLOW_PRIVATE_URLS", "true")
    monkeypatch.setenv("ARCHIVE_ENTITIES", "false")
    where = ("--archive-dir", str(tmp_path / "archive"))
    assert cli("ingest", "feeds", "add", outlet.base + "/feed.json", *where)[0] == 0
    code, out = cli("ingest", "watch", "--once", "--json", *where)
    (line,) = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    assert code == 0 and (line["status"], line["added"]) == ("new", 3)
    code, out = cli("ingest", "watch", "--once", "--all", *where)
    assert code == 0 and "feed.json: unchanged (304)" in out
    Archive(Settings(dir=tmp_path / "archive")).subscriptions.add(outlet.base + "/html")
    code, out = cli("ingest", "watch", "--once", *where)
    assert code == 1 and "/html: error: the feed's URL returned an HTML page" in out
    code, out = cli("ingest", "feeds", "list", *where)
    assert "3 entries added" in out and "last error: the feed's URL returned an HTML page" in out


def test_a_cycle_polls_at_most_its_bound_most_overdue_first(tmp_path, outlet):
    archive = _archive(tmp_path, feed_cycle_max_feeds=2)
    now = [2_000_000_000.0]
    due = {"/rss": "2025-01-01T00:00:00+00:00", "/atom": "2020-01-01T00:00:00+00:00",
           "/feed.json": "2024-01-01T00:00:00+00:00"}
    for path, when in due.items():
        feed, _ = archive.subscriptions.add(outlet.base + path)
        archive.subscriptions.update(feed, next_poll=when)
    poller = Poller(archive.subscriptions, archive.settings, lambda p: archive.ingest(p, admin=True),
                    clock=lambda: now[0])
    assert [r.url.removeprefix(outlet.base) for r in poller.cycle()] == ["/atom", "/feed.json"]
    assert [r.url.removeprefix(outlet.base) for r in poller.cycle()] == ["/rss"]
    assert poller.cycle() == []
