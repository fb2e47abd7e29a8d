"""The Streamlit app, page by page, driven by Streamlit's AppTest against a real archive of the sample."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from archive.types import record_id_of
from tests.conftest import ROOT, SAMPLE

pytestmark = pytest.mark.slow

SOLDIERS = "How many soldiers does Russia lose each month according to Rutte?"
SOLDIERS_SENTENCE = ("Rutte highlighted the significant human cost of the conflict, pointing to estimates "
                     "suggesting Russia suffers approximately 20,000 soldier losses monthly.")
PAGES = ["pages/search.py", "pages/ask.py", "pages/library.py", "pages/add.py", "pages/watches.py"]
HOSTILE = ("Harbour strike spreads\n\nDockers said <script>alert('x')</script> and <img src=x onerror=alert(1)> "
           "while the harbour strike spread to three more ports.")


def _clear_caches() -> None:
    from webui.resources import get_archive, get_catalog, get_settings, get_stats

    for cached in (get_settings, get_archive, get_stats, get_catalog):
        cached.clear()


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)


@pytest.fixture(scope="module")
def shared_dir(tmp_path_factory):
    """One archive of the sample for the tests that only read; the app seeds it on first run."""
    folder = tmp_path_factory.mktemp("app") / "archive"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ARCHIVE_DIR", str(folder))
        mp.chdir(ROOT)
        _clear_caches()
        yield folder
    _clear_caches()


@pytest.fixture
def app(shared_dir) -> AppTest:
    return _app()


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """A private, empty archive for a test that writes; returns a factory of AppTests on it."""
    monkeypatch.setenv("ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.chdir(ROOT)
    _clear_caches()
    yield _app
    _clear_caches()


def _page_links(at: AppTest) -> list:
    return list(at.main.get("page_link"))


def _query(link) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(link.proto.query_string).items()}


def _ask(at: AppTest, question: str) -> AppTest:
    at.switch_page("pages/ask.py").run()
    at.chat_input[0].set_value(question).run()
    assert not at.exception
    return at


def test_empty_archive_is_seeded_and_search_page_renders(app):
    app.run()
    assert not app.exception
    assert app.title[0].value == "Search the archive"
    assert any("5 articles" in c.value for c in app.sidebar.caption)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception_or_error(app, page):
    app.run()
    app.switch_page(page).run()
    assert not app.exception
    assert not app.error, [e.value for e in app.error]
    assert app.title


def test_query_shows_004_first_links_it_to_the_article_view_and_lands_in_the_url(app):
    app.run()
    app.text_input[0].set_value("How many soldiers does Russia lose each month?").run()
    assert not app.exception
    first = _page_links(app)[0]
    assert first.proto.label.startswith("**Following a Tuesday meeting")
    assert first.proto.page.endswith("library") and _query(first)["article"].startswith("004_")
    assert any("20,000 soldier losses monthly" in m.value for m in app.markdown)
    assert app.query_params["q"] == "How many soldiers does Russia lose each month?"


def test_names_filter_keeps_articles_naming_them_and_lands_in_the_url(app):
    app.run()
    app.text_input(key="names").set_value("Warsaw").run()
    query = next(t for t in app.text_input if t.key != "names")
    query.set_value("NATO warning").run()
    assert not app.exception and not app.error
    links = _page_links(app)
    assert [_query(link)["article"][:3] for link in links] == ["003"]  # only 003 names Warsaw
    assert app.query_params["entity"] == "Warsaw"


def test_asking_the_soldiers_question_answers_citing_004_with_sources_and_a_download(app):
    app.run()
    _ask(app, SOLDIERS)
    answer = next(m.value for m in app.markdown if "20,000 soldier losses monthly" in m.value and "[\\[1\\]]" in m.value)
    assert "(library?article=004_" in answer and "&start=" in answer
    source = _page_links(app)[0]
    assert source.proto.label.startswith("\\[1\\] **Following a Tuesday meeting")
    assert _query(source)["article"].startswith("004_")
    assert any(m.value.startswith("> ") and "20,000 soldier losses monthly" in m.value for m in app.markdown)
    assert any(c.value == "quoted verbatim · said by Mark Rutte, NATO Secretary General" for c in app.caption)
    assert any("extractive" in c.value for c in app.sidebar.caption)
    download = app.get("download_button")[0]
    assert download.proto.label == "Download answer with sources"


def test_opening_a_citation_shows_the_article_with_the_passage_highlighted(app):
    app.run()
    _ask(app, SOLDIERS)
    params = _query(_page_links(app)[0])
    for key, value in params.items():
        app.query_params[key] = value
    app.switch_page("pages/library.py").run()
    assert not app.exception and not app.error
    assert app.header[0].value.startswith("Following a Tuesday meeting")
    text = next(m.value for m in app.markdown if "<mark" in m.value)
    marked = text.split('<mark id="cited-passage">', 1)[1].split("</mark>", 1)[0]
    assert marked == SOLDIERS_SENTENCE  # the whole cited sentence, not a character more or less
    from webui.resources import get_archive

    article = get_archive().article(params["article"])
    want = article.text.index(SOLDIERS_SENTENCE)
    assert (int(params["start"]), int(params["end"])) == (want, want + len(SOLDIERS_SENTENCE))
    assert len(app.get("iframe")) == 1  # the scroll-into-view script


def test_a_question_the_archive_cannot_answer_is_refused_plainly(app):
    app.run()
    _ask(app, "What is the population of Brussels?")
    assert app.warning[0].value == "The archive does not contain an answer to this question."
    links = _page_links(app)
    assert links, "the closest articles are listed"
    assert not any(link.proto.label.rstrip().endswith("()") for link in links)  # no empty brackets for the undated


def test_clear_conversation_empties_the_chat(app):
    app.run()
    _ask(app, SOLDIERS)
    assert app.chat_message
    next(b for b in app.sidebar.button if b.label == "Clear conversation").click().run()
    assert not app.chat_message


def test_library_lists_every_article_and_an_unknown_id_is_an_error(app):
    app.run()
    app.switch_page("pages/library.py").run()
    table = app.dataframe[0].value
    assert len(table) == 5 and list(table.columns) == ["title", "source", "published", "author", "id"]
    app.query_params["article"] = "no-such-article"
    app.run()
    assert "no article with id 'no-such-article'" in app.error[0].value


def test_article_text_is_escaped():
    from webui.resources import escape_markdown

    shown = escape_markdown("<script>alert(1)</script> **bold** [x](javascript:y)")
    assert "<script>" not in shown and "\\<script\\>" in shown
    assert "\\*\\*bold\\*\\*" in shown
    assert "\\[x\\]\\(javascript:y\\)" in shown and "](" not in shown  # no link can form


@pytest.mark.parametrize(
    "name, saved",
    [("story.txt", "story.txt"), ("../../etc/passwd", "passwd"), ("..\\..\\win.ini", "win.ini"),
     (".bashrc", "bashrc"), ("/abs/path/x.md", "x.md"), ("..", "upload"), ("a<b>|c.txt", "a_b_c.txt")],
)
def test_an_upload_name_becomes_a_plain_file_name(name, saved):
    from webui.uploads import safe_name

    assert safe_name(name, set()) == saved


def test_two_uploads_with_one_name_both_keep_their_file():
    from webui.uploads import safe_name

    taken: set[str] = set()
    assert [safe_name("a.txt", taken), safe_name("dir/a.txt", taken)] == ["a.txt", "2-a.txt"]


def test_article_html_is_shown_as_text_not_markup(fresh, tmp_path):
    from archive import Archive, Settings

    hostile = tmp_path / "hostile"
    hostile.mkdir()
    (hostile / "xss.txt").write_text(HOSTILE, encoding="utf-8")
    assert Archive(Settings()).ingest([str(SAMPLE), str(hostile)]).added == 6
    at = fresh().run()
    at.text_input[0].set_value("harbour strike ports").run()
    assert not at.exception
    shown = "\n".join(m.value for m in at.markdown)
    assert "&lt;script&gt;" in shown and "&lt;img src=x onerror=alert(1)&gt;" in shown
    assert "<script>" not in shown and "<img" not in shown
    at.query_params.update(_query(_page_links(at)[0]))
    at.switch_page("pages/library.py").run()
    shown = "\n".join(m.value for m in at.markdown)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in shown and "<script>" not in shown


def test_an_upload_produces_the_per_file_report(fresh, monkeypatch):
    monkeypatch.setenv("ARCHIVE_MAX_FILE_MB", "0.01")  # 10 KB, so the big file below is refused
    at = fresh().run()
    at.switch_page("pages/add.py").run()
    story = (SAMPLE / next(p.name for p in SAMPLE.iterdir() if p.name.startswith("004"))).read_bytes()
    at.file_uploader[0].set_value([
        ("../../escape.txt", b"Harbour strike spreads\n\nDockers walked out at three more ports on Monday.", "text/plain"),
        ("empty.txt", b"", "text/plain"),
        ("copy-of-004.txt", story, "text/plain"),
        ("huge.txt", b"word " * 4000, "text/plain"),
        ("feed.jsonl", b'{"id": "r1", "title": "Ferry cuts", "text": "Ferry operators cut winter timetables on Tuesday."}'
                       b"\n{broken\n", "application/json"),
    ]).run()
    next(b for b in at.button if b.label == "Add to archive").click().run()
    assert not at.exception
    report = at.dataframe[0].value.set_index("input")
    assert report.loc["../../escape.txt", "result"] == "read"
    assert report.loc["empty.txt", "result"] == "failed" and report.loc["empty.txt", "detail"]
    assert report.loc["copy-of-004.txt", "result"] == "duplicate"
    assert "huge.txt is larger than the 0.01 MB limit" in at.error[0].value.replace("\\", "")
    assert report.loc["feed.jsonl", "result"] == "partly failed" and report.loc["feed.jsonl", "articles"] == 1
    assert report.loc["feed.jsonl", "detail"].startswith("record 2: invalid JSON") and "archive-upload-" not in report.loc["feed.jsonl", "detail"]
    assert {m.label: m.value for m in at.metric}["added"] == "2"
    assert not (ROOT.parent / "escape.txt").exists() and not Path("/escape.txt").exists()


def test_read_only_mode_hides_add_and_refuses_ingest(shared_dir, monkeypatch):
    from archive import Archive, Settings
    from archive.errors import ReadOnlyError

    monkeypatch.setenv("ARCHIVE_READ_ONLY", "true")
    _clear_caches()
    try:
        at = _app().run()
        assert not at.exception
        with pytest.raises(ValueError):
            at.switch_page("pages/add.py")
        admin_boxes = [t for t in at.sidebar.text_input if t.key == "admin_password_input"]
        assert not admin_boxes, "no admin box without an admin password in the secrets"
        with pytest.raises(ReadOnlyError, match="read-only"):
            Archive(Settings()).ingest([str(SAMPLE)])
    finally:
        _clear_caches()


def test_read_only_mode_opens_add_for_the_admin_password_only(fresh, monkeypatch):
    monkeypatch.setenv("ARCHIVE_READ_ONLY", "true")

    def first_run(password: str) -> AppTest:
        # AppTest runs app.py itself only on a session's first run (later runs go straight to the page),
        # so the admin box is filled in before that run.
        at = fresh()
        at.secrets["admin_password"] = "correct horse"
        at.session_state["admin_password_input"] = password
        return at.run()

    at = first_run("wrong")
    assert not at.exception
    assert "not the admin password" in at.sidebar.error[0].value
    with pytest.raises(ValueError):
        at.switch_page("pages/add.py")
    at = first_run("correct horse")
    at.switch_page("pages/add.py").run()
    assert not at.exception and at.title[0].value == "Add articles"
    at.file_uploader[0].set_value(("note.txt", b"Harbour strike spreads\n\nDockers walked out at three ports.",
                                   "text/plain")).run()
    next(b for b in at.button if b.label == "Add to archive").click().run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["added"] == "1"


def test_warm_reruns_of_every_page_reuse_the_one_archive(app):
    """Reruns are cheap because the archive (and its model) is opened once per server process.
    How fast a warm page is belongs in bench/load.py, not here."""
    from webui.resources import get_archive

    app.run()
    opened = get_archive()
    for page in PAGES:
        app.switch_page(page).run()
        app.run()
        assert not app.exception, page
        assert get_archive() is opened, page


def test_importing_the_app_modules_loads_no_model_or_database():
    import subprocess
    import sys

    code = ("import sys, webui.resources, webui.links, webui.uploads; "
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'chromadb') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_the_add_page_says_when_stored_articles_were_embedded_again(fresh, monkeypatch):
    monkeypatch.setenv("ARCHIVE_FURNITURE_MIN_ARTICLES", "2")
    pitch = b"\n\nSign up for our weekly newsletter to get the latest news of the day."
    at = fresh().run()
    at.switch_page("pages/add.py").run()
    at.file_uploader[0].set_value([("one.txt", b"Harbour strike spreads\n\nDockers walked out at three ports." + pitch,
                                    "text/plain")]).run()
    next(b for b in at.button if b.label == "Add to archive").click().run()
    assert not at.exception and not any("embedded again" in c.value for c in at.caption)
    at.file_uploader[0].set_value([("two.txt", b"Ferry cuts\n\nFerry operators cut winter timetables." + pitch,
                                    "text/plain")]).run()
    next(b for b in at.button if b.label == "Add to archive").click().run()
    assert not at.exception
    assert any(c.value.startswith("1 stored article(s) embedded again") for c in at.caption)


DATED = [{"id": "ferry-cuts", "title": "Ferry operators cut winter timetables", "source": "Harbour Gazette",
          "published_at": "2025-12-22", "text": "Ferry operators cut their winter timetables on Monday, citing fuel "
          "costs and fewer passengers on the island routes."}]


def _with_dated_article(fresh, tmp_path) -> AppTest:
    """The app as of 2025-12-24 over the sample plus one article dated that week."""
    import json

    from webui.resources import get_archive

    at = fresh()
    at.query_params["as_of"] = "2025-12-24"
    at.run()
    (tmp_path / "dated.jsonl").write_text(json.dumps(DATED[0]), encoding="utf-8")
    assert get_archive().ingest([str(tmp_path / "dated.jsonl")]).added == 1
    return at


def test_time_words_show_their_window_which_one_click_removes(fresh, tmp_path):
    at = _with_dated_article(fresh, tmp_path)
    next(t for t in at.text_input if t.key != "names").set_value("Why were ferry timetables cut this week?").run()
    assert not at.exception
    notice = next(i.value for i in at.info if i.value.startswith("Searching"))
    assert notice == "Searching 2025-12-17 to 2025-12-24 (“this week”, as of 2025-12-24)."
    assert at.query_params["as_of"] == "2025-12-24"
    assert record_id_of(_query(_page_links(at)[0])["article"]) == "ferry-cuts"
    next(b for b in at.button if b.label == "Search all dates").click().run()
    assert not any(i.value.startswith("Searching") for i in at.info)
    assert at.query_params["all_dates"] == "1"
    assert any(c.value == "Time words are searched as plain words." for c in at.caption)
    next(b for b in at.button if b.label == "Read them as dates").click().run()
    assert "all_dates" not in at.query_params
    assert any(i.value.startswith("Searching 2025-12-17") for i in at.info)


def test_a_window_no_article_is_dated_in_is_not_applied_and_the_page_says_so(app):
    app.query_params["as_of"] = "2025-12-24"
    app.run()
    next(t for t in app.text_input if t.key != "names").set_value("What did Putin say about Rutte this week?").run()
    assert not app.exception
    assert any(i.value == "No article is dated 2025-12-17 to 2025-12-24 (“this week”, as of 2025-12-24): "
               "searching all dates." for i in app.info)
    assert _page_links(app), "the undated sample articles are searched"


def test_the_ask_page_resolves_time_words_against_the_as_of_date_in_the_url(app):
    app.query_params["as_of"] = "2025-12-24"
    app.run()
    _ask(app, "How many soldiers does Russia lose each month according to Rutte this week?")
    assert any(c.value == "No article is dated 2025-12-17 to 2025-12-24 (“this week”): searching all dates."
               for c in app.caption)
    lead, answer = [m.value for m in app.markdown if "20,000 soldier losses monthly" in m.value][:2]
    assert lead == "**approximately 20,000 soldier losses monthly \\[1\\]**"  # the direct answer comes first
    assert "(library?article=004_" in answer


def test_the_ask_page_asks_again_over_all_dates_in_one_click(fresh, tmp_path):
    at = _with_dated_article(fresh, tmp_path)
    _ask(at, "Why were ferry timetables cut this week?")
    assert any(c.value == "Searching 2025-12-17 to 2025-12-24 (“this week”, as of 2025-12-24)." for c in at.caption)
    next(b for b in at.button if b.label == "Ask again over all dates").click().run()
    assert not at.exception
    assert at.query_params["all_dates"] == "1"
    users = [m for m in at.chat_message if m.name == "user"]
    assert len(users) == 2, "the question was asked a second time"
    assert not any(c.value.startswith("Searching 2025-12-17") for c in at.chat_message[-1].caption)
