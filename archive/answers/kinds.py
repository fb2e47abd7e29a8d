"""What a question's kind words ask of an answering sentence when the sentence does not repeat them (issue 32).

News names the thing a quiz asks for by its kind:

- a region or country adjective ("Which *European* capital ...?") is met by a place of that region in the
  sentence ("Copenhagen"), from the gazetteer (archive/answers/places.py);
- a role ("Which *minister* resigned?") is met by a person of the sentence whom the article gives that role
  at another mention ("Home Office Minister Jane Doe" earlier, "Doe resigned" here; archive/text/speakers.py);
- a number of things ("Which *two* countries ...?") wants a sentence holding that many names of the kind;
- a document ("Which *report* ...?") wants a title: a work the model knows, a law, a capitalised name ending in
  a document word ("the Helsinki Final Act") or a capitalised quotation.
"""

from __future__ import annotations

import re

from archive.answers.phrases import Phrase
from archive.answers.places import TYPE_WORDS, gazetteer
from archive.text.words import content_stems

_COUNTS = {"two": 2, "both": 2, "three": 3, "four": 4, "five": 5, "2": 2, "3": 3, "4": 4, "5": 5}
_ASKED_COUNT = re.compile(r"\b(?:which|what|name\s+the)\s+(two|three|four|five|both|[2-5])\b", re.IGNORECASE)
_LIST_SPLIT = re.compile(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+")
# A capitalised name ending in a document word is a title ("National Security Strategy", "Paris Agreement")
_DOCUMENT_END = re.compile(r"\b(?:Act|Acts|Strategy|Report|Review|Treaty|Accord|Accords|Agreement|Plan|Concept|"
                           r"Doctrine|Charter|Convention|Declaration|Protocol|Bill|Law|Pact|Framework|Manifesto|"
                           r"Constitution|Code|Directive|Regulation|Compact|Statement|Letter|Papers?|Study|Survey|"
                           r"Index|Outlook|Blueprint|Roadmap|Initiative|Guidelines)$")


def asked_count(question: str) -> int:
    """How many things "which two/three ..." asks for (0 when it asks for no number of them)."""
    m = _ASKED_COUNT.search(question)
    return _COUNTS[m.group(1).lower()] if m else 0


def names_held(phrase: Phrase) -> int:
    """How many names a (list-joined) answer phrase holds: "Japan and South Korea" holds two."""
    return len([part for part in _LIST_SPLIT.split(phrase.text) if part.strip()])


def holds_count(phrases: list[Phrase], count: int) -> bool:
    """Whether one of the answer phrases lists ``count`` names (or more), as "which two" asks."""
    return not count or any(names_held(p) >= count for p in phrases)


def qualifier_met(name: str, text: str) -> bool:
    """Whether a region or country adjective of the question ("European", "Scandinavian", "Danish") is met by a
    place ``text`` names in that region or country."""
    book = gazetteer()
    return book.is_qualifier(name) and any(book.in_region(name, place) for place in book.places_in(text))


def role_met(role: str, sentence: str, article: str, names=None) -> bool:
    """Whether a person named in ``sentence`` is one the article gives the role ``role`` (a stem: "minis") at a
    mention of the full name: a title before it or a description set off after it."""
    from archive.text.speakers import in_full, role_of

    for m in re.finditer(r"(?<![\w’'])[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*", sentence):
        name = re.sub(r"^(?:Mr|Mrs|Ms|Dr|Sir|Dame)\.?\s+", "", m.group(0))
        full = name if " " in name else in_full(article, name, names)
        described = role_of(article, full) if full else ""
        if described and role in content_stems(described):
            return True
    return False


def is_title(p: Phrase) -> bool:
    """A document's title: a capitalised name ending in a document word ("the Helsinki Final Act")."""
    text = re.sub(r"^(?:the|a|an)\s+", "", p.text.strip(" \"'“”‘’"), flags=re.IGNORECASE)
    return bool(text[:1].isupper() and _DOCUMENT_END.search(text))


def place_fit(question_head: str, qualifiers: list[str], p: Phrase) -> int:
    """How well a place answers "which <qualifier> <type>": 0 when the gazetteer knows it as that type (a capital
    for "capital") in that region, 1 when only one of the two holds, 2 when neither does (or it is unknown)."""
    book = gazetteer()
    wanted = TYPE_WORDS.get(question_head, ())
    typed = not wanted or bool(book.kind(p.text) & set(wanted))
    placed = not qualifiers or any(book.in_region(q, p.text) for q in qualifiers)
    return (not typed) + (not placed)
