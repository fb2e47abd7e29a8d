"""Plain text files: the whole decoded file is the article, with metadata only from a sidecar."""

from __future__ import annotations

from collections.abc import Iterator

from archive.settings import Settings
from archive.types import RawDocument
from ingest.readers.decoding import decode_bytes
from ingest.readers.files import read_limited
from ingest.readers.sidecars import sidecar_hints


def read_plain(path: str, settings: Settings) -> Iterator[RawDocument]:
    text = decode_bytes(read_limited(path, settings))
    hints = sidecar_hints(path, settings)
    yield RawDocument(text=text, origin=path, hints=hints, title_from_text="title" not in hints)
