"""File access for the readers: regular-file checks, the file size limit, and OS errors as short reasons.

Every ``open`` of an input file happens here.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from archive.errors import InputError
from archive.settings import Settings

MB = 1024 * 1024


@contextmanager
def os_errors() -> Iterator[None]:
    """Turn low-level read errors into InputError with a short human reason."""
    try:
        yield
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise InputError(f"corrupt gzip data: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"text is not valid {exc.encoding}: {exc.reason}") from exc
    except OSError as exc:
        raise InputError(os_reason(exc)) from exc


def os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    return f"could not read file: {exc.strerror or exc}"


def regular_size(path: str) -> int:
    """Size of a regular file, from stat alone, so oversized or special files are refused unread."""
    with os_errors():
        info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError("not a regular file")
    if info.st_size == 0:
        raise InputError("empty file")
    return info.st_size


def read_limited(path: str, settings: Settings) -> bytes:
    limit_mb = settings.max_file_mb
    limit = int(limit_mb * MB)
    size = regular_size(path)
    if size > limit:
        raise InputError(f"file is {_human_size(size)}, over the {limit_mb:g} MB limit (ARCHIVE_MAX_FILE_MB)")
    with os_errors(), open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:  # the file grew after stat
        raise InputError(f"file is over the {limit_mb:g} MB limit (ARCHIVE_MAX_FILE_MB)")
    return data


def open_binary(path: str) -> io.BufferedReader:
    return open(path, "rb")  # noqa: SIM115 - closed by the caller's with-block


def _human_size(size: int) -> str:
    if size >= MB // 10:
        return f"{size / MB:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"
