"""Hostile input through the whole ingest, into an archive that already holds content.

Each row of ``CASES`` builds one hostile input (or a few) and states what must happen: a clear
per-file (or per-record) reason, or a correct ingest. Every case then checks that what the archive
held before (article ids, content hashes, origins, chunk counts, chunk ids in Chroma, keyword index
rows) is exactly unchanged and that the whole archive is still consistent. Hypothesis fuzzes the
readers, normalisation and the chunker below the table.
"""

from __future__ import annotations

import gzip
import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from archive import Archive, Settings
from archive.errors import InputError
from archive.types import IngestFailure, IngestReport, RawDocument
from ingest.chunking import chunk_article
from ingest.normalize import normalize
from ingest.sources import decode_bytes, read
from tests.archive_checks import consistency_problems, snapshot
from tests.conftest import SAMPLE
from tests.fakes import HashingEmbedder

MB = 1024 * 1024
ROOT_READS_ANYTHING = "running as root, which reads files whatever their permissions"
PROSE = "Officials said the river rose overnight. Crews worked until dawn to clear the roads."


def story(tag: str) -> str:
    """A short article whose content is unique to one case (so no case is a duplicate of another)."""
    return f"Hostile case {tag} reported\n\n{PROSE} The case was {tag}."


def jsonl(*lines: object) -> str:
    return "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"


@dataclass
class Case:
    """A hostile input: ``make`` writes it under a folder and returns the paths to ingest."""

    id: str
    make: Callable[[Path], list[str]]
    fails: dict[str, str] = field(default_factory=dict)  # failing path (its end) -> phrase of the reason
    added: int = 0
    duplicate: int = 0
    text: str = ""  # a stored article's text must contain this (decoding came out right)
    absent: str = ""  # and no stored article's title or text may contain this (script text, say)
    skip: str = ""


