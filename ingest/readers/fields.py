"""Metadata fields shared by JSON records, sidecars and Markdown front matter, and title comparison."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ID_KEYS = ("id", "doc_id", "article_id", "guid")
TEXT_KEYS = ("text", "body", "content", "article", "maintext")


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


def as_id(value: Any) -> str | None:
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


def first_value(record: dict[str, Any], keys: tuple[str, ...], convert: Callable[[Any], str | None]) -> str | None:
    for key in keys:
        value = convert(record.get(key))
        if value:
            return value
    return None


def record_hints(record: dict[str, Any]) -> dict[str, str]:
    hints = {}
    for name, keys, convert in _HINT_FIELDS:
        value = first_value(record, keys, convert)
        if value:
            hints[name] = value
    return hints


def record_text(record: dict[str, Any]) -> str | None:
    for key in TEXT_KEYS:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def same_words(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
