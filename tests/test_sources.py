"""ingest.sources: finding inputs, decoding bytes, and reading each format into raw documents."""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from archive.errors import InputError
from archive.settings import Settings
from archive.types import IngestFailure, RawDocument
from ingest.readers import files  # every open of an input file happens there
from ingest.sources import SUPPORTED_SUFFIXES, decode_bytes, discover, read


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(dir=tmp_path / "archive")


def read_all(path: Path | str, settings: Settings) -> list[RawDocument | IngestFailure]:
    return list(read(str(path), settings))


def read_one(path: Path | str, settings: Settings) -> RawDocument:
    items = read_all(path, settings)
    assert len(items) == 1 and isinstance(items[0], RawDocument), items
    return items[0]


def docs_and_failures(items: list) -> tuple[list[RawDocument], list[IngestFailure]]:
    return [i for i in items if isinstance(i, RawDocument)], [i for i in items if isinstance(i, IngestFailure)]


# ---- decoding -------------------------------------------------------------------------------------

TEXT = "Caf\u00e9 owners said \u201cprices rose\u201d by 5 percent.\nA second line."


@pytest.mark.parametrize(
    "data, expected",
    [
        pytest.param(TEXT.encode("utf-8"), TEXT, id="utf-8"),
        pytest.param(TEXT.encode("utf-8-sig"), TEXT, id="utf-8-bom"),
        pytest.param(TEXT.encode("utf-16"), TEXT, id="utf-16-native-bom"),
        pytest.param(b"\xff\xfe" + TEXT.encode("utf-16-le"), TEXT, id="utf-16-le-bom"),
        pytest.param(b"\xfe\xff" + TEXT.encode("utf-16-be"), TEXT, id="utf-16-be-bom"),
        pytest.param(TEXT.encode("utf-16-le"), TEXT, id="utf-16-le-no-bom"),
        pytest.param(TEXT.encode("utf-16-be"), TEXT, id="utf-16-be-no-bom"),
        pytest.param(TEXT.encode("utf-32"), TEXT, id="utf-32-bom"),
        pytest.param(b"caf\xe9 \x93quoted\x94", "caf\u00e9 \u201cquoted\u201d", id="cp1252-short"),
        pytest.param(TEXT.encode("cp1252"), TEXT, id="cp1252"),
        pytest.param(
            "Привет, как дела? Это тест на русском языке.".encode("cp1251"),
            "Привет, как дела? Это тест на русском языке.",
            id="cp1251-by-charset-normalizer",
        ),
    ],
)
def test_decode_bytes(data, expected):
    assert decode_bytes(data) == expected


@pytest.mark.parametrize(
    "data, phrase",
    [
        pytest.param(b"", "empty file", id="empty"),
        pytest.param(b"  \n\t \r\n", "no text (whitespace only)", id="whitespace"),
        pytest.param("\n \n".encode("utf-16"), "no text (whitespace only)", id="whitespace-utf16"),
        pytest.param(bytes(range(256)) * 40, "looks like binary data", id="all-bytes"),
        pytest.param(random.Random(7).randbytes(5000), "looks like binary data", id="random"),
        pytest.param(b"ok\x01\x02\x03\x04\x05\x06 text" * 50, "looks like binary data", id="control-heavy-utf8"),
        pytest.param(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"x" * 100, "looks like binary data", id="zip-header"),
    ],
)
def test_decode_bytes_refuses(data, phrase):
    with pytest.raises(InputError, match=phrase.replace("(", r"\(").replace(")", r"\)")):
        decode_bytes(data)


def test_a_few_control_characters_are_still_text():
    assert decode_bytes(b"Page one\x0cPage two\x1b end of a long enough line of text") == (
        "Page one\x0cPage two\x1b end of a long enough line of text"
    )


# ---- plain text and file access ---------------------------------------------------------------------


def test_plain_text_file(tmp_path, settings):
    path = tmp_path / "story.txt"
    path.write_bytes(TEXT.encode("utf-16"))
    doc = read_one(path, settings)
    assert doc == RawDocument(text=TEXT, origin=str(path), hints={}, record_id=None, title_from_text=True)


