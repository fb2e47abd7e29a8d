"""The HTTP API (issue 31) on a real uvicorn on loopback, through a real HTTP client (httpx): every
endpoint's JSON is the CLI's, writes need a live token and change nothing otherwise, read-only holds,
concurrent clients, hostile requests, SSE, Atom, the docs page served from here."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from archive import Archive, Settings
from tests.conftest import SAMPLE
from tests.servers import free_port

pytestmark = pytest.mark.slow

DATED = [
    {"id": "visit", "title": "NATO chief visits the naval base", "source": "Coastal Ledger",
     "published_at": "2025-03-04", "text": "NATO Secretary General Mark Rutte visited the naval base on Monday and "
     "spoke with sailors about Russia and the alliance's northern flank."},
    {"id": "ferry", "title": "Ferry operators cut winter timetables", "source": "Harbour Gazette",
     "published_at": "2025-01-14", "text": "Ferry operators cut their winter timetables on Tuesday, citing fuel costs."},
]


@contextlib.contextmanager
def served(archive: Archive, **overrides) -> Iterator[str]:
    """A real uvicorn serving the API over ``archive`` on a free loopback port; yields its base URL."""
    import uvicorn

    from archive.api.server import config

    settings = archive.settings.model_copy(update=overrides)
    if overrides:
        archive = Archive(settings, embedder=archive.embedder)
    port = free_port()
    server = uvicorn.Server(config(settings, "127.0.0.1", port, archive))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the API did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def folder(tmp_path_factory, real_embedder):
    """An archive of the sample articles and two dated ones, with a watch; shared read-only by the tests."""
    path = tmp_path_factory.mktemp("api") / "archive"
    archive = Archive(Settings(dir=path), embedder=real_embedder)
    records = path.parent / "dated.jsonl"
    records.write_text("".join(json.dumps(r) + "\n" for r in DATED), encoding="utf-8")
    assert archive.ingest([str(SAMPLE), str(records)]).added == 7
    archive.add_watch("rutte", "Rutte", {"since": "2025-01-01"})
    return path


@pytest.fixture(scope="module")
def api(folder, real_embedder) -> Iterator[str]:
    with served(Archive(Settings(dir=folder), embedder=real_embedder), api_rate_per_s=10_000.0,
                api_rate_burst=10_000) as url:
        yield url


def cli_json(cli, *args: str) -> dict:
    code, out = cli(*args)
    assert code == 0, out
    return json.loads(out)


def test_every_read_endpoint_answers_what_the_cli_prints(api, folder, cli):
    d = ("--archive-dir", str(folder))
    some_id = json.loads(cli("articles", "--json", *d)[1])["articles"][0]["id"]
    pairs = {
        "/api/search?q=soldiers+Russia&k=3": ("search", "soldiers Russia", "-k", "3", "--json"),
        "/api/search?q=NATO&source=Coastal+Ledger&since=2025-01-01&facets=true": (
            "search", "NATO", "--source", "Coastal Ledger", "--since", "2025-01-01", "--facets", "--json"),
        "/api/lookup?q=20%2C000+soldiers&k=5": ("lookup", "20,000 soldiers", "-k", "5", "--json"),
        "/api/stats": ("stats", "--json"),
        "/api/articles?since=2025-01-01": ("articles", "--since", "2025-01-01", "--json"),
        f"/api/articles/{some_id}": ("article", some_id, "--json"),
        "/api/watches": ("watches", "--json"),
        "/api/watches?new=true": ("watches", "--new"),
    }
    with httpx.Client(base_url=api, timeout=60) as client:
        for path, args in pairs.items():
            got = client.get(path)
            assert got.status_code == 200, (path, got.text)
            assert got.json() == cli_json(cli, *args, *d), path
        asked = client.get("/api/ask", params={"q": "How many soldiers does Russia lose each month?"}).json()
    printed = cli_json(cli, "ask", "How many soldiers does Russia lose each month?", "--json", *d)
    assert not asked["refused"] and asked["citations"]
    assert {k: v for k, v in asked.items() if k != "elapsed_ms"} == {k: v for k, v in printed.items() if k != "elapsed_ms"}


def test_an_unknown_article_watch_or_path_is_a_json_404(api):
    with httpx.Client(base_url=api) as client:
        for path in ("/api/articles/no-such-id", "/api/watches/nope.atom", "/api/nothing"):
            got = client.get(path)
            assert got.status_code == 404 and got.json()["status"] == 404 and got.json()["error"], path


def test_an_ask_streamed_as_server_sent_events_arrives_in_several_events(api):
    events = []
    headers = {"Accept": "text/event-stream"}
    with httpx.stream("GET", f"{api}/api/ask", params={"q": "How many soldiers does Russia lose each month?"},
                      headers=headers, timeout=60) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event: "):
                events.append(line.removeprefix("event: "))
            elif line.startswith("data: "):
                data = json.loads(line.removeprefix("data: "))
    assert len(events) > 1 and events[0] == "sources" and events[-1] == "answer", events
    assert not data["refused"] and data["citations"]


def test_a_watch_as_atom_validates_and_holds_every_match(api):
    feedparser = pytest.importorskip("feedparser")
    with httpx.Client(base_url=api) as client:
        watch = client.get("/api/watches").json()["watches"][0]
        got = client.get("/api/watches/rutte.atom")
    assert got.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(got.text)
    assert not parsed.bozo and parsed.version == "atom10"
    assert [e.title for e in parsed.entries] == [m["title"] for m in watch["matches"]] and parsed.entries


def test_eight_clients_times_two_hundred_searches_without_an_error(api):
    queries = ["NATO warning", "soldiers Russia", "ferry timetables", "Rutte", "naval base", "fuel costs"]

    def client_run(n: int) -> list[int]:
        with httpx.Client(base_url=api, timeout=60) as client:
            return [client.get("/api/search", params={"q": queries[(n + i) % len(queries)], "k": 5}).status_code
                    for i in range(200)]

    with ThreadPoolExecutor(8) as pool:
        statuses = [s for run in pool.map(client_run, range(8)) for s in run]
    assert len(statuses) == 1600 and set(statuses) == {200}


def test_hostile_requests_each_get_a_clear_4xx_and_the_server_stays_up(folder, real_embedder, tmp_path):
    archive = copied(folder, tmp_path, real_embedder)
    writer = archive.add_token("bot")
    with served(archive, api_max_body_kb=4, api_body_timeout_s=2.0) as api:
        token = "arc_not-checked-before-the-body-bound"
        with httpx.Client(base_url=api, timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
            big = client.post("/api/ingest", content=b"[" + b'{"text": "x"},' * 1000 + b"{}]",
                              headers={"content-type": "application/json"})
            assert big.status_code == 413 and "KB" in big.json()["error"]
            huge_k = client.get("/api/search", params={"q": "NATO", "k": 10**9})
            assert huge_k.status_code == 400 and "k is at most" in huge_k.json()["error"]
            bad_k = client.get("/api/search", params={"q": "NATO", "k": "many"})
            assert bad_k.status_code == 400 and "k" in bad_k.json()["error"]
            no_q = client.get("/api/search")
            assert no_q.status_code == 400 and "q" in no_q.json()["error"]
        malformed = _raw(api, b"POST /api/ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 9\r\n\r\n{\"text\": ")
        assert malformed.startswith(b"HTTP/1.1 40")  # 401 without a token: the body is never parsed for a stranger
        slow_head = _slow(api, b"GET /api/stats HTTP/1.1\r\nHost: x\r\n", 6)  # then a header byte a second
        assert slow_head.startswith(b"HTTP/1.1 408") and b"did not arrive" in slow_head
        slow_body = _slow(api, b"POST /api/ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Authorization: Bearer " + writer.encode() + b"\r\nContent-Length: 20\r\n\r\n", 6)
        assert slow_body.startswith(b"HTTP/1.1 408") and b"did not arrive" in slow_body
        with httpx.Client(base_url=api) as client:
            assert client.get("/api/stats").status_code == 200  # still up


def test_malformed_json_from_a_writer_is_a_400(folder, real_embedder, tmp_path):
    archive = copied(folder, tmp_path, real_embedder)
    token = archive.add_token("bot")
    with served(archive) as api, httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}) as client:
        got = client.post("/api/ingest", content=b'{"records": [{"text": ', headers={"content-type": "application/json"})
        assert got.status_code == 400 and "not valid JSON" in got.json()["error"]
        wrong = client.post("/api/ingest", json={"records": [{"title": "no text"}]})
        assert wrong.status_code == 400 and "text" in wrong.json()["error"]


def test_a_client_over_its_rate_gets_429_with_retry_after(folder, real_embedder):
    with served(Archive(Settings(dir=folder), embedder=real_embedder), api_rate_per_s=1.0, api_rate_burst=3) as api:
        with httpx.Client(base_url=api) as client:
            statuses = [client.get("/api/stats") for _ in range(6)]
    assert [r.status_code for r in statuses[:3]] == [200] * 3
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and int(limited[0].headers["retry-after"]) >= 1 and "too many" in limited[0].json()["error"]


def copied(folder, tmp_path, real_embedder) -> Archive:
    """A private, writable copy of the module's archive."""
    import shutil

    shutil.copytree(folder, tmp_path / "archive")
    return Archive(Settings(dir=tmp_path / "archive"), embedder=real_embedder)


