"""From the names a tagger marks in one article to the names worth filtering on, with the reasons.

spaCy's small model marks every capitalised run it takes for a name, and news text misleads it in
predictable ways. Each rule below answers one of them, for news in general:

- **Spelling is not identity.** "U.S.", "U.S" and "US" are one name (``name_key`` drops dots and
  case); a possessive ends a name ("Rutte's Firm Warning" is Rutte); a name never repeats its last
  word ("Mark Rutte Rutte" is a headline run into the text); a compound of two names is both
  ("U.S.-Russia" talks name the U.S. and Russia).
- **Capitals are evidence only where only names get them.** Headlines and subheads capitalise every
  word and a sentence capitalises its first, so a name is kept when running text confirms it: a
  mention inside a sentence, of several capitalised words, or of a word the article never writes in
  lower case. "Stirs Tensions", "Barge" (from a headline) and "Engineers" (opening a sentence, in an
  article about engineers) are not; "Germany has approved" is; "NATO" is wherever it is written, as
  an acronym is capitalised by its spelling.
- **One person, one name.** Within an article "Rutte" is the Mark Rutte it names in full, and
  "Vladimir Vladimirovich Putin" the Vladimir Putin (same first and last word); a cut-off "Mark Ru"
  is the longer name it begins.
- **A label is a vote, the context another.** Each mention's label counts, and so do the words
  around it: a title before it ("President", "Dr.") says person, "shares", "vaccine" or "Inc." after
  it says organisation, "region" or "province" says place, "pandemic" or "cases" says a thing that is
  none of these. A one-word "person" that no title and no full name supports counts for less than
  the other votes (Moderna, Pfizer), and an acronym or a name with a figure ("COVID-19") is no person.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

KINDS = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place"}
OTHER = "other"  # a label or cue for anything else: a product, an event, a disease
MAX_NAME_CHARS = 60

TITLES = frozenset(
    "mr mrs ms miss dr sir dame lord lady president premier chancellor minister secretary general senator "
    "sen rep representative congressman congresswoman governor gov mayor judge justice king queen prince "
    "princess pope cardinal bishop rev gen col colonel capt captain lt sgt sergeant officer detective prof "
    "professor coach ambassador commissioner spokesman spokeswoman spokesperson actor actress singer".split()
)
PERSON_WORDS_AFTER = frozenset({"administration"})  # "the Trump administration": a government by its leader
ORG_WORDS_AFTER = frozenset("inc corp co ltd llc plc shares stock stocks vaccine vaccines shot shots jab "
                            "headquarters subsidiary executives shareholders".split())
ORG_LAST_WORDS = frozenset(
    "inc corp corporation company co ltd llc plc group bank university college school party ministry department "
    "agency council committee commission association union institute foundation organization "
    "organisation airlines airways motors court office police army navy force forces church fund board "
    "administration service services club league network alliance parliament senate congress authority".split()
)
PLACE_WORDS_AFTER = frozenset("region province county oblast island islands peninsula valley border coast "
                              "district".split())
PLACE_LAST_WORDS = frozenset("county city island islands river sea ocean mountains valley province region "
                             "street avenue".split())
THING_WORDS_AFTER = frozenset("pandemic outbreak cases infections infection variant variants symptoms "
                              "restrictions lockdown lockdowns deaths testing mandate mandates".split())
_INITIALISM = re.compile(r"(?:[A-Z]\.){2,}|(?:[A-Z]\.)+[A-Z]")  # U.S. and U.S (a cut-off final dot)
_ACRONYM = re.compile(r"[A-Z][A-Z&]{1,7}")
_WORD = re.compile(r"[\w'’.-]+")
_SENTENCE_END = re.compile(r"[.!?:]$")
_SMALL_WORDS = frozenset("a an and at by for from in into of on or the to with as vs".split())


def name_key(name: str) -> str:
    """What makes two spellings one name: case, dots, quotes and spacing folded ("U.S." and "US": "us")."""
    return re.sub(r"\s+", " ", name.replace("’", "'").replace(".", "")).strip().lower()


def clean_name(text: str) -> str:
    """A marked name as it should read: trimmed, without "the", a possessive or a repeated last word."""
    text = re.sub(r"\s+", " ", text.replace("’", "'")).strip(" ,;:'\"-–—()[]•*·")
    text = re.sub(r"^(?:the|The)\s+", "", text)
    text = re.split(r"'s\b", text, maxsplit=1)[0].strip()  # "Rutte's Firm Warning" names Rutte
    words = text.split(" ")
    while len(words) > 1 and words[-1] == words[-2]:
        words.pop()  # "Mark Rutte Rutte": a headline's name run into the text's first word
    text = " ".join(words)
    if _INITIALISM.fullmatch(text.rstrip(".") + "."):
        return text.rstrip(".") + "."  # an initialism keeps its final dot: "U.S"
    return text.rstrip(".").rstrip()  # "Donald Trump ." (a name the tagger ran into a spaced dot) has no space


def is_acronym(name: str) -> bool:
    """An all-capital short name ("NATO", "U.S.", "COVID"): capitalised by its spelling, not its place."""
    return bool(_ACRONYM.fullmatch(name.replace(".", "")))


def is_headline_case(line: str) -> bool:
    """A headline or subhead: most words of four letters or more capitalised, and no sentence ends."""
    words = [w for w in _WORD.findall(line) if len(w) >= 4 and w[0].isalpha()]
    if len(words) < 2 or re.search(r"[.!?][\"”’']?\s+[A-Z]", line):
        return False
    return sum(w[0].isupper() for w in words) >= 0.75 * len(words)


def initials(name: str) -> str:
    """"United States" -> "us", "European Union" -> "eu" (small words skipped)."""
    return "".join(w[0] for w in name_key(name).split(" ") if w and w not in _SMALL_WORDS)


@dataclass
class Mention:
    """One place an article names something: its cleaned name, spaCy's label, and where it stands."""

    name: str
    label: str  # a kind ("person", "org", "place") or OTHER
    headline: bool = False  # in a headline-case line
    opens_sentence: bool = False
    before: str = ""  # the word before it, lower case
    after: str = ""  # the word after it, lower case
    cut: bool = False  # it ends where the text read was cut off


