"""The Streamlit search page, driven by Streamlit's AppTest against a real archive of the sample."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture
def app(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.chdir(ROOT)
    from webui.resources import get_archive, get_stats

    get_archive.clear()
    get_stats.clear()
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)


def test_empty_archive_is_seeded_and_page_renders(app):
    app.run()
    assert not app.exception
    assert app.title[0].value == "Search the archive"
    assert any("5 articles" in c.value for c in app.sidebar.caption)


def test_query_shows_004_first_and_lands_in_the_url(app):
    app.run()
    app.text_input[0].set_value("How many soldiers does Russia lose each month?").run()
    assert not app.exception
    cards = [m.value for m in app.markdown]
    first_title = next(v for v in cards if v.startswith("**"))
    assert first_title.startswith("**Following a Tuesday meeting")
    assert any("20,000 soldier losses monthly" in v for v in cards)
    assert app.query_params["q"] == "How many soldiers does Russia lose each month?"


def test_article_text_is_escaped():
    from webui.resources import escape_markdown

    shown = escape_markdown("<script>alert(1)</script> **bold** [x](javascript:y)")
    assert "<script>" not in shown and "\\<script\\>" in shown
    assert "\\*\\*bold\\*\\*" in shown


def test_article_html_is_shown_as_text_not_markup(app, tmp_path, monkeypatch):
    from archive import Archive, Settings
    from tests.conftest import SAMPLE

    hostile = tmp_path / "hostile"
    hostile.mkdir()
    (hostile / "xss.txt").write_text(
        "Harbour strike spreads\n\nDockers said <script>alert('x')</script> and <img src=x onerror=alert(1)> "
        "while the harbour strike spread to three more ports.", encoding="utf-8")
    archive = Archive(Settings())
    assert archive.ingest([str(SAMPLE), str(hostile)]).added == 6
    app.run()
    app.text_input[0].set_value("harbour strike ports").run()
    assert not app.exception
    shown = "\n".join(m.value for m in app.markdown)
    assert "&lt;script&gt;" in shown and "&lt;img src=x onerror=alert(1)&gt;" in shown
    assert "<script>" not in shown and "<img" not in shown
