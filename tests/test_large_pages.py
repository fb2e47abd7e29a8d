"""Bounded work per page: a huge HTML page keeps its article text, and a cut is said, never silent."""

from __future__ import annotations

import base64
import os

from archive import Archive, Settings
from ingest.readers.html import MAX_HTML_CHARS, slimmed
from tests.fakes import HashingEmbedder

PARAGRAPHS = "".join(f"<p>The harbour council approved ferry plan number {i} on Monday after a long debate "
                     f"about costs and routes.</p>" for i in range(3))


def page(head: str = "", body_extra: str = "") -> str:
    return (f"<html><head><title>Harbour plan approved</title>{head}</head><body><article><h1>Harbour plan "
            f"approved</h1>{PARAGRAPHS}{body_extra}</article></body></html>")


def blob(n: int) -> str:
    return base64.b64encode(os.urandom(n)).decode()


def ingest(tmp_path, html: str):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    archive = Archive(Settings(dir=tmp_path / "archive", entities=False, max_file_mb=64), embedder=HashingEmbedder())
    return archive, archive.ingest([str(path)])


def test_a_ten_megabyte_inline_style_or_script_no_longer_loses_the_article(tmp_path):
    """Past ~10 MB in one text node lxml drops it and the extractor found no text at all."""
    for head in (f"<style>.x{{background:url(data:image/png;base64,{blob(7_600_000)})}}</style>",
                 f"<script>var payload = '{blob(7_600_000)}';</script>"):
        archive, report = ingest(tmp_path / head[:7].strip("<>"), page(head=head))
        assert report.added == 1 and not report.failed and not report.notes, report
        (article,) = archive.articles()
        assert all(f"ferry plan number {i}" in archive.article(article.id).text for i in range(3))


def test_inline_images_are_left_out_and_json_ld_kept():
    html = page(head='<script type="application/ld+json">{"datePublished": "2025-03-04"}</script>'
                     "<script>track()</script>", body_extra=f'<img src="data:image/png;base64,{blob(300_000)}">')
    slim, notes = slimmed(html)
    assert notes == () and len(slim) < 2_000 and "datePublished" in slim and "track()" not in slim
    assert 'src="data:,"' in slim


def test_a_page_still_too_long_is_cut_at_a_tag_and_the_report_says_so(tmp_path):
    filler = "".join(f"<div class='c{i}'>{i}</div>" for i in range(MAX_HTML_CHARS // 20))
    archive, report = ingest(tmp_path, page(body_extra=filler))
    assert report.added == 1 and not report.failed
    (note,) = report.notes
    assert note.path.endswith("page.html") and "cut at" in note.reason and "not stored" in note.reason
    (article,) = archive.articles()
    assert "ferry plan number 2" in archive.article(article.id).text


def test_the_progress_bar_knows_how_many_articles_a_run_holds(tmp_path):
    import gzip
    import json

    from ingest.progress import expected_articles

    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps({"id": i, "text": f"Story {i}."}) for i in range(7)) + "\n\n", encoding="utf-8")
    packed = tmp_path / "feed.jsonl.gz"
    with gzip.open(packed, "wt", encoding="utf-8") as f:
        f.write("\n".join(json.dumps({"id": i, "text": f"Story {i}."}) for i in range(5)))
    page = tmp_path / "a.html"
    page.write_text("<p>x</p>", encoding="utf-8")
    assert expected_articles([str(feed), str(packed), str(page), "https://example.org/a"]) == 14
    assert expected_articles([str(page), str(tmp_path / "records.json")]) is None  # a JSON file hides its count
