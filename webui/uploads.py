"""Uploaded files onto disk for ingest: plain names inside one fresh folder, size-checked."""

from __future__ import annotations

import re
from pathlib import Path

_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_name(name: str, taken: set[str]) -> str:
    """A plain file name for an upload: no directories, no leading dots, unique among ``taken``."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).strip(" .") or "upload"
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{n}-{base}"
    taken.add(candidate.lower())
    return candidate


def save_uploads(files, folder: Path, limit_bytes: float) -> tuple[dict[str, str], list[str]]:
    """Write each upload under ``folder``: ({saved path: shown name}, names refused as too large)."""
    saved: dict[str, str] = {}
    too_big: list[str] = []
    taken: set[str] = set()
    for f in files:
        if f.size > limit_bytes:
            too_big.append(f.name)
            continue
        path = folder / safe_name(f.name, taken)
        path.write_bytes(f.getvalue())
        saved[str(path)] = f.name
    return saved, too_big
