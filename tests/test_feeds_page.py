"""The Feeds page through AppTest against a real archive and a real outlet on loopback: subscribe by a
site's URL, poll now, export and import OPML, remove; and it is closed to a read-only archive's visitors."""

from __future__ import annotations

import pytest

from tests.outlets import outlet  # noqa: F401 - fixture
from tests.test_app import fresh  # noqa: F401 - fixture

pytestmark = pytest.mark.slow


def _feeds_page(at):
    at.run()
    at.switch_page("pages/feeds.py").run()
    assert not at.exception, at.exception
    return at


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_subscribe_by_site_poll_now_and_remove(fresh, outlet, monkeypatch):  # noqa: F811 - the fixture
    monkeypatch.setenv("ARCHIVE_ALLOW_PRIVATE_URLS", "true")  # the outlet is on loopback
    at = _feeds_page(fresh())
    assert any("No feeds yet" in i.value for i in at.info)
    at.text_input[0].set_value(outlet.base + "/site")
    next(b for b in at.button if b.label == "Subscribe").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(f"Subscribed to {outlet.base}/rss (Outlet RSS)" in s.value for s in at.success)
    table = at.dataframe[0].value
    assert list(table["url"]) == [outlet.base + "/rss"] and table["last_success"].isna().all()
    _button(at, "Poll now").click().run()
    assert any("Polled 1 feeds: 3 new articles" in s.value for s in at.success), [s.value for s in at.success]
    table = at.dataframe[0].value
    assert int(table["entries_added"][0]) == 3 and table["last_success"][0]
    next(b for b in at.button if b.label == "Remove").click().run()
    assert not at.exception and any("No feeds yet" in i.value for i in at.info)


def test_a_read_only_archive_hides_its_feeds_page_from_visitors(fresh, monkeypatch):  # noqa: F811
    monkeypatch.setenv("ARCHIVE_READ_ONLY", "true")
    at = fresh()
    at.run()
    with pytest.raises(ValueError, match="Known pages"):  # not in the navigation of a visitor
        at.switch_page("pages/feeds.py")
