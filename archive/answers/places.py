"""A small gazetteer of places (archive/answers/data/places.json): countries with their capitals, adjectives and
regions, and the states of a few federations.

A quiz asks by kind where news names the thing: "Which European capital opened a metro line?" is answered by
"Copenhagen opened ...", which says neither "European" nor "capital". The small language model marks Copenhagen
as a place; that it is a capital, and in Europe, is general knowledge, kept here as data rather than code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "places.json"
COUNTRY, CAPITAL, CITY, STATE = "country", "capital", "city", "state"
# The type words a question asks a place by, and the kinds of place each is answered with
TYPE_WORDS = {**dict.fromkeys(("country", "countries", "nation", "nations"), (COUNTRY,)),
              **dict.fromkeys(("capital", "capitals"), (CAPITAL,)),
              **dict.fromkeys(("state", "states", "province", "provinces"), (STATE,)),
              **dict.fromkeys(("city", "cities"), (CAPITAL, CITY))}


@dataclass
class Gazetteer:
    """Places by name: their kinds and the regions they lie in (a country counts as a region of its own)."""

    kinds: dict[str, set[str]] = field(default_factory=dict)
    regions: dict[str, set[str]] = field(default_factory=dict)  # a place's regions
    qualifiers: dict[str, str] = field(default_factory=dict)  # "European" -> "europe", "Danish" -> "country:Denmark"
    pattern: re.Pattern[str] | None = None

    def add(self, name: str, kind: str, regions: set[str]) -> None:
        self.kinds.setdefault(name, set()).add(kind)
        self.regions.setdefault(name, set()).update(regions)

    def kind(self, name: str) -> set[str]:
        """The kinds of place ``name`` is (country, capital, state), or an empty set."""
        return self.kinds.get(_clean(name), set())

    def places_in(self, text: str) -> list[str]:
        """The places ``text`` names, in order."""
        return [m.group(0) for m in self.pattern.finditer(text)] if self.pattern else []

    def in_region(self, qualifier: str, place: str) -> bool:
        """Whether ``place`` lies in the region (or country) the adjective ``qualifier`` names."""
        region = self.qualifiers.get(_clean(qualifier))
        return bool(region) and region in self.regions.get(_clean(place), set())

    def is_qualifier(self, word: str) -> bool:
        """Whether ``word`` names a region or a country ("European", "Scandinavian", "Danish", "Denmark")."""
        return _clean(word) in self.qualifiers


def _clean(name: str) -> str:
    return re.sub(r"^the\s+|[’']s$", "", " ".join(name.split()), flags=re.IGNORECASE)


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The gazetteer, read once."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    book = Gazetteer()
    for key, words in data["regions"].items():
        for word in words:
            book.qualifiers[word] = key
    inside_of: dict[str, set[str]] = {}
    for name, capital, adjectives, regions, aliases, cities in data["countries"]:
        inside = inside_of[name] = set(regions.split()) | {f"country:{name}"}
        for word in (name, *adjectives, *aliases):
            book.qualifiers.setdefault(word, f"country:{name}")
        for country in (name, *aliases):
            book.add(country, COUNTRY, inside)
        book.add(capital, CAPITAL, inside)
        for city in cities:
            book.add(city, CITY, inside)
    for country, states in data["states"].items():
        for state in states:
            book.add(state, STATE, inside_of.get(country, set()))
    names = sorted(book.kinds, key=len, reverse=True)
    book.pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w-])")
    return book
