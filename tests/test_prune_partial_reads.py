"""--prune judges a file only by a complete, unchanged read of it: a file rewritten while it is read, or
whose read fails part-way, loses none of its records, and the report says prune skipped it and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive import Archive, Settings
from archive.errors import InputError
from archive.types import IngestFailure
from ingest.readers import dispatch
from tests.fakes import HashingEmbedder
from tests.test_pipeline import record_ids

RECORDS = 40  # of about 1 KB each: more than the reader's buffer holds, so a rewritten file is read from disk


@pytest.fixture
def archive(tmp_path) -> Archive:
    return Archive(Settings(dir=tmp_path / "archive", entities=False), embedder=HashingEmbedder())


def _lines(count: int) -> list[str]:
    return [json.dumps({"id": f"r{i}", "title": f"Story {i}", "text": f"Story {i} told at length. " * 40})
            for i in range(count)]


@pytest.fixture
def feed(tmp_path, archive) -> Path:
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(_lines(RECORDS)) + "\n", encoding="utf-8")
    assert archive.ingest([str(path)]).added == RECORDS
    return path


def _patch_jsonl_reader(monkeypatch, after_first):
    """Make the .jsonl reader call ``after_first(origin)`` once it has given its first record."""
    real = dispatch._READERS[".jsonl"]

    def reader(origin, settings):
        items = real(origin, settings)
        yield next(items)
        yield from after_first(origin, items)

    monkeypatch.setitem(dispatch._READERS, ".jsonl", reader)


def _skips(report) -> list[IngestFailure]:
    return [f for f in report.failed if f.reason.startswith("prune skipped it")]


def test_a_file_rewritten_while_it_is_read_loses_no_record(archive, feed, monkeypatch):
    def rewrite(origin, items):
        # The feed's writer starts it anew and has written half of it: the read goes on into the new
        # file's lines, which are the old ones, and ends cleanly, at a line's end, halfway.
        Path(origin).write_text("\n".join(_lines(RECORDS // 2)) + "\n", encoding="utf-8")
        yield from items

    _patch_jsonl_reader(monkeypatch, rewrite)
    report = archive.ingest([str(feed)], prune=True)
    assert report.pruned == 0
    assert len(archive.articles()) == RECORDS
    (skip,) = _skips(report)
    assert skip.path == str(feed.resolve()) and "changed while it was read" in skip.reason
    assert not report.ok, "the run says it did not finish its work"
    monkeypatch.undo()
    # Read whole and unchanged, the file now holding half the records is pruned to them.
    again = archive.ingest([str(feed)], prune=True)
    assert (again.pruned, again.failed) == (RECORDS // 2, [])
    assert record_ids(archive) == sorted(f"r{i}" for i in range(RECORDS // 2))


@pytest.mark.parametrize("failure", ["raises", "reports"], ids=["reader-raises", "reader-stops-with-a-failure"])
def test_a_file_whose_read_fails_part_way_loses_no_record(archive, feed, monkeypatch, failure):
    def fail(origin, items):
        yield next(items)
        if failure == "raises":
            raise OSError("Input/output error (simulated)")
        # what the JSON Lines reader yields when its stream breaks after records were handed out
        yield IngestFailure(origin, "could not read file: Input/output error (simulated); stopped reading")

    _patch_jsonl_reader(monkeypatch, fail)
    report = archive.ingest([str(feed)], prune=True)
    assert report.pruned == 0
    assert len(archive.articles()) == RECORDS
    (skip,) = _skips(report)
    assert skip.path == str(feed.resolve()) and "Input/output error" in skip.reason
    assert all("\n" not in f.reason for f in report.failed)


def test_a_reader_raising_input_error_mid_file_keeps_the_unread_records(archive, feed, monkeypatch):
    def fail(origin, items):
        yield next(items)
        raise InputError("corrupt gzip data: simulated")

    _patch_jsonl_reader(monkeypatch, fail)
    report = archive.ingest([str(feed)], prune=True)
    assert report.pruned == 0 and len(archive.articles()) == RECORDS
    assert "its read failed (corrupt gzip data" in _skips(report)[0].reason


def _small_feed_ingested(archive, tmp_path):
    """A four-record feed, ingested: (its path, its lines)."""
    path = tmp_path / "small.jsonl"
    lines = _lines(4)
    path.write_text("\n".join(lines), encoding="utf-8")
    archive.ingest([str(path)])
    return path, lines


def test_a_broken_line_still_counts_as_read(archive, tmp_path):
    path, lines = _small_feed_ingested(archive, tmp_path)
    # r1's line breaks (its id still shows), r3 leaves the file: r3 is pruned, r1 kept.
    path.write_text("\n".join([lines[0], '{"id": "r1", "text": broken', lines[2]]), encoding="utf-8")
    report = archive.ingest([str(path)], prune=True)
    assert report.pruned == 1 and record_ids(archive) == ["r0", "r1", "r2"]
    assert [f.path.rsplit(":", 1)[1] for f in report.failed] == ["2"] and _skips(report) == []


def test_a_broken_line_that_shows_no_id_may_be_any_record(archive, tmp_path):
    path, lines = _small_feed_ingested(archive, tmp_path)
    path.write_text("\n".join([lines[0], '{"text": "no id here, and brok', lines[2]]), encoding="utf-8")
    report = archive.ingest([str(path)], prune=True)
    assert report.pruned == 0 and record_ids(archive) == ["r0", "r1", "r2", "r3"]
    (skip,) = _skips(report)
    assert skip.path == str(path.resolve()) and "may be any of its records" in skip.reason
