"""What an input origin is: a URL, or a file path whose suffix says how to read it."""

from __future__ import annotations

import os

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".jsonl.gz", ".json.gz", ".xml",
                      ".rss", ".atom")
SIDECAR_SUFFIX = ".meta.json"

_URL_PREFIXES = ("http://", "https://")
_LONGEST_SUFFIX_FIRST = sorted(SUPPORTED_SUFFIXES, key=len, reverse=True)  # ".jsonl.gz" before ".gz"-less ones


def is_url(value: str) -> bool:
    return value.lower().startswith(_URL_PREFIXES)


def suffix_of(name: str) -> str:
    lower = name.lower()
    for suffix in _LONGEST_SUFFIX_FIRST:
        if lower.endswith(suffix):
            return suffix
    return os.path.splitext(lower)[1]


def unsupported_reason(suffix: str) -> str:
    found = f"'{suffix}'" if suffix else "(no file extension)"
    return f"unsupported file type {found}; expected one of {', '.join(SUPPORTED_SUFFIXES)}"
