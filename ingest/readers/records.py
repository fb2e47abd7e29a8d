"""JSON records: ``.json`` (one object, a list, or a wrapper of a list) and streamed ``.jsonl``, plain or gzipped,
with gzip output bounded against decompression bombs and over-long lines skipped unheld."""

from __future__ import annotations

import codecs
import gzip
import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from archive.errors import InputError
from archive.settings import Settings
from archive.types import IngestFailure, RawDocument
from ingest.readers.decoding import BINARY, bom_codec_of, decode_bytes, looks_binary, utf16_codec_of
from ingest.readers.fields import ID_KEYS, TEXT_KEYS, as_id, first_value, record_hints, record_text
from ingest.readers.files import MB, open_binary, os_errors, read_limited, regular_size

_WRAPPER_KEYS = ("articles", "records", "items", "data")
# An id field as a broken line may still show it: `"id": "r1"` or `"doc_id": 42`.
_ID_FIELD = re.compile(r'"({})"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)'.format("|".join(ID_KEYS)))


@dataclass
class RecordFailure(IngestFailure):
    """One record of a feed that could not be read, the feed's other records being fine.

    ``record_origin`` is the origin the record's article has (by its id, or by its line when it has none)
    when the record still says which it is, so --prune knows that record is still in the feed; empty when
    nothing can be made of it (an over-long or undecodable line), and it may then be any of the feed's records.
    """

    record_origin: str = ""


def json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _json_problem(exc: json.JSONDecodeError) -> str:
    return exc.msg.removesuffix(" at")  # "Unterminated string starting at" gets its own "at line ..."


def _long_number() -> str:
    # json.loads raises a bare ValueError (not JSONDecodeError) for integers past Python's digit limit.
    return f"invalid JSON: a number has over {sys.get_int_max_str_digits()} digits"


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {_json_problem(exc)} at line {exc.lineno} column {exc.colno}") from exc
    except ValueError as exc:
        raise InputError(_long_number()) from exc
    except RecursionError as exc:
        raise InputError("invalid JSON: nested too deeply") from exc


def _record_doc(record: Any, origin: str, position: int) -> RawDocument | IngestFailure:
    where = f"{origin}:{position}"
    if not isinstance(record, dict):
        return RecordFailure(where, f"record is not a JSON object (found {json_type(record)})", where)
    record_id = first_value(record, ID_KEYS, as_id)
    text = record_text(record)
    if text is None:
        reason = f"record has no text (expected one of: {', '.join(TEXT_KEYS)})"
        return RecordFailure(where, reason, _record_origin(origin, record_id, where))
    hints = record_hints(record)
    return RawDocument(
        text=text,
        origin=_record_origin(origin, record_id, where),
        hints=hints,
        record_id=record_id,
        title_from_text="title" not in hints,
    )


def _record_origin(origin: str, record_id: str | None, where: str) -> str:
    """A record is '<file>#<id>'; one without an id is known by its position, '<file>:<line>'."""
    return f"{origin}#{record_id}" if record_id else where


def _id_in_broken_line(text: str, origin: str) -> str:
    """The record origin a line that is not valid JSON still shows by its id field ('' when it shows none)."""
    found: dict[str, str] = {}
    for match in _ID_FIELD.finditer(text):
        found.setdefault(match.group(1), match.group(2))
    for key in ID_KEYS:  # the same precedence as a readable record's id
        try:
            record_id = as_id(json.loads(found[key])) if key in found else None
        except ValueError:  # a broken escape inside the id
            record_id = None
        if record_id:
            return f"{origin}#{record_id}"
    return ""


# --------------------------------------------------------------------------------------------------
# JSON: parsed whole, in memory
# --------------------------------------------------------------------------------------------------


def read_json(origin: str, settings: Settings, gz: bool) -> Iterator[RawDocument | IngestFailure]:
    data = _read_gz_whole(origin, settings) if gz else read_limited(origin, settings)
    records = _records_in(parse_json(decode_bytes(data)))
    for position, record in enumerate(records, start=1):
        yield _record_doc(record, origin, position)


def _records_in(value: Any) -> list[Any]:
    if isinstance(value, list):
        records = value
    elif isinstance(value, dict):
        wrapped = _wrapped_records(value)
        records = [value] if wrapped is None else wrapped
    else:
        raise InputError(f"expected a JSON object or a list of objects, found {json_type(value)}")
    if not records:
        raise InputError("no records in JSON (empty list)")
    return records


def _wrapped_records(value: dict[str, Any]) -> list[Any] | None:
    if record_text(value) is not None:
        return None  # an article that happens to have e.g. an "items" list
    for key in _WRAPPER_KEYS:
        if isinstance(value.get(key), list):
            return value[key]
    return None


