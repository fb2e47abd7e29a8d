"""Folder locks for the facade's writers: one ingest per archive folder, and watch writers in turn."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archive.errors import ArchiveBusyError


@contextmanager
def folder_lock(path: Path, timeout_s: float, busy: str) -> Iterator[None]:
    """Hold the file lock at ``path`` for the block; ``ArchiveBusyError(busy)`` when it is not free in time."""
    from filelock import FileLock, Timeout

    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=timeout_s)
    except Timeout as e:
        raise ArchiveBusyError(busy) from e
    try:
        yield
    finally:
        lock.release()
