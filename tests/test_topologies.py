"""Every reader sees every committed write: another process on the same folder, another host on one server.

Readers here are long-lived ``Archive`` objects in the test process (as the Streamlit app keeps one),
searching in a loop on a thread while real ``python -m ingest`` processes add, update and prune
articles. Ingest runs with the deterministic hashing embedder (tests/ingest_with_fake_embedder.py),
whose vectors share dimensions for shared words, so search, lookup and ask all find an article by
its unusual words; what is under test is the storage, not the model.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from archive import Archive, Settings
from bench.crash import ROOT, environment
from tests.archive_checks import consistency_problems
from tests.fakes import HashingEmbedder
from tests.servers import chroma_run, free_port, start_chroma, stop

ARTICLES = {
    "harbour.txt": "Harbour plan approved\n\nThe council approved the new harbour plan for Westhaven on Monday. "
                   "Ferries will dock at the northern pier from June. The mayor said the plan was long overdue.",
    "budget.txt": "Budget talks stall\n\nTalks on the regional budget stalled again on Tuesday. Negotiators "
                  "disagreed over school funding and road repairs. A new round is planned for next week.",
    "storm.txt": "Storm closes schools\n\nA winter storm closed schools across the valley on Wednesday. Power "
                 "lines came down near the river and crews worked through the night to restore them.",
}
NEW = ("zoo.txt", "Zoo welcomes quokkas\n\nThe city zoo welcomed two quokkas from Rottnest on Thursday. Keepers "
                  "said the marsupials settled in quickly and will meet visitors in spring.")
UPDATED = ("Harbour plan approved\n\nThe council approved the new harbour plan for Westhaven on Monday. "
           "Ferries will dock at the kittiwake terminal from June. The mayor said the plan was long overdue.")


@pytest.fixture(autouse=True)
def no_entities(monkeypatch):
    monkeypatch.setenv("ARCHIVE_ENTITIES", "false")  # spaCy in every ingest process is beside the point


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def ingest_command(folder: Path, archive_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "tests.ingest_with_fake_embedder", str(folder), "--archive-dir", str(archive_dir),
            *args]


def ingest(folder: Path, archive_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """A real ingest process (hashing embedder) into ``archive_dir``, run to its end."""
    return subprocess.run(ingest_command(folder, archive_dir, *args), cwd=ROOT, capture_output=True, text=True,
                          env={**environment(), "ARCHIVE_ENTITIES": "false", **env}, timeout=300)


class SearchLoop:
    """Search, look up and count in a loop on a thread, keeping every error."""

    def __init__(self, archive: Archive):
        self.archive, self.errors, self.rounds = archive, [], 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for query in ("harbour ferries", "budget talks", "quokkas zoo"):
                try:
                    self.archive.search(query, k=5)
                    self.archive.lookup(query.split()[0], k=3)
                except Exception as e:  # noqa: BLE001 - every error is the finding
                    self.errors.append(repr(e))
            self.rounds += 1

    def __enter__(self) -> SearchLoop:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


QUESTIONS = {"ferries": "Where will ferries dock from June?", "northern": "Where will ferries dock from June?",
             "kittiwake": "Where will ferries dock from June?", "quokkas": "Who welcomed two quokkas?",
             "storm": "What closed schools across the valley?", "axolotl": "What reopened with a new reading room?"}


def finds(archive: Archive, word: str) -> set[str]:
    """Titles of the articles that hold a word, as search, lookup and ask each find them (all three must agree;
    ask is asked the question the word answers, and counts the cited articles that hold the word)."""
    by_search = {h.article.title for h in archive.search(word, k=5) if word in h.article.text.lower()
                 or word in (archive.article(h.article.id) or h.article).text.lower()}
    by_lookup = {h.article.title for h in archive.lookup(word, k=5, approximate=False)}
    answer = archive.ask(QUESTIONS[word])
    by_ask = {s.article.title for s in answer.sources if word in s.article.text.lower()}
    assert by_search == by_lookup == by_ask, (by_search, by_lookup, by_ask)
    return by_search


def check_sees_every_write(reader: Archive, write, corpus: Path, wait) -> None:
    """Add, update and prune through ingest processes (``write(*args)`` runs one over ``corpus``);
    ``wait(predicate)`` until the reader sees each."""
    with SearchLoop(reader) as loop:
        (corpus / NEW[0]).write_text(NEW[1], encoding="utf-8")
        assert write().returncode == 0
        wait(lambda: finds(reader, "quokkas") == {"Zoo welcomes quokkas"})

        (corpus / "harbour.txt").write_text(UPDATED, encoding="utf-8")
        assert write().returncode == 0
        wait(lambda: finds(reader, "kittiwake") == {"Harbour plan approved"} and finds(reader, "northern") == set())

        (corpus / "storm.txt").unlink()
        assert write("--prune").returncode == 0
        wait(lambda: finds(reader, "storm") == set() and reader.stats().articles == 3)
    assert loop.rounds > 0 and loop.errors == []
    assert consistency_problems(reader) == []


def at_once(predicate) -> None:
    """Embedded: the next read after an ingest process has finished sees its commit (no waiting at all)."""
    assert predicate()


def soon(predicate, attempts: int = 200) -> None:
    """On a shared server a host follows the change feed before its searches: true within a few reads."""
    import time

    for _ in range(attempts):
        if predicate():
            return
        time.sleep(0.05)  # a poll for the reader to catch up; the assertion is on what it finds, not when
    assert predicate()


def test_a_long_lived_reader_sees_another_processs_adds_updates_and_prunes(tmp_path):
    corpus, archive_dir = write_corpus(tmp_path / "in"), tmp_path / "archive"
    assert ingest(corpus, archive_dir).returncode == 0
    reader = Archive(Settings(dir=archive_dir, entities=False), embedder=HashingEmbedder())
    assert finds(reader, "ferries") == {"Harbour plan approved"}
    check_sees_every_write(reader, lambda *args: ingest(corpus, archive_dir, *args), corpus, at_once)
    assert reader.store.conn.reopens >= 3  # it reopened Chroma after each foreign commit


def test_a_writer_in_a_long_lived_process_never_writes_stale_state_over_anothers(tmp_path):
    """The app's Add page writes from the long-lived process: after a terminal ingest its write keeps both."""
    corpus, archive_dir = write_corpus(tmp_path / "in"), tmp_path / "archive"
    app = Archive(Settings(dir=archive_dir, entities=False), embedder=HashingEmbedder())
    assert app.ingest([str(corpus)]).added == 3 and app.search("ferries")
    terminal = write_corpus(tmp_path / "terminal")
    (terminal / NEW[0]).write_text(NEW[1], encoding="utf-8")
    assert ingest(terminal / NEW[0], archive_dir).returncode == 0
    more = tmp_path / "more.txt"
    more.write_text("Library reopens\n\nThe old library reopened with a new reading room for the axolotl club.",
                    encoding="utf-8")
    assert app.ingest([str(more)]).added == 1
    fresh = Archive(Settings(dir=archive_dir, entities=False), embedder=HashingEmbedder())
    assert fresh.stats().articles == 5
    assert finds(fresh, "quokkas") == {"Zoo welcomes quokkas"} and finds(fresh, "axolotl") == {"Library reopens"}
    assert consistency_problems(fresh) == []


