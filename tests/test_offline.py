"""Private by default: ingest, search, ask and look-up work with every outbound connection blocked."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GUARD = textwrap.dedent(
    """
    import ipaddress, socket, sys, json
    attempts = []
    _connect = socket.socket.connect
    def _is_local(address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("/") or host == "localhost"):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address):
            attempts.append(str(address))
            raise OSError("outbound connection blocked by the test: " + str(address))
        return _connect(self, address)
    socket.socket.connect = guarded
    _getaddrinfo = socket.getaddrinfo
    def lookup(host, *args, **kwargs):
        if host not in (None, "localhost", "127.0.0.1", "::1"):
            attempts.append("dns:" + str(host))
            raise socket.gaierror("name resolution blocked by the test: " + str(host))
        return _getaddrinfo(host, *args, **kwargs)
    socket.getaddrinfo = lookup

    from archive import Archive, Settings
    archive = Archive(Settings(dir=sys.argv[1]))
    report = archive.ingest([sys.argv[2]])
    hits = archive.search("How many soldiers does Russia lose each month?", 3)
    answer = archive.ask("How many soldiers does Russia lose each month according to Rutte?")
    found = archive.lookup("NATO remains here")
    print(json.dumps({"added": report.added, "failed": len(report.failed), "hits": len(hits),
                      "refused": answer.refused, "answer": answer.text, "lookup": len(found),
                      "attempts": attempts}))
    """
)


def test_everything_works_with_outbound_connections_blocked(tmp_path):
    from archive.models.embedding import default_model_cache

    # The model files made once per machine (ONNX export, int8 graph, the precision choice) are reused: making
    # them again took most of this test's minutes, and the tests that make them run offline as well.
    cache_home = default_model_cache().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", GUARD, str(tmp_path / "archive"), str(ROOT / "data" / "sample")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(cache_home)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["added"] == 5 and result["failed"] == 0
    assert result["hits"] == 3 and not result["refused"] and "20,000" in result["answer"]
    assert result["lookup"] >= 1
    assert result["attempts"] == []  # nothing even tried to reach the network
