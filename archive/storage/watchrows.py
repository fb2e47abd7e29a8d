"""Watches in the record: one small Chroma collection, ``<index>-watches``, beside the change feed it follows.

Each watch is three rows, so that the three things that change it never write over each other:
``def:<name>`` (the query, its filters, when it was made: written once, by ``add``), ``state:<name>``
(its matches and how far along the change feed they were found: written by evaluation) and
``seen:<name>`` (when its user last looked: written by "mark seen"). Times are nanoseconds since the
epoch, as the change feed's sequence numbers are, so a match's time and a seen time compare exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from archive.storage.chroma import Collection

_DUMMY = [1.0]  # the rows are looked up by id, never by vector; Chroma wants one all the same


@dataclass
class WatchRow:
    """A watch as stored: its definition, its evaluation state and when it was last seen."""

    name: str
    query: str
    filters: dict[str, Any]
    created_ns: int
    seen_ns: int
    feed_seq: int  # the change feed was read up to here
    applied: list[str] = field(default_factory=list)  # feed entries within the re-read margin already applied
    matches: dict[str, dict[str, Any]] = field(default_factory=dict)  # article id -> its match (matched_ns, title…)


class WatchRows:
    """Reads and writes watch rows; every value is a plain JSON-able type."""

    def __init__(self, collection: Collection):
        self._col = collection

    def all(self) -> dict[str, WatchRow]:
        """Every watch by name (a watch whose definition is gone is gone)."""
        res = self._col.get(include=["metadatas", "documents"])
        rows: dict[str, dict[str, tuple[dict, str]]] = {}
        for rid, meta, doc in zip(res["ids"], res["metadatas"], res["documents"] or [""] * len(res["ids"])):
            kind, _, name = rid.partition(":")
            rows.setdefault(name, {})[kind] = (meta or {}, doc or "")
        return {name: _row(name, parts) for name, parts in sorted(rows.items()) if "def" in parts}

    def put_definition(self, row: WatchRow) -> None:
        meta = {"query": row.query, "filters": json.dumps(row.filters, sort_keys=True), "created_ns": row.created_ns}
        self._col.put([f"def:{row.name}"], [_DUMMY], [meta], [""], 1)
        self.put_seen(row.name, row.seen_ns)
        self.put_state(row)

    def put_state(self, row: WatchRow) -> None:
        doc = json.dumps({"applied": row.applied, "matches": row.matches}, ensure_ascii=False)
        self._col.put([f"state:{row.name}"], [_DUMMY], [{"feed_seq": row.feed_seq}], [doc], 1)

    def put_seen(self, name: str, seen_ns: int) -> None:
        self._col.put([f"seen:{name}"], [_DUMMY], [{"seen_ns": seen_ns}], [""], 1)

    def remove(self, name: str) -> None:
        self._col.delete(ids=[f"def:{name}", f"state:{name}", f"seen:{name}"])


def _row(name: str, parts: dict[str, tuple[dict, str]]) -> WatchRow:
    meta = parts["def"][0]
    state_meta, state_doc = parts.get("state", ({}, ""))
    state = json.loads(state_doc) if state_doc else {}
    created = int(meta.get("created_ns", 0))
    return WatchRow(name=name, query=str(meta.get("query", "")), filters=json.loads(meta.get("filters") or "{}"),
                    created_ns=created, seen_ns=int(parts.get("seen", ({"seen_ns": created}, ""))[0]["seen_ns"]),
                    feed_seq=int(state_meta.get("feed_seq", created)), applied=list(state.get("applied", [])),
                    matches=dict(state.get("matches", {})))
