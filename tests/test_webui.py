"""The app's pure helpers: honest counts, exports, inert article text, the URL check, kept uploads."""

from __future__ import annotations

import csv
import http.server
import io
import json
import re
from pathlib import Path

import pytest

from archive.types import Article, Chunk, SearchHit
from webui import export
from webui.counts import Counts, count_line, matches, query_terms, undated_notice
from webui.marked import inert, marked_html
from webui.urls import address_kind, resolve, url_refusal


def _article(id_: str, title: str, text: str = "", **meta) -> Article:
    return Article(id=id_, title=title, text=text, content_hash="h" + id_, origin=f"/data/{id_}.txt", **meta)


# ---- counts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "title", "text", "match"),
    [
        ("Rutte", "Harbour strike", "Dockers walked out.", False),
        ("Rutte", "NATO meets", "Mark Rutte said so.", True),
        ("rutte", "Rutte warns", "", True),  # the title counts, case aside
        ("Piet de Vries", "Council", "Piet Jansen and Anna de Vries spoke.", True),  # all three words, anywhere
        ("Piet de Vries", "Council", "Piet Jansen spoke.", False),
        ("20,000 soldiers", "Losses", "about 20,000 soldier losses a month", True),  # a figure whole, words by stem
        ("20,000 soldiers", "Losses", "about 20 soldiers and 000 others", False),
        ('"coalition of the willing"', "x", "a coalition of willing states", False),  # a phrase is exact
        ("How many soldiers does Russia lose each month according to Rutte?", "x",
         "Russia loses soldiers every month.", True),  # a long question: half its words will do
        ("How many soldiers does Russia lose each month according to Rutte?", "x", "Russia sent envoys.", False),
    ],
)
def test_an_article_matches_when_it_holds_what_was_asked_for(query, title, text, match):
    assert matches(query_terms(query), title, text) is match


@pytest.mark.parametrize(
    ("counts", "query", "line"),
    [
        (Counts(12, 4, 10, 3), "Rutte", "4 of 12 articles found contain “Rutte” · showing 10, 7 of them only close in meaning"),
        (Counts(1, 1, 1, 1), "Rutte", "1 of 1 article found contains “Rutte” · showing 1"),
        (Counts(4, 0, 4, 0), "Rutte", "0 of 4 articles found contain “Rutte” · showing 4, all only close in meaning"),
        (Counts(10, 2, 10, 2), "Piet de Vries",
         "2 of 10 articles found contain “Piet”, “de” and “Vries” · showing 10, 8 of them only close in meaning"),
        (Counts(10, 10, 10, 10), "20,000 soldiers", "10 of 10 articles found contain “20,000” and “soldiers” · showing 10"),
        (Counts(30, 3, 10, 3), "How many soldiers does Russia lose each month according to Rutte?",
         "3 of 30 articles found contain at least 3 of the query's 5 words · showing 10, 7 of them only close in meaning"),
        (Counts(5, 0, 5, 0), "the", "5 articles found by meaning · showing 5"),
    ],
)
def test_the_count_line_separates_matches_from_what_is_shown(counts, query, line):
    assert count_line(counts, query_terms(query)) == line


def test_the_undated_notice_is_singular_for_one_article():
    assert undated_notice(1).startswith("1 undated article is not shown")
    assert undated_notice(3).startswith("3 undated articles are not shown")


# ---- inert article text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    ["![](https://tracker.example/p.png)", "[click](https://tracker.example/)", "<img src=https://t.example/p.png>",
     "https://tracker.example/p.png", "www.tracker.example", "mail me@tracker.example", "$x^2$ and `code`",
     "**bold** _it_ ~~gone~~ | a | b |", "[ref]: https://tracker.example/p.png"],
)
def test_article_text_keeps_no_character_that_markdown_or_html_acts_on(hostile):
    import html

    shown = inert(hostile)
    plain = shown.replace("<wbr>", "")  # the one tag: an empty break that stops "https://" becoming a link
    assert not set(plain) & set("<>[]!*_`~$|:@\"'"), shown  # every such character is a numeric reference
    assert not re.search(r"(?i)https?&#58;//|www\.|\w&#64;", shown), shown  # no autolink pattern is left whole
    assert html.unescape(plain) == hostile  # and it reads back as exactly the article's characters