@pytest.mark.parametrize(
    "content, phrase",
    [
        (b"", "empty file"),
        (b"   \n\n\t", "whitespace only"),
        (bytes(range(256)) * 4, "looks like binary data, not text"),
    ],
)
def test_unusable_text_file_raises(tmp_path, settings, content, phrase):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=phrase):
        read_all(path, settings)


def test_file_over_the_limit_is_refused_without_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.txt"
    path.write_text("word " * 400, encoding="utf-8")  # 2000 bytes > 0.001 MB (1048 bytes)

    def no_open(*args, **kwargs):
        raise AssertionError("the file was opened")

    monkeypatch.setattr(files, "open", no_open, raising=False)
    with pytest.raises(InputError) as info:
        read_all(path, Settings(max_file_mb=0.001))
    assert str(info.value) == "file is 2.0 KB, over the 0.001 MB limit (ARCHIVE_MAX_FILE_MB)"


def test_sparse_50_mb_file_message(tmp_path, settings):
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    with pytest.raises(InputError) as info:
        read_all(path, settings)
    assert str(info.value) == "file is 50.0 MB, over the 20 MB limit (ARCHIVE_MAX_FILE_MB)"


def test_directory_and_missing_file_and_unsupported_type(tmp_path, settings):
    (tmp_path / "folder.txt").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        read_all(tmp_path / "folder.txt", settings)
    with pytest.raises(InputError, match="no such file or directory"):
        read_all(tmp_path / "missing.txt", settings)
    with pytest.raises(InputError, match=r"unsupported file type '\.pdf'; expected one of \.txt, \.md"):
        read_all(tmp_path / "paper.pdf", settings)


@pytest.mark.parametrize(
    "error, reason",
    [
        (PermissionError(13, "Permission denied"), "permission denied"),
        (IsADirectoryError(21, "Is a directory"), "is a directory, not a file"),
        (OSError(5, "Input/output error"), "could not read file: Input/output error"),
    ],
)
def test_os_errors_become_input_errors(tmp_path, settings, monkeypatch, error, reason):
    path = tmp_path / "story.txt"
    path.write_text("Some text.", encoding="utf-8")

    def failing_open(*args, **kwargs):
        raise error

    monkeypatch.setattr(files, "open", failing_open, raising=False)
    with pytest.raises(InputError) as info:
        read_all(path, settings)
    assert str(info.value) == reason


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path, settings):
    path = tmp_path / "locked.txt"
    path.write_text("secret", encoding="utf-8")
    path.chmod(0)
    with pytest.raises(InputError, match="permission denied"):
        read_all(path, settings)


# ---- Markdown -------------------------------------------------------------------------------------

MARKDOWN = """---
title: "Floods in the valley"
author: Jane Doe
date: 2024-03-05
source: Valley Times
url: https://valley.example/floods
tags:
  - weather
---

# Floods in the valley

Heavy rain hit the *northern* towns on **Tuesday**, and _many_ roads closed (see [the map](https://x.example/map_(1)) for details).
![a flooded road](road.png)
The `river_level` gauge read 4.2 m; officials used snake_case_names and 2 * 3 * 4 sandbags.

## What happens next ##

* Schools stay closed
+ Buses run late
> "We have never seen this," said a resident.

```
keep **this** as it is
```
---
Reported by <https://valley.example/team>.
"""

MARKDOWN_TEXT = """Heavy rain hit the northern towns on Tuesday, and many roads closed (see the map for details).

The river_level gauge read 4.2 m; officials used snake_case_names and 2 * 3 * 4 sandbags.

What happens next

- Schools stay closed
- Buses run late

"We have never seen this," said a resident.

keep **this** as it is

Reported by https://valley.example/team."""


def test_markdown_front_matter_heading_and_inline_markup(tmp_path, settings):
    """CommonMark blocks (markdown-it-py) become paragraphs with a blank line between them; list items stay
    on consecutive lines; code stays verbatim."""
    path = tmp_path / "floods.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    doc = read_one(path, settings)
    assert doc.text == MARKDOWN_TEXT
    assert doc.hints == {
        "title": "Floods in the valley",
        "author": "Jane Doe",
        "published_at": "2024-03-05",
        "source": "Valley Times",
        "url": "https://valley.example/floods",
    }
    assert doc.title_from_text is False


