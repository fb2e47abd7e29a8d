"""The API's writes: who may write (a bearer token, never in a read-only archive) and what a posted ingest is.

Posted records are kept as a JSONL file under ``<ARCHIVE_DIR>/uploads/api/<feed>.jsonl`` and ingested
from there, as the app keeps its uploads (webui/uploads.py): an article's id comes from where it was
read and the record's own id, so posting record 42 of feed ``cms`` again updates it instead of
adding a copy. Posts to one feed take turns (a file lock), so one post's file is never another's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi import HTTPException, Request

from archive import Archive, IngestReport
from archive.settings import Settings

FEED = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_RECORDS = 10_000


def require_writer(request: Request, archive: Archive) -> str:
    """The name of the token that authorises this write; 401 without a valid one, 403 if revoked or read-only."""
    if archive.settings.read_only:
        raise HTTPException(403, "this archive is read-only (ARCHIVE_READ_ONLY is set): the API refuses every write")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    challenge = {"WWW-Authenticate": "Bearer"}
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "this is a write: send a token as 'Authorization: Bearer <token>' "
                            "(made by python -m archive tokens add NAME)", challenge)
    status, name = archive.token_status(token.strip())
    if status == "revoked":
        raise HTTPException(403, f"the token of {name!r} was revoked")
    if status != "ok":
        raise HTTPException(401, "that token is not one this archive issued", challenge)
    return name


def ingest_request(body: object, settings: Settings) -> tuple[str, list[dict] | None]:
    """What a posted ingest asks for: (a URL, None) for ``{"url": ...}``, (the feed's file, the records) for
    ``{"records": [...], "feed": ...}`` or a list of records; a 400 naming what is wrong otherwise."""
    if isinstance(body, dict) and "url" in body:
        url = body["url"]
        if not isinstance(url, str) or not re.match(r"^https?://\S+$", url):
            raise HTTPException(400, f"url must be an http(s) URL, got {url!r}")
        return url, None
    records, feed = (body, "api") if isinstance(body, list) else (
        (body.get("records"), body.get("feed", "api")) if isinstance(body, dict) else (None, None))
    if not isinstance(records, list) or not records:
        raise HTTPException(400, 'post {"url": "https://..."}, {"records": [{"title", "text", ...}], "feed": NAME} '
                            "or a list of records")
    if not isinstance(feed, str) or not FEED.match(feed):
        raise HTTPException(400, f"feed is 1-64 letters, digits, '-' or '_', got {feed!r}")
    if len(records) > MAX_RECORDS:
        raise HTTPException(413, f"at most {MAX_RECORDS} records a request, got {len(records)}")
    for n, record in enumerate(records):
        if not isinstance(record, dict) or not isinstance(record.get("text"), str) or not record["text"].strip():
            raise HTTPException(400, f"record {n} needs a non-empty 'text' string")
    return str(settings.dir / "uploads" / "api" / f"{feed}.jsonl"), records


def ingest(archive: Archive, path: str, records: list[dict] | None) -> IngestReport:
    """Ingest what was posted (in a worker thread); a URL reaches public addresses only unless allowed."""
    from filelock import FileLock

    from ingest.readers.addresses import public_addresses_only

    if records is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with FileLock(f"{path}.lock"):
            Path(path).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
            return archive.ingest([path])
    if archive.settings.allow_private_urls:
        return archive.ingest([path])
    with public_addresses_only():
        return archive.ingest([path])
