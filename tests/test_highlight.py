"""Highlights mark the sentences that match, and never let article HTML through."""

from __future__ import annotations

from archive.search.highlight import matching_sentences
from archive.types import Chunk
from ingest.normalize import clean_text
from tests.conftest import SAMPLE
from webui.marked import marked_html


def _chunk(text: str, start: int = 100) -> Chunk:
    return Chunk("a", 0, text, start, start + len(text))


def test_the_answering_sentence_is_marked():
    article = clean_text((SAMPLE / "004_d6acca71867ffea4.txt").read_text(encoding="utf-8"))
    start = article.index("Rutte highlighted")
    chunk = Chunk("a", 0, article[start : start + 400], start, start + 400)
    spans = matching_sentences(chunk, "How many soldiers does Russia lose each month?")
    marked = [article[s:e] for s, e in spans]
    assert any("20,000 soldier losses monthly" in m for m in marked)
    assert all(article[s:e] == chunk.text[s - start : e - start] for s, e in spans)


def test_quoted_phrase_outweighs_loose_words():
    chunk = _chunk("Leaders met in Paris. A coalition of the willing was formed. The willing were many.")
    spans = matching_sentences(chunk, '"coalition of the willing"')
    assert [chunk.text[s - 100 : e - 100] for s, e in spans] == ["A coalition of the willing was formed."]


def test_no_match_marks_nothing():
    assert matching_sentences(_chunk("Floods covered the valley."), "stock market") == ()


def test_marked_html_escapes_article_markup():
    text = 'He wrote <script>alert("x")</script> and <img src=x onerror=alert(1)> here.'
    out = marked_html(text, ((100, 108),), offset=100)
    assert "<script>" not in out and "<img" not in out
    assert "&lt;script&gt;" in out and out.startswith("<mark>He wrote</mark>") and out.count("<mark>") == 1
    assert marked_html("a\nb", ()) == "a<br>b"


def test_one_shared_word_of_a_long_question_is_not_a_highlight():
    chunk = _chunk("The Russian leader spoke at length. Nothing else happened.")
    assert matching_sentences(chunk, "How many soldiers does Russia lose each month?") == ()