@pytest.fixture
def server(tmp_path):
    with chroma_run(tmp_path / "server-data") as url:
        yield url


def host(tmp_path: Path, name: str, url: str) -> Archive:
    settings = Settings(dir=tmp_path / name, chroma_url=url, entities=False, follow_interval_s=0)
    return Archive(settings, embedder=HashingEmbedder())


@pytest.mark.server
@pytest.mark.parametrize("writer_name, reader_name", [("host-a", "host-b"), ("host-b", "host-a")])
def test_a_second_host_sees_the_first_hosts_adds_updates_and_prunes(tmp_path, server, writer_name, reader_name):
    corpus = write_corpus(tmp_path / "in")
    env = {"ARCHIVE_CHROMA_URL": server}
    assert ingest(corpus, tmp_path / writer_name, **env).returncode == 0
    reader = host(tmp_path, reader_name, server)  # a new host: its keyword file is built from the record
    assert finds(reader, "ferries") == {"Harbour plan approved"}
    check_sees_every_write(reader, lambda *args: ingest(corpus, tmp_path / writer_name, *args, **env), corpus, soon)


@pytest.mark.server
def test_two_hosts_ingesting_the_same_files_at_once_store_them_once(tmp_path, server):
    first, second = write_corpus(tmp_path / "copy-on-a"), write_corpus(tmp_path / "copy-on-b")
    env = {"ARCHIVE_CHROMA_URL": server, "ARCHIVE_LOCK_TIMEOUT_S": "120"}
    env = {**environment(), **env, "TEST_EMBED_DELAY_S": "1"}
    a, b = (subprocess.Popen(ingest_command(folder, tmp_path / name), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for folder, name in ((first, "host-a"), (second, "host-b")))
    outs = [p.communicate(timeout=300) for p in (a, b)]
    assert (a.returncode, b.returncode) == (0, 0), outs
    reader = host(tmp_path, "host-c", server)
    articles = reader.articles()
    assert len(articles) == 3, [x.origin for x in articles]
    assert all(len(x.origins) == 2 for x in articles)  # each found on both hosts, stored once
    assert consistency_problems(reader) == []


@pytest.mark.server
def test_a_server_that_dies_mid_ingest_gives_one_line_and_a_rerun_completes(tmp_path):
    corpus = write_corpus(tmp_path / "in")
    for i in range(12):
        (corpus / f"extra_{i}.txt").write_text(f"Extra report {i}\n\nA routine report number {i} about the weather.",
                                               encoding="utf-8")
    data, port = tmp_path / "server-data", free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_chroma(data, port)
    env = {**environment(), "ARCHIVE_CHROMA_URL": url, "ARCHIVE_ENTITIES": "false", "TEST_EMBED_DELAY_S": "2",
           "ARCHIVE_EMBED_BATCH_SIZE": "2"}
    writer = subprocess.Popen(ingest_command(corpus, tmp_path / "host-a"), cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        probe = host(tmp_path, "probe", url)
        soon(lambda: probe.store.count_chunks() > 0, attempts=1200)  # the ingest has begun writing
        stop(server)
        _, err = writer.communicate(timeout=300)
    finally:
        if writer.poll() is None:
            writer.kill()
    lines = [line for line in err.splitlines() if line.strip()]
    assert writer.returncode == 2 and len(lines) == 1, err
    assert lines[0].startswith("error: ") and "cannot be reached" in lines[0] and "Traceback" not in err
    server = start_chroma(data, port)
    try:
        rerun = subprocess.run(ingest_command(corpus, tmp_path / "host-a"), cwd=ROOT,
                               env={**env, "TEST_EMBED_DELAY_S": "0"}, capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        after = host(tmp_path, "host-b", url)
        assert after.stats().articles == 15 and consistency_problems(after) == []
        assert finds(after, "ferries") == {"Harbour plan approved"}
    finally:
        stop(server)


@pytest.mark.slow
def test_the_app_open_across_a_terminal_ingest_finds_the_new_article(tmp_path, monkeypatch):
    """The app keeps its Archive for the whole session; a `python -m ingest` from a terminal (the real model)
    adds an article meanwhile, and the same app session finds it, with no error on the page."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT as PROJECT
    from tests.test_app import _clear_caches, _page_links

    archive_dir = tmp_path / "archive"
    monkeypatch.setenv("ARCHIVE_DIR", str(archive_dir))
    monkeypatch.chdir(PROJECT)
    _clear_caches()
    try:
        at = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=180)
        at.run()  # seeds the sample
        at.text_input[0].set_value("quokkas at the city zoo").run()
        assert not at.exception and not any("quokkas" in link.proto.label.lower() for link in _page_links(at))
        new = tmp_path / NEW[0]
        new.write_text(NEW[1], encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "ingest", str(new), "--archive-dir", str(archive_dir)], cwd=ROOT,
                              env={**environment(), "ARCHIVE_ENTITIES": "false"}, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        at.text_input[0].set_value("Which zoo welcomed two quokkas?").run()
        assert not at.exception and not at.error
        assert _page_links(at)[0].proto.label.startswith("**Zoo welcomes quokkas")
    finally:
        _clear_caches()


@pytest.mark.server
def test_a_host_behind_the_feeds_horizon_reconciles_with_the_record(tmp_path, server):
    """Feed entries are trimmed after a while; a host whose watermark is older compares everything instead."""
    corpus = write_corpus(tmp_path / "in")
    a, b = host(tmp_path, "host-a", server), host(tmp_path, "host-b", server)
    assert a.ingest([str(corpus)]).added == 3 and finds(b, "ferries") == {"Harbour plan approved"}
    (corpus / NEW[0]).write_text(NEW[1], encoding="utf-8")
    (corpus / "storm.txt").unlink()
    assert a.ingest([str(corpus)], prune=True).added == 1
    a.store.feed.trim(keep_days=0)  # every entry dropped: B cannot learn of the writes from the feed
    assert a.store.feed.since(0) == [] and a.store.feed.horizon() > b.store.keywords.state("feed_seq")
    assert finds(b, "quokkas") == {"Zoo welcomes quokkas"} and finds(b, "storm") == set()
    assert consistency_problems(b) == []


class HeldEmbedder(HashingEmbedder):
    """Holds its first embedding call until released: its ingest is mid-encoding, writing nothing."""

    def __init__(self):
        super().__init__()
        self.entered, self.release = threading.Event(), threading.Event()

    def embed_documents(self, texts):
        self.entered.set()
        assert self.release.wait(120)
        return super().embed_documents(texts)


@pytest.mark.server
def test_hosts_on_one_server_encode_at_once_and_take_turns_to_write(tmp_path, server):
    """The lease is held per write, not per ingest: a host that is encoding does not hold the others up."""
    held = HeldEmbedder()
    a = Archive(Settings(dir=tmp_path / "host-a", chroma_url=server, entities=False), embedder=held)
    done: dict[str, object] = {}
    first = threading.Thread(target=lambda: done.setdefault("a", a.ingest([str(write_corpus(tmp_path / "in-a"))])))
    first.start()
    assert held.entered.wait(60)
    b = host(tmp_path, "host-b", server)  # lock_timeout_s 0: before, it was refused while host-a ingested
    (tmp_path / "in-b").mkdir()
    (tmp_path / "in-b" / NEW[0]).write_text(NEW[1], encoding="utf-8")
    assert b.ingest([str(tmp_path / "in-b")]).added == 1
    held.release.set()
    first.join(120)
    assert done["a"].added == 3
    reader = host(tmp_path, "host-c", server)
    assert reader.stats().articles == 4 and consistency_problems(reader) == []
