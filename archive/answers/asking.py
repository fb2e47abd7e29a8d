"""What a question asks for: the kind of answer (a number, a date, a person, a place, an organisation, a
named thing, a reason, a statement), read from its wording ("how many", "when", "who", "which country",
"which automaker"), the sentence that asks it, and the noun it asks about. spaCy's small English model
(shipped offline, MODELS.md) parses questions and sentences once each (``parse``, cached)."""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from archive.text.words import MARKED_WORD

NUMBER, DATE, PERSON, PLACE, ORG, NAME, PHRASE, REASON, STATEMENT, DESCRIPTION, WHO, WORK, COLOUR = (
    "number", "date", "person", "place", "organisation", "name", "phrase", "reason", "statement", "description",
    "person or organisation", "title", "colour")
KIND_WORDS = {NUMBER: "number", DATE: "date", PERSON: "person", WHO: "person or organisation", PLACE: "place",
              WORK: "title of a work", COLOUR: "colour",
              ORG: "organisation", NAME: "name", PHRASE: "short phrase", REASON: "reason", STATEMENT: "statement",
              DESCRIPTION: "description in the speaker's words"}
# Kinds a sentence answers as a whole: "why ..." wants a reason, "what did Rutte say ..." a quotation.
WHOLE_SENTENCE = (REASON, STATEMENT)


_SPEECH = re.compile(r"\b(?:say|said|says|tell|told|warn|warned|claim|claimed|argue|argued|announce|announced|"
                     r"think|believe|mean|predict|predicted|promise|promised)\b")


# "How did Putin describe Rutte?" asks for the words used: a quotation, or what follows "as".
_DESCRIBE = re.compile(r"\bhow\s+(?:did|does|do|has|have|had|would|will)\s+.*\b(?:describe|call|characteri[sz]e|label|"
                       r"brand|dub|portray|refer\s+to|depict)\b", re.IGNORECASE)


# Head nouns of "which/what <noun>" questions, by the kind of answer they ask for.
_HEADS = {
    PLACE: """country countries nation nations state states city cities town towns island islands region regions
        province provinces capital capitals continent county village port territory territories place places
        location locations destination neighborhood neighbourhood district park area areas stadium venue airport
        river mountain lake sea ocean street borough site beach resort""",
    ORG: """company companies automaker automakers carmaker firm firms airline airlines bank banks brand brands
        retailer retailers network networks team teams club clubs university universities college agency agencies
        organization organisation organizations organisations party parties union league manufacturer
        manufacturers chain chains platform platforms streamer studio studios newspaper outlet startup business
        businesses group groups giant maker makers band bands service services channel school schools hospital charity
        store stores restaurant restaurants""",
    PERSON: """person people man men woman women player players actor actors actress singer singers star stars
        celebrity celebrities president presidents leader leaders official officials politician politicians
        senator senators judge judges minister ministers ceo founder athlete athletes author authors rapper
        musician musicians director coach governor governors lawmaker lawmakers candidate candidates billionaire
        artist artists comedian host hosts journalist justice king queen prince princess pope quarterback golfer
        champion spokesperson head secretary chancellor mayor executive executives investor entrepreneur member members
        philanthropist mp republican republicans democrat democrats astronaut scientist scientists doctor chef writer
        poet designer manager footballer cyclist swimmer boxer monarch emperor heir engineer pilot pilots officer
        soldier victim suspect""",
    WORK: """book books film films movie movies show shows series song songs album albums novel play painting
        podcast documentary sitcom opera musical""",
    DATE: "year years month months day days date dates decade century",
    NUMBER: """percentage percent share number numbers amount population price prices cost costs rate rates age
        total size temperature magnitude toll score sum figure height weight length distance speed salary funding goal
        budget fine fines revenue profit profits deficit debt fee fees wage wages payment ransom reward bail""",
}


HEAD_KIND = {word: kind for kind, words in _HEADS.items() for word in words.split()}
# "Which document/report/strategy ...?" asks for a title ("the Helsinki Final Act"), as "which book" does; "what
# plan" may be answered by a plan described in common nouns, so only "which" makes these a title.
DOCUMENTS = frozenset("""document documents report reports strategy strategies treaty treaties agreement agreements
    accord accords bill bills law laws act doctrine charter declaration manifesto study studies paper papers letter
    guidelines framework blueprint roadmap constitution""".split())


_WH = re.compile(r"\b(how\s+many|how\s+much|how\s+large|how\s+big|how\s+old|how\s+long|how\s+far|how\s+often|"
                 r"how|what|which|whose|whom|who|when|where|why)\b", re.IGNORECASE)