@pytest.mark.parametrize(
    "markdown, text, hints, title_from_text",
    [
        ("# The *big* story\n\nBody text here.\n", "Body text here.", {"title": "The big story"}, False),
        ("The big story\n=============\n\nBody text.\n", "Body text.", {"title": "The big story"}, False),
        ("Just a paragraph with a [link](http://a.b).\n", "Just a paragraph with a link.", {}, True),
        ("## Second level\n\nBody.\n", "Second level\n\nBody.", {}, True),
        (
            "---\ntitle: Other title\n---\n# Heading\n\nBody.\n",
            "Heading\n\nBody.",
            {"title": "Other title"},
            False,
        ),
        ("---\n\nA rule, then prose: not front matter.\n\n---\nMore.\n", "A rule, then prose: not front matter.\n\nMore.", {}, True),
        ("Escaped \\*stars\\* and a_b_c stay.\n", "Escaped *stars* and a_b_c stay.", {}, True),
        ("Steps:\n\n1. Close roads\n2. Open shelters\n   - in schools\n", "Steps:\n\n1. Close roads\n2. Open shelters\n  - in schools",
         {}, True),
        ("A [reference link][r] and ~~struck~~ words.\n\n[r]: https://a.example\n", "A reference link and struck words.", {}, True),
    ],
)
def test_markdown_cases(tmp_path, settings, markdown, text, hints, title_from_text):
    path = tmp_path / "note.markdown"
    path.write_text(markdown, encoding="utf-8")
    doc = read_one(path, settings)
    assert (doc.text, doc.hints, doc.title_from_text) == (text, hints, title_from_text)


def test_markdown_with_only_a_heading_has_no_text(tmp_path, settings):
    path = tmp_path / "title-only.md"
    path.write_text("# Just a title\n", encoding="utf-8")
    with pytest.raises(InputError, match="no text in Markdown"):
        read_all(path, settings)


# ---- HTML -----------------------------------------------------------------------------------------

PARAGRAPHS = [
    "A powerful storm struck the northern coast on Tuesday, flooding streets and cutting power to thousands of homes.",
    "Officials said emergency crews worked through the night to restore electricity, and schools will stay closed.",
    "Residents described winds strong enough to uproot old oak trees in the town square, standing for a century.",
]