def _raw(api: str, request: bytes) -> bytes:
    host, port = api.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as s:
        s.sendall(request)
        return s.recv(65536)


def _slow(api: str, head: bytes, seconds: int) -> bytes:
    """Send the request head, then its body one byte a second; return what the server answered."""
    host, port = api.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as s:
        s.sendall(head)
        s.settimeout(1.0)
        for _ in range(seconds):
            try:
                return s.recv(65536)
            except TimeoutError:
                s.sendall(b"x")
        s.settimeout(10)
        return s.recv(65536)


def test_writes_need_a_live_token_and_a_refused_write_changes_nothing(folder, real_embedder, tmp_path):
    archive = copied(folder, tmp_path, real_embedder)
    live, revoked = archive.add_token("cms"), archive.add_token("old-bot")
    archive.revoke_token("old-bot")
    victim = next(a.id for a in archive.articles() if a.source == "Harbour Gazette")
    post = {"records": [{"id": "n1", "title": "Drone strikes near Odesa", "text": "Drones struck the port of Odesa "
                         "overnight, officials said.", "source": "Wire", "published_at": "2025-03-05"}], "feed": "cms"}
    with served(archive) as api, httpx.Client(base_url=api, timeout=120) as client:
        before = client.get("/api/articles").json()
        refused = {
            "no token": (None, 401), "wrong token": ("arc_" + "x" * 43, 401), "not bearer": ("Basic abc", 401),
            "revoked token": (revoked, 403),
        }
        for what, (token, status) in refused.items():
            auth = {} if token is None else {"Authorization": token if " " in token else f"Bearer {token}"}
            for method, path, kw in (("POST", "/api/ingest", {"json": post}), ("DELETE", f"/api/articles/{victim}", {})):
                got = client.request(method, path, headers=auth, **kw)
                assert got.status_code == status and got.json()["error"], (what, method, got.text)
                if status == 401:
                    assert got.headers["www-authenticate"] == "Bearer"
        assert client.get("/api/articles").json() == before  # nothing changed
        auth = {"Authorization": f"Bearer {live}"}
        added = client.post("/api/ingest", json=post, headers=auth)
        assert added.status_code == 200 and added.json()["added"] == 1
        assert set(added.json()) == set(archive.ingest([]).to_dict())  # python -m ingest --json's shape
        again = client.post("/api/ingest", json=post, headers=auth).json()
        assert (again["added"], again["unchanged"]) == (0, 1)  # the same record of the same feed is one article
        assert client.get("/api/search", params={"q": "Odesa drones", "k": 1}).json()["hits"][0]["title"] == \
            "Drone strikes near Odesa"
        assert client.delete(f"/api/articles/{victim}", headers=auth).json() == {"deleted": victim}
        assert client.get(f"/api/articles/{victim}").status_code == 404
        assert client.delete(f"/api/articles/{victim}", headers=auth).status_code == 404


