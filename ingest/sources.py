"""Inputs to raw documents: find files, decode them, and pull text and stated metadata out of each format.

Nothing here judges the content (titles from first lines, date parsing, length limits on articles):
that is normalisation's job. This module only turns bytes into ``RawDocument``s, or says why it could not.
"""

from __future__ import annotations

import codecs
import gzip
import http.client
import io
import json
import os
import re
import stat
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import charset_normalizer
import trafilatura
from trafilatura.xml import xmltotxt

from archive.errors import InputError
from archive.settings import Settings
from archive.types import IngestFailure, RawDocument

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".jsonl.gz", ".json.gz")
SIDECAR_SUFFIX = ".meta.json"
USER_AGENT = "news-archive/0.1"

_MB = 1024 * 1024
_BINARY = "looks like binary data, not text"
_URL_PREFIXES = ("http://", "https://")

# --------------------------------------------------------------------------------------------------
# discover
# --------------------------------------------------------------------------------------------------


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
        if _is_url(arg):
            found.add(arg)
        else:
            _discover_path(arg, found)
    return found.origins, found.failures, found.skipped


def _is_url(value: str) -> bool:
    return value.lower().startswith(_URL_PREFIXES)


def _discover_path(arg: str, found: _Found) -> None:
    if not os.path.lexists(arg):
        found.fail(arg, "no such file or directory")
    elif os.path.isdir(arg):
        # A directory named on the command line is walked even if it is a symlink: the user asked for it.
        # Below it, symlinked directories are never entered, so loops cannot happen.
        _walk_folder(arg, found)
    elif os.path.basename(arg).lower().endswith(SIDECAR_SUFFIX):
        # Shell globs (`data/*`) pass sidecars along with their articles; they are metadata, not inputs.
        found.skipped += 1
    elif _suffix(arg) not in SUPPORTED_SUFFIXES:
        found.fail(arg, _unsupported_reason(_suffix(arg)))
    else:
        _accept_file(arg, found)


