"""API tokens in the record: ``archive-tokens``, one row per token, keyed by the token's SHA-256 only.

A token is 32 random bytes, shown once when it is made; the record keeps its hash, its name and
whether it was revoked (kept, so that a revoked token is told apart from one never issued). The
tokens are long and random, so one fast hash is enough (a slow password hash guards guessable secrets).
Every host of a shared server sees the same tokens.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from datetime import UTC, datetime

from archive.errors import NotFoundError, QueryError
from archive.storage.chroma import Collection

COLLECTION = "archive-tokens"
PREFIX = "arc_"
_NAME = re.compile(r"^[\w.@-]{1,64}$")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Tokens:
    """Make, list, revoke and check write tokens."""

    def __init__(self, collection: Collection):
        self._col = collection

    def add(self, name: str) -> str:
        """A new token for ``name`` (returned once; only its hash is stored)."""
        if not _NAME.match(name or ""):
            raise QueryError(f"a token name is 1-64 letters, digits, '.', '@', '-' or '_', got {name!r}")
        if any(t["name"] == name and not t["revoked"] for t in self.list()):
            raise QueryError(f"a token named {name!r} exists already; revoke it first")
        token = PREFIX + secrets.token_urlsafe(32)
        self._col.put([digest(token)], [[1.0]], [{"name": name, "created_ns": time.time_ns(), "revoked": False}],
                      None, 1)
        return token

    def list(self) -> list[dict]:
        """Every token's name, when it was made and whether it was revoked (never the token)."""
        res = self._col.get(include=["metadatas"])
        rows = [{"name": m["name"], "created_at": _iso(int(m["created_ns"])), "revoked": bool(m["revoked"])}
                for m in res["metadatas"]]
        return sorted(rows, key=lambda r: (r["name"], r["created_at"]))

    def revoke(self, name: str) -> int:
        """Revoke every live token of that name; returns how many."""
        res = self._col.get(where={"name": name}, include=["metadatas"])
        live = [(i, m) for i, m in zip(res["ids"], res["metadatas"]) if not m["revoked"]]
        if not live:
            raise NotFoundError(f"no live token is named {name!r}")
        self._col.update(ids=[i for i, _ in live], metadatas=[dict(m, revoked=True) for _, m in live])
        return len(live)

    def check(self, token: str) -> tuple[str, str]:
        """('ok', name), ('revoked', name) or ('unknown', '') for a presented token."""
        if not token.startswith(PREFIX) or len(token) > 200:
            return "unknown", ""
        res = self._col.get(ids=[digest(token)], include=["metadatas"])
        if not res["ids"]:
            return "unknown", ""
        meta = res["metadatas"][0]
        return ("revoked" if meta["revoked"] else "ok"), str(meta["name"])


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat(timespec="seconds")