def _gz_cap(settings: Settings, whole_json: bool) -> tuple[int, str]:
    bomb = (settings.max_decompressed_mb, "ARCHIVE_MAX_DECOMPRESSED_MB")
    # A .json.gz is parsed in memory like a .json, so the in-memory file limit applies to it too.
    limit_mb, name = min(bomb, (settings.max_file_mb, "ARCHIVE_MAX_FILE_MB")) if whole_json else bomb
    return int(limit_mb * MB), f"decompressed data is over the {limit_mb:g} MB limit ({name})"


def _read_gz_whole(path: str, settings: Settings) -> bytes:
    cap, message = _gz_cap(settings, whole_json=True)
    regular_size(path)
    with os_errors(), gzip.open(path, "rb") as handle:
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise InputError(message)
    return data


# --------------------------------------------------------------------------------------------------
# JSONL: streamed line by line
# --------------------------------------------------------------------------------------------------


class _BoundedReader(io.RawIOBase):
    """Counts bytes coming out of a decompressor and raises InputError past a cap (gzip bombs)."""

    def __init__(self, inner: io.BufferedIOBase, cap: int, message: str) -> None:
        super().__init__()
        self._inner, self._cap, self._message, self._total = inner, cap, message, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._inner.readinto(buffer)
        self._total += count
        if self._total > self._cap:
            raise InputError(self._message)
        return count

    def close(self) -> None:
        self._inner.close()
        super().close()


def _open_stream(path: str, settings: Settings, gz: bool) -> io.BufferedReader:
    regular_size(path)
    if not gz:
        return open_binary(path)
    cap, message = _gz_cap(settings, whole_json=False)
    return io.BufferedReader(_BoundedReader(gzip.open(path, "rb"), cap, message))


def read_jsonl(origin: str, settings: Settings, gz: bool) -> Iterator[RawDocument | IngestFailure]:
    produced = False
    try:
        for item in _jsonl_items(origin, settings, gz):
            produced = True
            yield item
    except InputError as exc:
        if not produced:
            raise
        # Records already handed out are fine; report the rest of the stream as one failure.
        yield IngestFailure(origin, f"{exc}; stopped reading")


def _jsonl_items(origin: str, settings: Settings, gz: bool) -> Iterator[RawDocument | IngestFailure]:
    line_limit = settings.max_article_chars * 4
    any_record = False
    with os_errors(), _open_stream(origin, settings, gz) as raw:
        stream = _text_stream(raw)
        for line_no, line in _bounded_lines(stream, line_limit):
            if line is None:
                any_record = True
                yield RecordFailure(f"{origin}:{line_no}", f"line is longer than {line_limit} bytes (4 x ARCHIVE_MAX_ARTICLE_CHARS)")
            elif line.strip():
                any_record = True
                yield _jsonl_record(line, origin, line_no)
    if not any_record:
        raise InputError("no records (blank lines only)")


def _text_stream(raw: io.BufferedReader) -> io.BufferedReader | io.TextIOWrapper:
    """UTF-8 lines stay bytes (decoded per line, so one bad line fails alone); UTF-16/32 needs a decoder."""
    head = raw.peek(4096)[:4096]
    codec = bom_codec_of(head) or utf16_codec_of(head)
    if codec and codec != "utf-8-sig":
        return io.TextIOWrapper(raw, encoding=codec)
    if looks_binary(head.decode("latin-1")):
        raise InputError(BINARY)
    return raw


def _bounded_lines(stream: Any, limit: int) -> Iterator[tuple[int, Any]]:
    """Yield (line_no, line), with None for a line over ``limit``, which is skipped without being held."""
    line_no = 0
    while line := stream.readline(limit + 2):
        line_no += 1
        end_of_line = b"\r\n" if isinstance(line, bytes) else "\r\n"
        if len(line.rstrip(end_of_line)) <= limit:
            yield line_no, line
            continue
        while line and not line.endswith(end_of_line[-1:]):
            line = stream.readline(limit + 2)
        yield line_no, None


def _jsonl_record(line: bytes | str, origin: str, line_no: int) -> RawDocument | IngestFailure:
    where = f"{origin}:{line_no}"
    try:
        text = _decode_line(line, first=line_no == 1)
    except InputError as exc:
        return RecordFailure(where, str(exc))
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        reason = f"invalid JSON: {_json_problem(exc)} at column {exc.colno}"
    except ValueError:
        reason = _long_number()
    except RecursionError:
        reason = "invalid JSON: nested too deeply"
    else:
        return _record_doc(value, origin, line_no)
    return RecordFailure(where, reason, _id_in_broken_line(text, origin))


def _decode_line(line: bytes | str, first: bool) -> str:
    if isinstance(line, str):
        return line.lstrip("\ufeff") if first else line
    if first and line.startswith(codecs.BOM_UTF8):
        line = line[len(codecs.BOM_UTF8) :]
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return decode_bytes(line)  # a stray legacy-encoded line in an otherwise UTF-8 file