def _walk_folder(folder: str, found: _Found) -> None:
    candidates: list[str] = []

    def on_error(exc: OSError) -> None:
        found.fail(exc.filename or folder, _os_reason(exc))

    for root, dirnames, filenames in os.walk(folder, onerror=on_error, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        candidates.extend(os.path.join(root, name) for name in filenames if _is_candidate(name))
    for path in sorted(candidates, key=lambda p: os.path.relpath(p, folder).split(os.sep)):
        if _suffix(path) in SUPPORTED_SUFFIXES:
            _accept_file(path, found)
        else:
            found.skipped += 1


def _is_candidate(name: str) -> bool:
    return not name.startswith(".") and not name.lower().endswith(SIDECAR_SUFFIX)


def _accept_file(path: str, found: _Found) -> None:
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        broken = isinstance(exc, FileNotFoundError) and os.path.islink(path)
        found.fail(path, "broken symbolic link (its target does not exist)" if broken else _os_reason(exc))
        return
    if not stat.S_ISREG(mode):
        found.fail(path, "not a regular file")
        return
    found.add(os.path.realpath(path))


_LONGEST_SUFFIX_FIRST = sorted(SUPPORTED_SUFFIXES, key=len, reverse=True)  # ".jsonl.gz" before ".gz"-less ones


def _suffix(name: str) -> str:
    lower = name.lower()
    for suffix in _LONGEST_SUFFIX_FIRST:
        if lower.endswith(suffix):
            return suffix
    return os.path.splitext(lower)[1]


def _unsupported_reason(suffix: str) -> str:
    found = f"'{suffix}'" if suffix else "(no file extension)"
    return f"unsupported file type {found}; expected one of {', '.join(SUPPORTED_SUFFIXES)}"


# --------------------------------------------------------------------------------------------------
# read: dispatch and file access
# --------------------------------------------------------------------------------------------------


def read(origin: str, settings: Settings) -> Iterator[RawDocument | IngestFailure]:
    """Read one origin (file path or URL) into raw documents."""
    if _is_url(origin):
        yield from _read_url(origin, settings)
        return
    reader = _READERS.get(_suffix(origin))
    if reader is None:
        raise InputError(_unsupported_reason(_suffix(origin)))
    yield from reader(origin, settings)


@contextmanager
def _os_errors() -> Iterator[None]:
    """Turn low-level read errors into InputError with a short human reason."""
    try:
        yield
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise InputError(f"corrupt gzip data: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"text is not valid {exc.encoding}: {exc.reason}") from exc
    except OSError as exc:
        raise InputError(_os_reason(exc)) from exc


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    return f"could not read file: {exc.strerror or exc}"


def _regular_size(path: str) -> int:
    """Size of a regular file, from stat alone, so oversized or special files are refused unread."""
    with _os_errors():
        info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError("not a regular file")
    if info.st_size == 0:
        raise InputError("empty file")
    return info.st_size


def _read_limited(path: str, settings: Settings) -> bytes:
    limit_mb = settings.max_file_mb
    limit = int(limit_mb * _MB)
    size = _regular_size(path)
    if size > limit:
        raise InputError(f"file is {_human_size(size)}, over the {limit_mb:g} MB limit (ARCHIVE_MAX_FILE_MB)")
    with _os_errors(), open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:  # the file grew after stat
        raise InputError(f"file is over the {limit_mb:g} MB limit (ARCHIVE_MAX_FILE_MB)")
    return data


def _human_size(size: int) -> str:
    if size >= _MB // 10:
        return f"{size / _MB:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"


# --------------------------------------------------------------------------------------------------
# decoding
# --------------------------------------------------------------------------------------------------

# UTF-32 LE starts with the UTF-16 LE BOM, so it must be tested first.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MAX_CONTROL_SHARE = 0.10


def decode_bytes(data: bytes) -> str:
    """Decode text of unknown encoding; raise InputError for empty, whitespace-only or binary data."""
    if not data:
        raise InputError("empty file")
    text = _decode_unicode(data)
    if text is None:
        if b"\x00" in data:  # no 8-bit text encoding puts NUL bytes in prose
            raise InputError(_BINARY)
        text = _decode_legacy(data)
    return _checked_text(text)


def _decode_unicode(data: bytes) -> str | None:
    bom_codec = _bom_codec(data)
    if bom_codec:
        return data.decode(bom_codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_codec(data)
    if utf16:
        try:
            return data.decode(utf16)
        except UnicodeDecodeError:
            return None
    return None


def _bom_codec(data: bytes) -> str | None:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    return None


def _utf16_codec(data: bytes) -> str | None:
    """Guess BOM-less UTF-16 from where the NUL bytes of ASCII characters fall."""
    sample = data[:4096]
    half = len(sample) // 2
    if half == 0:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _decode_legacy(data: bytes) -> str:
    # charset_normalizer misreads short Western text (e.g. as cp1125), and cp1252 is by far the most
    # common legacy encoding of news text, so it gets the first try when its decoding reads cleanly.
    for isolation in (["cp1252"], None):
        match = charset_normalizer.from_bytes(data, cp_isolation=isolation).best()
        if match is not None:
            return str(match)
    return data.decode("cp1252", errors="replace")


def _checked_text(text: str) -> str:
    if _looks_binary(text):
        raise InputError(_BINARY)
    if not text.strip():
        raise InputError("no text (whitespace only)")
    return text


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = len(text) - len(_CONTROL.sub("", text))
    return controls > _MAX_CONTROL_SHARE * len(text)


def _decode_declared(data: bytes, charset: str | None) -> str:
    """Decode with a charset the input declared (HTTP header, HTML meta), unless a BOM or valid UTF-8 overrides it."""
    codec = _usable_codec(charset)
    # Non-ASCII text is almost never valid UTF-8 by accident, while stale charset labels are common.
    if codec and data and not _bom_codec(data) and not _is_utf8(data):
        try:
            return _checked_text(data.decode(codec))
        except (UnicodeDecodeError, LookupError):  # LookupError: a label like "base64" is no text codec
            pass
    return decode_bytes(data)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _usable_codec(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        name = codecs.lookup(charset.strip()).name
    except LookupError:
        return None
    if name.startswith(("utf-16", "utf-32")):
        return None  # without a BOM such labels are usually wrong; decode_bytes sniffs real UTF-16
    # Browsers read latin-1 and ASCII labels as windows-1252; pages rely on it for curly quotes.
    return "cp1252" if name in ("iso8859-1", "latin-1", "ascii") else name


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _declared_html_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


# --------------------------------------------------------------------------------------------------
# metadata fields shared by JSON records, sidecars and Markdown front matter
# --------------------------------------------------------------------------------------------------

_ID_KEYS = ("id", "doc_id", "article_id", "guid")
_TEXT_KEYS = ("text", "body", "content", "article", "maintext")
_WRAPPER_KEYS = ("articles", "records", "items", "data")


def _as_text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _as_name(value: Any) -> str | None:
    if isinstance(value, dict):
        return _as_text(value.get("name"))
    return _as_text(value)


def _as_names(value: Any) -> str | None:
    if isinstance(value, list):
        return ", ".join(name for name in map(_as_name, value) if name) or None
    return _as_name(value)


def _as_id(value: Any) -> str | None:
    if isinstance(value, bool):  # bool is an int subclass; True is no id
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return _as_text(value)


_HINT_FIELDS: tuple[tuple[str, tuple[str, ...], Callable[[Any], str | None]], ...] = (
    ("title", ("title", "headline"), _as_text),
    ("source", ("source", "publisher", "site_name", "sitename", "outlet"), _as_name),
    ("url", ("url", "link"), _as_text),
    ("author", ("authors", "author", "byline"), _as_names),
    ("published_at", ("published_at", "publish_date", "published", "date", "pubDate", "datePublished"), _as_text),
)


def _first(record: dict[str, Any], keys: tuple[str, ...], convert: Callable[[Any], str | None]) -> str | None:
    for key in keys:
        value = convert(record.get(key))
        if value:
            return value
    return None


def _record_hints(record: dict[str, Any]) -> dict[str, str]:
    hints = {}
    for name, keys, convert in _HINT_FIELDS:
        value = _first(record, keys, convert)
        if value:
            hints[name] = value
    return hints


def _record_text(record: dict[str, Any]) -> str | None:
    for key in _TEXT_KEYS:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


# --------------------------------------------------------------------------------------------------
# sidecars
# --------------------------------------------------------------------------------------------------


def _sidecar_hints(path: str, settings: Settings) -> dict[str, str]:
    sidecar = _sidecar_for(path)
    if sidecar is None:
        return {}
    name = os.path.basename(sidecar)
    try:
        data = _parse_json(decode_bytes(_read_limited(sidecar, settings)))
    except InputError as exc:
        raise InputError(f"broken sidecar {name}: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"broken sidecar {name}: expected a JSON object, found {_json_type(data)}")
    return _record_hints(data)


def _sidecar_for(path: str) -> str | None:
    for candidate in (path + SIDECAR_SUFFIX, os.path.splitext(path)[0] + SIDECAR_SUFFIX):
        if os.path.isfile(candidate):
            return candidate
    return None


# --------------------------------------------------------------------------------------------------
# plain text and Markdown
# --------------------------------------------------------------------------------------------------


def _read_plain(path: str, settings: Settings) -> Iterator[RawDocument]:
    text = decode_bytes(_read_limited(path, settings))
    hints = _sidecar_hints(path, settings)
    yield RawDocument(text=text, origin=path, hints=hints, title_from_text="title" not in hints)


def _read_markdown(path: str, settings: Settings) -> Iterator[RawDocument]:
    text, hints = _markdown_to_text(decode_bytes(_read_limited(path, settings)))
    if not text.strip():
        raise InputError("no text in Markdown (only front matter or a heading)")
    hints.update(_sidecar_hints(path, settings))
    yield RawDocument(text=text, origin=path, hints=hints, title_from_text="title" not in hints)


def _markdown_to_text(markdown: str) -> tuple[str, dict[str, str]]:
    lines = markdown.splitlines()
    front, lines = _split_front_matter(lines)
    hints = _record_hints(front)
    heading, rest = _split_title_heading(lines)
    # When front matter names a different title, the heading stays in the text as a plain line.
    if heading and ("title" not in hints or _same_words(heading, hints["title"])):
        hints.setdefault("title", heading)
        lines = rest
    return "\n".join(_markdown_lines(lines)).strip("\n"), hints


# Patterns in this section avoid lazy or nested quantifiers that backtrack quadratically on long lines.
_FRONT_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:(.*)$")
_FRONT_ITEM = re.compile(r"^\s*-\s(.*)$")


def _split_front_matter(lines: list[str]) -> tuple[dict[str, Any], list[str]]:
    if not lines or lines[0].strip() != "---":
        return {}, lines
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return {}, lines
    parsed = _parse_front_matter(lines[1:end])
    return (parsed, lines[end + 1 :]) if parsed is not None else ({}, lines)


def _parse_front_matter(lines: list[str]) -> dict[str, Any] | None:
    """Parse flat ``key: value`` lines and ``- item`` lists; None when it is not front matter."""
    values: dict[str, Any] = {}
    key = None
    for line in lines:
        item, pair = _FRONT_ITEM.match(line), _FRONT_KEY.match(line)
        if item and key and isinstance(values.get(key), list):
            values[key].append(_unquote(item.group(1).strip()))
        elif pair:
            key, value = pair.group(1), _unquote(pair.group(2).strip())
            values[key] = value if value else []
        elif line.strip() and not line.lstrip().startswith("#"):
            return None  # a `---` rule followed by prose, not YAML
    return values


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


_ATX_H1 = re.compile(r"^ {0,3}#[ \t]+(?=\S)")
_SETEXT_H1 = re.compile(r"^\s{0,3}=+\s*$")


def _split_title_heading(lines: list[str]) -> tuple[str | None, list[str]]:
    """Take a level-1 heading off the top (``# Title`` or ``Title`` over ``===``)."""
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None:
        return None, lines
    atx = _ATX_H1.match(lines[start])
    if atx:
        return _inline(_strip_closing_hashes(lines[start][atx.end() :])), lines[start + 1 :]
    if start + 1 < len(lines) and _SETEXT_H1.match(lines[start + 1]):
        return _inline(lines[start].strip()), lines[start + 2 :]
    return None, lines


def _strip_closing_hashes(text: str) -> str:
    text = text.rstrip()
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1].isspace()):
        return bare.rstrip()
    return text  # `# C#` keeps its hash


def _same_words(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_RULE_OR_UNDERLINE = re.compile(r"^\s{0,3}(?:([-*_])(?:\s*\1){2,}|=+|-+)\s*$")
_REF_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+")
_QUOTE = re.compile(r"^(?:[ \t]{0,3}>[ \t]?)+")
_ATX = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+|$)")
_BULLET = re.compile(r"^(\s*)[*+-]\s+")


def _markdown_lines(lines: list[str]) -> Iterator[str]:
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
        elif in_fence:
            yield line  # code blocks are kept verbatim
        elif not (_RULE_OR_UNDERLINE.match(line) or _REF_DEFINITION.match(line)):
            yield _block_line(line)


def _block_line(line: str) -> str:
    line = _QUOTE.sub("", line, count=1)
    if _ATX.match(line):
        line = _strip_closing_hashes(_ATX.sub("", line, count=1))
    line = _BULLET.sub(r"\1- ", line, count=1)
    return _inline(line.rstrip())


_STASH = re.compile("\ue000(\\d+)\ue001")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])")
_CODE_SPAN = re.compile(r"(`+)([^`]+)\1")
_IMAGE = re.compile(r"!\[[^\[\]]*\](?:\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)|\[[^\[\]]*\])")
_LINK = re.compile(r"\[([^\[\]]+)\]\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)")
_REF_LINK = re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^<>\s]+)>")
_STRIKE = re.compile(r"~~(?=[^\s~])([^~]+)(?<=[^\s~])~~")
_EMPHASIS = (
    re.compile(r"(?<![\w*])(\*{1,3})(?=[^\s*])([^*]+)(?<=[^\s*])\1(?![\w*])"),
    # `_` only counts at word edges, so snake_case names survive.
    re.compile(r"(?<![\w_])(_{1,3})(?=[^\s_])([^_]+)(?<=[^\s_])\1(?![\w_])"),
)


