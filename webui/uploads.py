"""Uploaded and pasted articles onto disk for ingest, kept where their origin stays true.

Ingest reads paths, and an article's origin (and id) is the path it was read from. A temporary
folder deleted after the ingest left every upload with an origin that no longer exists (and a new
id per upload). So uploads are kept under the archive folder, ``<ARCHIVE_DIR>/uploads/<batch>/<name>``:
the origin ends in the file's own (plain, safe) name, it still exists, and ``<batch>``, a hash of the
batch's names and bytes, makes uploading the same files again a no-op instead of another copy. The
files of one batch share a folder, so a sidecar (``story.txt.meta.json``) uploaded with its file applies.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

UPLOADS = "uploads"  # folder under the archive folder
SIDECAR = ".meta.json"
_UNSAFE = re.compile(r"[^\w.\- ]+")


def uploads_dir(archive_dir: Path) -> Path:
    return archive_dir / UPLOADS


def safe_name(name: str, taken: set[str]) -> str:
    """A plain file name for an upload: no directories, no leading dots, unique among ``taken``."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).strip(" .") or "upload"
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{n}-{base}"
    taken.add(candidate.lower())
    return candidate


def _batch_folder(root: Path, parts: Iterable[bytes]) -> Path:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return root / digest.hexdigest()[:16]


def save_uploads(files, root: Path, limit_bytes: float) -> tuple[dict[str, str], list[str]]:
    """Write each upload under one batch folder in ``root``: ({saved path: shown name}, names refused as too large)."""
    kept = [f for f in files if f.size <= limit_bytes]
    too_big = [f.name for f in files if f.size > limit_bytes]
    if not kept:
        return {}, too_big
    folder = _batch_folder(root, (p for f in kept for p in (f.name.encode("utf-8"), f.getvalue())))
    folder.mkdir(parents=True, exist_ok=True)
    saved: dict[str, str] = {}
    taken: set[str] = set()
    for f in kept:
        path = folder / safe_name(f.name, taken)
        path.write_bytes(f.getvalue())
        saved[str(path)] = f.name
    return saved, too_big


def save_pasted(root: Path, title: str, text: str, source: str = "", published_at: str = "") -> Path:
    """A pasted article as a text file with a sidecar stating its title, source and date; returns the file."""
    meta = {k: v.strip() for k, v in (("title", title), ("source", source), ("published_at", published_at)) if v.strip()}
    folder = _batch_folder(root, (json.dumps(meta, sort_keys=True).encode("utf-8"), text.encode("utf-8")))
    folder.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60] or "pasted"
    path = folder / f"{slug}.txt"
    path.write_text(text, encoding="utf-8")
    if meta:
        Path(f"{path}{SIDECAR}").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return path


def origin_file(origin: str) -> str:
    """The file of an origin: a record's '<file>#<id>' or '<file>:<line>' without its record part."""
    return re.sub(r"(?:#.*|:\d+)$", "", origin)


def forget_uploads(root: Path, origins: Iterable[str], still_used: set[str]) -> list[Path]:
    """Delete the kept upload files (and sidecars) of deleted articles that no stored article comes from.

    ``still_used`` holds the files (``origin_file``) the remaining articles come from.
    """
    removed = []
    for origin in origins:
        path = Path(origin_file(origin))
        if not path.is_file() or root.resolve() not in path.resolve().parents or str(path) in still_used:
            continue
        for victim in (path, Path(f"{path}{SIDECAR}")):
            if victim.is_file():
                victim.unlink()
                removed.append(victim)
        if not any(path.parent.iterdir()):
            path.parent.rmdir()
    return removed
