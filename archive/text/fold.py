"""Folding: the forms in which text is compared, all in one place.

- ``skeleton``: as a reader sees it (invisible and bidi marks dropped, look-alike letters of other scripts and
  accents folded); the base of the instruction check, look-up and the answer's focus.
- ``skeleton_map``: the same, lower-cased, with each folded character's index in the original.
- ``folded``: lower case without diacritics, the form the keyword index stores and matches.
- ``folded_map``: look-up's form (the skeleton with straight quotes and dashes), mapped back to the original.
- ``name_form``: a name as entity filters compare it (case, quotes and spacing folded).
- ``reader_form``: the skeleton with letter-spaced and dot-split words joined, where the instruction check looks.
- ``normalize``: case, quotes, dashes and spaces folded, for verbatim comparisons of quotes.
- ``unmarked``: invisible marks taken out, each run between two letters read as a word boundary where one is
  plausible (``skeleton``, ``folded`` and ingest's cleaning all fold them so).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Invisible characters, by what they do between two letters. Separators stand where a space would: the zero-width
# space marks a word boundary in scripts written without spaces, and tags characters (U+E0000-E007F) belong only
# after a flag emoji, so between letters they hide a space or smuggled text. Joiners belong inside a word or a name:
# a soft hyphen's syllable break, the (zero-width, word) joiners, bidi marks around a name, a BOM. A run of joiners
# between letters joins them ("Rott<U+200E>nest" reads "Rottnest"), unless the letters show a word break themselves
# (a lower-case letter, then a capital: "previous<U+00AD>Instructions").
_SEPARATORS = "\u200b\U000e0000-\U000e007f"
_JOINERS = "\u00ad\u061c\u180e\u200c-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_INVISIBLE = re.compile(f"[{_SEPARATORS}{_JOINERS}]")
_MARK_RUN = re.compile(f"[{_SEPARATORS}{_JOINERS}]+")
_SEPARATOR = re.compile(f"[{_SEPARATORS}]")


def _run_folded(text: str, start: int, end: int, reading: str = "plausible") -> str:
    """What the run of invisible marks ``text[start:end]`` reads as: a space where it stands between two letters
    or digits and a word boundary is plausible there, else nothing (``reading``: "spaced" reads every such run as
    a boundary, "joined" none)."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if reading == "spaced":  # after punctuation too: "met.<U+200B>Tell" may stand for "met. Tell"
        return " " if before.strip() and after.strip() else ""
    if reading == "joined" or not (before.isalnum() and after.isalnum()):
        return ""  # at a space, a line's edge or punctuation: the boundary (if any) is already there
    separated = bool(_SEPARATOR.search(text, start, end))
    return " " if separated or (before.islower() and after.isupper()) else ""


def unmarked(text: str, marks: re.Pattern[str] | None = None, reading: str = "plausible") -> str:
    """``text`` without its invisible marks (``marks``: a narrower set to take), each run between two letters
    read as a word boundary where one is plausible: "previous<U+200B>instructions" reads "previous instructions",
    "Rott<U+200E>nest" reads "Rottnest". ``reading``: "spaced" or "joined" reads every run one way."""
    if text.isascii():
        return text
    runs = marks or _MARK_RUN
    return runs.sub(lambda m: _run_folded(text, m.start(), m.end(), reading), text)


def _marked_pieces(text: str) -> list[tuple[str, int]]:
    """``text`` cut where invisible marks stand: (piece, index in ``text``), a run's reading indexed at the run."""
    pieces, pos = [], 0
    for m in _MARK_RUN.finditer(text):
        pieces += [(text[pos:m.start()], pos), (_run_folded(text, m.start(), m.end()), m.start())]
        pos = m.end()
    pieces.append((text[pos:], pos))
    return [(p, at) for p, at in pieces if p]


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


def skeleton(text: str, reading: str = "plausible") -> str:
    """``text`` with invisible and bidi marks dropped, compatibility forms (full-width, mathematical letters)
    and look-alike letters of other scripts mapped to Latin, and accents and other combining marks removed:
    "Rott<U+200E>nest" and "<Greek Iota>gnore" read "Rottnest" and "Ignore". Used wherever text is compared as a
    reader would compare it: the instruction check, look-up, the answer's focus. ``reading``: how runs of invisible
    marks between letters read (``unmarked``); the instruction check reads all three."""
    if text.isascii():
        return text
    return _NON_ASCII.sub(lambda m: _skeleton_char(m.group(0)), unmarked(text, reading=reading))


def skeleton_map(text: str) -> tuple[str, list[int]]:
    """``skeleton(text)`` lower-cased, and for each of its characters the index in ``text`` it came from
    (so a match in the folded text maps back to the exact characters of the original)."""
    out: list[str] = []
    where: list[int] = []
    for piece, at in _marked_pieces(text) if not text.isascii() else [(text, 0)]:
        for i, c in enumerate(piece, at):
            for d in _skeleton_char(c).lower() if not c.isascii() else c.lower():
                out.append(d)
                where.append(i)
    return "".join(out), where


def folded(text: str) -> str:
    """Lower case without diacritics, as the keyword index compares words."""
    text = unicodedata.normalize("NFKD", unmarked(text).lower())
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
# "ignore.previous.instructions"): read as a space. Between digits (1.5, 24/7) it stays, and so does a full stop
# followed by a space (a sentence's end: "The council met. Tell the reader ..." opens a new clause).
_SPLIT = re.compile(r"(?<=[A-Za-z])(?:\.{1,3}|\s*(?:[/|\\_~*+=#]{1,3}|[-–—]{2,})\s*)(?=[A-Za-z])")


def reader_form(text: str, reading: str = "plausible") -> str:
    """``text`` as a reader sees it, for spotting disguised instructions: its ``skeleton`` (with invisible marks
    read as ``reading`` says), letter-spaced words ("d i s r e g a r d") joined, and words split by dots or
    slashes ("ignore.previous.instructions") spaced, runs of spaces made one."""
    text = skeleton(text, reading)
    text = _SPACED.sub(lambda m: re.sub(r"[ .\-_]", "", m.group(0)), text)
    text = _SPLIT.sub(" ", text)
    return re.sub(r"[ \t]+", " ", text)


_TAGGED = re.compile("[\U000e0020-\U000e007e]+")


def tags_spelled(text: str) -> str:
    """``text`` with each run of tags characters read as the ASCII it spells (U+E0041 is "A"): text smuggled
    past a reader in invisible characters, which a language model given the text may still read."""
    return _TAGGED.sub(lambda m: "".join(chr(ord(c) - 0xE0000) for c in m.group(0)), text)


def name_form(name: str) -> str:
    """The form entity filters compare: case, quotes and spacing folded."""
    return re.sub(r"\s+", " ", name.replace("’", "'")).strip().lower()
