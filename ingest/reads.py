"""What an ingest read, for ``--prune``: which files it read whole and unchanged, which it may not judge, and
every origin it saw; and where an origin's file is."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

_RECORD_SUFFIX = re.compile(r"(?:#.*|:\d+)$")


@dataclass(frozen=True)
class FileState:
    """What says a file changed: a file rewritten, truncated or replaced while it is read differs in one."""

    device: int
    inode: int
    size: int
    mtime_ns: int


@dataclass
class Reads:
    """What this run read, for --prune: the files it may judge, and every origin it saw."""

    whole: set[str] = field(default_factory=set)  # files read to the end without error, unchanged meanwhile
    skipped: dict[str, str] = field(default_factory=dict)  # files prune may not judge -> why
    origins: set[str] = field(default_factory=set)  # articles read, and failed records that still named themselves

    def skip(self, path: str, why: str) -> None:
        self.skipped.setdefault(path, why)


def origin_file(origin: str) -> str:
    """The local file an origin came from ('' for URLs): records are '<file>#<id>' or '<file>:<line>'."""
    if origin.startswith(("http://", "https://")):
        return ""
    if os.path.exists(origin):
        return origin
    return _RECORD_SUFFIX.sub("", origin)


def prune_verdict(origin: str, roots: list[str], reads: Reads) -> tuple[bool, str]:
    """(gone, held back by): an origin is gone when its file under ``roots`` is, or when that file was read
    whole this run without this record; a record missing from a file not read whole names that file."""
    path = origin_file(origin)
    if not path or not any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
        return False, ""
    if not os.path.exists(path):
        return True, ""
    if path == origin or origin in reads.origins:
        return False, ""
    if path in reads.whole:
        return True, ""
    return False, path if path in reads.skipped else ""


def file_state(origin: str) -> FileState | None:
    """The state of a file about to be read (None for URLs, or when it cannot be had)."""
    if origin.startswith(("http://", "https://")):
        return None
    try:
        info = os.stat(origin)
    except OSError:
        return None
    return FileState(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def finish_read(origin: str, before: FileState | None, reads: Reads) -> None:
    """A file read to its end counts as read whole unless it changed from what it was when its read began."""
    if before is None:  # a URL (never pruned), or a file whose state could not be had
        return
    after = file_state(origin)
    if after != before:
        reads.skip(origin, f"it changed while it was read ({change(before, after)}); ingest it again to prune it")
    elif origin not in reads.skipped:
        reads.whole.add(origin)


def change(before: FileState, after: FileState | None) -> str:
    if after is None:
        return "it is gone"
    if (before.device, before.inode) != (after.device, after.inode):
        return "replaced by another file"
    if before.size != after.size:
        return f"{before.size:,} bytes, then {after.size:,}"
    return "modified"
