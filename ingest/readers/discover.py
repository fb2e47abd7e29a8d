"""Finding inputs: expand command-line arguments (files, folders, URLs) into origins to read."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field

from archive.types import IngestFailure
from ingest.readers.files import os_reason
from ingest.readers.origins import SIDECAR_SUFFIX, SUPPORTED_SUFFIXES, is_url, suffix_of, unsupported_reason


@dataclass
class _Found:
    origins: list[str] = field(default_factory=list)
    failures: list[IngestFailure] = field(default_factory=list)
    skipped: int = 0
    seen: set[str] = field(default_factory=set)

    def add(self, origin: str) -> None:
        if origin not in self.seen:
            self.seen.add(origin)
            self.origins.append(origin)

    def fail(self, path: str, reason: str) -> None:
        self.failures.append(IngestFailure(path, reason))


def discover(paths: Iterable[str]) -> tuple[list[str], list[IngestFailure], int]:
    """Expand CLI arguments into input origins: returns (origins, failures, skipped_count)."""
    found = _Found()
    for arg in paths:
        if is_url(arg):
            found.add(arg)
        else:
            _discover_path(arg, found)
    return found.origins, found.failures, found.skipped


def _discover_path(arg: str, found: _Found) -> None:
    if not os.path.lexists(arg):
        found.fail(arg, "no such file or directory")
    elif not os.path.exists(arg):  # a broken or looping symbolic link: say so, whatever its name
        _accept_file(arg, found)
    elif os.path.isdir(arg):
        # A directory named on the command line is walked even if it is a symlink: the user asked for it.
        # Below it, symlinked directories are never entered, so loops cannot happen.
        _walk_folder(arg, found)
    elif os.path.basename(arg).lower().endswith(SIDECAR_SUFFIX):
        # Shell globs (`data/*`) pass sidecars along with their articles; they are metadata, not inputs.
        found.skipped += 1
    elif suffix_of(arg) not in SUPPORTED_SUFFIXES:
        found.fail(arg, unsupported_reason(suffix_of(arg)))
    else:
        _accept_file(arg, found)


def _walk_folder(folder: str, found: _Found) -> None:
    candidates: list[str] = []

    def on_error(exc: OSError) -> None:
        found.fail(exc.filename or folder, os_reason(exc))

    for root, dirnames, filenames in os.walk(folder, onerror=on_error, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        candidates.extend(os.path.join(root, name) for name in filenames if _is_candidate(name))
    for path in sorted(candidates, key=lambda p: os.path.relpath(p, folder).split(os.sep)):
        if suffix_of(path) in SUPPORTED_SUFFIXES:
            _accept_file(path, found)
        else:
            found.skipped += 1


def _is_candidate(name: str) -> bool:
    return not name.startswith(".") and not name.lower().endswith(SIDECAR_SUFFIX)


def _accept_file(path: str, found: _Found) -> None:
    if _has_undecodable_bytes(path):
        # Such a name cannot be stored or printed as text, so the file could never be named again.
        found.fail(printable(path), "file name is not valid UTF-8; rename the file")
        return
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        broken = isinstance(exc, FileNotFoundError) and os.path.islink(path)
        found.fail(path, "broken symbolic link (its target does not exist)" if broken else os_reason(exc))
        return
    if not stat.S_ISREG(mode):
        found.fail(path, "not a regular file")
        return
    found.add(os.path.realpath(path))


def _has_undecodable_bytes(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # os functions give undecodable name bytes back as lone surrogates
        return True
    return False


def printable(path: str) -> str:
    """A path whose undecodable name bytes are shown as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")
