"""The pages of issue 19, driven by AppTest against real archives: honest counts and the undated notice,
look-up, paste and kept uploads, deleting, the URL check, exports, and escaped hostile metadata."""

from __future__ import annotations

import csv
import http.server
import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.archive_checks import consistency_problems
from tests.test_app import SOLDIERS, _ask, _page_links, _query, app, fresh, shared_dir  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow

SOLDIERS_SENTENCE = ("Rutte highlighted the significant human cost of the conflict, pointing to estimates "
                     "suggesting Russia suffers approximately 20,000 soldier losses monthly.")
# Dated articles, one of them naming Rutte; the five sample articles state no date.
DATED = [
    {"id": "ferry", "title": "Ferry operators cut winter timetables", "source": "Harbour Gazette",
     "published_at": "2025-01-14", "text": "Ferry operators cut their winter timetables on Tuesday, citing fuel costs "
     "and fewer passengers on the island routes."},
    {"id": "crane", "title": "Port authority approves new container crane", "source": "Harbour Gazette",
     "published_at": "2025-02-03", "text": "The port authority approved a new container crane for the north quay, "
     "to be delivered before the summer season."},
    {"id": "visit", "title": "NATO chief visits the naval base", "source": "Coastal Ledger",
     "published_at": "2025-03-04", "text": "NATO Secretary General Mark Rutte visited the naval base on Monday and "
     "spoke with sailors about the alliance's northern flank."},
]
NOTE = ("note.txt", b"Harbour strike spreads\n\nDockers walked out at three more ports on Monday, the union said.",
        "text/plain")


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """file name -> bytes of every download button the pages draw (the app's media store is gone after a run)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    files: dict[str, bytes] = {}
    original = MediaFileManager.add

    def add(self, data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        files[file_name] = data
        return original(self, data, mimetype, coordinates, file_name=file_name,
                        is_for_static_download=is_for_static_download)

    monkeypatch.setattr(MediaFileManager, "add", add)
    return files


def _archive():
    from webui.resources import get_archive

    return get_archive()


def _with_dated(at: AppTest, tmp_path: Path) -> AppTest:
    """The app over the sample (seeded on the first run) plus the dated articles above."""
    from webui.resources import forget_cached_data

    at.run()
    (tmp_path / "dated.jsonl").write_text("\n".join(json.dumps(r) for r in DATED), encoding="utf-8")
    assert _archive().ingest([str(tmp_path / "dated.jsonl")]).added == len(DATED)
    forget_cached_data()
    return at


def _search(at: AppTest, query: str) -> AppTest:
    next(t for t in at.text_input if t.label == "Query").set_value(query).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _to_add_page(at: AppTest) -> AppTest:
    at.run()
    at.switch_page("pages/add.py").run()
    assert not at.exception
    return at


def _upload(at: AppTest, *files) -> AppTest:
    at.file_uploader[0].set_value(list(files)).run()
    _button(at, "Add to archive").click().run()
    assert not at.exception
    return at


# ---- counts ----------------------------------------------------------------------------------------


def test_a_date_filter_on_the_sample_claims_no_match_and_says_it_left_out_the_undated_articles(app):
    app.query_params["since"] = "2025-01-01"
    app.run()
    _search(app, "Rutte")
    assert not _page_links(app) and any(i.value == "No article matches this query and these filters." for i in app.info)
    assert not [c.value for c in app.caption if "contain" in c.value]  # no count of matches that are not there
    assert any(i.value.startswith("5 undated articles are not shown") for i in app.info)


def test_rutte_since_2025_counts_only_the_article_that_names_him(fresh, tmp_path):
    at = _with_dated(fresh(), tmp_path)
    at.query_params["since"] = "2025-01-01"
    _search(at, "Rutte")
    line = next(c.value for c in at.caption if "found contain" in c.value)
    matching, found = map(int, re.match(r"(\d+) of (\d+) articles? found contains? “Rutte”", line.replace("\\", "")).groups())
    ids = [_query(link)["article"] for link in _page_links(at)]
    texts = {i: _archive().article(i) for i in ids}
    holding = [i for i, a in texts.items() if "rutte" in (a.title + a.text).lower()]
    assert matching == len(holding) == 1 and found == len(ids) == 3  # the three dated articles, one names Rutte
    flagged = [c.value for c in at.caption if c.value.endswith("close in meaning only")]
    assert len(flagged) == len(ids) - 1  # every card without Rutte says why it is there
    assert any(c.value.startswith("1 matching article by source, date and name") for c in at.caption)
    assert any(i.value.startswith("5 undated articles are not shown") for i in at.info)


def test_result_cards_show_what_is_known_and_no_noise(app):
    app.run()
    _search(app, "How many soldiers does Russia lose each month?")
    captions = [c.value for c in app.caption]
    assert not any("characters" in c or "source unknown" in c for c in captions)
    assert any(c.startswith("004\\_d6acca71867ffea4\\.txt") for c in captions)  # the sample states no source: its file


# ---- look-up ---------------------------------------------------------------------------------------


def test_looking_up_a_figure_finds_004_with_its_speaker_and_a_link_to_the_exact_span(app):
    app.run()
    app.switch_page("pages/lookup.py").run()
    next(t for t in app.text_input if t.label == "Phrase or figure").set_value("20,000").run()
    assert not app.exception and not app.error
    first = _query(_page_links(app)[0])
    article = _archive().article(first["article"])
    assert first["article"].startswith("004_")
    assert article.text[int(first["start"]):int(first["end"])] == "20,000"
    place = next(c.value for c in app.caption if "said by" in c.value)
    assert "said by Mark Rutte, NATO Secretary General" in place and "word for word" in place
    assert any("<mark>20,000</mark> soldier losses monthly" in m.value for m in app.markdown)
    assert app.query_params["phrase"] == "20,000"


# ---- add: paste, kept uploads, links ---------------------------------------------------------------


def test_a_pasted_article_is_added_with_its_title_source_and_date_and_linked(fresh):
    at = _to_add_page(fresh())
    at.text_input(key="paste_title").set_value("Ferry operators cut winter timetables")
    at.text_input(key="paste_source").set_value("Harbour Gazette")
    at.date_input(key="paste_date").set_value(date(2025, 12, 22))
    at.text_area(key="paste_text").set_value("Ferry operators cut their winter timetables on Monday, citing fuel "
                                             "costs and fewer passengers on the island routes.").run()
    _button(at, "Add pasted article").click().run()
    assert not at.exception and _metrics(at)["added"] == "1"
    link = next(link for link in _page_links(at) if link.proto.label == "Ferry operators cut winter timetables")
    article = _archive().article(_query(link)["article"])
    assert (article.title, article.source, article.published_at[:10]) == (
        "Ferry operators cut winter timetables", "Harbour Gazette", "2025-12-22")
    assert _archive().search("winter ferry timetables", k=1)[0].article.id == article.id


def test_an_upload_keeps_its_file_name_as_origin_and_adding_it_again_changes_nothing(fresh):
    from webui.resources import get_settings
    from webui.uploads import uploads_dir

    at = _upload(_to_add_page(fresh()), NOTE)
    assert _metrics(at)["added"] == "1"
    link = next(link for link in _page_links(at) if link.proto.label == "Harbour strike spreads")
    article = _archive().article(_query(link)["article"])
    origin = Path(article.origin)
    assert origin.name == "note.txt" and origin.is_file()  # the origin still exists, under its own name
    assert uploads_dir(get_settings().dir) in origin.parents
    _upload(at, NOTE)
    assert _metrics(at)["unchanged"] == "1" and _metrics(at)["added"] == "0"
    assert len(_archive().articles()) == 6


# ---- delete ----------------------------------------------------------------------------------------


def _delete(at: AppTest, article_id: str) -> AppTest:
    at.selectbox(key="delete_id").set_value(article_id)
    at.checkbox(key="delete_sure").check()
    at.run()
    _button(at, "Delete article").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def test_deleting_004_removes_it_from_search_look_up_and_every_index(fresh):
    at = _to_add_page(fresh())
    archive = _archive()
    gone = next(a.id for a in archive.articles() if a.id.startswith("004_"))
    _delete(at, gone)
    assert any(s.value.startswith("Deleted “Following a Tuesday meeting") for s in at.success)
    assert archive.article(gone) is None and archive.chunks(gone) == []
    assert gone not in [h.article.id for h in archive.search("How many soldiers does Russia lose each month?", k=10)]
    assert gone not in [h.article.id for h in archive.lookup("20,000 soldier losses monthly")]
    assert consistency_problems(archive, search_for="NATO") == []
    assert len(archive.articles()) == 4


def test_deleting_an_upload_from_its_library_link_also_deletes_the_kept_file(fresh):
    at = _upload(_to_add_page(fresh()), NOTE)
    article = _archive().article(_query(next(link for link in _page_links(at) if link.proto.label ==
                                              "Harbour strike spreads"))["article"])
    at.query_params.update({"article": article.id})
    at.switch_page("pages/library.py").run()
    delete = next(link for link in _page_links(at) if link.proto.label == "Delete this article")
    at.query_params.clear()
    at.query_params.update(_query(delete))
    at.switch_page("pages/add.py").run()
    assert at.selectbox(key="delete_id").value == article.id  # the link chose the article
    _delete(at, article.id)
    assert not Path(article.origin).exists()
    assert consistency_problems(_archive()) == []


def test_deleting_needs_admin_mode_when_an_admin_password_is_set(fresh, monkeypatch):
    from archive import Archive, Settings
    from archive.errors import ReadOnlyError

    at = fresh()
    at.secrets["admin_password"] = "correct horse"
    _to_add_page(at)
    assert not any(e.label == "Delete an article" for e in at.expander)
    monkeypatch.setenv("ARCHIVE_READ_ONLY", "true")
    with pytest.raises(ReadOnlyError, match="deleting needs the admin password"):
        Archive(Settings()).delete_articles(["anything"])


# ---- URL ingest ------------------------------------------------------------------------------------


class _Article(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        body = ("<html><head><title>Lighthouse keepers return</title></head><body><article><h1>Lighthouse keepers "
                "return</h1><p>" + "The harbour board brought back lighthouse keepers on the northern islands after "
                "a winter of failed automatic lamps, the board said on Tuesday. " * 4 + "</p></article></body></html>")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body.encode("utf-8"))

    def log_message(self, *args):
        pass


@pytest.fixture
def local_page():
    from tests.servers import http_server

    with http_server(_Article) as base:
        yield f"{base}/lighthouse"


def test_a_loopback_url_is_refused_and_nothing_is_fetched(fresh, local_page):
    at = _to_add_page(fresh())
    next(t for t in at.text_input if t.label == "Or a web page URL").set_value(local_page).run()
    _button(at, "Add to archive").click().run()
    assert not at.exception
    assert "Not fetched: 127.0.0.1 is a loopback address" in at.error[0].value.replace("\\", "")
    assert not at.metric and len(_archive().articles()) == 5


def test_a_setting_lets_the_app_fetch_a_loopback_url(fresh, local_page, monkeypatch):
    monkeypatch.setenv("ARCHIVE_ALLOW_PRIVATE_URLS", "true")
    at = _to_add_page(fresh())
    next(t for t in at.text_input if t.label == "Or a web page URL").set_value(local_page).run()
    _button(at, "Add to archive").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _metrics(at)["added"] == "1"
    assert any(link.proto.label == "Lighthouse keepers return" for link in _page_links(at))


# ---- export ----------------------------------------------------------------------------------------


def test_search_results_download_as_markdown_csv_and_json_with_004_first(app, downloads):
    app.run()
    _search(app, "How many soldiers does Russia lose each month?")
    labels = [b.proto.label for b in app.get("download_button")]
    assert labels == ["Results as Markdown", "Results as CSV", "Results as JSON"]
    rows = list(csv.DictReader(io.StringIO(downloads["search-results.csv"].decode("utf-8"))))
    first = rows[0]
    assert first["article_id"].startswith("004_") and "20,000 soldier losses monthly" in first["passage"]
    article = _archive().article(first["article_id"])
    assert article.text[int(first["start"]):int(first["end"])] == first["passage"]
    assert first["link"].endswith(f"library?article={first['article_id']}&start={first['start']}&end={first['end']}")
    data = json.loads(downloads["search-results.json"])
    assert data["query"] == "How many soldiers does Russia lose each month?" and data["rows"][0] == {
        **first, "rank": 1, "start": int(first["start"]), "end": int(first["end"])}
    markdown = downloads["search-results.md"].decode("utf-8")
    assert "1\\. **Following a Tuesday meeting" in markdown and first["link"] in markdown


def test_a_conversation_downloads_whole_with_every_citation_and_its_span(app, downloads):
    app.run()
    _ask(app, SOLDIERS)
    labels = [b.proto.label for b in app.sidebar.get("download_button")]
    assert labels == ["Conversation as Markdown", "Conversation as CSV", "Conversation as JSON"]
    row = next(csv.DictReader(io.StringIO(downloads["conversation.csv"].decode("utf-8"))))
    assert row["question"] == SOLDIERS and row["article_id"].startswith("004_") and row["checked"] == "quoted verbatim"
    start = _archive().article(row["article_id"]).text.index(SOLDIERS_SENTENCE)
    assert (int(row["start"]), int(row["end"])) == (start, start + len(SOLDIERS_SENTENCE))
    assert json.loads(downloads["conversation.json"])["rows"][0]["quote"] == SOLDIERS_SENTENCE
    assert row["said_by"] == "Mark Rutte, NATO Secretary General"
    assert f"({row['link']}) · quoted verbatim · said by Mark Rutte, NATO Secretary General" in (
        downloads["conversation.md"].decode("utf-8"))


# ---- hostile metadata ------------------------------------------------------------------------------

HOSTILE = {"id": "hostile", "title": "Harbour ![](https://tracker.example/t.png) strike [x](https://tracker.example/l)",
           "source": "<img src=https://tracker.example/s.png> Gazette", "author": "**Bold** https://tracker.example/a",
           "url": "https://news.example/x ![](https://tracker.example/u.png)",
           "text": "Dockers walked out at the harbour. ![](https://tracker.example/p.png) <img src=https://tracker."
                   "example/i.png> [more](https://tracker.example/m) www.tracker.example"}


def _rendered(at: AppTest) -> list[str]:
    """Everything the main area renders as Markdown: text, captions, headers, errors and link labels."""
    found = [e.value for kind in ("markdown", "caption", "header", "title", "error", "info") for e in at.main.get(kind)]
    return found + [link.proto.label for link in _page_links(at)]


def _no_markup(texts: list[str]) -> None:
    """No image, no link but the app's own ("library?…"), no tag, and no URL outside code (which is never
    linked) that Markdown could turn into a link."""
    for text in texts:
        outside_code = re.sub(r"(`+).*?\1", "", text)
        assert not re.search(r"(?<!\\)!\[|(?<!\\)\]\((?!library\?)|(?<!\\)<img|https?://|www\.", outside_code), text


def test_hostile_titles_sources_urls_and_text_render_as_text_everywhere(fresh, tmp_path):
    from webui.resources import forget_cached_data

    at = fresh().run()
    (tmp_path / "hostile.jsonl").write_text(json.dumps(HOSTILE), encoding="utf-8")
    assert _archive().ingest([str(tmp_path / "hostile.jsonl")]).added == 1
    forget_cached_data()
    _search(at, "dockers walked out harbour")
    assert _query(_page_links(at)[0])["article"].endswith("/hostile")  # the hostile article is first
    _no_markup(_rendered(at))
    at.query_params.update(_query(_page_links(at)[0]))
    at.switch_page("pages/library.py").run()
    assert not at.exception
    url_line = next(m.value for m in at.markdown if m.value.startswith("**URL**"))
    assert url_line == "**URL** `https://news.example/x` \\!\\[\\]\\(`https://tracker.example/u.png)`"
    _no_markup(_rendered(at))
