"""Bad input through the whole ingest: a clear error per input, and nothing already stored is lost."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from archive import Archive, Settings
from tests.fakes import HashingEmbedder
from tests.test_pipeline import record_article_id, snapshot


@pytest.fixture
def loaded(settings, sample_copy) -> Archive:
    archive = Archive(settings, embedder=HashingEmbedder())
    assert archive.ingest([str(sample_copy)]).added == 5
    return archive


def _make_bad_inputs(folder: Path) -> dict[str, str]:
    """Bad files, each with a phrase its failure reason must contain."""
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_text("   \n\t\n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "no_text.json").write_text(json.dumps({"id": "x1", "title": "Only a title"}), encoding="utf-8")
    (folder / "broken.json").write_text('{"title": "half', encoding="utf-8")
    return {"empty.txt": "empty", "blank.txt": "whitespace", "binary.txt": "binary",
            "no_text.json": "no text", "broken.json": "JSON"}


def test_each_bad_file_gets_a_reason_and_archive_is_untouched(loaded, tmp_path):
    expected = _make_bad_inputs(tmp_path / "bad")
    before = snapshot(loaded)
    report = loaded.ingest([str(tmp_path / "bad")])
    reasons = {Path(f.path.split(":")[0].split("#")[0]).name: f.reason for f in report.failed}
    for name, phrase in expected.items():
        assert name in reasons, f"{name} was not reported"
        assert phrase.lower() in reasons[name].lower(), (name, reasons[name])
    assert snapshot(loaded) == before


def test_jsonl_with_a_broken_line_ingests_the_rest(loaded, tmp_path):
    feed = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"doc_id": "a1", "title": "Floods in Pakistan", "text": "Floods covered a third of Pakistan."}),
        '{"doc_id": "a2", "title": broken',
        json.dumps({"doc_id": "a3", "title": "Heat wave", "text": "Europe had its hottest summer."}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"doc_id": "a5", "title": "No body"}),
    ]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = snapshot(loaded)
    report = loaded.ingest([str(feed)])
    assert report.added == 2
    failed = {f.path.rsplit(":", 1)[-1]: f.reason for f in report.failed}
    assert set(failed) == {"2", "4", "5"}, report.failed
    assert loaded.article(record_article_id(feed, "a1")).title == "Floods in Pakistan"
    assert {k: v for k, v in snapshot(loaded).items() if k in before} == before


def test_missing_path_and_unreadable_file(loaded, tmp_path):
    locked = tmp_path / "locked.txt"
    locked.write_text("Secret article text.", encoding="utf-8")
    locked.chmod(0)
    before = snapshot(loaded)
    report = loaded.ingest([str(tmp_path / "nope.txt"), str(locked)])
    reasons = {Path(f.path).name: f.reason for f in report.failed}
    assert "no such file" in reasons["nope.txt"]
    if os.geteuid() != 0:  # root reads any file
        assert "permission" in reasons["locked.txt"].lower()
    assert {k: v for k, v in snapshot(loaded).items() if k in before} == before


def test_huge_file_is_refused_with_the_limit(settings, tmp_path):
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # 50 MB, sparse: cheap to make
    archive = Archive(settings, embedder=HashingEmbedder())
    report = archive.ingest([str(big)])
    assert len(report.failed) == 1
    assert "limit" in report.failed[0].reason and "MB" in report.failed[0].reason


def test_huge_single_line_within_file_limit_is_refused_by_article_limit(tmp_path):
    big = tmp_path / "long.txt"
    big.write_text("word " * 300_000, encoding="utf-8")  # 1.5 MB of text, one line
    archive = Archive(Settings(dir=tmp_path / "a", max_article_chars=1_000_000), embedder=HashingEmbedder())
    report = archive.ingest([str(big)])
    assert report.failed and "limit" in report.failed[0].reason


def test_gzip_jsonl_is_read(settings, tmp_path):
    feed = tmp_path / "feed.jsonl.gz"
    with gzip.open(feed, "wt", encoding="utf-8") as f:
        for i in range(3):
            f.write(json.dumps({"id": f"g{i}", "title": f"T{i}", "text": f"Gzip story number {i}."}) + "\n")
    archive = Archive(settings, embedder=HashingEmbedder())
    assert archive.ingest([str(feed)]).added == 3


@pytest.mark.parametrize(
    "encoding, prefix",
    [("utf-8", b""), ("utf-8-sig", b""), ("utf-16", b""), ("cp1252", b"")],
)
def test_encodings_are_detected(settings, tmp_path, encoding, prefix):
    path = tmp_path / f"{encoding}.txt"
    text = "Caf\u00e9 owners said \u201cprices rose\u201d by 5 percent.\nA second line follows here."
    path.write_bytes(prefix + text.encode(encoding))
    archive = Archive(settings, embedder=HashingEmbedder())
    report = archive.ingest([str(path)])
    assert report.added == 1, report.failed
    stored = archive.articles()[0]
    full = archive.article(stored.id)
    assert "Caf\u00e9 owners said \u201cprices rose\u201d" in full.title + full.text