def _inline(line: str) -> str:
    stash: list[str] = []

    def keep(text: str) -> str:
        stash.append(text)
        return f"\ue000{len(stash) - 1}\ue001"

    # Escaped characters and code spans are literal: hide them from the markup rules below.
    line = _ESCAPE.sub(lambda m: keep(m.group(1)), line)
    line = _CODE_SPAN.sub(lambda m: keep(m.group(2).strip() or m.group(2)), line)
    line = _IMAGE.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _REF_LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    line = _STRIKE.sub(r"\1", line)
    for pattern in _EMPHASIS:
        line = _unwrap(pattern, line)
    return _STASH.sub(lambda m: stash[int(m.group(1))], line)


def _unwrap(pattern: re.Pattern[str], line: str) -> str:
    # A span never contains its own marker, so nested emphasis (`**bold *italic* bold**`) unwraps
    # from the inside out over a few passes.
    for _ in range(3):
        new = pattern.sub(r"\2", line)
        if new == line:
            break
        line = new
    return line


# --------------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------------


def _read_html_file(path: str, settings: Settings) -> Iterator[RawDocument]:
    data = _read_limited(path, settings)
    text, hints = _html_to_text(_decode_declared(data, _declared_html_charset(data)), url=None)
    hints.update(_sidecar_hints(path, settings))
    yield RawDocument(text=text, origin=path, hints=hints, title_from_text=False)


