"""The watches in the app (issue 30, part 4), through AppTest on real archives: "Save as watch" on the
Search page, the Watches page's "N new" with new matches first, "mark all seen", read-only."""

from __future__ import annotations

import json

import pytest

from tests.test_app import fresh, shared_dir  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow

NEW = [
    {"id": "w1", "title": "Rutte warns Russia again", "source": "Coastal Ledger", "published_at": "2025-03-04",
     "text": "NATO Secretary General Mark Rutte warned Russia on Monday about its losses."},
    {"id": "w2", "title": "Ferry timetables", "source": "Harbour Gazette", "published_at": "2025-03-05",
     "text": "Ferry operators cut their winter timetables, citing fuel costs."},
]


def _archive():
    from webui.resources import get_archive

    return get_archive()


def _button(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, [b.label for b in at.button]
    return found[0]


def _search(at, query: str):
    at.switch_page("pages/search.py").run()
    query_box = next(t for t in at.text_input if t.label == "Query")
    query_box.set_value(query).run()
    assert not at.exception
    return at


def test_save_as_watch_on_the_search_page_then_the_watches_page_counts_what_is_new(fresh, tmp_path):
    at = fresh()
    at.run()
    _search(at, "Rutte Russia")
    name_box = next(t for t in at.text_input if t.label == "Watch name")
    assert name_box.value == "rutte-russia"
    _button(at, "Save as watch").click().run()
    assert not at.exception and any("Saved the watch" in s.value for s in at.success)
    saved = _archive().watch("rutte-russia")
    assert saved.new == 0 and saved.matches  # the sample's Rutte article matches, not new

    feed = tmp_path / "new.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in NEW), encoding="utf-8")
    assert _archive().ingest([str(feed)]).added == 2
    at.switch_page("pages/watches.py").run()
    assert not at.exception
    assert [h.value for h in at.subheader] == ["rutte-russia · 1 new"]
    links = [link.label for link in at.main.get("page_link")]
    assert links[0].startswith("🆕") and "Rutte warns Russia again" in links[0]  # the new match first
    assert not any(label.startswith("🆕") for label in links[1:])
    _button(at, "Mark all seen").click().run()
    assert not at.exception and [h.value for h in at.subheader] == ["rutte-russia · 0 new"]
    assert _archive().watch("rutte-russia").new == 0


def test_the_watches_page_without_watches_points_to_search(app_fresh):
    at = app_fresh
    at.switch_page("pages/watches.py").run()
    assert not at.exception and "No watches yet" in at.info[0].value


def test_a_read_only_archive_offers_no_save_and_no_mark_seen(fresh, monkeypatch):
    at = fresh()
    at.run()  # seeds the sample while writable
    _archive().add_watch("nato", "NATO")
    monkeypatch.setenv("ARCHIVE_READ_ONLY", "true")
    from tests.test_app import _clear_caches

    _clear_caches()
    at = fresh()
    at.run()
    _search(at, "NATO")
    assert not [b for b in at.button if b.label == "Save as watch"]
    assert any("read-only" in c.value for c in at.caption)
    at.switch_page("pages/watches.py").run()
    assert not at.exception and [h.value for h in at.subheader] == ["nato · 0 new"]
    assert not [b for b in at.button if b.label in ("Mark seen", "Remove", "Mark all seen")]


@pytest.fixture
def app_fresh(fresh):
    at = fresh()
    at.run()
    return at
