"""Real servers the tests start and stop themselves: `chroma run` on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def http_server(handler, host: str = "127.0.0.1") -> Iterator[str]:
    """A real HTTP server on a free port of a loopback address (``host``: any of 127.0.0.0/8), answering with
    ``handler`` in a thread; yields its base URL."""
    import http.server
    import threading

    server = http.server.ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Ask a server to stop; kill it if it has not within ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def start_chroma(data: Path, port: int) -> subprocess.Popen:
    """Start a real `chroma run` over ``data`` on 127.0.0.1:``port`` and return once its heartbeat answers."""
    chroma = Path(sys.executable).with_name("chroma")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    log = open(data.parent / f"chroma-{port}.log", "a")  # noqa: SIM115 - the server writes it until stopped
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    log.close()  # the server holds its own handle
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail(f"chroma run exited with {proc.returncode}; see {log.name}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            return proc
        except OSError:
            if time.monotonic() > deadline:
                stop(proc)
                pytest.fail(f"chroma run did not answer within 60 s; see {log.name}")
            time.sleep(0.2)  # polling a server's readiness: the wait ends on its answer, not on time


@contextlib.contextmanager
def chroma_run(data: Path) -> Iterator[str]:
    """A real `chroma run` over ``data`` on a free loopback port; yields its URL."""
    port = free_port()
    proc = start_chroma(data, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)