def _html_to_text(html: str, url: str | None) -> tuple[str, dict[str, str]]:
    doc = _extract(html, url)
    if doc is None:
        raise InputError("no article text found in HTML")
    hints = _html_hints(doc)
    text = _html_body_text(doc, hints.get("title"))
    if not text.strip():
        raise InputError("no article text found in HTML")
    return text, hints


def _extract(html: str, url: str | None) -> Any:
    # trafilatura is a large third-party parser: any failure inside it means this page is unusable,
    # which must not abort a whole ingest run.
    try:
        for recall in (False, True):
            doc = trafilatura.bare_extraction(
                html, url=url, with_metadata=True, include_comments=False, favor_recall=recall
            )
            if doc is not None and (doc.text or "").strip():
                return doc
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"could not parse HTML: {exc}") from exc
    return None


def _html_hints(doc: Any) -> dict[str, str]:
    found = {
        "title": doc.title,
        "author": doc.author,
        "published_at": doc.date,
        "source": doc.sitename,
        "url": doc.url,
    }
    return {key: value.strip() for key, value in found.items() if isinstance(value, str) and value.strip()}


def _html_body_text(doc: Any, title: str | None) -> str:
    """Main text with a blank line between blocks (trafilatura's own text uses single newlines)."""
    if doc.body is None or not len(doc.body):
        return doc.text or ""
    blocks = [xmltotxt(block, False).strip() for block in doc.body]
    blocks = [block for block in blocks if block]
    if blocks and title and _same_words(blocks[0], title):
        blocks = blocks[1:]  # the headline repeated as the first block is already the title
    return "\n\n".join(blocks)


