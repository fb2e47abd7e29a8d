"""Markdown files: front matter and a level-1 heading become hints, the markup is stripped to plain text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

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
    front, lines = _split_front_matter(markdown.splitlines())
    hints = record_hints(front)
    blocks = _blocks(_PARSER.parse("\n".join(lines)))
    if blocks and blocks[0][0] == "h1":  # a level-1 heading on top is the title...
        heading = blocks[0][1]
        # ...unless front matter names a different one: then the heading stays in the text as a plain line.
        if "title" not in hints or same_words(heading, hints["title"]):
            hints.setdefault("title", heading)
            blocks = blocks[1:]
    return _joined(blocks).strip("\n"), hints


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


# CommonMark (as markdown-it-py parses it) with strikethrough; tables stay text, as their rows read.
_PARSER = MarkdownIt("commonmark").enable("strikethrough")
_LIST_BLOCKS = ("bullet_list_open", "ordered_list_open")


def _blocks(tokens: list[Token]) -> list[tuple[str, str]]:
    """The document as (kind, plain text) blocks in order: ``h1`` for a level-1 heading, ``item`` for a list
    item's line, ``text`` for the rest (code kept verbatim; rules, images and link targets dropped)."""
    blocks: list[tuple[str, str]] = []
    lists: list[list] = []  # open lists: [next number or None for bullets, depth]
    item_prefix = ""
    for i, token in enumerate(tokens):
        if token.type in _LIST_BLOCKS:
            start = int(token.attrGet("start") or 1) if token.type == "ordered_list_open" else None
            lists.append([start, token.markup])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "list_item_open":
            number, markup = lists[-1]
            marker = "- " if number is None else f"{number}{markup} "
            if number is not None:
                lists[-1][0] = number + 1
            item_prefix = "  " * (len(lists) - 1) + marker
        elif token.type == "inline":
            kind = "h1" if tokens[i - 1].type == "heading_open" and tokens[i - 1].tag == "h1" else "text"
            text = _inline_text(token)
            if item_prefix:
                blocks.append(("item", item_prefix + text))
                item_prefix = ""
            elif lists:  # a list item's second paragraph
                blocks.append(("item", "  " * len(lists) + text))
            else:
                blocks.append((kind, text))
        elif token.type in ("fence", "code_block", "html_block"):
            blocks.append(("item" if lists else "text", token.content.rstrip("\n")))
    return blocks


def _joined(blocks: list[tuple[str, str]]) -> str:
    """Blocks as text: a blank line between blocks, list items on consecutive lines."""
    out: list[str] = []
    for n, (kind, text) in enumerate(blocks):
        if n:
            out.append("\n" if kind == "item" and blocks[n - 1][0] == "item" else "\n\n")
        out.append(text)
    return "".join(out)


def _inline_text(token: Token) -> str:
    """An inline token's plain text: markup unwrapped, images and link targets dropped, code spans and inline
    HTML kept as written, line breaks kept."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts).strip()
