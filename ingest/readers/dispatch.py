"""Reading one origin: URLs go to the fetcher, files to the reader for their suffix."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from archive.errors import InputError
from archive.settings import Settings
from archive.types import IngestFailure, RawDocument
from ingest.readers.html import read_html_file, read_url
from ingest.readers.markdown import read_markdown
from ingest.readers.origins import is_url, suffix_of, unsupported_reason
from ingest.readers.plain import read_plain
from ingest.readers.records import read_json, read_jsonl

_READERS: dict[str, Callable[[str, Settings], Iterator[RawDocument | IngestFailure]]] = {
    ".txt": read_plain,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".html": read_html_file,
    ".htm": read_html_file,
    ".json": partial(read_json, gz=False),
    ".json.gz": partial(read_json, gz=True),
    ".jsonl": partial(read_jsonl, gz=False),
    ".jsonl.gz": partial(read_jsonl, gz=True),
}


def read(origin: str, settings: Settings) -> Iterator[RawDocument | IngestFailure]:
    """Read one origin (file path or URL) into raw documents."""
    if is_url(origin):
        yield from read_url(origin, settings)
        return
    reader = _READERS.get(suffix_of(origin))
    if reader is None:
        raise InputError(unsupported_reason(suffix_of(origin)))
    yield from reader(origin, settings)