# --------------------------------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Response:
    body: bytes
    charset: str | None
    content_type: str
    url: str


def _read_url(url: str, settings: Settings) -> Iterator[RawDocument]:
    response = _fetch(url, settings)
    charset = response.charset or _declared_html_charset(response.body)
    text = _decode_declared(response.body, charset)
    if response.content_type == "text/plain":
        yield RawDocument(text=text, origin=url, hints={"url": response.url}, title_from_text=True)
        return
    text, hints = _html_to_text(text, url=response.url)
    hints["url"] = response.url
    yield RawDocument(text=text, origin=url, hints=hints, title_from_text=False)


def _fetch(url: str, settings: Settings) -> _Response:
    limit = int(settings.max_file_mb * _MB)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=settings.url_timeout_s) as reply:
            body = reply.read(limit + 1)
            # get_content_type() says text/plain when the header is missing; unknown should mean HTML here.
            declared = reply.headers.get_content_type() if reply.headers.get("Content-Type") else ""
            response = _Response(body, reply.headers.get_content_charset(), declared, reply.geturl())
    except urllib.error.HTTPError as exc:
        raise InputError(f"could not fetch URL: HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise InputError(f"could not fetch URL: {exc.reason}") from exc
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise InputError(f"could not fetch URL: {str(exc) or type(exc).__name__}") from exc
    if len(body) > limit:
        raise InputError(f"response is over the {settings.max_file_mb:g} MB limit (ARCHIVE_MAX_FILE_MB)")
    if not body:
        raise InputError("could not fetch URL: empty response")
    return response


# --------------------------------------------------------------------------------------------------
# JSON and JSONL
# --------------------------------------------------------------------------------------------------


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _json_problem(exc: json.JSONDecodeError) -> str:
    return exc.msg.removesuffix(" at")  # "Unterminated string starting at" gets its own "at line ..."


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {_json_problem(exc)} at line {exc.lineno} column {exc.colno}") from exc
    except RecursionError as exc:
        raise InputError("invalid JSON: nested too deeply") from exc


def _record_doc(record: Any, origin: str, position: int) -> RawDocument | IngestFailure:
    where = f"{origin}:{position}"
    if not isinstance(record, dict):
        return IngestFailure(where, f"record is not a JSON object (found {_json_type(record)})")
    text = _record_text(record)
    if text is None:
        return IngestFailure(where, f"record has no text (expected one of: {', '.join(_TEXT_KEYS)})")
    record_id = _first(record, _ID_KEYS, _as_id)
    hints = _record_hints(record)
    return RawDocument(
        text=text,
        origin=f"{origin}#{record_id}" if record_id else where,
        hints=hints,
        record_id=record_id,
        title_from_text="title" not in hints,
    )


def _read_json(origin: str, settings: Settings, gz: bool) -> Iterator[RawDocument | IngestFailure]:
    data = _read_gz_whole(origin, settings) if gz else _read_limited(origin, settings)
    records = _records_in(_parse_json(decode_bytes(data)))
    for position, record in enumerate(records, start=1):
        yield _record_doc(record, origin, position)


def _records_in(value: Any) -> list[Any]:
    if isinstance(value, list):
        records = value
    elif isinstance(value, dict):
        wrapped = _wrapped_records(value)
        records = [value] if wrapped is None else wrapped
    else:
        raise InputError(f"expected a JSON object or a list of objects, found {_json_type(value)}")
    if not records:
        raise InputError("no records in JSON (empty list)")
    return records


def _wrapped_records(value: dict[str, Any]) -> list[Any] | None:
    if _record_text(value) is not None:
        return None  # an article that happens to have e.g. an "items" list
    for key in _WRAPPER_KEYS:
        if isinstance(value.get(key), list):
            return value[key]
    return None


def _gz_cap(settings: Settings, whole_json: bool) -> tuple[int, str]:
    bomb = (settings.max_decompressed_mb, "ARCHIVE_MAX_DECOMPRESSED_MB")
    # A .json.gz is parsed in memory like a .json, so the in-memory file limit applies to it too.
    limit_mb, name = min(bomb, (settings.max_file_mb, "ARCHIVE_MAX_FILE_MB")) if whole_json else bomb
    return int(limit_mb * _MB), f"decompressed data is over the {limit_mb:g} MB limit ({name})"


def _read_gz_whole(path: str, settings: Settings) -> bytes:
    cap, message = _gz_cap(settings, whole_json=True)
    _regular_size(path)
    with _os_errors(), gzip.open(path, "rb") as handle:
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise InputError(message)
    return data


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
    _regular_size(path)
    if not gz:
        return open(path, "rb")  # noqa: SIM115 - closed by the caller's with-block
    cap, message = _gz_cap(settings, whole_json=False)
    return io.BufferedReader(_BoundedReader(gzip.open(path, "rb"), cap, message))


def _read_jsonl(origin: str, settings: Settings, gz: bool) -> Iterator[RawDocument | IngestFailure]:
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
    with _os_errors(), _open_stream(origin, settings, gz) as raw:
        stream = _text_stream(raw)
        for line_no, line in _bounded_lines(stream, line_limit):
            if line is None:
                any_record = True
                yield IngestFailure(f"{origin}:{line_no}", f"line is longer than {line_limit} bytes (4 x ARCHIVE_MAX_ARTICLE_CHARS)")
            elif line.strip():
                any_record = True
                yield _jsonl_record(line, origin, line_no)
    if not any_record:
        raise InputError("no records (blank lines only)")


def _text_stream(raw: io.BufferedReader) -> io.BufferedReader | io.TextIOWrapper:
    """UTF-8 lines stay bytes (decoded per line, so one bad line fails alone); UTF-16/32 needs a decoder."""
    head = raw.peek(4096)[:4096]
    codec = _bom_codec(head) or _utf16_codec(head)
    if codec and codec != "utf-8-sig":
        return io.TextIOWrapper(raw, encoding=codec)
    if _looks_binary(head.decode("latin-1")):
        raise InputError(_BINARY)
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
        value = json.loads(text)
    except InputError as exc:
        return IngestFailure(where, str(exc))
    except json.JSONDecodeError as exc:
        return IngestFailure(where, f"invalid JSON: {_json_problem(exc)} at column {exc.colno}")
    except RecursionError:
        return IngestFailure(where, "invalid JSON: nested too deeply")
    return _record_doc(value, origin, line_no)


def _decode_line(line: bytes | str, first: bool) -> str:
    if isinstance(line, str):
        return line.lstrip("\ufeff") if first else line
    if first and line.startswith(codecs.BOM_UTF8):
        line = line[len(codecs.BOM_UTF8) :]
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return decode_bytes(line)  # a stray legacy-encoded line in an otherwise UTF-8 file


_READERS: dict[str, Callable[[str, Settings], Iterator[RawDocument | IngestFailure]]] = {
    ".txt": _read_plain,
    ".md": _read_markdown,
    ".markdown": _read_markdown,
    ".html": _read_html_file,
    ".htm": _read_html_file,
    ".json": partial(_read_json, gz=False),
    ".json.gz": partial(_read_json, gz=True),
    ".jsonl": partial(_read_jsonl, gz=False),
    ".jsonl.gz": partial(_read_jsonl, gz=True),
}