@dataclass
class Name:
    """Every mention of one name in an article (its own and those of variants joined to it)."""

    key: str
    mentions: list[Mention] = field(default_factory=list)

    @property
    def spelling(self) -> str:
        """The spelling most of its own mentions use (ties: the longest, which keeps an initialism's dots)."""
        counts = Counter(m.name for m in self.mentions if name_key(m.name) == self.key) or Counter(
            m.name for m in self.mentions)
        return max(counts, key=lambda s: (counts[s], len(s), s))

    @property
    def words(self) -> list[str]:
        return self.key.split(" ")


def confirmed(name: Name, lower_words: set[str]) -> bool:
    """Whether running text confirms it is a name, not a capitalised common word (see the module): an
    acronym; a mention inside a sentence; or one opening a sentence of several words, or of a word the
    article (``lower_words``: the words it writes in lower case) never writes as a common word."""
    if is_acronym(name.spelling):
        return True
    prose = [m for m in name.mentions if not m.headline]
    if any(not m.opens_sentence for m in prose):
        return True
    return bool(prose) and (len(name.words) > 1 or name.key not in lower_words)


def lower_case_words(text: str) -> set[str]:
    """The words a text writes in lower case: "the barge" says "Barge" is a common word."""
    return set(re.findall(r"(?<![\w'’.-])[a-z][a-z'’-]*", text))


def kind_of(name: Name, corroborated: bool) -> str:
    """The kind the mentions' labels and their context vote for (OTHER: none worth keeping)."""
    votes: Counter[str] = Counter()
    for m in name.mentions:
        votes[m.label] += 1
        votes[_cue(m)] += 2
    votes.pop("", None)
    _last = name.words[-1]
    if _last in ORG_LAST_WORDS:
        votes["org"] += 3
    if _last in PLACE_LAST_WORDS:
        votes["place"] += 3
    if is_acronym(name.spelling) or re.search(r"\d", name.key):
        votes.pop("person", None)  # people are not written as acronyms or with figures
    elif corroborated and "person" in votes:
        votes["person"] += 1  # the article names a person of this surname in full
    elif len(name.words) == 1 and not any(_cue(m) == "person" for m in name.mentions):
        votes["person"] /= 2  # a lone capitalised word is the tagger's favourite guess
    if not votes:
        return OTHER
    return max(votes, key=lambda k: (votes[k], k != OTHER, k != "person", k))  # a tie is no evidence of a person


def _cue(m: Mention) -> str:
    if m.before in TITLES or m.after in PERSON_WORDS_AFTER:
        return "person"
    if m.after in ORG_WORDS_AFTER:
        return "org"
    if m.after in PLACE_WORDS_AFTER:
        return "place"
    if m.after in THING_WORDS_AFTER:
        return OTHER
    return ""


def split_compounds(names: dict[str, Name]) -> None:
    """"U.S.-Russia" names both when a part is a name of the article or an acronym; else it stays whole."""
    for key in [k for k in names if "-" in k]:
        name = names[key]
        parts = [p for p in re.split(r"(?<=[\w.])-(?=[A-Z])", name.spelling) if p]
        if len(parts) < 2 or not all(p[0].isupper() for p in parts):
            continue
        if not any(name_key(p) in names or is_acronym(p) for p in parts):
            continue
        del names[key]
        for part in parts:
            moved = [Mention(clean_name(part), m.label, m.headline, m.opens_sentence) for m in name.mentions]
            names.setdefault(name_key(part), Name(name_key(part))).mentions.extend(moved)


def join_into(names: dict[str, Name], key: str, target: str) -> None:
    """Count the mentions of ``key`` as mentions of ``target``."""
    if key != target and key in names and target in names:
        names[target].mentions.extend(names.pop(key).mentions)


def fragment_of(key: str, keys: Iterable[str]) -> list[str]:
    """The longer names ``key`` begins and stops inside a word of ("mark ru": "mark rutte")."""
    return [k for k in keys if len(k) > len(key) and k.startswith(key) and k[len(key)].isalnum()]


def join_fragments(names: dict[str, Name]) -> None:
    """A name cut off mid-word where the text read ends joins the longer name it begins, or is dropped;
    "Russia" beside "Russian" is no fragment: it was not cut."""
    for key in [k for k, n in names.items() if all(m.cut for m in n.mentions)]:
        longer = fragment_of(key, names)
        if longer:
            join_into(names, key, max(longer, key=lambda k: len(names[k].mentions)))
        else:
            del names[key]


def same_person(a: Sequence[str], b: Sequence[str]) -> bool:
    """Two multi-word names with the same first and last word are one person (a middle name or initial)."""
    return len(a) > 1 and len(b) > 1 and a[0] == b[0] and a[-1] == b[-1]


def full_name_for(word: str, people: Iterable[str], weight) -> str:
    """The full name a lone word stands for: the only one ending with it, or one with 2/3 of their weight."""
    ending = [p for p in people if " " in p and p.rsplit(" ", 1)[1] == word]
    if not ending:
        return ""
    best = max(ending, key=lambda p: (weight(p), p))
    return best if weight(best) * 3 >= 2 * sum(weight(p) for p in ending) else ""