_NAME_OF = re.compile(r"\bname\s+of\s+(?:the\s+|a\s+|an\s+|his\s+|her\s+|its\s+|their\s+)?([\w-]+(?:\s+[\w-]+)?)")


_COLOUR_ASKED = re.compile(r"(?:what|which)\s+colou?rs?\b")
_CALLED = re.compile(r"\b(?:called|named|known\s+as|dubbed)\s*[?.!]*\s*$")


def expected_kind(question: str) -> str:
    """The kind of phrase a question asks for, from its wording."""
    q = asking_sentence(without_choices(question))
    low = q.lower()
    match = _asking_word(low)
    if not match:
        return PHRASE
    wh = " ".join(match.group(1).split())
    after = [w.lower() for w in MARKED_WORD.findall(low[match.end():])][:5]
    if wh in ("how many", "how much", "how large", "how big", "how old", "how long", "how far", "how often"):
        return NUMBER
    if wh == "when":
        return DATE
    if wh == "where":
        return PLACE
    if wh in ("who", "whom", "whose"):
        return WHO
    if wh == "why":
        return REASON
    if wh == "which" and head_noun(q) in DOCUMENTS:
        return WORK
    if wh == "how":
        return DESCRIPTION if _DESCRIBE.search(low) else PHRASE
    # "what/which (adjectives) noun": the first known head noun names the kind; "what is the population"
    # and "what percentage" ask for numbers, "what year" for a date. "Which <noun>" without a known head
    # asks for a named thing ("which show": “Squid Game”); "what did Rutte say" for what was said.
    verbs = ("is", "was", "are", "were", "did", "does", "do", "has", "have", "had", "will", "would", "can", "could",
             "should")
    if wh == "what" and _CALLED.search(low):  # "What is the rule called?" asks for its name
        return NAME
    if wh in ("what", "which") and _COLOUR_ASKED.match(low, match.start()):  # "what colour is the cap?"
        return COLOUR
    named = _NAME_OF.search(low)  # "what was the name of the pilot ...": a pilot is asked for
    head_of = next((w for w in (named.group(1).split() if named else ()) if w in HEAD_KIND), "")
    if head_of:
        return HEAD_KIND[head_of]
    if after and after[0] in verbs:
        parsed = _question_head(q)
        head = HEAD_KIND.get(parsed or "", "") or next((HEAD_KIND[w] for w in after[1:4] if w in HEAD_KIND
                                                         and _noun_in(q, w)), "")
        if head:
            return head
        return STATEMENT if wh == "what" and _SPEECH.search(low[match.end():]) else PHRASE
    parsed = _question_head(q)
    if parsed:  # the parse knows "creature" heads "which sea creature", and "head" "head of state"
        return HEAD_KIND.get(parsed, NAME if wh == "which" else PHRASE)
    if parsed == "":  # "what" is the subject itself ("What closed schools ...?"): the nouns after it are objects
        return NAME if wh == "which" else PHRASE
    head = next((HEAD_KIND[w] for w in after[:3] if w in HEAD_KIND), "")
    return head or (NAME if wh == "which" else PHRASE)


# "Which of these ...: Miles, Max or Morris?": the choices a quiz offers, after a colon, a dash or in brackets
_CHOICES = re.compile(r"(?:[:—–]|\s-|\()\s*(?P<list>[^:;?()]+?(?:,\s*|\s+)or\s+[^:;?()]+?)\)?\s*\??\s*$")


def offered_choices(question: str) -> tuple[str, ...]:
    """The answers a quiz question offers to choose from ("Miles", "Max", "Morris"), or ()."""
    m = _CHOICES.search(asking_sentence(question))
    if not m:
        return ()
    parts = [p.strip(" .,\"“”'") for p in re.split(r",\s*(?:or\s+)?|\s+or\s+", m.group("list"))]
    parts = [p for p in parts if p]
    return tuple(parts) if 2 <= len(parts) <= 6 and all(len(p.split()) <= 6 for p in parts) else ()


def without_choices(question: str) -> str:
    """The question without the choices it offers: what the answer must be judged against."""
    choices = offered_choices(question)
    if not choices:
        return question
    m = _CHOICES.search(question)
    return (question[:m.start()].rstrip() + "?") if m else question


def _noun_in(question: str, word: str) -> bool:
    """False when the parse reads ``word`` as a verb in the question ("show" in "What did the images show?");
    True without the model."""
    doc = parse(question)
    if doc is None:
        return True
    return any(t.lower_ == word and t.pos_ in ("NOUN", "PROPN") for t in doc)


