"""End to end with the real bundled model and a real Chroma: the sample questions find the right article."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from archive import Archive, Settings
from archive.types import Filters
from ingest.normalize import origin_id
from tests.conftest import ROOT, SAMPLE, sample_id
from tests.servers import chroma_run

pytestmark = pytest.mark.slow


def test_soldiers_question_finds_004_with_the_20000_sentence(sample_archive):
    hits = sample_archive.search("How many soldiers does Russia lose each month?", k=5)
    assert hits[0].article.id == sample_id(sample_archive, "004")
    assert "20,000 soldier losses monthly" in hits[0].chunk.text
    full = sample_archive.article(hits[0].article.id)
    assert full.text[hits[0].chunk.start : hits[0].chunk.end] == hits[0].chunk.text


def test_berlin_question_finds_002(sample_archive):
    hits = sample_archive.search("Where did Rutte warn that NATO could be Russia's next target?", k=5)
    assert hits[0].article.id == sample_id(sample_archive, "002")
    marked = [hits[0].chunk.text[s - hits[0].chunk.start : e - hits[0].chunk.start] for s, e in hits[0].highlights]
    assert any("We could become Russia's next target" in m for m in marked), marked


def test_one_hit_per_article_and_story(sample_archive):
    hits = sample_archive.search("Rutte NATO Russia", k=10)
    ids = [h.article.id for h in hits] + [a.id for h in hits for a in h.also]
    assert len(ids) == len(set(ids)) == 5, "every article once: four stories, one of them with two reports"
    assert len(hits) == 4
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_titles_of_sample(sample_archive):
    titles = {Path(a.origin).name[:3]: a.title for a in sample_archive.articles()}
    assert titles["001"].startswith("NATO Warns of Imminent Russian Offensive")
    assert titles["003"].startswith("NATO\u2019s New Leader Stirs Tensions")
    assert titles["004"].startswith("Following a Tuesday meeting")


def test_source_and_date_filters(real_embedder, tmp_path):
    feed = tmp_path / "feed.jsonl"
    records = [
        {"id": "cnn1", "url": "https://www.cnn.com/a", "title": "Ford recalls 2.9 million vehicles",
         "text": "Ford recalled 2.9 million vehicles over a gear problem.", "publish_date": "2022/06/15"},
        {"id": "bbc1", "url": "https://www.bbc.co.uk/b", "title": "Ford recall widens",
         "text": "The Ford recall now covers 2.9 million cars.", "publish_date": "2022-07-20"},
    ]
    feed.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    archive = Archive(Settings(dir=tmp_path / "archive"), embedder=real_embedder)
    assert archive.ingest([str(feed)]).added == 2
    q = "Which automaker recalled 2.9 million vehicles?"
    cnn1, bbc1 = (f"{origin_id(str(feed.resolve()))}/{r['id']}" for r in records)
    assert {h.article.id for h in archive.search(q)} == {cnn1, bbc1}
    assert [h.article.id for h in archive.search(q, filters=Filters(sources=("bbc.co.uk",)))] == [bbc1]
    june = Filters(date_from="2022-06-01", date_to="2022-06-30")
    assert [h.article.id for h in archive.search(q, filters=june)] == [cnn1]
    assert archive.article(cnn1).published_at == "2022-06-15"


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_cli_ingest_search_stats_json(tmp_path, sample_copy, cli, monkeypatch):
    """The first ingest and search run as real subprocesses; the rest in this process (the same CLI code)."""
    env = {**os.environ, "ARCHIVE_DIR": str(tmp_path / "cli-archive")}
    monkeypatch.setenv("ARCHIVE_DIR", env["ARCHIVE_DIR"])
    (sample_copy / "empty.txt").write_text("", encoding="utf-8")
    first = _run(["-m", "ingest", str(sample_copy), "--json"], env)
    assert first.returncode == 1, "a failed input makes the exit status non-zero"
    report = json.loads(first.stdout)
    assert report["added"] == 5 and report["chunks_embedded"] > 5
    assert [Path(f["path"]).name for f in report["failed"]] == ["empty.txt"]
    (sample_copy / "empty.txt").unlink()
    code, out = cli("ingest", str(sample_copy), "--json")
    assert code == 0 and json.loads(out)["chunks_embedded"] == 0, "nothing embedded again"
    found = _run(["-m", "archive", "search", "How many soldiers does Russia lose each month?", "-k", "3", "--json"], env)
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)["hits"]
    assert Path(hits[0]["origin"]).name.startswith("004")
    assert set(hits[0]) >= {"article_id", "title", "source", "published_at", "origin", "score", "passage", "start", "end"}
    assert "20,000" in hits[0]["passage"]
    code, out = cli("search", "Berlin speech", "-k", "1")
    assert code == 0
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("1. "))
    assert lines[first].startswith("1. NATO Secretary General Mark Rutte warned during a speech in Berlin")
    assert re.fullmatch(r"   \S*002_f1eefb7e175393c8\.txt  chars \d+-\d+", lines[first + 2]), lines[first : first + 3]
    code, out = cli("stats", "--json")
    stats = json.loads(out)
    assert code == 0 and stats["articles"] == 5
    # which vector scan this CPU gets is said, with the int8 kernel's check (exact here, or float32 and why)
    assert stats["vector_scan"].startswith(("int8 first", "float32 at every size")) and "int8 kernel" in stats["vector_scan"]
    code, out = cli("stats")
    assert code == 0 and f"vector scan: {stats['vector_scan']}" in out


def test_cli_reports_errors_in_one_line(tmp_path):
    env = {**os.environ, "ARCHIVE_DIR": str(tmp_path / "a")}
    bad = _run(["-m", "archive", "search", "x", "--since", "yesterday-ish"], env)
    assert bad.returncode == 2 and bad.stderr.startswith("error: --since expects a date")
    assert "Traceback" not in bad.stderr
    missing = _run(["-m", "ingest", str(tmp_path / "missing.txt")], env)
    assert missing.returncode == 1 and "no such file" in missing.stdout


@pytest.fixture
def chroma_server(tmp_path):
    """A real `chroma run` on 127.0.0.1, started and stopped by the test."""
    with chroma_run(tmp_path / "server-data") as url:
        yield url


@pytest.mark.server
def test_ingest_and_search_against_a_chroma_server(chroma_server, real_embedder, tmp_path):
    settings = Settings(dir=tmp_path / "local", chroma_url=chroma_server)
    archive = Archive(settings, embedder=real_embedder)
    report = archive.ingest([str(SAMPLE)])
    assert report.added == 5
    assert not (tmp_path / "local" / "chroma").exists(), "nothing was written to an embedded store"
    hits = archive.search("How many soldiers does Russia lose each month?", k=3)
    assert Path(hits[0].article.origin).name.startswith("004")
    again = Archive(settings, embedder=real_embedder).ingest([str(SAMPLE)])
    assert again.unchanged == 5 and again.chunks_embedded == 0


def test_quoted_phrase_matches_exactly(sample_archive):
    hits = sample_archive.search('"NATO remains here"', k=5)
    assert [h.article.id for h in hits] == [sample_id(sample_archive, "004")]
    assert "NATO remains here" in hits[0].chunk.text
    assert any("NATO remains here" in hits[0].chunk.text[s - hits[0].chunk.start : e - hits[0].chunk.start]
               for s, e in hits[0].highlights)
    assert sample_archive.search('"NATO remains in Berlin forever"', k=5) == []
    # Inline formatting pasted with the query is not part of the phrase.
    assert [h.article.id for h in sample_archive.search('"NATO <em>remains</em> here"', k=5)] == [sample_id(sample_archive, "004")]
    # Punctuation inside the quotes belongs to the sentence around them.
    assert [h.article.id for h in sample_archive.search('he said "NATO remains here,"', k=5)] == [sample_id(sample_archive, "004")]


def test_quotes_in_a_question_name_a_term_rather_than_require_it(sample_archive):
    """A question quotes what something is called; it does not ask for an exact-match filter."""
    question = "How many soldiers does Russia lose each month, by the “official count”?"
    assert sample_archive.search("soldiers Russia lose each month “official count”", k=5) == []
    hits = sample_archive.search(question, k=3)
    assert hits and hits[0].article.id == sample_id(sample_archive, "004")


def test_search_hits_carry_highlights_of_the_answer(sample_archive):
    hit = sample_archive.search("How many soldiers does Russia lose each month?", k=1)[0]
    marked = [hit.chunk.text[s - hit.chunk.start : e - hit.chunk.start] for s, e in hit.highlights]
    assert any("20,000 soldier losses monthly" in m for m in marked)


def test_sentence_reranker_keeps_the_sample_answers_first(real_embedder, sample_archive):
    reranked = Archive(Settings(dir=sample_archive.settings.dir, reranker="sentences"), embedder=real_embedder)
    assert reranked.search("How many soldiers does Russia lose each month?", k=3)[0].article.id == sample_id(sample_archive, "004")
    assert reranked.search("Where did Rutte warn that NATO could be Russia's next target?", k=3)[0].article.id == sample_id(sample_archive, "002")


def test_headline_ranking_finds_the_article_by_its_title_in_memory_and_in_chroma(sample_archive):
    from archive.types import Filters

    target = sample_archive.article(sample_id(sample_archive, "004"))
    vector = sample_archive.embedder.embed_query(target.title)
    chroma_only = Archive(sample_archive.settings.model_copy(update={"memory_index_max_chunks": 0}),
                          embedder=sample_archive.embedder)
    for store in (sample_archive.store, chroma_only.store):
        ranked = store.query_headlines(vector, 5)
        assert ranked[0][0] == target.id and ranked[0][1] > 0.99
        others = tuple(a.id for a in sample_archive.articles() if a.id != target.id)
        assert target.id not in [a for a, _ in store.query_headlines(vector, 5, Filters(article_ids=others))]
