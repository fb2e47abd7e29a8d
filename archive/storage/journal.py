"""The crash journal: the ids of articles whose write is in progress, kept in a file beside the archive.

A write names its articles here before it touches Chroma and removes them once it has committed and
swept the old version. After a crash the next writer finds them here and sweeps what the interrupted
write left (``Store.recover``). The file is replaced atomically, so it is never half written; an
unreadable one means "check every article".
"""

from __future__ import annotations

import json
import os
from pathlib import Path


class Journal:
    def __init__(self, path: Path):
        self.path = path

    def exists(self) -> bool:
        return self.path.exists()

    def ids(self) -> set[str] | None:
        """The articles of writes that did not finish; None when the journal cannot be read."""
        if not self.path.exists():
            return set()
        try:
            return set(json.loads(self.path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None

    def begin(self, ids: list[str]) -> None:
        """Name ``ids`` (beside any a failed write left)."""
        self._set((self.ids() or set()) | set(ids))

    def end(self, ids: list[str]) -> None:
        """A write of ``ids`` completed: only the articles of writes that failed stay for the next sweep."""
        self._set((self.ids() or set()) - set(ids))

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def _set(self, ids: set[str]) -> None:
        if not ids:
            self.clear()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(sorted(ids)), encoding="utf-8")
        os.replace(tmp, self.path)
