"""One writer at a time across hosts that share a Chroma server: a lease held in Chroma itself.

The lease is one row (id ``writer``) in ``<index>-writer``. Chroma's ``add`` ignores an id that is
already there, so of writers adding at once exactly one row lands and everyone reads back the same
owner: that is the compare-and-set. The holder renews it every third of its term from a background
thread; a host that dies leaves a lease that expires after ``TERM_S``, and the next writer removes
it with a delete conditioned on the dead owner (so it never removes a lease someone renewed or took
meanwhile). On one host the archive's file lock already orders writers; the lease is taken after it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from archive.errors import ArchiveBusyError
from archive.storage.chroma import Collection

TERM_S = 60.0
LEASE = "writer"
_NS = 1_000_000_000


class WriterLease:
    def __init__(self, collection: Collection, where: str, term_s: float = TERM_S):
        self._col = collection
        self._where = where
        self._term_ns = int(term_s * _NS)

    @contextmanager
    def held(self, timeout_s: float) -> Iterator[None]:
        """Hold the lease for the block; waits up to ``timeout_s`` for another writer, then refuses."""
        token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._acquire(token, time.monotonic() + timeout_s)
        stop = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(token, stop), daemon=True, name="writer-lease")
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join()
            self._col.delete(ids=[LEASE], where={"owner": token})

    def holder(self) -> dict | None:
        res = self._col.get(ids=[LEASE], include=["metadatas"])
        return dict(res["metadatas"][0]) if res["ids"] else None

    def _acquire(self, token: str, deadline: float) -> None:
        while True:
            now = time.time_ns()
            self._col.add(ids=[LEASE], embeddings=[[1.0]], metadatas=[{"owner": token, "expires": now + self._term_ns}])
            held = self.holder()
            if held and held["owner"] == token:
                return
            if held and (int(held["expires"]) < now or _died_here(held["owner"])):
                # its writer died: take it over, unless it was renewed or taken meanwhile
                self._col.delete(ids=[LEASE], where={"owner": held["owner"]})
                continue
            if time.monotonic() >= deadline:
                owner = held["owner"] if held else "another writer"
                raise ArchiveBusyError(f"another host ({owner}) is writing to the archive at {self._where}; "
                                       "try again when it ends")
            time.sleep(0.2)

    def _renew(self, token: str, stop: threading.Event) -> None:
        while not stop.wait(self._term_ns / _NS / 3):
            try:
                held = self.holder()
                if held and held["owner"] == token:
                    self._col.update(ids=[LEASE], metadatas=[{"owner": token, "expires": time.time_ns() + self._term_ns}])
            except Exception:  # noqa: BLE001 - the server is away: the write itself reports it
                continue


def _died_here(owner: str) -> bool:
    """Whether a lease's owner was a process on this host that no longer runs (killed mid-ingest)."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
