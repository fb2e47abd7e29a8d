"""The direct answer: the phrase of the kind a question asks for (archive/answers/asking.py), verbatim, from a sentence.

A journalist asking "How many soldiers does Russia lose each month?" wants "approximately 20,000
soldier losses monthly" first, then the sentence it comes from. The kind is read from the question's
wording ("how many" asks for a number, "when" for a date, "who" for a person, "which country" for a
place, "which automaker" for an organisation, "which show" for a named thing); the phrase is found in
the sentence's candidate phrases (archive/answers/phrases.py: spaCy's small English model, shipped
offline, see MODELS.md, and regexes for numbers, dates and colours, so that the answer still works
without the model).

A phrase the question already contains is never the answer ("Which automaker recalled 2.9 million
vehicles?" is not answered by "2.9 million vehicles"). Among the phrases left, the one nearest to the
question's words in the sentence wins: news states a fact beside the words that name it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from archive.answers.asking import (
    COLOUR,
    DATE,
    DESCRIPTION,
    HEAD_KIND,
    NAME,
    NUMBER,
    ORG,
    PERSON,
    PHRASE,
    PLACE,
    WHO,
    WHOLE_SENTENCE,
    WORK,
    expected_kind,
    head_noun,
    offered_choices,
    without_choices,
)
from archive.answers.kinds import is_title, place_fit
from archive.answers.phrases import MONTH, PRONOUNS, Phrase, regex_phrases, spacy_phrases
from archive.answers.places import gazetteer
from archive.text.words import MARKED_WORD, content_stems

HEAD_KIND.update(name=NAME, title=NAME)  # "what is the name of ..." asks for a name

_SCALE = re.compile(r"\s+(?:thousand|million|billion|trillion)\b", re.IGNORECASE)
_RATE = re.compile(r"\s*(?:,\s*)?(?:monthly|weekly|yearly|annually|daily|a\s+(?:day|week|month|year)|"
                   r"per\s+(?:day|week|month|year|hour)|each\s+(?:day|week|month|year)|every\s+(?:day|week|month|year))\b",
                   re.IGNORECASE)
_NAMED_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"}
_KIND_LABELS = {PERSON: ("PERSON",), WHO: ("PERSON",), PLACE: ("GPE", "LOC", "FAC"), ORG: ("ORG",), DATE: ("DATE",),
                NUMBER: ("MONEY", "CARDINAL", "QUANTITY", "PERCENT")}
# A dateline or wire credit opening a sentence ("New York (CNN Business) —", "ALBANY –", "(CNN)"): where the
# story was filed and by whom, not what it says.
_DATELINE = re.compile(r"^\s*(?:[A-Z][\w.'’ ,-]{0,40}?\s*)?\((?:CNN|AP|AFP|Reuters|Bloomberg|UPI)[^)]{0,30}\)\s*[-–—:]*\s*"
                       r"|^\s*[A-Z][A-Z .,'’-]{2,40}\s*[-–—:]+\s*")
_QUESTION_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+")  # capitalised, not opening a sentence
_LIST_JOIN = re.compile(r"^\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)$")
_LOCATIVE = re.compile(r"\b(?:in|at|near|outside|inside|across|throughout|from|to|into|on)\s+(?:the\s+)?$",
                       re.IGNORECASE)
_LABEL_ORDER = {WHO: ("PERSON", "ORG", "GPE", "NORP"), WORK: ("quote", "WORK_OF_ART", "PRODUCT", "EVENT")}
MAX_PHRASE_WORDS = 12
# A number of years set off after a name ("Damon Fortner, 58,", "Fortner (58)") or after "aged": an age
_NAME_COMMA = re.compile(r"[A-Z][\w’'.-]*(?:,|\s\()\s*$")
_AGED = re.compile(r"\baged\s+$", re.IGNORECASE)
_ASKS_AGE = re.compile(r"\bhow\s+old\b|\bages?\b|\baged\b")


KindOf = Callable[[str], str | None]  # the kind the archive's name book gives a name, or None

# The name book's kinds as the model's labels; a nationality ("Sri Lankan", NORP) is left as the model read it.
_BOOK_LABELS = {"person": "PERSON", "org": "ORG", "place": "GPE"}
_RELABELLED = ("PERSON", "ORG", "GPE", "LOC", "FAC", "capitalised")


def _as_the_archive_knows(phrases: list[Phrase], kind_of: KindOf) -> list[Phrase]:
    """The sentence's names again, labelled as the name book knows them (its kind is voted over every article
    naming it; the small model reads one sentence: "Sri Lanka is “bankrupt,” ..." gives it PERSON). Both
    labels stand, as the book errs too (a brand taken for a person). A month is never a name ("in May")."""
    dates = [d for d in phrases if _is_date(d)]
    out = []
    for p in phrases:
        if p.label not in _RELABELLED or any(d.start < p.end and p.start < d.end for d in dates):
            continue
        label = _BOOK_LABELS.get(kind_of(p.text) or "")
        if label and label != p.label:
            out.append(replace(p, label=label))
    return out


def _as_the_gazetteer_knows(sentence: str, phrases: list[Phrase]) -> list[Phrase]:
    """The countries, capitals and states of the sentence (archive/answers/places.py) as places, where the small
    model did not mark them so ("Kyiv" read as a person)."""
    marked = {(p.start, p.end) for p in phrases if p.label in ("GPE", "LOC")}
    out = []
    for m in gazetteer().pattern.finditer(sentence):
        if (m.start(), m.end()) not in marked:
            out.append(Phrase(m.group(0), m.start(), m.end(), "", "GPE", sentence))
    return out


def _is_date(p: Phrase) -> bool:
    return p.label in ("DATE", "date", "TIME")


def _is_number(p: Phrase) -> bool:
    return p.label in ("MONEY", "CARDINAL", "QUANTITY", "PERCENT", "number")


def _is_named(p: Phrase) -> bool:
    return p.label in _NAMED_LABELS or p.label in ("quote", "capitalised")


def _parsed_by_model(phrases: list[Phrase]) -> bool:
    """Whether spaCy read the sentence: it marks noun chunks in any sentence of prose, names or not (entity
    labels alone do not tell: the name book's kinds are given as labels too)."""
    return any(p.label == "chunk" for p in phrases)


def _of_kind(phrases: list[Phrase], kind: str) -> list[Phrase]:
    """The phrases that can answer a question of ``kind``."""
    if kind == NUMBER:
        # a number inside a calendar date ("December 19", "in 2022") is no count; a duration ("12 years") is
        dates = [p for p in phrases if p.label == "DATE" and re.search(rf"{MONTH}|\b(?:1[89]|20)\d\d\b", p.text)]
        found = [p for p in phrases if _is_number(p) and not re.fullmatch(r"(?:1[89]|20)\d\d", p.text)
                 and not any(d.start <= p.start and p.end <= d.end for d in dates)]
        return found
    if kind == DATE:
        return [p for p in phrases if _is_date(p)]
    if kind == COLOUR:
        return [p for p in phrases if p.label == "colour"]
    if kind == WORK:  # a title: set in quotation marks and capitalised as titles are, a work or law the model knows,
        # or a capitalised name ending in a document word ("the Helsinki Final Act", which the model may call an ORG)
        return [p for p in phrases if p.label in ("WORK_OF_ART", "PRODUCT", "EVENT", "LAW")
                or (p.label == "quote" and p.text.lstrip(" \"'‘“(")[:1].isupper())
                or (p.label in ("ORG", "capitalised", "FAC") and is_title(p))]
    if kind in (PERSON, WHO, PLACE, ORG):
        exact = [p for p in phrases if p.label in _KIND_LABELS[kind]]
        if kind == WHO:  # "which artist" asks for a person; "who" may be answered by an organisation
            # "who" is answered by an organisation or a country too when it does the deed, as the subject of its
            # clause ("Ford recalled ...", "Argentina won ..."); one named elsewhere is a place or a document
            # (a name qualifying another noun is not the doer: "NATO" in "NATO Secretary General Mark Rutte warned")
            exact += [p for p in phrases if p.label in ("ORG", "GPE", "NORP")
                      and (p.subject or not (sentence_head(p) or p.modifier))]
        if _parsed_by_model(phrases):
            return exact  # the model read the sentence: what it did not mark as a person or place is not one
        # no model: a capitalised run, or a capitalised quotation ("deeply sceptical" names no country)
        return exact or [p for p in phrases if p.label == "capitalised"
                         or (p.label == "quote" and p.text.lstrip(" \"'‘“(")[:1].isupper())]
    if kind == NAME:
        # with the model, its entities are the names (a capitalised "Burmese" is an adjective); without, capitals;
        # a date is never the name asked for ("Sept." in "on Sept. 10")
        model = _parsed_by_model(phrases)
        dates = [p for p in phrases if _is_date(p)]
        return [p for p in phrases if (_is_named(p) and p.label != "NORP" and not (model and p.label == "capitalised"))
                and not any(d.start < p.end and p.start < d.end for d in dates)]
    if kind == PHRASE:
        return [p for p in phrases if p.label in ("quote", "chunk") or _is_named(p) or _is_number(p)]
    if kind == DESCRIPTION:
        return [p for p in phrases if p.label in ("quote", "as")]
    return []


def _common_noun_answers(sentence: str, phrases: list[Phrase], kind: str, question_stems: set[str]) -> list[Phrase]:
    """Local news names its places and doers with common nouns as often as with names: "Ferries will dock
    at the northern pier", "The city zoo welcomed two quokkas". Without an entity of the kind, a noun phrase
    answers "where" when a locative preposition ties it to the question's own verb, and "who" when it is the
    subject of that verb."""
    numeric = [p for p in phrases if _is_date(p) or _is_number(p)]

    def tied(p: Phrase) -> bool:
        return bool(p.governor) and bool(content_stems(p.governor) & question_stems) and not any(
            d.start < p.end and p.start < d.end for d in numeric)

    chunks = [p for p in phrases if p.label == "chunk" and tied(p)]
    if kind == PLACE:
        return [p for p in chunks if _LOCATIVE.search(sentence[max(0, p.start - 12):p.start])]
    return [p for p in chunks if p.subject]


def is_age(sentence: str, p: Phrase) -> bool:
    """A person's age as news gives it ("Damon Fortner, 58, a UPS driver", "aged 58", "Fortner (58)"): a
    number of years, never the count a "how many" asks for."""
    if not re.fullmatch(r"\d{1,3}", p.text.strip()):
        return False
    before, after = sentence[:p.start], sentence[p.end:]
    return bool(_AGED.search(before)) or bool(_NAME_COMMA.search(before) and re.match(r"\s*(?:,|\)|$)", after))


def sentence_head(p: Phrase) -> str:
    """What comes before the phrase in its sentence ("" when it opens it, past a dash or a bullet)."""
    return p.sentence[:p.start].strip(" -–—•*\t\n") if p.sentence else ""


def _in_question(p: Phrase, question_stems: set[str], question_numbers: set[str], question_low: str,
                 question_names: set[str] = frozenset(), question_acronyms: set[str] = frozenset()) -> bool:
    """True when the question already holds the phrase: its words, or (for a number or date) its digits."""
    from archive.text.words import numbers

    digits = numbers(p.text)
    if digits and digits <= question_numbers and (_is_number(p) or _is_date(p)):
        return True
    stems = content_stems(p.text)
    if not stems:
        return p.text.lower().strip() in question_low or p.text.lower().strip() in PRONOUNS
    if p.label in ("PERSON", "ORG", "capitalised") and stems & question_names:
        return True  # "Mark Rutte" is the question's "Rutte": a name sharing a name's word names the same one
    if initials(p.text) and initials(p.text) in question_acronyms:
        return True  # "the United States" is the question's "US"
    return stems <= question_stems


def _offered(choice: str, text: str) -> bool:
    """Whether a phrase is (or holds) one of the choices a question offers, words compared folded."""
    from archive.text.fold import normalize

    return re.search(rf"(?<!\w){re.escape(normalize(choice))}(?!\w)", normalize(text)) is not None


def _chosen(p: Phrase, choices: tuple[str, ...]) -> Phrase:
    """The part of ``p`` that is one of the offered choices ("Shorewood" of "Nicolet, Shorewood")."""
    for choice in choices:
        m = re.search(rf"(?<!\w){re.escape(choice)}(?!\w)", p.text, re.IGNORECASE)
        if m:
            return replace(p, text=m.group(0), start=p.start + m.start(), end=p.start + m.end())
    return p


def initials(name: str) -> str:
    """The initials of a name of two or more capitalised words ("the United States" -> "us"), or ""."""
    words = [w for w in re.findall(r"[\w’'-]+", name) if w[:1].isupper()]
    return "".join(w[0] for w in words).lower() if len(words) >= 2 else ""


def acronyms(text: str) -> set[str]:
    """The acronyms of a text, dots dropped and lower-cased ("U.S." and "US" -> "us"; "NATO" -> "nato")."""
    return {re.sub(r"\W", "", w).lower() for w in text.split() if sum(ch.isupper() for ch in w) >= 2}


def _tokens(text: str) -> list[tuple[str, int]]:
    return [(m.group(0).lower()[:5], m.start()) for m in MARKED_WORD.finditer(text)]


def _distance(p: Phrase, anchors: list[int]) -> float:
    if not anchors:
        return float(p.start)
    return min(0 if p.start <= a < p.end else min(abs(a - p.start), abs(a - p.end)) for a in anchors)


def _extend(sentence: str, p: Phrase, phrases: list[Phrase], kind: str) -> Phrase:
    """A number with the counted noun its chunk carries and a following rate ("20,000 soldier losses
    monthly"); a list of names of one kind joined ("Canada, Germany, Norway and Poland")."""
    start, end = p.start, p.end
    if kind == NUMBER:
        scale = _SCALE.match(sentence, end)
        end = scale.end() if scale else end
        for c in phrases:
            if c.label == "chunk" and c.start <= start < c.end and c.end > end:
                end = c.end
        rate = _RATE.match(sentence, end)
        end = rate.end() if rate else end
    elif kind in (PLACE, PERSON, WHO, ORG, NAME):
        same = sorted((c for c in phrases if c.label == p.label and c.label not in ("chunk",)), key=lambda c: c.start)
        for c in same:  # rightwards
            if c.start >= end and _LIST_JOIN.match(sentence[end:c.start]):
                end = c.end
        for c in reversed(same):  # leftwards
            if c.end <= start and _LIST_JOIN.match(sentence[c.end:start]):
                start = c.start
    text = sentence[start:end].strip(" ,;:")
    start = sentence.index(text, start)
    return Phrase(text, start, start + len(text), kind, p.label, sentence)


def _with_class_word(sentence: str, p: Phrase, head: str) -> Phrase:
    """A name with the capitalised class word the question asks by, just before it: "which hurricane" is
    answered "Hurricane Fiona", as the sentence writes it, not "Fiona"."""
    if not head:
        return p
    before = re.search(r"([A-Z][\w-]*)\s+$", sentence[:p.start])
    if not before or before.group(1).lower()[:5] != head:
        return p
    return replace(p, text=sentence[before.start(1):p.end], start=before.start(1))


def answer_phrases(question: str, sentence: str, kind: str | None = None, strict: bool = False,
                   kind_of: KindOf | None = None) -> list[Phrase]:
    """The phrases of ``sentence`` that could answer ``question``, best first (none already in the question).
    ``kind_of``: the kind (person, org, place) the archive's name book gives a name, counted beside the label
    the small model gives it in this one sentence."""
    from archive.text.words import numbers

    kind = kind or expected_kind(question)
    if kind in WHOLE_SENTENCE:
        return []
    choices = offered_choices(question)  # "which of these ...: A, B or C?": the answer is one of them
    question = without_choices(question)
    phrases = [replace(p, sentence=sentence) for p in spacy_phrases(sentence) + regex_phrases(sentence)]
    if kind_of is not None:
        phrases += _as_the_archive_knows(phrases, kind_of)
    if kind in (PLACE, WHO):
        phrases += _as_the_gazetteer_knows(sentence, phrases)
    q_stems, q_numbers, q_low = content_stems(question), numbers(question), question.lower()
    q_names = content_stems(" ".join(_QUESTION_NAME.findall(question)))
    q_acronyms = acronyms(question)
    dateline = _DATELINE.match(sentence)
    if dateline:  # what lies in the dateline goes; a phrase running past it keeps its part after it
        cut = dateline.end()
        phrases = [p if p.start >= cut else replace(p, text=sentence[cut:p.end], start=cut)
                   for p in phrases if p.end > cut and sentence[cut:p.end].strip()]

    def fresh(candidates: list[Phrase]) -> list[Phrase]:
        return [p for p in candidates if not _in_question(p, q_stems, q_numbers, q_low, q_names, q_acronyms)
                and len(p.text.split()) <= MAX_PHRASE_WORDS and p.text.strip().lower() not in PRONOUNS
                and re.search(r"\w", p.text)]

    found = fresh(_of_kind(phrases, kind))
    if kind == NUMBER and not _ASKS_AGE.search(q_low):
        found = [p for p in found if not is_age(sentence, p)]
    if not found and not strict and re.search(r"\bwhere\b" if kind == PLACE else r"\bwho\b", q_low) and kind in (PLACE, WHO):
        # "where"/"who" only: "which city" asks for a named place, not "a purification plant"
        found = fresh(_common_noun_answers(sentence, phrases, kind, q_stems))
    if not found and kind == NAME and not strict:  # "which animal" is answered by "a python": no name needed
        # a noun phrase sharing a word with the question restates it ("younger consumers" for "a younger crowd")
        dates = [d for d in phrases if _is_date(d)]
        found = fresh([p for p in phrases if p.label == "chunk" and not content_stems(p.text) & q_stems
                       and not any(d.start < p.end and p.start < d.end for d in dates)])
    if choices:
        found = [p for p in found if any(_offered(c, p.text) for c in choices)]
    if not found:
        return []
    # Proximity: a fact sits beside the words that name it. The question's head noun ("show", "automaker")
    # counts most, since "the show “Squid Game”" names the answer next to it; a preposition the question
    # puts before its wh-word ("by when") is looked for before the phrase.
    wanted = {s for s in q_stems}
    head = head_noun(question)[:5]
    tokens = _tokens(sentence)
    anchors = [at for word, at in tokens if head and word == head] or [at for word, at in tokens if word in wanted]
    locative = kind == PLACE and bool(re.search(r"\bwhere\b", q_low))
    # "Which European capital": a capital of Europe before a country or a city elsewhere (the gazetteer's)
    qualifiers = [n for n in _QUESTION_NAME.findall(question) if gazetteer().is_qualifier(n)] if kind == PLACE else []
    frame = re.search(r"\b(by|since|until|before|after|from|in)\s+(?:when|what\s+(?:year|date|month))\b", q_low)

    def rank(p: Phrase) -> tuple:
        framed = bool(frame) and sentence[:p.start].rstrip().lower().endswith(frame.group(1))
        quoted = p.label == "quote" and kind in (NAME, PHRASE, DESCRIPTION, WORK)
        # an entity or number makes a better short answer than a bare noun chunk
        weight = 0 if (quoted or p.label not in ("chunk",)) else 1
        # a person before an organisation or a country for "who"; a stated date before a vague one ("annual")
        label = _LABEL_ORDER.get(kind, ()).index(p.label) if p.label in _LABEL_ORDER.get(kind, ()) else 9
        vague = kind == DATE and not re.search(rf"\d|{MONTH}|day\b", p.text)
        # "where" is answered by a place said to be the scene: "in Brussels", not "against Ukraine"
        scene = not locative or bool(_LOCATIVE.search(sentence[max(0, p.start - 12):p.start]))
        # "keeps stealing what?" is answered by what the sentence's "steal" takes: "steal surfboards"
        slot = kind in (PHRASE, NAME) and bool(p.governor) and bool(content_stems(p.governor) & q_stems)
        fit = place_fit(head_noun(question), qualifiers, p) if kind == PLACE else 0
        return (not framed, not quoted, vague, not scene, fit, not slot, slot and bool(p.via), label, weight,
                _distance(p, anchors), p.start)

    ordered = sorted(found, key=rank)
    out, seen = [], set()
    for p in ordered:
        extended = _with_class_word(sentence, _extend(sentence, p, phrases, kind), head) if not choices else \
            _chosen(p, choices)  # the offered choice itself, as the sentence writes it
        if (extended.start, extended.end) not in seen:
            seen.add((extended.start, extended.end))
            out.append(extended)
    return out


def short_phrase(question: str, sentence: str, kind: str | None = None,
                 kind_of: KindOf | None = None) -> Phrase | None:
    """The best phrase of the expected kind in ``sentence`` (None when it holds none)."""
    found = answer_phrases(question, sentence, kind, strict=True, kind_of=kind_of)
    if not found and (kind or expected_kind(question)) in (NAME, PLACE, WHO):
        # "which animal": "a python"; "where": "the northern pier"; "who": "the city zoo" (no name needed)
        found = answer_phrases(question, sentence, kind, strict=False, kind_of=kind_of)
    return found[0] if found else None
