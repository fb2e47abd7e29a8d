"""Words: the one word pattern, stopwords, and the two stemmings the archive compares words by.

- ``prefix_stems`` / ``content_stems``: a word's first ``STEM`` letters ("soldiers" meets "soldier", "losses"
  meets "lose"). Crude and language-blind, and that is the point: highlights, verification and answer
  scoring compare a question's words with a sentence's, where a false match costs little and a miss costs
  an answer.
- ``Tokenizer``: Snowball English stems of folded words, the in-memory BM25 index's terms (the SQLite
  keyword index uses FTS5's own porter stemmer on the same words).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

from archive.text.fold import folded

# A word: letters and digits (an underscore splits words, as FTS5's unicode61 tokenizer splits them).
WORD = re.compile(r"[^\W_]+", re.UNICODE)
# A word with the apostrophes and hyphens inside it ("Biden’s", "well-known"), as answer phrases are cut.
MARKED_WORD = re.compile(r"[\w’'-]+")
STEM = 5  # words compare by their first letters: "soldiers" meets "soldier", "losses" meets "lose"


# Words too common in questions to be evidence (kept when quoted as part of a phrase).
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having
    he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
    nor not now of off on once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too under until up very
    was we were what when where which while who whom why will with would you your yours yourself yourselves
    said says according recently week many much""".split()
)


class Tokenizer:
    """Words folded (case, diacritics) and stemmed (Snowball English), stopwords dropped from postings."""

    def __init__(self) -> None:
        import Stemmer

        self._stemmer = Stemmer.Stemmer("english")
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def words(self, text: str) -> list[str]:
        """Folded words of ``text`` in order, stopwords included (they count towards length)."""
        return WORD.findall(folded(text))

    def terms(self, words: Sequence[str]) -> list[str]:
        """The index terms of ``words``: stopwords dropped, the rest stemmed."""
        cache = self._cache
        todo = [w for w in set(words) if w not in cache and w not in STOPWORDS]
        if todo:
            with self._lock:
                cache.update(zip(todo, self._stemmer.stemWords(todo)))
        return [cache[w] for w in words if w not in STOPWORDS]


_NUMBER = re.compile(r"\d[\d,.]*\d|\d")


_SCAFFOLD = frozenset({"according", "said", "says", "reported", "report", "article", "source", "sources"})


def prefix_stems(text: str) -> set[str]:
    """The word stems of ``text`` (each word's first letters), for counting shared words."""
    return {w[:STEM] for w in WORD.findall(text.lower())}


def content_stems(text: str) -> set[str]:
    """The stems of ``text``'s content words: stopwords, reporting scaffold ("said", "according") and bare
    numbers left out."""
    words = (w.lower() for w in WORD.findall(text))
    return {w[:STEM] for w in words if w not in STOPWORDS and w not in _SCAFFOLD and not w.isdigit()}


def numbers(text: str) -> set[str]:
    """The numbers ``text`` writes, thousands commas and a trailing dot dropped ("25,000." is "25000")."""
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}
