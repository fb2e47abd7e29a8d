"""Markdown files: front matter and a level-1 heading become hints, the markup is stripped to plain text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from archive.errors import InputError
from archive.settings import Settings
from archive.types import RawDocument
from ingest.readers.decoding import decode_bytes
from ingest.readers.fields import record_hints, same_words
from ingest.readers.files import read_limited
from ingest.readers.sidecars import sidecar_hints


def read_markdown(path: str, settings: Settings) -> Iterator[RawDocument]:
    text, hints = _markdown_to_text(decode_bytes(read_limited(path, settings)))
    if not text.strip():
        raise InputError("no text in Markdown (only front matter or a heading)")
    hints.update(sidecar_hints(path, settings))
    yield RawDocument(text=text, origin=path, hints=hints, title_from_text="title" not in hints)


def _markdown_to_text(markdown: str) -> tuple[str, dict[str, str]]:
    lines = markdown.splitlines()
    front, lines = _split_front_matter(lines)
    hints = record_hints(front)
    heading, rest = _split_title_heading(lines)
    # When front matter names a different title, the heading stays in the text as a plain line.
    if heading and ("title" not in hints or same_words(heading, hints["title"])):
        hints.setdefault("title", heading)
        lines = rest
    return "\n".join(_markdown_lines(lines)).strip("\n"), hints


# Patterns in this module avoid lazy or nested quantifiers that backtrack quadratically on long lines.
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
