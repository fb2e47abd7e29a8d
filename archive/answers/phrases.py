"""The candidate phrases of one sentence: spaCy's entities and noun chunks (with the grammar the direct answer
ranks by), and what regexes find without the model: numbers with their units, dates, colours, quotations,
``as``/``called`` phrases and capitalised runs. Which of them answers a question is archive/answers/shortanswer.py's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from archive.answers.asking import MODEL

_AS_PHRASE = re.compile(r"\b(?:as|called|calling|dubbed|branded)\s+(?P<p>(?:an?\s+|the\s+)?[\w’'-]+(?:\s+(?:and\s+)?[\w’'-]+){0,5})")

# A number with its currency, scale and per cent sign: "$19 million", "€500 billion", "2.9 million", "50%".
_NUMBER = re.compile(
    r"(?:(?:US|C|A)?[$€£¥]\s?)?\d[\d,.]*\d(?:\s?(?:%|per\s?cent|percent))?|(?:(?:US|C|A)?[$€£¥]\s?)?\d(?:\s?%)?"
    r"(?:\s+(?:thousand|million|billion|trillion|bn|m)\b)?",
    re.IGNORECASE)
_NUMBER_WORDS = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|dozens|hundreds?|thousands|millions|"
    r"billions|half|a\s+third|two-thirds|three-quarters|a\s+quarter)\b", re.IGNORECASE)
MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
         r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DATE = re.compile(
    rf"\b{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH}(?:\s+\d{{4}})?\b"
    rf"|\b{MONTH}\s+\d{{4}}\b|\b(?:in|by|since|until|from|of)\s+{MONTH}\b|\b(?:1[89]|20)\d\d\b"
    r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", re.UNICODE)
# A colour as prose writes it, in lower case ("the White House" is a name): "green", "dark blue", "clear".
_COLOUR = re.compile(r"\b(?:(?:dark|light|bright|pale|deep|royal|neon)[\s-]+)?(?:red|orange|yellow|green|blue|purple|"
                     r"violet|pink|brown|black|white|gr[ae]y|silver|gold(?:en)?|beige|turquoise|teal|navy|maroon|"
                     r"crimson|scarlet|cyan|magenta|ivory|cream|bronze|clear|transparent)\b")
_QUOTED = re.compile(r"[“\"‘]([^“”\"‘’]{2,80}?)[”\"’](?!\w)|(?<!\w)'([^']{2,80}?)'(?!\w)")
_NAME_RUN = re.compile(r"\b[A-Z][\w’'.-]*(?:\s+(?:of|de|van|von|al|and|the|for|&)?\s*[A-Z][\w’'.-]*)*")
PRONOUNS = frozenset("he she it they we i you him her them us this that these those who which what there".split())
_SKIP_NAMES = frozenset("the a an in on at but and as when after before if while this that these those it its he she "
                        "they we i you his her their our".split())


@dataclass(frozen=True)
class Phrase:
    """A candidate answer phrase: its text and where it is in the sentence."""

    text: str
    start: int
    end: int
    kind: str
    label: str = ""  # spaCy's entity label, "quote", "chunk" or "regex": how it was found
    sentence: str = ""  # the sentence it was found in
    subject: bool = False  # the grammatical subject of its clause (the doer): "Argentina" in "Argentina won"
    governor: str = ""  # the word it hangs on, through a preposition: "dock" for "at the northern pier"
    via: str = ""  # that preposition ("at"); "" when it hangs on the word directly (a subject or an object)
    modifier: bool = False  # it qualifies another noun ("NATO" in "NATO Secretary General Mark Rutte")


def spacy_phrases(sentence: str) -> list[Phrase]:
    return list(_parsed(sentence)) if MODEL.get() is not None else []


@lru_cache(maxsize=512)
def _parsed(sentence: str) -> tuple[Phrase, ...]:
    """Entities and noun chunks of one sentence (cached: the gate and the direct answer read the same one)."""
    doc = MODEL.get()(sentence)
    out = [Phrase(e.text, e.start_char, e.end_char, "", e.label_, subject=e.root.dep_ in ("nsubj", "nsubjpass"),
                  modifier=e.root.dep_ in ("compound", "amod", "poss"))
           for e in doc.ents]
    out += [Phrase(c.text, c.start_char, c.end_char, "", "chunk", subject=c.root.dep_ in ("nsubj", "nsubjpass"),
                   governor=_governor(c.root), via=c.root.head.lower_ if c.root.dep_ == "pobj" else "")
            for c in doc.noun_chunks]
    return tuple(out)


def _governor(root) -> str:
    """The word a noun phrase's root hangs on: its verb for a subject or object, the preposition's head for
    the object of one ("dock" in "dock at the northern pier"); lower case."""
    head = root.head
    if root.dep_ == "pobj" and head.dep_ == "prep":
        head = head.head
    return head.lower_ if head is not root else ""


def regex_phrases(sentence: str) -> list[Phrase]:
    out = [Phrase(m.group(0), m.start(), m.end(), "", "number") for m in _NUMBER.finditer(sentence)]
    out += [Phrase(m.group(0), m.start(), m.end(), "", "number") for m in _NUMBER_WORDS.finditer(sentence)]
    out += [Phrase(m.group(0), m.start(), m.end(), "", "date") for m in _DATE.finditer(sentence)]
    out += [Phrase(m.group(0), m.start(), m.end(), "", "colour") for m in _COLOUR.finditer(sentence)]
    out += [Phrase(m.group("p"), m.start("p"), m.end("p"), "", "as") for m in _AS_PHRASE.finditer(sentence)]
    for m in _QUOTED.finditer(sentence):
        group = 1 if m.group(1) is not None else 2
        out.append(Phrase(m.group(group), m.start(group), m.end(group), "", "quote"))
    for m in _NAME_RUN.finditer(sentence):
        words = m.group(0).split()
        while words and words[0].lower() in _SKIP_NAMES:
            words = words[1:]
        words[-1:] = [w.rstrip(".") for w in words[-1:]]  # a full stop ends the sentence, not the name
        if words and re.sub(r"[’']\w*$", "", words[0]).lower() in PRONOUNS:
            continue  # "She's", "It's": a pronoun, not a name
        if words and _DATE.fullmatch(" ".join(words)):
            continue  # "September" is a date, not a name
        opening = not sentence[:m.start()].strip(" \"'“‘(–—-•*")  # past an opening quotation mark or bullet
        if words and not (opening and len(words) == 1):  # one capitalised word opening a sentence is no name
            text = " ".join(words)
            start = sentence.index(text, m.start()) if text in sentence[m.start():] else m.start()
            out.append(Phrase(text, start, start + len(text), "", "capitalised"))
    return out
