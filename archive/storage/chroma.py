"""The only module that imports chromadb: one connection per location per process, kept fresh.

Chroma's embedded client caches its database state per folder, per process (its "System"): a client
opened before another process wrote keeps answering from the old state, and fails on ids it has not
seen (``Error finding id``). So every call goes through a ``Connection``, which

- is shared by every store on the same location in this process (reopening one client would hand
  back the same cached System while any other client holds it);
- after each of its own writes replaces a commit marker file beside the database (``chroma.commit``);
- before each call compares the marker with the one it last saw: another process has committed when
  it moved, and the connection closes its client and opens a fresh one, which reads the current
  state from disk (all threads of this process wait for the reopen, none sees a half-closed client);
- retries a call once, on a fresh client, when Chroma still reports a stale id (a write that landed
  between the marker check and the call).

A writer holds the archive's write lock, so its own state can only be stale through a commit it was
told of by the marker, and it reopens before it writes: nothing a stale process holds is written
over newer data. A Chroma server (``ARCHIVE_CHROMA_URL``) is one process serving every client, so
there is nothing to reopen; a server that cannot be reached is reported in one line.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import numpy as np

from archive.errors import StoreError
from archive.settings import Settings

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import chromadb  # noqa: E402  (telemetry must be off before the import)
import httpx  # noqa: E402  (chromadb's HTTP client; its transport errors mean the server is unreachable)
from chromadb.config import Settings as ChromaSettings  # noqa: E402

MARKER = "chroma.commit"
_SPACE = {"hnsw": {"space": "cosine"}}
_MUTATING = frozenset({"add", "upsert", "update", "delete"})
T = TypeVar("T")


def make_client(settings: Settings):
    """Embedded Chroma in ``settings.dir``, or a Chroma server when ``chroma_url`` is set."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        settings.dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.dir / "chroma"), settings=chroma_settings)
    except Exception as e:
        raise StoreError(_message(settings, e)) from e


def _message(settings: Settings, error: Exception) -> str:
    if settings.chroma_url and _unreachable(error):
        return (f"the Chroma server at {settings.chroma_url} cannot be reached ({type(error).__name__}); "
                "start it (chroma run) or check ARCHIVE_CHROMA_URL")
    where = settings.chroma_url or settings.dir / "chroma"
    return f"could not open the Chroma store at {where}: {error}"