@pytest.mark.parametrize(
    ("text", "shown"),
    [("see https://tracker.example/p.png now", "see `https://tracker.example/p.png` now"),
     ("www.tracker.example", "`www.tracker.example`"), ("mail me@tracker.example", "mail `me@tracker.example`"),
     ("![](x) [a](b)", "\\!\\[\\]\\(x\\) \\[a\\]\\(b\\)"), ("see https://x/`y`", "see `` https://x/`y` ``")],
)
def test_escaped_labels_show_urls_as_code_which_is_never_linked(text, shown):
    from webui.resources import escape_markdown

    assert escape_markdown(text) == shown


def test_marks_stay_markup_around_inert_text():
    assert marked_html("a [b] c", ((2, 5),)) == "a <mark>&#91;b&#93;</mark> c"


# ---- exports --------------------------------------------------------------------------------------


def _hits() -> list[SearchHit]:
    text = "Intro sentence. Rutte said =SUM(A1) losses are 20,000 a month. End."
    a = _article("004_x", "Following a Tuesday meeting", text, source="Gazette", published_at="2025-02-03T10:00:00Z")
    other = _article("001_y", "Another report", source="Ledger")
    chunk = Chunk(a.id, 0, text, 0, len(text))
    return [SearchHit(a, chunk, 1.0, also=(other,), highlights=((16, 62),))]


def test_result_rows_name_the_article_its_span_and_a_link_under_the_app_address():
    base = export.app_base("http://127.0.0.1:8501/news/search")
    assert base == "http://127.0.0.1:8501/news/"
    (row,) = export.result_rows(_hits(), base)
    assert row["article_id"] == "004_x" and row["published"] == "2025-02-03" and (row["start"], row["end"]) == (16, 62)
    assert row["passage"] == "Rutte said =SUM(A1) losses are 20,000 a month."
    assert row["link"] == "http://127.0.0.1:8501/news/library?article=004_x&start=16&end=62"
    assert row["also_reported_by"] == "Ledger (001_y)"
    assert export.app_base(None) == "" and export.app_base("http://h:1") == "http://h:1/"


def test_csv_and_json_exports_hold_the_rows_and_csv_keeps_formulas_as_text():
    rows = export.result_rows(_hits())
    rows[0]["title"] = "=HYPERLINK(\"https://tracker.example\")"
    parsed = list(csv.DictReader(io.StringIO(export.to_csv(rows, export.RESULT_FIELDS))))
    assert parsed[0]["article_id"] == "004_x" and parsed[0]["link"] == "library?article=004_x&start=16&end=62"
    assert parsed[0]["title"].startswith("'=HYPERLINK")  # a spreadsheet shows it, does not run it
    data = json.loads(export.to_json("search", "Rutte", rows))
    assert data["query"] == "Rutte" and data["rows"][0]["start"] == 16


def test_markdown_export_escapes_article_text():
    rows = export.result_rows(_hits())
    rows[0]["title"] = "![](https://tracker.example/p.png)"
    markdown = export.results_markdown("Rutte", rows)
    assert "![](" not in markdown and "\\!\\[\\]\\(`https://tracker.example/p.png)`" in markdown
    assert "[Open at characters 16–62](library?article=004_x&start=16&end=62)" in markdown


def test_conversation_rows_give_every_citation_with_its_link_and_a_refusal_its_own_row():
    from archive.answers.types import REFUSAL, Answer, AnswerSentence, Citation, Source

    hit = _hits()[0]
    citation = Citation(1, hit.article.id, hit.chunk.id, hit.article.title, hit.article.origin, 16, 62,
                        hit.chunk.text[16:62], True)
    answered = Answer("How many?", "How many?", [AnswerSentence("Rutte said so.", (citation,))],
                      [Source(1, hit.article, hit.chunk)], False, "extractive")
    refused = Answer("Population of Brussels?", "Population of Brussels?", [], [], True, "extractive")
    rows = export.conversation_rows([answered, refused], "http://h/")
    assert [(r["turn"], r["n"], r["article_id"]) for r in rows] == [(1, 1, "004_x"), (2, "", "")]
    assert rows[0]["link"] == "http://h/library?article=004_x&start=16&end=62" and rows[0]["checked"] == "supported by the passage"
    assert rows[1]["answer"] == REFUSAL
    markdown = export.conversation_markdown(rows)
    assert "## 1\\. How many?" in markdown and "## 2\\. Population of Brussels?" in markdown
    assert "(http://h/library?article=004_x&start=16&end=62) · supported by the passage" in markdown