def html_page(charset_meta: str = '<meta charset="utf-8">', extra: str = "") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<!DOCTYPE html><html><head>{charset_meta}
<title>Storm hits coast | Daily Planet</title>
<meta name="author" content="Lois Lane">
<meta property="og:site_name" content="Daily Planet">
<meta property="og:title" content="Storm hits coast">
<meta property="article:published_time" content="2024-03-05T10:00:00Z">
<link rel="canonical" href="https://planet.example/storm">
<script>var tracking = "SCRIPT_SECRET";</script>
<style>p {{ color: red; }}</style></head>
<body><nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<article><h1>Storm hits coast</h1>{extra}
{body}
</article><footer>Copyright Daily Planet</footer></body></html>"""


def test_html_file_through_trafilatura(tmp_path, settings):
    path = tmp_path / "storm.html"
    path.write_text(html_page(), encoding="utf-8")
    doc = read_one(path, settings)
    assert doc.hints == {
        "title": "Storm hits coast",
        "author": "Lois Lane",
        "published_at": "2024-03-05",
        "source": "Daily Planet",
        "url": "https://planet.example/storm",
    }
    assert doc.text == "\n\n".join(PARAGRAPHS)  # paragraph breaks kept, headline not repeated
    assert "SCRIPT_SECRET" not in doc.text and "color" not in doc.text
    assert doc.title_from_text is False and doc.origin == str(path)


def test_html_declared_latin1_is_read_as_windows_1252(tmp_path, settings):
    path = tmp_path / "legacy.htm"
    quote = "<p>The mayor said \x93we will rebuild the caf\xe9\x94 before the summer season starts again.</p>"
    page = html_page('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">', quote)
    path.write_bytes(page.encode("latin-1"))
    doc = read_one(path, settings)
    assert "The mayor said \u201cwe will rebuild the caf\u00e9\u201d before" in doc.text


def test_html_valid_utf8_beats_a_stale_charset_label(tmp_path, settings):
    path = tmp_path / "stale.html"
    page = html_page('<meta charset="windows-1252">', "<p>Caf\u00e9 owners said \u201cprices rose\u201d again this week.</p>")
    path.write_bytes(page.encode("utf-8"))
    assert "Caf\u00e9 owners said \u201cprices rose\u201d again" in read_one(path, settings).text


@pytest.mark.parametrize(
    "page",
    [
        "<html><head><title>Nothing</title></head><body></body></html>",
        "<html><head><script>var a = 'only script';</script></head><body><script>x()</script></body></html>",
    ],
)
def test_html_without_text_is_refused(tmp_path, settings, page):
    path = tmp_path / "empty.html"
    path.write_text(page, encoding="utf-8")
    with pytest.raises(InputError, match="no article text found in HTML"):
        read_all(path, settings)


# ---- JSON records ---------------------------------------------------------------------------------

RECORDS = [
    {"id": "a1", "title": "First", "text": "First body."},
    {"doc_id": 42, "headline": "Second", "body": "Second body."},
]


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(RECORDS, id="list"),
        pytest.param({"articles": RECORDS}, id="articles"),
        pytest.param({"records": RECORDS, "count": 2}, id="records"),
        pytest.param({"items": RECORDS}, id="items"),
        pytest.param({"meta": {"page": 1}, "data": RECORDS}, id="data"),
    ],
)
def test_json_lists_and_wrappers(tmp_path, settings, payload):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    items = read_all(path, settings)
    assert [(d.record_id, d.origin, d.text, d.hints.get("title")) for d in items] == [
        ("a1", f"{path}#a1", "First body.", "First"),
        ("42", f"{path}#42", "Second body.", "Second"),
    ]


def test_json_single_object_and_failures_by_position(tmp_path, settings):
    single = tmp_path / "one.json"
    single.write_text(json.dumps({"title": "Only", "content": "The only record."}), encoding="utf-8")
    assert read_one(single, settings) == RawDocument(
        text="The only record.", origin=f"{single}:1", hints={"title": "Only"}, record_id=None, title_from_text=False
    )
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps([{"text": "ok"}, "a string", {"title": "no body"}]), encoding="utf-8")
    docs, failures = docs_and_failures(read_all(mixed, settings))
    assert [d.origin for d in docs] == [f"{mixed}:1"]
    assert [(f.path, f.reason.split(" (")[0]) for f in failures] == [
        (f"{mixed}:2", "record is not a JSON object"),
        (f"{mixed}:3", "record has no text"),
    ]
    assert "expected one of: text, body, content, article, maintext" in failures[1].reason


@pytest.mark.parametrize(
    "content, message",
    [
        ("nope", "invalid JSON: Expecting value at line 1 column 1"),
        ('{"title": "half', "invalid JSON: Unterminated string starting at line 1 column 11"),
        ("[]", "no records in JSON (empty list)"),
        ('"just a string"', "expected a JSON object or a list of objects, found a string"),
        ("[" * 100_000, "invalid JSON: nested too deeply"),
    ],
)
def test_unusable_json_raises(tmp_path, settings, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_all(path, settings)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "record, record_id, hints",
    [
        pytest.param(
            {"guid": "g-1", "headline": "H", "maintext": "T", "site_name": "Site", "link": "https://a.b/c",
             "byline": "By Someone", "pubDate": "Tue, 05 Mar 2024 10:00:00 GMT"},
            "g-1",
            {"title": "H", "source": "Site", "url": "https://a.b/c", "author": "By Someone",
             "published_at": "Tue, 05 Mar 2024 10:00:00 GMT"},
            id="aliases",
        ),
        pytest.param(
            {"article_id": 7.0, "text": "T", "source": {"name": "Reuters", "id": "r"},
             "authors": ["Ann", {"name": "Bob"}, 3, ""], "datePublished": "2024-03-05"},
            "7",
            {"source": "Reuters", "author": "Ann, Bob", "published_at": "2024-03-05"},
            id="dict-source-author-list-float-id",
        ),
        pytest.param(
            {"id": True, "doc_id": "", "article_id": "  real  ", "title": 5, "headline": "  Head  ", "text": "T",
             "source": ["x"], "publisher": None, "outlet": "Outlet", "url": {"href": "x"}, "author": 12,
             "date": 20240305, "published": "  "},
            "real",
            {"title": "Head", "source": "Outlet"},
            id="non-string-fields-ignored",
        ),
        pytest.param({"text": "T", "id": None}, None, {}, id="no-metadata"),
    ],
)
def test_record_field_mapping(tmp_path, settings, record, record_id, hints):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    doc = read_one(path, settings)
    assert (doc.record_id, doc.hints, doc.text) == (record_id, hints, "T")
    assert doc.origin == (f"{path}#{record_id}" if record_id else f"{path}:1")
    assert doc.title_from_text is ("title" not in hints)


def test_record_text_is_kept_as_found(tmp_path, settings):
    path = tmp_path / "html.jsonl"
    html = "<p>Paragraph one.</p>\n<p>Two.</p>"
    path.write_text(json.dumps({"body": html}) + "\n", encoding="utf-8")
    assert read_one(path, settings).text == html


# ---- JSONL ----------------------------------------------------------------------------------------

JSONL_LINES = [
    json.dumps({"doc_id": "a1", "title": "Floods", "text": "Floods covered a third of the country."}),
    '{"doc_id": "a2", "title": broken',
    "",
    json.dumps({"id": 3, "text": "Europe had its hottest summer."}),
    json.dumps(["not", "an", "object"]),
    json.dumps({"doc_id": "a5", "title": "No body"}),
    "   ",
    json.dumps({"text": "A record without an id."}),
    "[" * 100_000,
]


def check_jsonl_items(items, path):
    docs, failures = docs_and_failures(items)
    assert [(d.record_id, d.origin) for d in docs] == [
        ("a1", f"{path}#a1"),
        ("3", f"{path}#3"),
        (None, f"{path}:8"),
    ]
    assert [(f.path, f.reason.split(":")[0].split(" (")[0]) for f in failures] == [
        (f"{path}:2", "invalid JSON"),
        (f"{path}:5", "record is not a JSON object"),
        (f"{path}:6", "record has no text"),
        (f"{path}:9", "invalid JSON"),
    ]
    assert failures[0].reason == "invalid JSON: Expecting value at column 27"
    assert failures[3].reason == "invalid JSON: nested too deeply"


def test_jsonl_bad_lines_fail_alone(tmp_path, settings):
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(JSONL_LINES) + "\n", encoding="utf-8")
    check_jsonl_items(read_all(path, settings), path)


def test_jsonl_gz_is_streamed(tmp_path, settings):
    path = tmp_path / "feed.jsonl.gz"
    path.write_bytes(gzip.compress(("\n".join(JSONL_LINES) + "\n").encode("utf-8")))
    check_jsonl_items(read_all(path, settings), path)


def test_jsonl_in_utf16_and_with_bom_and_crlf(tmp_path, settings):
    lines = [json.dumps({"id": "x", "text": "Caf\u00e9"}, ensure_ascii=False), json.dumps({"id": "y", "text": "B"})]
    for name, data in [
        ("utf16.jsonl", "\n".join(lines).encode("utf-16")),
        ("bom.jsonl", "\r\n".join(lines).encode("utf-8-sig")),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        assert [(d.record_id, d.text) for d in read_all(path, settings)] == [("x", "Caf\u00e9"), ("y", "B")], name


def test_jsonl_cp1252_line_among_utf8_lines(tmp_path, settings):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"id": "u", "text": "caf\xc3\xa9"}\n{"id": "w", "text": "caf\xe9 \x93quoted\x94"}\n')
    assert [d.text for d in read_all(path, settings)] == ["caf\u00e9", "caf\u00e9 \u201cquoted\u201d"]


def test_jsonl_overlong_line_fails_and_reading_goes_on(tmp_path):
    settings = Settings(max_article_chars=1000)  # lines over 4000 bytes are refused
    path = tmp_path / "long.jsonl"
    long_line = json.dumps({"id": "big", "text": "x" * 10_000})
    path.write_text("\n".join([json.dumps({"id": "a", "text": "A"}), long_line, json.dumps({"id": "b", "text": "B"})]))
    docs, failures = docs_and_failures(read_all(path, settings))
    assert [d.record_id for d in docs] == ["a", "b"]
    assert [(f.path, f.reason) for f in failures] == [
        (f"{path}:2", "line is longer than 4000 bytes (4 x ARCHIVE_MAX_ARTICLE_CHARS)")
    ]


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("blank.jsonl", b"\n\n   \n", "no records (blank lines only)"),
        ("empty.jsonl", b"", "empty file"),
        ("binary.jsonl", bytes(range(256)) * 20, "looks like binary data, not text"),
        ("fake.jsonl.gz", b'{"text": "not gzip"}\n', "corrupt gzip data"),
        ("truncated.jsonl.gz", gzip.compress(json.dumps({"text": f"{random.Random(1).random()!r}"}).encode() * 500)[:-20],
         "corrupt gzip data"),
    ],
)
def test_unusable_jsonl_raises(tmp_path, settings, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match=re.escape(message)):
        read_all(path, settings)


def test_gzip_bomb_is_bounded(tmp_path):
    line = json.dumps({"text": "All work and no play makes a dull news archive. " * 20}) + "\n"
    path = tmp_path / "bomb.jsonl.gz"
    path.write_bytes(gzip.compress(line.encode() * (20 * 1024 * 1024 // len(line)), compresslevel=1))
    assert path.stat().st_size < 1024 * 1024
    items = read_all(path, Settings(max_decompressed_mb=1))
    docs, failures = docs_and_failures(items)
    assert len(docs) * len(line) <= 1024 * 1024  # nothing past the limit was handed out
    assert len(docs) > 100  # what came before the limit is still usable
    assert [(f.path, f.reason) for f in failures] == [
        (str(path), "decompressed data is over the 1 MB limit (ARCHIVE_MAX_DECOMPRESSED_MB); stopped reading")
    ]


def test_gzip_bomb_without_newlines_and_json_gz_bomb(tmp_path):
    settings = Settings(max_decompressed_mb=1, max_article_chars=1000)
    one_line = tmp_path / "line.jsonl.gz"
    one_line.write_bytes(gzip.compress(b"a" * (20 * 1024 * 1024), compresslevel=1))
    with pytest.raises(InputError, match=r"over the 1 MB limit \(ARCHIVE_MAX_DECOMPRESSED_MB\)"):
        read_all(one_line, settings)
    whole = tmp_path / "whole.json.gz"
    whole.write_bytes(gzip.compress(b" " * (20 * 1024 * 1024) + b"[]", compresslevel=1))
    with pytest.raises(InputError, match=r"over the 1 MB limit \(ARCHIVE_MAX_DECOMPRESSED_MB\)"):
        read_all(whole, settings)


def test_json_gz(tmp_path, settings):
    path = tmp_path / "feed.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"items": RECORDS}).encode("utf-16")))
    assert [d.record_id for d in read_all(path, settings)] == ["a1", "42"]


# ---- sidecars -------------------------------------------------------------------------------------


@pytest.mark.parametrize("sidecar_name", ["story.txt.meta.json", "story.meta.json"])
def test_sidecar_metadata_merges_into_hints(tmp_path, settings, sidecar_name):
    (tmp_path / "story.txt").write_text("Headline in text\n\nBody.", encoding="utf-8")
    sidecar = {"title": "Sidecar title", "source": "Wire", "url": "https://w.example/1", "author": "A. B.",
               "date": "2024-01-02", "unrelated": {"x": 1}}
    (tmp_path / sidecar_name).write_text(json.dumps(sidecar), encoding="utf-8")
    doc = read_one(tmp_path / "story.txt", settings)
    assert doc.hints == {"title": "Sidecar title", "source": "Wire", "url": "https://w.example/1",
                         "author": "A. B.", "published_at": "2024-01-02"}
    assert doc.text == "Headline in text\n\nBody." and doc.title_from_text is False


def test_sidecar_wins_over_the_files_own_metadata(tmp_path, settings):
    (tmp_path / "note.md").write_text("---\ntitle: Own\nauthor: Own Author\n---\n# Own\n\nBody.", encoding="utf-8")
    (tmp_path / "note.meta.json").write_text(json.dumps({"author": "Sidecar Author"}), encoding="utf-8")
    (tmp_path / "page.html").write_text(html_page(), encoding="utf-8")
    (tmp_path / "page.html.meta.json").write_text(json.dumps({"source": "Archive copy"}), encoding="utf-8")
    assert read_one(tmp_path / "note.md", settings).hints == {"title": "Own", "author": "Sidecar Author"}
    assert read_one(tmp_path / "page.html", settings).hints["source"] == "Archive copy"


@pytest.mark.parametrize(
    "content, message",
    [
        ("{broken", "broken sidecar story.meta.json: invalid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        ("[1, 2]", "broken sidecar story.meta.json: expected a JSON object, found an array"),
        ("", "broken sidecar story.meta.json: empty file"),
    ],
)
def test_broken_sidecar_raises(tmp_path, settings, content, message):
    (tmp_path / "story.txt").write_text("Body.", encoding="utf-8")
    (tmp_path / "story.meta.json").write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_all(tmp_path / "story.txt", settings)
    assert str(info.value) == message


# ---- discover -------------------------------------------------------------------------------------


def make_tree(root: Path) -> None:
    for name in ["a.txt", "sub/b.md", "sub/deeper/c.jsonl.gz", "sub/B.HTML", ".hidden.txt", ".git/d.txt",
                 "sub/.cache/e.json", "a.meta.json", "a.txt.meta.json", "notes.pdf", "image.png", "README"]:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")


def test_discover_walks_folders_recursively_in_sorted_order(tmp_path):
    make_tree(tmp_path / "in")
    origins, failures, skipped = discover([str(tmp_path / "in")])
    root = (tmp_path / "in").resolve()
    assert origins == [str(root / "a.txt"), str(root / "sub/B.HTML"), str(root / "sub/b.md"),
                       str(root / "sub/deeper/c.jsonl.gz")]
    assert failures == [] and skipped == 3  # notes.pdf, image.png, README


def test_discover_arguments(tmp_path):
    make_tree(tmp_path / "in")
    (tmp_path / "paper.pdf").write_text("x", encoding="utf-8")
    (tmp_path / ".explicit-hidden.txt").write_text("x", encoding="utf-8")
    args = [
        str(tmp_path / "in" / "a.txt"),
        str(tmp_path / "in"),  # a.txt again: kept once
        "https://example.com/story",
        "https://example.com/story",
        str(tmp_path / "missing.txt"),
        str(tmp_path / "paper.pdf"),
        str(tmp_path / "in" / "a.meta.json"),
        str(tmp_path / ".explicit-hidden.txt"),
        os.path.relpath(tmp_path / "in" / "sub" / "b.md"),
    ]
    origins, failures, skipped = discover(args)
    root = (tmp_path / "in").resolve()
    assert origins == [str(root / "a.txt"), str(root / "sub/B.HTML"), str(root / "sub/b.md"),
                       str(root / "sub/deeper/c.jsonl.gz"), "https://example.com/story",
                       str((tmp_path / ".explicit-hidden.txt").resolve())]
    assert [(f.path, f.reason) for f in failures] == [
        (str(tmp_path / "missing.txt"), "no such file or directory"),
        (str(tmp_path / "paper.pdf"), f"unsupported file type '.pdf'; expected one of {', '.join(SUPPORTED_SUFFIXES)}"),
    ]
    assert skipped == 3 + 1  # the walked folder's three, plus the explicitly named sidecar


@pytest.mark.timeout(10)
def test_discover_symlinks(tmp_path):
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "real.txt").write_text("x", encoding="utf-8")
    (tmp_path / "outside.md").write_text("x", encoding="utf-8")
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "up").symlink_to(tmp_path, target_is_directory=True)
    (root / "link.md").symlink_to(tmp_path / "outside.md")
    (root / "same.txt").symlink_to(root / "sub" / "real.txt")
    (root / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    origins, failures, skipped = discover([str(root)])
    assert origins == [str((tmp_path / "outside.md").resolve()), str((root / "sub" / "real.txt").resolve())]
    assert [(Path(f.path).name, f.reason) for f in failures] == [
        ("dangling.txt", "broken symbolic link (its target does not exist)")
    ]
    assert skipped == 0


def test_discover_explicit_broken_symlink(tmp_path):
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    assert discover([str(tmp_path / "dangling.txt")]) == (
        [], [IngestFailure(str(tmp_path / "dangling.txt"), "broken symbolic link (its target does not exist)")], 0
    )


def test_discovered_files_can_all_be_read(tmp_path, settings):
    (tmp_path / "a.txt").write_text("Plain story.", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "r", "text": "Record story."}) + "\n", encoding="utf-8")
    (tmp_path / "a.meta.json").write_text(json.dumps({"source": "Side"}), encoding="utf-8")
    origins, failures, skipped = discover([str(tmp_path)])
    texts = [(d.text, d.hints) for origin in origins for d in read(origin, settings)]
    assert texts == [("Plain story.", {"source": "Side"}), ("Record story.", {})]
    assert (failures, skipped) == ([], 0)


# ---- URLs -----------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    seen_agents: list[str] = []
    pages = {
        "/storm": ("text/html; charset=utf-8", html_page().encode("utf-8")),
        "/legacy": ("text/html; charset=windows-1252", html_page("", "<p>Caf\u00e9 \u201cnews\u201d is here.</p>").encode("cp1252")),
        "/plain": ("text/plain", b"Plain text over HTTP.\nSecond line."),
        "/blank": ("text/html", b"<html><body></body></html>"),
    }

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.seen_agents.append(self.headers.get("User-Agent", ""))
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/storm")
            self.end_headers()
            return
        if self.path not in self.pages:
            self.send_error(404, "Not Found")
            return
        content_type, body = self.pages[self.path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_url_html_page(server, settings):
    doc = read_one(f"{server}/moved", settings)
    assert doc.origin == f"{server}/moved"
    assert doc.hints == {
        "title": "Storm hits coast",
        "author": "Lois Lane",
        "published_at": "2024-03-05",
        "source": "Daily Planet",
        "url": f"{server}/storm",  # the final URL, after the redirect
    }
    assert doc.text == "\n\n".join(PARAGRAPHS) and doc.title_from_text is False
    assert _Handler.seen_agents[-1] == "news-archive/0.1"


def test_url_charset_from_header_and_plain_text(server, settings):
    assert "Caf\u00e9 \u201cnews\u201d is here." in read_one(f"{server}/legacy", settings).text
    plain = read_one(f"{server}/plain", settings)
    assert (plain.text, plain.hints, plain.title_from_text) == (
        "Plain text over HTTP.\nSecond line.", {"url": f"{server}/plain"}, True
    )


@pytest.mark.parametrize(
    "path, options, message",
    [
        ("/missing", {}, "could not fetch URL: HTTP 404 Not Found"),
        ("/blank", {}, "no article text found in HTML"),
        ("/storm", {"max_file_mb": 0.0005}, "response is over the 0.0005 MB limit (ARCHIVE_MAX_FILE_MB)"),
    ],
)
def test_url_failures(server, path, options, message):
    with pytest.raises(InputError) as info:
        read_all(f"{server}{path}", Settings(**options))
    assert str(info.value) == message


def test_url_connection_refused(settings):
    import socket

    with socket.socket() as probe:  # a port that was free a moment ago, with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(InputError, match="could not fetch URL: .*refused"):
        read_all(f"http://127.0.0.1:{port}/x", settings)
