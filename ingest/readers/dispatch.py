"""Reading one origin: URLs go to the fetcher (a feed's or a page's), files to the reader for their suffix."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial

from archive.errors import InputError
from archive.settings import Settings
from archive.types import IngestFailure, RawDocument
from ingest.readers.feeds import feed_documents, read_any_url, read_feed_file
from ingest.readers.files import read_limited
from ingest.readers.html import read_html_file
from ingest.readers.jsonfeed import parse_jsonfeed
from ingest.readers.markdown import read_markdown
from ingest.readers.origins import is_url, suffix_of, unsupported_reason
from ingest.readers.plain import read_plain
from ingest.readers.records import read_json, read_jsonl
from ingest.readers.sniff import feed_kind

Items = Iterator[RawDocument | IngestFailure]


def _read_json_or_feed(origin: str, settings: Settings) -> Items:
    """A ``.json`` file: a JSON Feed's items, or JSON records."""
    data = read_limited(origin, settings)
    if feed_kind(data) == "jsonfeed":
        yield from feed_documents(origin, parse_jsonfeed(data, settings), settings)
        return
    yield from read_json(origin, settings, gz=False)


_READERS: dict[str, Callable[[str, Settings], Items]] = {
    ".txt": read_plain,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".html": read_html_file,
    ".htm": read_html_file,
    ".json": _read_json_or_feed,
    ".json.gz": partial(read_json, gz=True),
    ".jsonl": partial(read_jsonl, gz=False),
    ".jsonl.gz": partial(read_jsonl, gz=True),
    ".xml": read_feed_file,
    ".rss": read_feed_file,
    ".atom": read_feed_file,
}

# Origins whose documents were already read (the poller's conditional GET fetched and parsed the feed).
_GIVEN: contextvars.ContextVar[Mapping[str, Callable[[], Iterable[RawDocument | IngestFailure]]] | None] = \
    contextvars.ContextVar("given_documents", default=None)


@contextlib.contextmanager
def given(documents: Mapping[str, Callable[[], Iterable[RawDocument | IngestFailure]]]) -> Iterator[None]:
    """Within the block, reading an origin named in ``documents`` yields what its function gives instead."""
    token = _GIVEN.set(documents)
    try:
        yield
    finally:
        _GIVEN.reset(token)


def read(origin: str, settings: Settings) -> Items:
    """Read one origin (file path or URL) into raw documents."""
    supplied = (_GIVEN.get() or {}).get(origin)
    if supplied is not None:
        yield from supplied()
        return
    if is_url(origin):
        yield from read_any_url(origin, settings)
        return
    reader = _READERS.get(suffix_of(origin))
    if reader is None:
        raise InputError(unsupported_reason(suffix_of(origin)))
    yield from reader(origin, settings)
