"""Sidecars: a ``<article>.meta.json`` next to a text, Markdown or HTML file states its metadata."""

from __future__ import annotations

import os

from archive.errors import InputError
from archive.settings import Settings
from ingest.readers.decoding import decode_bytes
from ingest.readers.fields import record_hints
from ingest.readers.files import read_limited
from ingest.readers.origins import SIDECAR_SUFFIX
from ingest.readers.records import json_type, parse_json


def sidecar_hints(path: str, settings: Settings) -> dict[str, str]:
    sidecar = _sidecar_for(path)
    if sidecar is None:
        return {}
    name = os.path.basename(sidecar)
    try:
        data = parse_json(decode_bytes(read_limited(sidecar, settings)))
    except InputError as exc:
        raise InputError(f"broken sidecar {name}: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"broken sidecar {name}: expected a JSON object, found {json_type(data)}")
    return record_hints(data)


def _sidecar_for(path: str) -> str | None:
    for candidate in (path + SIDECAR_SUFFIX, os.path.splitext(path)[0] + SIDECAR_SUFFIX):
        if os.path.isfile(candidate):
            return candidate
    return None
