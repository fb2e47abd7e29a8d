"""A total deadline per URL fetch: a server that sends a byte at a time cannot hold an ingest (and its
write lock) forever. A real local HTTP server drips its response; the URL fails, the rest goes on."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from archive import Archive, Settings
from archive.errors import InputError
from ingest import sources
from tests.fakes import HashingEmbedder

DEADLINE_S = 0.5
DRIP_EVERY_S = 0.05  # far below url_timeout_s: no single read ever times out
_stop = threading.Event()


class _Dripping(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/ok":
            body = b"A harbour strike closed the port for two days.\nDock workers returned on Monday."
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        try:
            if self.path == "/slow-headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                self._drip(b"X-Padding: " + b"x" * 2_000)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            if self.path == "/slow-body-with-length":
                self.send_header("Content-Length", "10000")
            self.end_headers()
            self._drip(b"Breaking news, one letter at a time. " * 60)
        except OSError:  # the client gave up and shut its socket: what the test wants
            pass

    def _drip(self, data: bytes) -> None:
        for i in range(len(data)):
            if _stop.is_set():
                return
            self.wfile.write(data[i : i + 1])
            self.wfile.flush()
            _stop.wait(DRIP_EVERY_S)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    _stop.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Dripping)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    _stop.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("path", ["/slow-body", "/slow-body-with-length", "/slow-headers"])
def test_a_dripping_server_fails_its_url_with_the_deadline(server, tmp_path, path):
    settings = Settings(dir=tmp_path / "archive", url_deadline_s=DEADLINE_S)
    with pytest.raises(InputError) as info:
        list(sources.read(f"{server}{path}", settings))
    assert str(info.value).startswith(f"gave up after {DEADLINE_S:g} s: ")
    assert "\n" not in str(info.value)


def test_the_rest_of_the_ingest_goes_on(server, tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("Rates rise again\n\nThe central bank raised rates by half a point.", encoding="utf-8")
    archive = Archive(Settings(dir=tmp_path / "archive", entities=False, url_deadline_s=DEADLINE_S),
                      embedder=HashingEmbedder())
    report = archive.ingest([f"{server}/slow-body", f"{server}/ok", str(story)])
    assert report.added == 2
    assert [(f.path, f.reason.split(":")[0]) for f in report.failed] == [
        (f"{server}/slow-body", f"gave up after {DEADLINE_S:g} s")]
    assert {a.origin for a in archive.articles()} == {f"{server}/ok", str(story.resolve())}


def test_a_fast_server_is_unaffected_by_the_deadline(server, settings):
    (doc,) = sources.read(f"{server}/ok", settings.model_copy(update={"url_deadline_s": 30}))
    assert doc.text.startswith("A harbour strike")