def test_read_only_refuses_writes_through_the_api_even_with_a_live_token(folder, real_embedder, tmp_path):
    archive = copied(folder, tmp_path, real_embedder)
    token = archive.add_token("cms")
    victim = archive.articles()[0].id
    with served(archive, read_only=True) as api, httpx.Client(base_url=api) as client:
        auth = {"Authorization": f"Bearer {token}"}
        before = client.get("/api/stats").json()
        posted = client.post("/api/ingest", json={"records": [{"text": "Some new text."}]}, headers=auth)
        deleted = client.delete(f"/api/articles/{victim}", headers=auth)
        for got in (posted, deleted):
            assert got.status_code == 403 and "read-only" in got.json()["error"]
        assert client.get("/api/stats").json() == before


def test_the_docs_page_loads_nothing_from_elsewhere_and_openapi_lists_every_path(api):
    import re

    with httpx.Client(base_url=api) as client:
        page = client.get("/docs")
        spec = client.get("/openapi.json").json()
        links = re.findall(r'(?:src|href)="([^"]+)"|url: ?[\'"]([^\'"]+)', page.text)
        urls = [u for pair in links for u in pair if u]
        assert page.status_code == 200 and urls and all(u.startswith("/") for u in urls), urls
        for u in urls:
            assert client.get(u).status_code == 200, u
    assert "http" not in re.sub(r"https?://(127\.0\.0\.1|localhost)", "", page.text.split("<script>")[-1])
    assert {"/api/search", "/api/ask", "/api/lookup", "/api/articles", "/api/articles/{article_id}", "/api/stats",
            "/api/watches", "/api/watches/{name}.atom", "/api/ingest"} <= set(spec["paths"])