# ---- the URL check --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "kind"),
    [("127.0.0.1", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"), ("10.1.2.3", "private"),
     ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("169.254.169.254", "link-local"),
     ("fe80::1", "link-local"), ("fd00::1", "private"), ("93.184.216.34", ""), ("2606:4700::1111", "")],
)
def test_addresses_are_public_or_say_what_they_are(ip, kind):
    assert address_kind(ip) == kind


def test_unspecified_and_shared_addresses_are_not_public():
    assert address_kind("0.0.0.0") and address_kind("100.64.0.1")


class _Redirects(http.server.BaseHTTPRequestHandler):
    """/to-metadata redirects to the cloud metadata address, /to-page to /page on this server."""

    def do_GET(self):  # noqa: N802 - the http.server API
        targets = {"/to-metadata": "http://169.254.169.254/latest/meta-data/", "/to-page": "/page"}
        if self.path in targets:
            self.send_response(302)
            self.send_header("Location", targets[self.path])
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html><body><p>A page.</p></body></html>")

    def log_message(self, *args):
        pass


@pytest.fixture
def redirecting_server():
    from tests.servers import http_server

    with http_server(_Redirects) as base:
        yield base


def _as_if_public(host: str, port: int) -> list[str]:
    """The test server's loopback address taken for a public one; every other name resolved for real."""
    return ["93.184.216.34"] if host == "127.0.0.1" else resolve(host, port)


def test_a_loopback_url_is_refused_before_any_request():
    assert url_refusal("http://127.0.0.1:9/story", timeout=2) == "127.0.0.1 is a loopback address"
    assert "link-local" in url_refusal("http://169.254.169.254/latest/meta-data/", timeout=2)


def test_a_redirect_to_a_link_local_address_is_refused(redirecting_server):
    reason = url_refusal(f"{redirecting_server}/to-metadata", timeout=5, resolver=_as_if_public)
    assert reason.endswith("redirects to http://169.254.169.254/latest/meta-data/, and 169.254.169.254 is a "
                           "link-local address")


def test_redirects_between_public_addresses_pass(redirecting_server):
    assert url_refusal(f"{redirecting_server}/to-page", timeout=5, resolver=_as_if_public) == ""


# ---- kept uploads ---------------------------------------------------------------------------------


class _Upload:
    def __init__(self, name: str, data: bytes):
        self.name, self._data, self.size = name, data, len(data)

    def getvalue(self) -> bytes:
        return self._data


def test_uploads_keep_their_name_in_one_stable_folder_per_batch(tmp_path):
    from webui.uploads import save_uploads

    batch = [_Upload("harbour.txt", b"Harbour strike"), _Upload("harbour.txt.meta.json", b'{"source": "G"}')]
    saved, too_big = save_uploads(batch, tmp_path, 1000)
    paths = [Path(p) for p in saved]
    assert [p.name for p in paths] == ["harbour.txt", "harbour.txt.meta.json"] and not too_big
    assert paths[0].parent == paths[1].parent and paths[0].parent.parent == tmp_path  # a sidecar stays beside its file
    again, _ = save_uploads(batch, tmp_path, 1000)
    assert list(again) == list(saved)  # the same batch again is the same files, not another copy
    other, _ = save_uploads([_Upload("harbour.txt", b"Another strike")], tmp_path, 1000)
    assert next(iter(other)) != next(iter(saved)) and Path(next(iter(saved))).read_bytes() == b"Harbour strike"


def test_forgetting_an_upload_keeps_files_other_articles_come_from(tmp_path):
    from webui.uploads import forget_uploads, save_uploads

    saved, _ = save_uploads([_Upload("a.txt", b"A"), _Upload("feed.jsonl", b"{}")], tmp_path, 1000)
    a, feed = list(saved)
    removed = forget_uploads(tmp_path, [a, f"{feed}#r1"], still_used={feed})
    assert removed == [Path(a)] and Path(feed).exists()
    assert forget_uploads(tmp_path, ["/etc/hostname"], set()) == []  # nothing outside the uploads folder
