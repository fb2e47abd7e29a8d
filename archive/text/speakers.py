"""Speakers: who said a sentence of an article, from the attribution around it ("Rutte said", "according to
Rutte", a quotation's "– Mark Rutte" line, "he said" after a named sentence). Used by look-up and answers."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from archive.text.sentences import sentence_spans
from archive.text.words import STOPWORDS

_SPEECH = (r"said|says|stated|states|told|tells|added|adds|warned|warns|argued|argues|noted|notes|explained|"
           r"insisted|declared|wrote|writes|asked|urged|urges|claimed|claims|stressed|emphasi[sz]ed|affirmed|"
           r"spoke|announced|replied|responded|acknowledged|admitted|cautioned|remarked|observed|recalled|vowed|"
           r"characteri[sz]ed|described|called|dubbed|praised|critici[sz]ed|condemned|branded|highlighted|pointed|"
           r"estimated|revealed|indicated|suggested|asserted|confirmed|predicted|threatened|reiterated|accused|echoed|echoes|"
           r"continued|continues")


_NAME = r"[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|de|van|von|al|bin|da|del|la|le))*"


_PATTERNS = [
    re.compile(rf"[”\"]\s*[,.]?\s*[–—-]{{1,2}}\s*(?P<name>{_NAME})"),  # “…” – Mark Rutte
    re.compile(rf"(?P<name>{_NAME})\s*,?\s+(?:{_SPEECH})\b"),  # Rutte said / Rutte, 57, said
    re.compile(rf"\b(?:{_SPEECH})\s+(?P<name>{_NAME})"),  # said Rutte
    re.compile(rf"\b[Aa]ccording to\s+(?P<name>{_NAME})"),  # according to Rutte
    # "Rutte’s address was ...; he urged": a possessive on a word for what was said names the speaker
    re.compile(rf"(?P<name>{_NAME})[’']s\s+(?:address|speech|remarks|statement|comments|words|warning|message|"
               r"letter|interview|testimony|post|tweet)\b"),
]


# A speaker the text describes rather than names: "the head of Germany's intelligence service said".
_ROLE = (r"head|chief|director|leader|spokes(?:man|woman|person)|minister|president|secretary|ambassador|commander|"
         r"governor|chairman|chairwoman|chair|ceo|founder|spokesperson")


_DESCRIBED = re.compile(rf"\b(?P<desc>(?:the|a|an)\s+(?:{_ROLE})\s+of\s+(?:the\s+)?[A-Z][\w'’-]*(?:\s+[\w'’-]+){{0,3}}?)"
                        rf"\s*,?\s+(?:{_SPEECH})\b")


_LINE_NAME = r"[A-Z][\w'’.-]*(?:[ \t]+(?:[A-Z][\w'’.-]*|de|van|von|al|bin|da|del|la|le))*"


_DASH_LINE = re.compile(rf"[ \t]*\n[ \t]*[–—-]{{1,2}}[ \t]*(?P<name>{_LINE_NAME})[ \t]*(?:\n|$)")


_PRONOUN_SPEECH = re.compile(rf"\b(?:[Hh]e|[Ss]he|[Tt]hey)\s+(?:{_SPEECH})\b|\b(?:{_SPEECH})\s+(?:he|she|they)\b")


_TITLES = frozenset(
    """secretary general president vice prime minister chancellor foreign defence defense interior finance chief
    director senator sen rep representative gov governor mayor mr mrs ms dr professor prof spokesman spokeswoman
    spokesperson ceo chairman chairwoman chair commissioner ambassador king queen prince pope general admiral
    colonel former deputy head leader official officials minister's the a an us u.s uk eu un state secretary-general
    vice-president""".split()
)


_NOT_NAMES = frozenset({"he", "she", "they", "it", "we", "i", "you", "this", "that", "there", "the", "speaking",
                        "meanwhile", "however", "but", "and", "in", "on", "at", "as", "when", "after", "before",
                        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})


def _clean_name(raw: str) -> str:
    words = raw.replace("’s", "").replace("'s", "").strip(" .,").split()
    titles = [i for i, w in enumerate(words[:-1]) if w.lower().strip(".") in _TITLES]
    if titles:  # "Russian President Vladimir Putin": the name is what follows the last title
        words = words[titles[-1] + 1:]
    while words and (words[0].lower().strip(".") in _TITLES or (words[0].isupper() and len(words) > 1)):
        words = words[1:]
    while words and words[-1].lower().strip(".") in _TITLES:
        words = words[:-1]
    if not words or words[0].lower() in _NOT_NAMES:
        return ""
    return " ".join(words)


def _named_speaker(sentence: str, at: int) -> str:
    """The attributed name in one sentence nearest to position ``at``."""
    found: list[tuple[int, str]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(sentence):
            if m.group("name").endswith(("’s", "'s")) and pattern is not _PATTERNS[-1]:
                continue  # "reiterated NATO’s core principle": a possessive is not who spoke
            name = _clean_name(m.group("name"))
            if name:
                found.append((abs(m.start("name") - at), name))
    return min(found)[1] if found else ""


def attribution(text: str, start: int, end: int, names: Sequence[tuple[str, str]] | None = None) -> tuple[str, str]:
    """Who said the text at ``start:end`` (``speaker_of``) and who the article says that is (``role_of``)."""
    speaker = speaker_of(text, start, end, names)
    return speaker, role_of(text, speaker)


def said_by(speaker: str, role: str) -> str:
    """A speaker as shown: "Mark Rutte, NATO Secretary General", the name alone without a role, "" for no one."""
    return f"{speaker}, {role}" if speaker and role else speaker


def speaker_of(text: str, start: int, end: int, names: Sequence[tuple[str, str]] | None = None) -> str:
    """Who the article says said the text at ``start:end`` ("" when no attribution is found), a lone surname
    given as the article names the person in full ("Rutte": "Mark Rutte"); ``names``: the (kind, name) pairs
    the names pass found in the article (None: it has not read it)."""
    return in_full(text, _attributed(text, start, end), names)


_NOT_GIVEN = _NOT_NAMES | STOPWORDS | frozenset(  # capitalised words before a surname that are no given name
    """yesterday today later also judge justice coach captain lord lady sir dame rev reverend bishop archbishop
    cardinal pastor rabbi imam father sheikh emir princess duke duchess earl baron baroness speaker attorney sheriff
    detective inspector officer agent trooper sergeant sgt lieutenant lt major col gen capt superintendent principal
    dean provost manager councilman councilwoman councillor alderman assemblyman assemblywoman assemblymember
    congressman congresswoman delegate democrat democratic republican conservative labour liberal tory
    independent north south east west northern southern eastern western new upper lower central great little
    old saint st fort port lake mount san santa los las el""".split())


def _given(word: str) -> bool:
    """A word that may be a given name: "Mark", "Jean-Luc", an initial "J." (not "June.", "GM", "McKee")."""
    if _INITIAL.fullmatch(word):
        return True
    return word.lower() not in _NOT_GIVEN and word.lower() not in _TITLES and all(
        p[:1].isupper() and p[1:].isalpha() and p[1:].islower() for p in word.split("-"))


_INITIAL = re.compile(r"[A-Z]\.")


def _mentions(text: str, word: str) -> Iterator[re.Match]:
    """Where ``word`` (a name, or any word) stands in ``text`` as a word of its own, case as given."""
    return re.finditer(rf"(?<![\w'’-]){re.escape(word)}(?![\w-])", text)


def _lower_in(text: str, word: str) -> bool:
    """The article also writes the word in lower case: a common word, not (only) a name."""
    return next(_mentions(text, word.lower()), None) is not None


def _given_before(text: str, at: int) -> tuple[list[str], bool]:
    """The given name written just before position ``at`` ("Mark" in "NATO Secretary General Mark Rutte", "John J."
    in "John J. Ray"), and whether it starts a sentence (then it may be any word: "Though JetBlue"); [] when none
    is, or when two capitalised words stand there ("Mustangs Eddie": a team, or a title this module lacks)."""
    if text[at - 1:at] not in (" ", "\t"):
        return [], False
    words = re.split(r"[ \t]+", text[max(0, at - 80):at].rstrip(" \t"))
    run: list[str] = []
    for word in reversed(words):
        if len(run) == 3 or not _given(word):
            break  # a title, an acronym ("NATO"), a lower-case word, a possessive or punctuation ends the name
        run.insert(0, word)
    if not (len(run) == 1 or (len(run) == 2 and _INITIAL.fullmatch(run[1]) and not _INITIAL.fullmatch(run[0]))):
        return [], False
    before = text[:text.rfind(run[0], 0, at)].rstrip()
    return run, not before or before[-1] in ".!?\"“”\n"


def in_full(text: str, name: str, names: Sequence[tuple[str, str]] | None = None) -> str:
    """A one-word name as the article gives it in full ("Rutte" in an article that first says "NATO Secretary
    General Mark Rutte": "Mark Rutte"). News names a person in full at first mention and by surname after.
    The name stays as it is when the article gives the surname to two people ("Joe Biden", "Hunter Biden"),
    never gives it in full, or also writes the word in lower case ("Police", "People": a noun, no surname).
    The names pass's people come first (``names``): the one whose name ends in the surname. It keeps only an
    article's main names, so without one of them the words before each mention are read, which misses a full
    name that starts a sentence; what they give is kept out when the pass found it as no person ("Financial
    Times", "Milwaukee Brewers")."""
    if not name or " " in name or not name[:1].isupper() or name.isupper() or _lower_in(text, name):
        return name
    forms, firsts = [], set()
    for m in _mentions(text, name):
        given, starts_sentence = _given_before(text, m.start())
        if given:
            firsts.add(given[0])  # a sentence's first word still counts as maybe another person ("Joe Biden met ...")
            if not starts_sentence:
                forms.append(" ".join([*given, name]))
    people = dict.fromkeys(n.strip() for kind, n in names or () if kind == "person")
    named = [p for p in people if " " in p and p.rsplit(" ", 1)[1] == name]
    if named:  # a person the names pass found in the whole article, ending in the surname, and no other
        others = {f.split(" ", 1)[0] for f in forms} | {p.split(" ", 1)[0] for p in named}
        return named[0] if len(others) == 1 else name
    not_people = {n.strip().lower() for kind, n in names or () if kind != "person"}
    if not forms or len(firsts) > 1 or forms[0].lower() in not_people or name.lower() in not_people:
        return name  # a wrong name is worse than the surname alone
    return forms[0]


def _attributed(text: str, start: int, end: int) -> str:
    """The speaker as the attribution around ``start:end`` writes it ("Rutte", "the head of ... service")."""
    spans = sentence_spans(text) or [(0, len(text))]
    i = next((k for k, (s, e) in enumerate(spans) if s <= start < e), len(spans) - 1)
    s, e = spans[i]
    name = _named_speaker(text[s:e], start - s)
    if name:
        return name
    line_end = text.find("\n", e)
    dash_line = _DASH_LINE.match(text, line_end if line_end >= 0 else len(text))
    if dash_line and _clean_name(dash_line.group("name")):
        # a quotation set on its own line, its speaker on the next: "We could become Russia's next target\n– Mark Rutte"
        return _clean_name(dash_line.group("name"))
    described = _DESCRIBED.search(text[s:e])
    if described:
        return described.group("desc")
    if i + 1 < len(spans) and text[s:e].rstrip().endswith(("”", '"', ":")):
        # a quotation followed by its attribution: "“…” The words were Rutte's, said ..." is rare; "– Name" is not
        nxt = text[spans[i + 1][0]:spans[i + 1][1]]
        dash = re.match(rf"\s*[–—-]{{1,2}}\s*(?P<name>{_NAME})", nxt)
        name = _clean_name(dash.group("name")) if dash else ""
        if name:
            return name
    if _inside_quotation(text, s, e):
        # a sentence in the middle of a quotation is the speaker's whose attribution closes it
        for k in range(i + 1, min(len(spans), i + 4)):
            later = text[spans[k][0]:spans[k][1]]
            if "”" in later or '"' in later:
                name = _named_speaker(later, later.find("”") if "”" in later else later.find('"'))
                if name:
                    return name
                break
    if _PRONOUN_SPEECH.search(text[s:e]):
        for k in range(i - 1, max(-1, i - 4), -1):
            previous = text[spans[k][0]:spans[k][1]]
            name = _named_speaker(previous, 10_000)
            subject = re.match(rf"\s*(?P<name>{_NAME})\s+[a-z]", previous)  # "Rutte spoke in Berlin."
            name = name or (_clean_name(subject.group("name")) if subject else "")
            if name:
                return name
    return ""


def _inside_quotation(text: str, start: int, end: int) -> bool:
    """True when the sentence at ``start:end`` ends inside a curly quotation opened in its paragraph (earlier
    or in the sentence itself) and not yet closed: its attribution follows the quotation."""
    paragraph = text[max(text.rfind("\n", 0, start), 0):end]
    return paragraph.count("“") > paragraph.count("”")


# Words that end a description of who someone is ("NATO Secretary General", "a student loan expert").
_ROLE_NOUNS = frozenset(
    """president secretary general minister chancellor premier chief director head leader spokesperson spokesman
    spokeswoman ceo cfo coo founder co-founder chairman chairwoman chair executive official officer commissioner
    ambassador governor mayor senator representative congressman congresswoman lawmaker attorney lawyer prosecutor
    judge professor researcher scientist economist analyst strategist expert meteorologist forecaster editor
    correspondent reporter columnist author manager coach captain goalkeeper striker player owner partner adviser
    advisor consultant physician doctor epidemiologist virologist nurse superintendent principal commander
    sheriff member singer actor actress star king queen prince princess pope""".split()
)
_ROLE_MODIFIERS = frozenset("former deputy vice acting interim senior junior chief executive lead assistant associate "
                            "general managing prime foreign defence defense".split())
_POSTS = _ROLE_NOUNS | (_TITLES - frozenset(
    "mr mrs ms former the a an us u.s uk eu un state officials minister's foreign defence defense interior finance vice "
    "deputy".split()))
_APPOSITIVE = re.compile(r",[ \t]+(?P<role>(?:(?:a|an|the)[ \t]+)?[A-Za-z][^,.;:!?“”\"()\n]{2,90}?)[ \t]*(?:,|\.(?:\s|$))")


def role_of(text: str, name: str) -> str:
    """Who the article says the speaker is, at the first mention that says it: a title before the name
    ("NATO Secretary General Mark Rutte": "NATO Secretary General") or a description set off after it ("Mark
    Kantrowitz, a student loan expert, said": "a student loan expert"). "" when no mention says, or the name is
    not a person's (one word, or a described speaker). Either must name a post: a title's words include one
    ("Secretary of State"), a description's first words do ("a student loan expert", "co-founder of …",
    "an … entomologist"), and a description holds no verb of speech or relative clause."""
    if " " not in name or not name[:1].isupper():
        return ""
    for m in _mentions(text, name):
        before = _title_before(text, m.start())
        if before:
            return before
        after = _APPOSITIVE.match(text, m.end())
        if after and _is_role(after.group("role")):
            return after.group("role").strip()
    return ""


def _title_before(text: str, at: int) -> str:
    """The title written right before a name: capitalised words, role words and a few modifiers ("former",
    "senior"), six at most, back to punctuation, "the" or a verb, naming a post ("Secretary of State")."""
    words = re.split(r"[ \t]+", text[max(0, at - 120):at].rstrip(" \t"))
    if not words or not (words[-1].lower().strip(".") in _POSTS or words[-1][:1].isupper()):
        return ""
    title: list[str] = []
    for k in range(len(words) - 1, -1, -1):
        word, bare = words[k], words[k].lower().strip(".")
        if bare == "of" and title and k > 0 and words[k - 1].lower() in _POSTS:
            title.insert(0, word)  # "Secretary of State Antony Blinken"
            continue
        if len(title) == 6 or not re.fullmatch(r"[\w.&'’-]+", word) or bare in ("the", "a", "an", "and", "of", "by"):
            break
        if not (word[:1].isupper() or bare in _ROLE_NOUNS or bare in _ROLE_MODIFIERS):
            break
        title.insert(0, word)
    if not any(w.lower().strip(".") in _POSTS for w in title):
        return ""  # capitalised words only ("CNN's", "Berlin"): no post named
    return " ".join(title)


def _is_role(phrase: str) -> bool:
    """A description of a person's post: a role word among its first words, before any verb-like "said"."""
    words = phrase.lower().replace("’", "'").split()
    if not words or len(words) > 14 or any(w in ("said", "says", "told", "who", "which", "that") for w in words):
        return False
    head = words[:words.index("of")] if "of" in words else words[:5]
    return any(w.strip(".") in _POSTS or (w.endswith("ist") and len(w) > 6) for w in head)  # "entomologist"
