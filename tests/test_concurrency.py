"""Two ingests on one archive: the second waits or refuses with a clear message, and neither corrupts it.

The lock is ``Archive._write_lock`` (an OS file lock on ``<archive>/ingest.lock``);
``ARCHIVE_LOCK_TIMEOUT_S`` says how long a second ingest waits before refusing (0: at once).
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from archive import Archive, Settings
from archive.errors import ArchiveBusyError
from bench.crash import (
    ROOT,
    archive_state,
    environment,
    expected_content,
    ingest_command,
    make_corpus,
)
from tests.archive_checks import consistency_problems
from tests.fakes import HashingEmbedder

SLOW = "5"  # seconds per embedding call (one call here) of the first ingest: it is surely still running


def start(command: list[str], **env: str) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env={**environment(), **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_until_writing(archive_dir: Path, proc: subprocess.Popen) -> None:
    """The store is opened only once the lock is held, so its folder appearing means the lock is taken."""
    deadline = time.monotonic() + 120
    while not (archive_dir / "chroma").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)


@pytest.fixture(autouse=True)
def no_entities(monkeypatch):
    """Entity extraction (spaCy, loaded in each process) is beside the point of locking and costs seconds."""
    monkeypatch.setenv("ARCHIVE_ENTITIES", "false")


@pytest.fixture
def corpora(tmp_path) -> tuple[Path, Path]:
    first, second = tmp_path / "first", tmp_path / "second"
    make_corpus(first, random.Random(1), files=30)
    make_corpus(second, random.Random(2), files=10, record_prefix="second")
    return first, second


def test_a_second_ingest_process_is_refused_with_a_clear_message(tmp_path, corpora):
    first, second = corpora
    archive_dir = tmp_path / "archive"
    one = start(ingest_command(first, archive_dir, real=False), TEST_EMBED_DELAY_S=SLOW)
    wait_until_writing(archive_dir, one)
    two = subprocess.run(ingest_command(second, archive_dir, real=False), cwd=ROOT,
                         env={**environment(), "ARCHIVE_LOCK_TIMEOUT_S": "0"}, capture_output=True, text=True, timeout=120)
    assert one.poll() is None, "the first ingest was still running"
    assert two.returncode == 2 and two.stdout == ""
    assert two.stderr.strip() == (
        f"error: another ingest is writing to {archive_dir} (lock {archive_dir / 'ingest.lock'}); try again when it ends"
    )
    out, err = one.communicate(timeout=300)
    assert one.returncode == 0, err
    count, hashes = expected_content(first)
    assert json.loads(out)["added"] == count
    state = archive_state(archive_dir, real=False)
    assert state["problems"] == []
    assert set(state["content_hashes"]) == hashes, "only the first ingest wrote"


def test_a_second_ingest_process_waits_for_the_first(tmp_path, corpora):
    first, second = corpora
    archive_dir = tmp_path / "archive"
    one = start(ingest_command(first, archive_dir, real=False), TEST_EMBED_DELAY_S=SLOW)
    wait_until_writing(archive_dir, one)
    two = start(ingest_command(second, archive_dir, real=False), ARCHIVE_LOCK_TIMEOUT_S="300")
    out_two, err_two = two.communicate(timeout=300)
    assert one.poll() is not None, "the second ingest finished only after the first"
    out_one, err_one = one.communicate(timeout=300)
    assert (one.returncode, two.returncode) == (0, 0), err_one + err_two
    (count_one, hashes_one), (count_two, hashes_two) = expected_content(first), expected_content(second)
    assert json.loads(out_one)["added"] == count_one and json.loads(out_two)["added"] == count_two
    state = archive_state(archive_dir, real=False)
    assert state["problems"] == []
    assert set(state["content_hashes"]) == hashes_one | hashes_two


class BlockingEmbedder(HashingEmbedder):
    """Holds its first embedding call until released, so the ingest holding the lock is mid-run."""

    def __init__(self):
        super().__init__()
        self.entered, self.release = threading.Event(), threading.Event()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.entered.set()
        assert self.release.wait(60)
        return super().embed_documents(texts)


@contextlib.contextmanager
def lock_attempt_failed(thread_name: str):
    """An event set when the named thread has found the ingest lock held (filelock says so at debug level)."""
    event = threading.Event()

    class Seen(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.threadName == thread_name and "not acquired" in record.getMessage():
                event.set()

    logger, handler = logging.getLogger("filelock"), Seen()
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield event
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_threads_with_separate_archive_objects_wait_or_refuse(tmp_path, corpora):
    first, second = corpora
    folder = tmp_path / "archive"
    blocking = BlockingEmbedder()
    holder = Archive(Settings(dir=folder), embedder=blocking)
    results: dict[str, object] = {}

    def ingest(name: str, archive: Archive, path: Path) -> None:
        try:
            results[name] = archive.ingest([str(path)])
        except Exception as e:  # noqa: BLE001 - the test inspects what each thread met
            results[name] = e

    one = threading.Thread(target=ingest, args=("one", holder, first))
    one.start()
    assert blocking.entered.wait(60)
    impatient = Archive(Settings(dir=folder, lock_timeout_s=0), embedder=HashingEmbedder())
    with pytest.raises(ArchiveBusyError, match=r"another ingest is writing to .*; try again when it ends"):
        impatient.ingest([str(second)])
    patient = Archive(Settings(dir=folder, lock_timeout_s=60), embedder=HashingEmbedder())
    two = threading.Thread(target=ingest, args=("two", patient, second), name="patient-ingest")
    with lock_attempt_failed("patient-ingest") as waited:
        two.start()
        assert waited.wait(60), "the patient ingest tried the held lock"
    assert two.is_alive() and "two" not in results, "the patient ingest waits while the lock is held"
    blocking.release.set()
    one.join(120)
    two.join(120)
    assert not isinstance(results["one"], Exception) and not isinstance(results["two"], Exception), results
    assert results["one"].added == expected_content(first)[0]
    assert results["two"].added == expected_content(second)[0]
    fresh = Archive(Settings(dir=folder), embedder=HashingEmbedder())
    assert consistency_problems(fresh, search_for="storm flood") == []