def _unreachable(error: BaseException) -> bool:
    """Whether an error (or what caused it) says the server did not answer at all."""
    while error is not None:
        if isinstance(error, (httpx.TransportError, ConnectionError)) or "Could not connect" in str(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def _stale(error: Exception) -> bool:
    """Chroma's report that this client's state lags the database (another process wrote)."""
    return "Error finding id" in str(error)


class _ReadWriteLock:
    """Many calls at once, or one reopen alone."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active = 0
        self._reopening = False

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._reopening:
                self._cond.wait()
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            while self._reopening or self._active:
                self._cond.wait()
            self._reopening = True
        try:
            yield
        finally:
            with self._cond:
                self._reopening = False
                self._cond.notify_all()


class Connection:
    """One Chroma client for a location, reopened when another process has committed (embedded only)."""

    _shared: dict[str, Connection] = {}
    _registry_lock = threading.Lock()

    @classmethod
    def to(cls, settings: Settings) -> Connection:
        """The process's connection to the store ``settings`` name (made on first use)."""
        key = settings.chroma_url or str(Path(settings.dir).resolve() / "chroma")
        with cls._registry_lock:
            conn = cls._shared.get(key)
            if conn is None or conn.closed:
                conn = cls._shared[key] = Connection(settings)
            return conn

    def __init__(self, settings: Settings):
        self.settings = settings
        self.embedded = not settings.chroma_url
        self._marker = Path(settings.dir) / MARKER if self.embedded else None
        self._lock = _ReadWriteLock()
        self._writes = 0
        self.reopens = 0
        self.closed = False
        self._seen = self._marker_state()
        self._client = make_client(settings)
        self._collections: dict[str, Any] = {}
        self.max_batch = max(1, min(self._run(lambda: self._client.get_max_batch_size()), 5000))

    def collection(self, name: str) -> Collection:
        """A handle on collection ``name`` (created, cosine space, when missing) that survives reopens."""
        handle = Collection(self, name)
        self.call(name, "count")  # creates it now, so a missing server or bad name fails at open
        return handle

    def call(self, name: str, method: str, *args, **kwargs):
        """``collection(name).method(*args, **kwargs)`` on a fresh client; a write then moves the marker."""
        def once():
            self._refresh_if_moved()
            with self._lock.shared():
                result = getattr(self._get(name), method)(*args, **kwargs)
                if method in _MUTATING:
                    self._committed()
                return result

        try:
            return self._run(once)
        except StoreError:
            raise
        except Exception as e:
            if not (self.embedded and _stale(e)):
                raise
            self.reopen()  # a commit landed between the check and the call
            return self._run(once)

    def _run(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except Exception as e:
            if self.settings.chroma_url and _unreachable(e):
                raise StoreError(_message(self.settings, e)) from None
            raise

    def _get(self, name: str):
        found = self._collections.get(name)
        if found is None:
            found = self._collections[name] = self._client.get_or_create_collection(
                name, configuration=_SPACE, embedding_function=None)
        return found

    def _marker_state(self) -> tuple[int, int, int] | None:
        if self._marker is None:
            return None
        try:
            st = self._marker.stat()
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _committed(self) -> None:
        """Tell other processes on this folder that the database changed (a new file: a new inode)."""
        if self._marker is None:
            return
        self._writes += 1
        tmp = self._marker.with_name(f"{MARKER}.{os.getpid()}.tmp")
        tmp.write_text(f"{os.getpid()} {self._writes}\n", encoding="utf-8")
        os.replace(tmp, self._marker)
        self._seen = self._marker_state()

    def _refresh_if_moved(self) -> None:
        if self._marker is not None and self._marker_state() != self._seen:
            self.reopen()

    def reopen(self) -> None:
        """Close the client and open a fresh one, which reads the database as it is on disk now."""
        if not self.embedded:
            return
        with self._lock.exclusive():
            state = self._marker_state()
            try:
                self._client.close()
            except Exception:  # noqa: BLE001 - a client that cannot close cleanly is dropped all the same
                pass
            self._collections = {}
            self._client = make_client(self.settings)
            self._seen = state
            self.reopens += 1

    def close(self) -> None:
        with self._registry_lock, self._lock.exclusive():
            self.closed = True
            try:
                self._client.close()
            except Exception:  # noqa: BLE001
                pass


class Collection:
    """A Chroma collection seen through its connection: every call fresh, retried once if stale."""

    def __init__(self, conn: Connection, name: str):
        self._conn = conn
        self.name = name

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *args, **kwargs: self._conn.call(self.name, method, *args, **kwargs)

    def all_ids(self, page: int = 5000) -> list[str]:
        ids: list[str] = []
        while True:
            res = self.get(include=[], limit=page, offset=len(ids))
            ids += res["ids"]
            if len(res["ids"]) < page:
                return ids

    def vectors(self, ids: list[str], batch: int) -> dict[str, np.ndarray]:
        """Stored vectors by id (ids it does not hold are absent)."""
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(ids), batch):
            res = self.get(ids=ids[start : start + batch], include=["embeddings"])
            out.update(zip(res["ids"], np.asarray(res["embeddings"], dtype=np.float32)))
        return out

    def put(self, ids: list, vectors: list, metas: list, docs: list | None, batch: int) -> None:
        """Upsert in batches; a failure is a StoreError naming the collection."""
        for start in range(0, len(ids), batch):
            end = start + batch
            try:
                self.upsert(ids=ids[start:end], embeddings=np.asarray(vectors[start:end], dtype=np.float32),
                            metadatas=metas[start:end], documents=docs[start:end] if docs is not None else None)
            except StoreError:
                raise
            except Exception as e:
                raise StoreError(f"writing to {self.name} failed: {e}") from e

    def nearest(self, vector: np.ndarray, n: int, total: int, where, ids, window) -> list[tuple[str, dict, float]]:
        """(id, metadata, distance) of the ``n`` nearest rows passing ``where``, ``ids`` and the inferred window.

        Chroma cannot match a missing key, so a window takes two queries: the dated rows inside it (Chroma
        filters them, exactly), and the nearest rows at all, of which the undated ones are kept."""
        def query(clause, count: int) -> list[tuple[str, dict, float]]:
            res = self.query(query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
                             n_results=min(count, total), where=clause, ids=ids, include=["metadatas", "distances"])
            return list(zip(res["ids"][0], [m or {} for m in res["metadatas"][0]], res["distances"][0]))

        if window == (None, None):
            return query(where, n)
        dated = query(all_of(([where] if where else []) + ts_clauses(*window)), n)
        undated = [row for row in query(where, n) if "published_ts" not in row[1]]
        return sorted(dated + undated, key=lambda row: row[2])[:n]


def ts_clauses(low: int | None, high: int | None) -> list[dict[str, Any]]:
    """Chroma clauses for a published timestamp range (either end open)."""
    return ([{"published_ts": {"$gte": low}}] if low is not None else []) + (
        [{"published_ts": {"$lte": high}}] if high is not None else [])


def all_of(clauses: list[dict[str, Any]]) -> dict[str, Any] | None:
    """One Chroma ``where`` requiring every clause (None for none)."""
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