def write(name: str, data: bytes | str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = folder / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return [str(path)]

    return make


# ---- builders for inputs that need more than bytes in a file ------------------------------------------


def fifty_mb_line(name: str, line: Callable[[int], bytes]) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = folder / name
        path.write_bytes(line(50 * MB))
        return [str(path)]

    return make


def gzip_bomb(name: str, payload_mb: int, head: bytes = b"") -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = folder / name
        with gzip.open(path, "wb", compresslevel=1) as f:
            f.write(head)
            block = b" " * MB  # one endless line of blanks
            for _ in range(payload_mb):
                f.write(block)
        assert path.stat().st_size < payload_mb * MB // 100  # the bomb is small on disk
        return [str(path)]

    return make


def symlink_loop_files(folder: Path) -> list[str]:
    os.symlink("b.txt", folder / "a.txt")
    os.symlink("a.txt", folder / "b.txt")
    return [str(folder)]


def symlink_loop_argument(folder: Path) -> list[str]:
    os.symlink("self", folder / "self")
    return [str(folder / "self")]


def directory_cycle(folder: Path) -> list[str]:
    sub = folder / "sub"
    sub.mkdir()
    (sub / "story.txt").write_text(story("cycle"), encoding="utf-8")
    os.symlink("..", sub / "up")  # walking into it would never end
    return [str(folder)]


def dangling_symlink(folder: Path) -> list[str]:
    os.symlink(folder / "gone.txt", folder / "dangling.txt")
    return [str(folder)]


def fifo(folder: Path) -> list[str]:
    os.mkfifo(folder / "pipe.txt")  # opening it for reading would block forever
    return [str(folder / "pipe.txt")]


def endless_device(folder: Path) -> list[str]:
    os.symlink("/dev/zero", folder / "zeros.txt")  # reading it would never end
    return [str(folder / "zeros.txt")]


def unreadable_file(folder: Path) -> list[str]:
    path = folder / "locked.txt"
    path.write_text(story("locked"), encoding="utf-8")
    path.chmod(0)
    return [str(path)]


def unreadable_folder(folder: Path) -> list[str]:
    inner = folder / "private"
    inner.mkdir()
    (inner / "story.txt").write_text(story("private"), encoding="utf-8")
    inner.chmod(0)
    return [str(folder)]


def named(name: str, tag: str) -> Callable[[Path], list[str]]:
    return write(name, story(tag))


def undecodable_name(folder: Path) -> list[str]:
    path = os.fsdecode(os.fsencode(str(folder)) + b"/caf\xe9 latin-1 name.txt")
    Path(path).write_text(story("latin-1 name"), encoding="utf-8")
    return [str(folder)]


def dotdot_argument(folder: Path) -> list[str]:
    (folder / "sub").mkdir()
    (folder / "report..final.txt").write_text(story("dots in a name"), encoding="utf-8")
    return [str(folder / "sub" / ".." / "report..final.txt")]


def broken_sidecar(folder: Path) -> list[str]:
    (folder / "story.txt").write_text(story("sidecar"), encoding="utf-8")
    (folder / "story.txt.meta.json").write_text('{"title": "half', encoding="utf-8")
    return [str(folder)]


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


RANDOM = random.Random(6)

CASES = [
    # -- empty, whitespace, invisible
    Case("empty-txt", write("empty.txt", b""), {"empty.txt": "empty file"}),
    Case("empty-jsonl", write("empty.jsonl", b""), {"empty.jsonl": "empty file"}),
    Case("whitespace-txt", write("blank.txt", " \n\t\r\n  \n"), {"blank.txt": "whitespace only"}),
    Case("whitespace-utf16-txt", write("blank16.txt", "  \n \n".encode("utf-16")), {"blank16.txt": "whitespace only"}),
    Case("whitespace-md", write("blank.md", "\n   \n"), {"blank.md": "whitespace only"}),
    Case("blank-lines-jsonl", write("blank.jsonl", "\n \n\n"), {"blank.jsonl": "blank lines only"}),
    Case("invisible-only-txt", write("zw.txt", "\u200b\u200c\ufeff\u00ad \u2060\n"), {"zw.txt": "empty after cleaning"}),
    Case("front-matter-only-md", write("fm.md", "---\ntitle: Only metadata\n---\n"), {"fm.md": "no text in Markdown"}),
    # -- binary data behind text extensions
    Case("random-bytes-txt", write("noise.txt", RANDOM.randbytes(20_000)), {"noise.txt": "binary"}),
    Case("png-as-html", write("image.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + RANDOM.randbytes(4000)),
         {"image.html": "binary"}),
    Case("elf-as-json", write("program.json", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 16),
         {"program.json": "binary"}),
    Case("gzip-as-txt", write("packed.txt", gzip.compress(story("packed").encode() * 50)), {"packed.txt": "binary"}),
    Case("nul-bytes-in-utf8-md", write("nul.md", story("nul").encode() + b"\x00\x00\x00" + b"more"),
         {"nul.md": "binary"}),
    # -- encodings
    Case("utf16-le-without-bom", write("le.txt", story("caf\u00e9 \u201cle\u201d").encode("utf-16-le")),
         added=1, text="caf\u00e9 \u201cle\u201d"),
    Case("utf16-be-without-bom", write("be.txt", story("na\u00efve \u2013 be").encode("utf-16-be")),
         added=1, text="na\u00efve \u2013 be"),
    Case("mixed-utf8-and-cp1252-txt",
         write("mixed.txt", story("caf\u00e9 \u201cutf8\u201d").encode() + b"\nA pasted caf\xe9 line \x93cp1252\x94.\n"),
         added=1, text="caf\u00e9 \u201cutf8\u201d.\nA pasted caf\u00e9 line \u201ccp1252\u201d."),
    Case("mixed-encodings-jsonl",
         write("mixed.jsonl", b'{"id": "mx-1", "text": "Caf\xc3\xa9 in UTF-8."}\n{"id": "mx-2", "text": "Caf\xe9 in \x93cp1252\x94."}\n'),
         added=2, text="Caf\u00e9 in \u201ccp1252\u201d."),
    # -- size
    Case("50mb-single-line-txt", fifty_mb_line("long.txt", lambda n: b"word " * (n // 5)),
         {"long.txt": "50.0 MB, over the 20 MB limit (ARCHIVE_MAX_FILE_MB)"}),
    Case("50mb-single-line-jsonl",
         fifty_mb_line("long.jsonl", lambda n: b'{"id": "huge", "text": "' + b"w" * n + b'"}\n' + json.dumps(
             {"id": "after-huge", "text": story("after a 50 MB line")}).encode()),
         {"long.jsonl:1": "line is longer than 4000000 bytes"}, added=1),
    # -- JSON structure
    Case("deeply-nested-json", write("deep.json", deep(100_000)), {"deep.json": "nested too deeply"}),
    Case("deeply-nested-field-jsonl",
         write("deepfield.jsonl", jsonl('{"id": "d1", "text": "x", "meta": ' + deep(100_000) + "}",
                                         {"id": "d2", "text": story("beside a deep line")})),
         {"deepfield.jsonl:1": "nested too deeply"}, added=1),
    Case("jsonl-broken-and-non-object-lines",
         write("feed.jsonl", jsonl({"id": "ok-1", "text": story("first good line")}, '{"id": "b", "text": bro',
                                   "[1, 2]", '"a string"', "42", "null", "{\"id\": \"cut\"",
                                   {"id": "ok-2", "text": story("last good line")})),
         {"feed.jsonl:2": "invalid JSON", "feed.jsonl:3": "not a JSON object (found an array)",
          "feed.jsonl:4": "found a string", "feed.jsonl:5": "found a number", "feed.jsonl:6": "found null",
          "feed.jsonl:7": "invalid JSON"}, added=2),
    Case("jsonl-4301-digit-number",
         write("bignum.jsonl", jsonl('{"id": "n1", "text": "x", "n": ' + "9" * 5000 + "}",
                                     {"id": "n2", "text": story("after a huge number")})),
         {"bignum.jsonl:1": "a number has over 4300 digits"}, added=1),
    Case("json-4301-digit-number", write("bignum.json", '[{"id": "n3", "text": "x", "n": ' + "9" * 5000 + "}]"),
         {"bignum.json": "a number has over 4300 digits"}),
    Case("json-not-records", write("scalar.json", "3.5"), {"scalar.json": "found a number"}),
    Case("records-missing-text",
         write("notext.jsonl", jsonl({"id": "m1", "title": "Title only"}, {"id": "m2", "text": "   "}, {})),
         {"notext.jsonl:1": "record has no text", "notext.jsonl:2": "record has no text",
          "notext.jsonl:3": "record has no text"}),
    Case("records-non-string-fields",
         write("types.jsonl", jsonl({"id": "t1", "text": 12}, {"id": "t2", "text": ["a", "b"]},
                                    {"id": "t3", "text": {"body": "x"}}, {"id": "t4", "text": None},
                                    {"id": {"x": 1}, "title": ["list"], "source": 5, "url": False,
                                     "authors": [None, 3], "published_at": 20240101, "text": story("odd fields")},
                                    {"id": True, "text": story("boolean id")})),
         {"types.jsonl:1": "no text", "types.jsonl:2": "no text", "types.jsonl:3": "no text", "types.jsonl:4": "no text"},
         added=2),
    Case("records-lone-surrogates",
         write("surrogates.jsonl", jsonl('{"id": "s\\ud800", "title": "T\\udc00", "source": "\\udfff", '
                                         '"text": "Lone \\ud83d surrogate in a story."}',
                                         {"id": "s2", "text": story("after surrogates")})),
         added=2, text="Lone \ufffd surrogate"),
    Case("records-hostile-ids",
         write("ids.jsonl", jsonl(*({"id": rid, "text": story(f"id {n}")} for n, rid in enumerate(
             ["a:b:0", "two\nlines", "../../etc/passwd", "\u00fcn\u00efc\u00f8d\u00e9 \u65b0\u95fb", "x" * 5000])))),
         added=5),
    Case("records-same-id-twice",
         write("twice.jsonl", jsonl({"id": "tw", "text": story("first of twins")}, {"id": "tw", "text": story("second")})),
         added=1, duplicate=1),
    # -- HTML
    Case("html-scripts-and-iframes-only",
         write("scripts.html", "<html><head><script>var SECRET = 1;</script></head><body><script>steal()</script>"
                               "<iframe src='https://evil.example/'></iframe></body></html>"),
         {"scripts.html": "no article text found in HTML"}),
    Case("html-no-body", write("nobody.html", "<html><head><title>Headline alone</title></head></html>"),
         {"nobody.html": "no article text found in HTML"}),
    Case("html-text-between-scripts",
         write("wrapped.html", "<html><body><script>var SECRET_TOKEN = 1;</script><iframe src='x'></iframe><article><p>"
                               + (PROSE + " ") * 4 + "</p></article><script>steal()</script></body></html>"),
         added=1, text=PROSE, absent="SECRET_TOKEN"),
    Case("html-nested-200-deep", write("nested.html", "<html><body>" + "<div>" * 200 + f"<p>{PROSE}</p>" * 3 + "</div>" * 200 + "</body></html>"), added=1, text=PROSE),
    Case("html-nested-20000-deep", write("abyss.html", "<html><body>" + "<div>" * 20_000 + f"<p>{PROSE}</p>" + "</div>" * 20_000 + "</body></html>"),
         {"abyss.html": "no article text found in HTML"}),  # past the HTML parser's depth limit
    # -- compression
    Case("gzip-bomb-jsonl", gzip_bomb("bomb.jsonl.gz", 64),
         {"bomb.jsonl.gz": "decompressed data is over the 8 MB limit (ARCHIVE_MAX_DECOMPRESSED_MB)"}),
    Case("gzip-bomb-json", gzip_bomb("bomb.json.gz", 64, head=b"["),
         {"bomb.json.gz": "decompressed data is over the 8 MB limit (ARCHIVE_MAX_DECOMPRESSED_MB)"}),
    Case("truncated-gzip", write("cut.jsonl.gz", gzip.compress(jsonl({"id": "g", "text": RANDOM.randbytes(30_000).hex()}).encode())[:20_000]),
         {"cut.jsonl.gz": "corrupt gzip data"}),
    Case("not-gzip", write("fake.json.gz", json.dumps({"text": "plain"})), {"fake.json.gz": "corrupt gzip data"}),
    # -- names and links
    Case("name-with-spaces", named("  story with  spaces .txt", "spaces"), added=1),
    Case("name-unicode", named("\u00dcn\u00efc\u00f8d\u00e9 \u65b0\u95fb \u2603.txt", "unicode name"), added=1),
    Case("name-with-newline", named("two\nlines.txt", "newline name"), added=1),
    Case("name-with-dotdot", dotdot_argument, added=1),
    Case("name-not-utf8", undecodable_name, {"\\xe9 latin-1 name.txt": "file name is not valid UTF-8"}),
    Case("symlink-loop-in-folder", symlink_loop_files,
         {"a.txt": "too many levels of symbolic links", "b.txt": "too many levels of symbolic links"}),
    Case("symlink-loop-argument", symlink_loop_argument, {"self": "too many levels of symbolic links"}),
    Case("symlinked-directory-cycle", directory_cycle, added=1),
    Case("dangling-symlink", dangling_symlink, {"dangling.txt": "broken symbolic link"}),
    Case("fifo-named-txt", fifo, {"pipe.txt": "not a regular file"}),
    Case("endless-device-named-txt", endless_device, {"zeros.txt": "not a regular file"}),
    Case("unreadable-file", unreadable_file, {"locked.txt": "permission denied"},
         skip=ROOT_READS_ANYTHING if os.geteuid() == 0 else ""),
    Case("unreadable-folder", unreadable_folder, {"private": "permission denied"},
         skip=ROOT_READS_ANYTHING if os.geteuid() == 0 else ""),
    Case("broken-sidecar", broken_sidecar, {"story.txt": "broken sidecar story.txt.meta.json: invalid JSON"}),
]


@pytest.fixture
def loaded(tmp_path) -> Archive:
    """An archive holding the five sample articles and two JSON records, before any hostile input."""
    archive = Archive(Settings(dir=tmp_path / "archive", max_decompressed_mb=8), embedder=HashingEmbedder())
    feed = tmp_path / "earlier.jsonl"
    feed.write_text(jsonl({"id": "earlier-1", "text": story("earlier one")}, {"id": "earlier-2", "text": story("earlier two")}))
    report = archive.ingest([str(SAMPLE), str(feed)])
    assert (report.added, report.failed) == (7, [])
    return archive


def test_the_table_has_at_least_30_cases():
    assert len(CASES) >= 30 and len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_hostile_input_gets_a_clear_reason_and_leaves_the_archive_untouched(case: Case, loaded: Archive, tmp_path):
    if case.skip:
        pytest.skip(case.skip)
    folder = tmp_path / "hostile"
    folder.mkdir()
    paths = case.make(folder)
    before = snapshot(loaded)
    try:
        report = loaded.ingest(paths)
    finally:
        for path in folder.rglob("*"):  # let pytest clean up what a case locked
            if not path.is_symlink():
                path.chmod(0o700)
    assert_reported(report, case)
    after = snapshot(loaded)
    assert {aid: after.get(aid) for aid in before} == before, "what the archive held is unchanged"
    assert len(after) == len(before) + case.added
    assert consistency_problems(loaded, search_for="river") == []
    new = [loaded.article(aid) for aid in set(after) - set(before)]
    if case.text:
        assert any(case.text in a.title + "\n" + a.text for a in new), [a.text[:200] for a in new]
    if case.absent:
        assert not any(case.absent in a.title + "\n" + a.text for a in new)


def assert_reported(report: IngestReport, case: Case) -> None:
    failed = {f.path: f.reason for f in report.failed}
    unexpected = dict(failed)
    for path_end, phrase in case.fails.items():
        matches = [p for p in failed if p.endswith(path_end)]
        assert matches, f"no failure for {path_end!r}; failures: {failed}"
        reason = failed[matches[0]]
        assert phrase.lower() in reason.lower(), f"{path_end}: {reason!r} does not say {phrase!r}"
        unexpected.pop(matches[0])
    assert not unexpected, f"unexpected failures: {unexpected}"
    assert (report.added, report.duplicate, report.updated) == (case.added, case.duplicate, 0), report
    assert report.ok is not bool(case.fails)


def test_all_hostile_inputs_in_one_run(loaded, tmp_path):
    """Every case at once, each in its own folder: one run, every reason, nothing lost."""
    cases = [c for c in CASES if not c.skip]
    roots = []
    for n, case in enumerate(cases):
        folder = tmp_path / "all" / f"{n:02d}"
        folder.mkdir(parents=True)
        roots += case.make(folder)
    before = snapshot(loaded)
    report = loaded.ingest(roots)
    assert len(report.failed) == sum(len(c.fails) for c in cases), [(f.path[-60:], f.reason[:60]) for f in report.failed]
    assert report.added == sum(c.added for c in cases)
    after = snapshot(loaded)
    assert {aid: after.get(aid) for aid in before} == before
    assert consistency_problems(loaded, search_for="hostile case") == []


# ---- fuzzing ------------------------------------------------------------------------------------------

FUZZ = hsettings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SUFFIXES = [".txt", ".md", ".html", ".json", ".jsonl", ".json.gz", ".jsonl.gz"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
records = st.fixed_dictionaries(
    {},
    optional={key: json_values | st.text() for key in ("id", "title", "text", "body", "source", "url", "authors", "published_at")},
)


def check_read_normalize_chunk(path: Path, settings: Settings) -> None:
    """Reading never raises anything but InputError; every document normalises or says why; spans hold."""
    try:
        items = list(read(str(path), settings))
    except InputError as e:
        assert str(e)
        return
    for item in items:
        assert isinstance(item, (RawDocument, IngestFailure))
        if isinstance(item, IngestFailure):
            assert item.reason
            continue
        try:
            article = normalize(item, max_chars=settings.max_article_chars)
        except InputError as e:
            assert str(e)
            continue
        for value in (article.id, article.title, article.text, article.source, article.author, article.origin):
            value.encode("utf-8")  # storable: no lone surrogates
        for chunk in chunk_article(article.id, article.text, 300, 50):
            assert article.text[chunk.start : chunk.end] == chunk.text and chunk.text


@FUZZ
@given(data=st.binary(max_size=3000))
def test_decode_bytes_gives_text_or_a_reason(data):
    try:
        text = decode_bytes(data)
    except InputError as e:
        assert str(e)
    else:
        assert text.strip()


@FUZZ
@given(data=st.binary(max_size=3000) | st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
       suffix=st.sampled_from(SUFFIXES))
def test_readers_on_arbitrary_bytes(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    check_read_normalize_chunk(path, Settings(dir=tmp_path / "a"))


@FUZZ
@given(lines=st.lists(records | json_values, min_size=1, max_size=6), as_list=st.booleans())
def test_readers_on_arbitrary_json_records(tmp_path, lines, as_list):
    path = tmp_path / ("fuzz.json" if as_list else "fuzz.jsonl")
    text = json.dumps(lines) if as_list else "\n".join(json.dumps(line) for line in lines)
    path.write_text(text, encoding="utf-8")
    check_read_normalize_chunk(path, Settings(dir=tmp_path / "a"))


markup = st.text(alphabet=st.sampled_from(list("#*_`[]()!<>-=~\\:\"' \n\tab.1é—")), max_size=400)


@FUZZ
@given(text=markup, suffix=st.sampled_from([".md", ".html", ".txt"]))
def test_readers_on_markup_soup(tmp_path, text, suffix):
    path = tmp_path / f"soup{suffix}"
    path.write_text(text, encoding="utf-8")
    check_read_normalize_chunk(path, Settings(dir=tmp_path / "a"))


@hsettings(max_examples=200, deadline=None)
@given(text=st.text(max_size=1500), size=st.integers(100, 600), overlap=st.integers(0, 200))
def test_chunker_on_any_normalised_text(text, size, overlap):
    raw = RawDocument(text=text, origin="fuzz.txt")
    try:
        article = normalize(raw)
    except InputError:
        return
    chunks = chunk_article(article.id, article.text, size, overlap)
    assert chunks, "a non-empty article has at least one chunk"
    for chunk in chunks:
        assert article.text[chunk.start : chunk.end] == chunk.text
        assert 0 < len(chunk.text) <= size
        chunk.text.encode("utf-8")
