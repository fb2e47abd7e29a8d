"""Folding: the forms in which text is compared, all in one place.

- ``skeleton``: as a reader sees it (invisible and bidi marks dropped, look-alike letters of other scripts and
  accents folded); the base of the instruction check, look-up and the answer's focus.
- ``skeleton_map``: the same, lower-cased, with each folded character's index in the original.
- ``folded``: lower case without diacritics, the form the keyword index stores and matches.
- ``folded_map``: look-up's form (the skeleton with straight quotes and dashes), mapped back to the original.
- ``name_form``: a name as entity filters compare it (case, quotes and spacing folded).
- ``reader_form``: the skeleton with letter-spaced and dot-split words joined, where the instruction check looks.
- ``normalize``: case, quotes, dashes and spaces folded, for verbatim comparisons of quotes.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Invisible characters that split words without showing: zero-width, bidi controls, soft hyphen, BOM.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


# Letters of other scripts drawn like Latin ones (the usual skeleton of a confusable word).
_CONFUSABLES = str.maketrans(
    "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧαεικνορτυχАВЕКМНОРСТХаеорсухіјѕӏІЈЅ",
    "ABEZHIKMNOPTYXaeiknoptuxABEKMHOPCTXaeopcyxijslIJS",
)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=4096)
def _skeleton_char(c: str) -> str:
    """One character as a reader sees it: compatibility form, accents and look-alike scripts taken off."""
    if _INVISIBLE.match(c):
        return ""
    decomposed = unicodedata.normalize("NFKD", c)
    return "".join(d for d in decomposed if not unicodedata.combining(d)).translate(_CONFUSABLES)


def skeleton(text: str) -> str:
    """``text`` with invisible and bidi marks dropped, compatibility forms (full-width, mathematical letters)
    and look-alike letters of other scripts mapped to Latin, and accents and other combining marks removed:
    "Rott<U+200E>nest" and "<Greek Iota>gnore" read "Rottnest" and "Ignore". Used wherever text is compared as a
    reader would compare it: the instruction check, look-up, the answer's focus."""
    if text.isascii():
        return text
    return _NON_ASCII.sub(lambda m: _skeleton_char(m.group(0)), text)


def skeleton_map(text: str) -> tuple[str, list[int]]:
    """``skeleton(text)`` lower-cased, and for each of its characters the index in ``text`` it came from
    (so a match in the folded text maps back to the exact characters of the original)."""
    out: list[str] = []
    where: list[int] = []
    for i, c in enumerate(text):
        for d in _skeleton_char(c).lower() if not c.isascii() else c.lower():
            out.append(d)
            where.append(i)
    return "".join(out), where


def folded(text: str) -> str:
    """Lower case without diacritics, as the keyword index compares words."""
    text = unicodedata.normalize("NFKD", text.lower())
    return text if text.isascii() else "".join(c for c in text if not unicodedata.combining(c))


_QUOTES_DASHES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def folded_map(text: str) -> tuple[str, list[int]]:
    """``text`` as look-up compares it, and where each folded character came from: lower case, straight
    quotes and dashes, and the skeleton the instruction check reads (archive/answers/prompts.py: invisible and bidi
    marks dropped, look-alike letters and accents folded), so "Rottnest" finds "Rott\u200enest" and the
    span still covers the article's own characters."""
    folded, where = skeleton_map(text.translate(_QUOTES_DASHES))
    return folded, where


def normalize(text: str) -> str:
    """Case, quote, dash and space folding for verbatim comparisons."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"}))
    return re.sub(r"\s+", " ", text).strip()


_SPACED = re.compile(r"\b(?:[A-Za-z][ .\-_]){3,}[A-Za-z]\b")


# Punctuation standing between two words where a space would ("IGNORE//PREVIOUS//INSTRUCTIONS",
# "ignore.previous.instructions"): read as a space. Between digits (1.5, 24/7) it stays.
_SPLIT = re.compile(r"(?<=[A-Za-z])\s*(?:[./|\\_~*+=#]{1,3}|[-–—]{2,})\s*(?=[A-Za-z])")


def reader_form(text: str) -> str:
    """``text`` as a reader sees it, for spotting disguised instructions: its ``skeleton``, letter-spaced
    words ("d i s r e g a r d") joined, and words split by dots or slashes ("ignore.previous.instructions")
    spaced, runs of spaces made one."""
    text = skeleton(text)
    text = _SPACED.sub(lambda m: re.sub(r"[ .\-_]", "", m.group(0)), text)
    text = _SPLIT.sub(" ", text)
    return re.sub(r"[ \t]+", " ", text)


def name_form(name: str) -> str:
    """The form entity filters compare: case, quotes and spacing folded."""
    return re.sub(r"\s+", " ", name.replace("’", "'")).strip().lower()
