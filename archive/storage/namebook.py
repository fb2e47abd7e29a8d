"""The archive's names as one book: every stored spelling and kind of a name mapped to one entry.

Each article's names are cleaned where they are found (``archive/text/names.py``), but one article cannot
know what the archive knows: that "Rutte", named alone in one article, is the Mark Rutte fifty others
name in full; that "US" in one and "United States" in another are one place; that the "Pfizer" the
tagger takes for a person in 44 articles is the organisation of the others, as no article names a
person of that surname. The book is built at read time from the stored (kind, name, articles) counts,
so every new article can correct the old ones without naming them again, and it serves both the
facets (counts per entry) and the entity filter (a name matches every stored variant of its entry).

Rules, in order: the kind of a name is the one most of its articles give it, where a one-word "person"
that no full name in the archive supports gives way to any other kind it has; middle names join the
common form ("Vladimir Vladimirovich Putin": "Vladimir Putin"); a lone surname joins the full name
most articles use for it (when it holds two thirds of them); a cut-off multi-word name ("Mark Ru")
joins the longer one it begins; an acronym joins the organisation or place whose initials it is. An
entry is shown with its most used spelling.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from archive.text.fold import name_form
from archive.text.names import (
    fragment_of,
    full_name_for,
    initials,
    is_acronym,
    name_key,
)

Row = tuple[str, str, int]  # (kind, stored name, articles naming it so)


@dataclass(frozen=True)
class Entry:
    """One name as facets show it, with every stored spelling (folded) that counts as it."""

    kind: str
    name: str
    variants: frozenset[str]


class NameBook:
    """Stored names to entries; built from the whole archive's (kind, name, articles) rows."""

    def __init__(self, rows: Iterable[Row]):
        self._groups = _Groups(rows)
        self.entries = self._groups.entries()
        self._by_variant = {v: e for e in self.entries for v in e.variants}

    def entry(self, stored_name: str) -> Entry | None:
        """The entry a stored spelling belongs to (None: it was left out, e.g. as no kind)."""
        return self._by_variant.get(name_form(stored_name))

    def variants_of(self, name: str) -> set[str]:
        """Stored spellings (folded) a filter on ``name`` matches: its entry's, and those of the entries it
        names or ends ("rutte" matches Mark Rutte and all its spellings)."""
        wanted = name_form(name)
        key = name_key(name)
        out = {wanted}
        for e in self.entries:
            shown = name_form(e.name)
            if shown == wanted or shown.endswith(" " + wanted) or any(name_key(v) == key for v in e.variants):
                out |= e.variants
        return out


class _Groups:
    """Union of name keys into entries, with their kinds and article counts."""

    def __init__(self, rows: Iterable[Row]):
        self.kind_votes: dict[str, Counter] = defaultdict(Counter)
        self.spellings: dict[str, Counter] = defaultdict(Counter)
        for kind, name, n in rows:
            self.kind_votes[name_key(name)][kind] += n
            self.spellings[name_key(name)][name] += n
        self.parent = {k: k for k in self.kind_votes}
        surnames: Counter[str] = Counter()
        for k, votes in self.kind_votes.items():
            if " " in k and votes.get("person"):
                surnames[k.rsplit(" ", 1)[1]] = max(surnames[k.rsplit(" ", 1)[1]], votes["person"])
        self.kinds = {k: self._kind(k, surnames) for k in self.kind_votes}
        self._join_people()
        self._join_fragments()
        self._join_acronyms()

    def weight(self, key: str) -> int:
        return sum(self.kind_votes[key].values())

    def _kind(self, key: str, surnames: dict[str, int]) -> str:
        """Most articles' kind; a surname of full names counts their articles as person votes, and a
        one-word person no full name supports (or an acronym) gives way to any other kind it has."""
        votes = Counter(self.kind_votes[key])
        if key in surnames and "person" in votes:
            votes["person"] += surnames[key]
        elif (" " not in key or is_acronym(self._spelling(key))) and len(votes) > 1:
            votes.pop("person", None)
        return max(votes, key=lambda k: (votes[k], k))

    def _spelling(self, key: str) -> str:
        """Most articles' spelling; a long name in capitals ("WASHINGTON —", a dateline) only without another."""
        counts = self.spellings[key]
        return max(counts, key=lambda s: (not (s.isupper() and len(key) > 5), counts[s], len(s), s))

    def _join(self, key: str, into: str) -> None:
        self.parent[key] = self.root(into)

    def root(self, key: str) -> str:
        while self.parent[key] != key:
            key = self.parent[key]
        return key

    def _join_people(self) -> None:
        people = sorted((k for k, kind in self.kinds.items() if kind == "person" and " " in k),
                        key=lambda k: (-self.weight(k), len(k)))
        common: dict[tuple[str, str], str] = {}
        for key in people:
            words = key.split(" ")
            first = common.setdefault((words[0], words[-1]), key)  # same first and last word: one person
            if first != key:
                self._join(key, first)
        full_names = [k for k in people if self.root(k) == k]
        by_last = defaultdict(list)
        for k in full_names:
            by_last[k.rsplit(" ", 1)[1]].append(k)
        for key in [k for k, kind in self.kinds.items() if kind == "person" and " " not in k]:
            full = full_name_for(key, by_last.get(key, ()), self.weight)
            if full:
                self._join(key, full)

    def _join_fragments(self) -> None:
        multi = defaultdict(list)
        for k, kind in self.kinds.items():
            if " " in k:
                multi[(kind, k.split(" ", 1)[0])].append(k)
        for _, keys in multi.items():
            for key in keys:
                longer = [k for k in fragment_of(key, keys) if self.weight(k) > self.weight(key)]
                if longer:
                    self._join(key, max(longer, key=self.weight))

    def _join_acronyms(self) -> None:
        by_initials = defaultdict(list)
        for k, kind in self.kinds.items():
            if " " in k and kind in ("org", "place") and self.root(k) == k:
                by_initials[(kind, initials(k))].append(k)
        for key, kind in self.kinds.items():
            full = by_initials.get((kind, key), [])
            if " " not in key and is_acronym(self._spelling(key)) and len(full) == 1:
                self._join(key, full[0])

    def entries(self) -> list[Entry]:
        members: dict[str, list[str]] = defaultdict(list)
        for key in self.parent:
            members[self.root(key)].append(key)
        out = []
        for root, keys in members.items():
            shown = max(keys, key=lambda k: (self.weight(k), k == root, k)) if self.kinds[root] != "person" else root
            variants = frozenset(name_form(s) for k in keys for s in self.spellings[k])
            out.append(Entry(self.kinds[root], self._spelling(shown), variants))
        return out


def entity_counts(book: NameBook, rows: Iterable[tuple[str, str]], per_kind: int = 15) -> dict[str, dict[str, int]]:
    """kind -> entry name -> articles naming it, from (article id, folded name) rows: most named first, ties
    by name, the ``per_kind`` first of each kind."""
    naming: dict[Entry, set[str]] = defaultdict(set)
    for article_id, folded in rows:
        entry = book.entry(folded)
        if entry is not None:
            naming[entry].add(article_id)
    ranked = sorted(naming.items(), key=lambda kv: (-len(kv[1]), kv[0].name.lower(), kv[0].name))
    out: dict[str, dict[str, int]] = {}
    for entry, ids in ranked:
        names = out.setdefault(entry.kind, {})
        if len(names) < per_kind:
            names[entry.name] = len(ids)
    return out