def asking_sentence(question: str) -> str:
    """The sentence that asks: a quiz sets its scene first ("We also lost actress Nichelle Nichols, who
    passed away at 89. Which iconic role did she bring to life?"), and the scene's "who" asks nothing."""
    q = " ".join(question.split())
    sentences = [x for x in re.split(r"(?<=[.!?])\s+(?=[A-Z“\"])", q) if x.strip()]
    asking = [x for x in sentences if x.rstrip(" \"'”’)").endswith("?")]
    return (asking or sentences or [q])[-1]


def _asking_word(low: str) -> re.Match | None:
    """The question word that asks. English fronts it ("In what year did ...", "Which show ..."); a quiz
    may leave it where the answer goes ("... by playing in which tournament?", "... keeps stealing what?"),
    and then the question words before it open relative clauses ("began what could be her final act")."""
    found = list(_WH.finditer(low))
    if not found:
        return None
    fronted = found[0]
    if not re.sub(r"\b(?:and|so|but|in|on|at|by|for|from|to|of|since|until|with|during|after|before)\b", "",
                  low[:fronted.start()]).strip(" ,;:-–—\"“'"):
        return fronted
    return found[-1]


@lru_cache(maxsize=256)
def parse(text: str):
    """spaCy's parse of a question (cached: the kind, the head noun and the focus all read it), or None
    without the model."""
    nlp = MODEL.get()
    return nlp(text) if nlp is not None else None


@lru_cache(maxsize=256)
def _question_head(question: str) -> str | None:
    """The head noun of the noun phrase a "which/what" opens, from the parse: "" when "which/what" stands alone
    as a subject or object ("What closed schools?"), None without the model."""
    doc = parse(question)
    if doc is None:
        return None
    for chunk in doc.noun_chunks:
        if any(t.lower_ in ("which", "what") for t in chunk) and chunk.root.lower_ not in ("which", "what"):
            root = chunk.root
            if root.lower_ in ("name", "title", "kind", "type", "sort"):  # "the name of the pilot": the pilot
                return _of_object(root) or root.lower_
            return root.lower_
    alone = next((t for t in doc if t.lower_ in ("which", "what")), None)
    if alone is None:
        return None
    if _of_object(alone):  # "Which of these countries ...": the countries
        return _of_object(alone)
    following = doc[alone.i + 1] if alone.i + 1 < len(doc) else None
    return "" if following is not None and following.pos_ in ("VERB", "AUX") else None


def _of_object(token) -> str:
    """The noun of an "of" phrase hanging on ``token`` ("pilot" in "the name of the pilot"), or ""."""
    of = [c for c in token.children if c.lower_ == "of"]
    objects = [g for c in of for g in c.children if g.dep_ == "pobj"]
    return objects[0].lower_ if objects else ""


def head_noun(question: str) -> str:
    """The noun a "which/what" question asks about ("show" in "Which wildly popular show ..."), or ""."""
    question = asking_sentence(question)
    parsed = _question_head(question)
    if parsed:
        return parsed
    low = question.lower()
    match = re.search(r"\b(?:which|what)\b", low)
    if not match:
        return ""
    for word in MARKED_WORD.findall(low[match.end():])[:5]:
        if word in HEAD_KIND:
            return word
    return ""


def counted_words(question: str) -> str:
    """The thing "how many" counts, from the parse: its noun with the words that make it ("UPS drivers",
    "baby swings and rockers"), never the verb after it ("How many tourists visited ...": the tourists). ""
    without the model, and the regex's run of words is used instead."""
    if not re.search(r"\bhow\s+many\b", question, re.IGNORECASE):
        return ""
    doc = parse(question)
    if doc is None:
        return ""
    many = next((t for t in doc if t.lower_ == "many" and t.i > 0 and doc[t.i - 1].lower_ == "how"), None)
    if many is None:
        return ""
    head = many.head
    if head.pos_ not in ("NOUN", "PROPN"):  # "how many of the passengers": the noun after "of"
        of = [c for c in many.children if c.lower_ == "of"]
        objects = [g for c in of for g in c.children if g.dep_ == "pobj"]
        if not objects:
            return ""
        head = objects[0]
    parts = [head, *head.conjuncts, *(c for c in head.children if c.dep_ in ("compound", "amod") and c is not many)]
    return " ".join(t.text for t in parts)


class _Model:
    """spaCy's small English pipeline with its parser (noun chunks need it), loaded on first use, once."""

    def __init__(self):
        self._nlp = None
        self._failed = False
        self._lock = threading.Lock()

    def get(self):
        with self._lock:
            if self._nlp is None and not self._failed:
                try:
                    import spacy

                    from archive.models.entities import MODEL

                    self._nlp = spacy.load(MODEL, exclude=["lemmatizer"])
                except (ImportError, OSError):
                    self._failed = True  # the regexes below still find numbers, dates and capitalised names
            return self._nlp


MODEL = _Model()