def test_python_m_archive_serve_answers_503_until_the_archive_is_open_then_serves(folder, tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT
    from tests.servers import stop

    port = free_port()
    env = dict(os.environ, ARCHIVE_DIR=str(folder))
    proc = subprocess.Popen([sys.executable, "-m", "archive", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        statuses, deadline = [], time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                got = httpx.get(f"http://127.0.0.1:{port}/api/stats", timeout=5)
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            statuses.append(got.status_code)
            if got.status_code == 503:
                assert "opening" in got.json()["error"] and got.headers["retry-after"]
            if got.status_code == 200:
                break
            time.sleep(0.2)
        # the server listens at once and opens the archive (model, indexes) behind it: 503s first, then 200
        assert statuses[0] == 503 and statuses[-1] == 200 and set(statuses) == {200, 503}, statuses
        assert got.json()["articles"] == 7
    finally:
        stop(proc)


def test_a_request_over_the_time_bound_is_a_503_and_the_server_goes_on(folder, real_embedder):
    with served(Archive(Settings(dir=folder), embedder=real_embedder), api_timeout_s=0.001) as api:
        with httpx.Client(base_url=api, timeout=60) as client:
            slow = client.get("/api/ask", params={"q": "How many soldiers does Russia lose each month?"})
            assert slow.status_code == 503 and "longer than" in slow.json()["error"] and slow.headers["retry-after"]
    with served(Archive(Settings(dir=folder), embedder=real_embedder)) as api:
        assert httpx.get(f"{api}/api/stats").status_code == 200
