"""Crash safety: `python -m ingest` killed with SIGKILL at random moments, then re-run, leaves a whole archive.

The ingests run as real subprocesses through ``tests/ingest_with_fake_embedder.py`` (the same
``python -m ingest`` code with the deterministic test embedder, so a process starts in about a
second instead of loading the model). ``bench/crash.py`` holds the experiment; it runs 20 kills.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from archive import Archive, Settings
from bench.crash import (
    ROOT,
    archive_state,
    change_corpus,
    check_after,
    crash_rounds,
    environment,
    ingest_command,
    journal_path,
    make_corpus,
    summary_lines,
)
from tests.archive_checks import consistency_problems
from tests.fakes import HashingEmbedder

# Entity extraction loads spaCy in every ingest process, which would triple these tests' time; the
# write protocol is the same without it. Entity rows under a kill are covered by the in-write test below
# and by bench/crash.py, which runs with the settings as they are.
NO_ENTITIES = "ARCHIVE_ENTITIES"


def test_six_sigkills_at_random_moments_then_reruns_leave_a_whole_archive(tmp_path, monkeypatch):
    """Six kills keep the suite short; bench/crash.py runs twenty (docs/reliability.md)."""
    monkeypatch.setenv(NO_ENTITIES, "false")
    result = crash_rounds(tmp_path, kills=6, seed=11, files=24, real=False, rerun_every=3)
    print("\n".join(summary_lines(result)))
    kills = result["kills"]
    assert len(kills) == 6
    assert sum(k["killed"] for k in kills) >= 3, "most kills land while the ingest runs"
    assert len(result["checks"]) == 3  # the first full run, then re-runs after kills 3 and 6
    assert result["problems"] == []
    for check in result["checks"]:
        report = check["report"]
        assert not report["failed"]
        assert report["added"] + report["updated"] + report["unchanged"] + report["duplicate"] == check["expected_articles"]


def test_sigkill_inside_a_store_write_then_rerun(tmp_path):
    """Killed the moment the store's write journal appears: chunks may be written, their article not yet.

    Entity extraction stays on here, so the entity rows written beside the keyword rows are checked too.
    """
    import random

    rng = random.Random(5)
    corpus, archive_dir = tmp_path / "corpus", tmp_path / "archive"
    make_corpus(corpus, rng, files=20)
    journal = journal_path(archive_dir, real=False)
    command = ingest_command(corpus, archive_dir, real=False)
    for attempt in range(1, 4):  # on a loaded machine the write may end before the kill lands: try again
        if attempt > 1:
            change_corpus(corpus, rng, attempt)
        proc = subprocess.Popen(command, cwd=ROOT, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while not journal.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if journal.exists():
            break
    assert journal.exists(), "the ingest was killed inside a store write"
    left = archive_state(archive_dir, real=False)
    assert any("journal" in p for p in left["problems"])  # what recover() will sweep
    check = check_after(corpus, archive_dir, real=False, after_kill=attempt)
    assert check.problems == []
    report = check.report
    assert report["added"] + report["updated"] + report["unchanged"] + report["duplicate"] == check.expected_articles


def test_a_killed_ingest_does_not_hold_the_lock(tmp_path, monkeypatch):
    """SIGKILL releases the ingest lock (an OS file lock), so the next ingest is not refused."""
    import random

    monkeypatch.setenv(NO_ENTITIES, "false")
    corpus, archive_dir = tmp_path / "corpus", tmp_path / "archive"
    make_corpus(corpus, random.Random(6), files=10)
    command = ingest_command(corpus, archive_dir, real=False)
    proc = subprocess.Popen(command, cwd=ROOT, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not (archive_dir / "ingest.lock").exists() and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = subprocess.run(command, cwd=ROOT, env=environment(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["failed"] == []


# ---- found by the crash bench: an update and a copy of the same content in one run ------------------------


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


OLD = "Harbour strike ends\n\nDock workers voted to return after a week. Ships queued outside the port."
NEW = "Harbour strike resumes\n\nDock workers walked out again on Monday. Talks broke down overnight."


def _contents(archive: Archive) -> dict[str, str]:
    return {a.id: a.content_hash for a in archive.articles()}


@pytest.mark.parametrize("fillers", [pytest.param(0, id="same-batch"), pytest.param(70, id="earlier-batch")])
def test_a_copy_of_an_article_that_changes_in_the_same_run_is_stored(tmp_path, fillers):
    """b.txt was stored; now a_copy.txt holds b's old text (read first) and b.txt changes."""
    folder = tmp_path / "in"
    folder.mkdir()
    _write(folder / "b.txt", OLD)
    # Files between the copy and the original put them in different batches of the ingest.
    for i in range(fillers):
        _write(folder / f"m_{i:03d}.txt", f"Filler story {i}\n\nNothing happened in town number {i} today.")
    archive = Archive(Settings(dir=tmp_path / "archive"), embedder=HashingEmbedder())
    archive.ingest([str(folder)])
    shutil.copyfile(folder / "b.txt", folder / "a_copy.txt")
    _write(folder / "b.txt", NEW)
    report = archive.ingest([str(folder)])
    assert (report.added, report.updated, report.duplicate, report.unchanged) == (1, 1, 0, fillers), report
    texts = {archive.article(aid).text for aid in _contents(archive)}
    assert {OLD.split("\n\n")[1], NEW.split("\n\n")[1]} <= texts, "the old text lives on in the copy"
    assert consistency_problems(archive) == []


def test_a_copy_made_after_an_update_in_the_same_run_is_a_duplicate(tmp_path):
    """story.txt changes and zz_copy.txt (read after it) holds its new text: stored once."""
    folder = tmp_path / "in"
    folder.mkdir()
    _write(folder / "story.txt", OLD)
    archive = Archive(Settings(dir=tmp_path / "archive"), embedder=HashingEmbedder())
    archive.ingest([str(folder)])
    _write(folder / "story.txt", NEW)
    shutil.copyfile(folder / "story.txt", folder / "zz_copy.txt")
    report = archive.ingest([str(folder)])
    assert (report.added, report.updated, report.duplicate) == (0, 1, 1), report
    assert len(archive.articles()) == 1
    (article,) = archive.articles()
    assert {Path(o).name for o in article.origins} == {"story.txt", "zz_copy.txt"}
    assert consistency_problems(archive) == []
