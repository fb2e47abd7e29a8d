"""Does a sentence answer the question? Its focus and its answer kind, checked before it is quoted.

Similarity and word coverage find sentences *about* the question; they do not tell a sentence that
answers from one that only shares its topic. "And what did he say about 2029?" after a question about
Rutte is not answered by a sentence on Putin's reply, nor by "Germany's intelligence chief said ... by
2029": the first lacks 2029, the second has it from someone else. So a sentence answers only when

1. it carries the question's **focus**: every number the question names (a year may also be the
   article's), every quoted term, one of the names the question itself uses in the sentence, the
   sentence before it or the headline (news says "he" once it has said who) and the others in the
   article (a quiz question sets its scene with names the answering sentence need not repeat), at least
   one of the names a follow-up inherits from the previous turn, a word of the counted thing of "how
   many <thing>", the role of "which <role>" (a pilot, an engineer) in the sentence, the one before
   it or the headline, and in the sentence itself one of the question's other words (what it asks of its
   names: "Which hospital treated Jill Biden?" is not answered by a sentence on Jill Biden's test that
   says nothing of a hospital or of treating);
2. when the question asks what someone said ("according to Rutte", "what did he say"), that person
   says it: named in the sentence or its attributed speaker (archive/lookup.py), not merely in the
   headline;
3. it holds a phrase of the expected **kind** that the question does not already hold
   (archive/answers/shortanswer.py), as many as "which two/three" asks for; a kind word the sentence does not
   repeat ("Which European capital", "which minister") may be met by what it names (archive/answers/kinds.py);
4. it does not **restate** the question: a sentence that is itself a question, or that holds the
   question's words and asks them ("Quiz: which show ...") or adds none, is a quiz or an explainer
   asking, not news answering.

The refusal gate and the choice of the quoted sentence use this same judgement.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from archive.answers.asking import (
    COLOUR,
    DESCRIPTION,
    NAME,
    PERSON,
    PLACE,
    REASON,
    STATEMENT,
    WHO,
    WHOLE_SENTENCE,
    asking_sentence,
    counted_words,
    expected_kind,
    head_noun,
    without_choices,
)
from archive.answers.kinds import asked_count, holds_count, qualifier_met, role_met
from archive.answers.shortanswer import KindOf, answer_phrases
from archive.answers.types import Candidate, Judgement
from archive.text.fold import skeleton
from archive.text.query import parse_query
from archive.text.words import content_stems, numbers

ECHO_SHARE = 0.8  # a restatement holds at least this share of the question's content words ...
# ... and asks it (a clause opening with a question word: "Quiz: which show ...") or adds no word to it
_ASKING = re.compile(r"(?:^|[:;—–]\s*)[\"“‘']?(?:which|what|who|whom|whose|when|where|why|how)\b", re.IGNORECASE)
NAMING_MARGIN = 0.1  # a sentence naming what is asked for may score this much below one holding only a common noun
PARAPHRASE = 0.6  # cosine at which a sentence shows the archive holds the topic without sharing the words
# Rules whose failure labels the closest sentence ("may not answer the question") rather than refusing: a rule that
# refuses answerable questions more often than near misses (bench/answers.py logs both) costs more than it saves.
LABELLED: frozenset[str] = frozenset()
SUBJECT_WORDS = 8  # an unattributed sentence is the words of a name among its first words ("Russian President Vladimir Putin …")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*")
_NOT_NAMES = frozenset("""what which who whom whose when where why how and did does do is are was were according
    about say tell i a an the in on of for to""".split())
_TITLE_WORDS = frozenset("""secretary general president prime minister chancellor chief director senator governor
    mayor mr mrs ms dr the of""".split())
_QUESTION_SPEECH = (r"say|said|says|quote|quoted|cite|cited|tell|told|warn|warned|describe|described|call|called|claim|claimed|argue|argued|"
                    r"announce|announced|urge|urged|suggest|suggested|predict|predicted|mean|think|believe|"
                    r"promise|promised|describe|admit|admitted|deny|denied|insist|insisted|state|stated")
_NAMEISH = r"(?:[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*|he|she|him|her|they|them)"
_ASKED_SPEAKER = [
    re.compile(rf"\baccording\s+to\s+(?P<who>{_NAMEISH})"),
    re.compile(rf"\b(?:did|does|do|has|have|had|will|would|could)\s+(?P<who>{_NAMEISH})\s+(?:{_QUESTION_SPEECH})\b"),
    re.compile(rf"\b(?P<who>{_NAMEISH})\s+(?:{_QUESTION_SPEECH})\b"),
]
_PRONOUN = frozenset({"he", "she", "him", "her", "they", "them"})
# Words that ask or date a question rather than say what it asks ("what did he say ... this week"), as stems
_NOT_TERMS = frozenset(w[:5] for w in """what which who whom whose when where why how did does do is are was were
    according about say says said tell told happen happened describe described mention mentioned week weeks recently
    recent today yesterday tonight this last past year years month months day days new latest currently now""".split())
# "Which person/man/member ..." asks for someone; "which engineer/pilot/artist" for someone in a role
_ANYONE = frozenset("person people man men woman women member members one individual".split())
# "What colour is the cap of the bottle?" asks the colour of the cap: a sentence must name it
_COLOURED = re.compile(r"\bwhat\s+colou?rs?\s+(?:is|are|was|were|will\s+be)\s+(?:the\s+|an?\s+|its\s+|their\s+)?([\w-]+)",
                       re.IGNORECASE)
# "how many baby swings and rockers were recalled": the counted thing runs to the first verb or preposition
_COUNTED = re.compile(r"\bhow\s+many\s+((?:(?!(?:are|is|was|were|did|does|do|have|has|had|will|would|could|can|"
                      r"should|of|in|on|at|for|from|to|by|with|did)\b)[\w’'-]+\s*){1,4})", re.IGNORECASE)


@dataclass(frozen=True)
class Focus:
    """What a sentence must carry to answer the question."""

    kind: str  # the expected answer kind (archive/answers/shortanswer.py)
    numbers: frozenset[str] = frozenset()
    quoted: tuple[str, ...] = ()
    names: tuple[str, ...] = ()  # the question's own names: each must be present
    inherited: tuple[str, ...] = ()  # names a follow-up carries over: one must be present
    speaker: str = ""  # who the question asks about as a speaker
    counted: tuple[str, ...] = ()  # the words of "how many <thing>" (or "what colour is the <thing>"), as stems
    role: str = ""  # the role "which <role>" asks a person in ("engineer", "pilot"), as a stem
    terms: tuple[str, ...] = ()  # the question's words besides its names and question words, as stems: one must be present
    count: int = 0  # how many things "which two/three ..." asks for (archive/answers/kinds.py)
    scene: tuple[str, ...] = ()  # names only a scene-setting sentence before the asking one holds

    def to_dict(self) -> dict:
        return {"kind": self.kind, "numbers": sorted(self.numbers), "quoted": list(self.quoted),
                "names": list(self.names), "inherited": list(self.inherited), "speaker": self.speaker,
                "counted": list(self.counted), "role": self.role, "terms": list(self.terms), "count": self.count}


@dataclass
class Context:
    """Where a candidate sentence stands: its article's headline and date, the sentence before it, and a
    way to ask who said it (looked up only when the check needs it)."""

    title: str = ""
    published_at: str = ""
    before: str = ""
    speaker_of: Callable[[], str] = field(default=lambda: "")
    article_stems: Callable[[], set[str]] = field(default=lambda: set())  # the whole article's words
    kind_of: KindOf | None = None  # the kind the archive's name book gives a name (None: no book)
    article_text: Callable[[], str] = field(default=lambda: "")  # the whole article (a person's role at another mention)


def _names(text: str) -> list[str]:
    out = []
    for m in _CAPITALISED.finditer(text):
        words = [w for w in re.sub(r"[’']s\b", "", m.group(0)).split()]
        while words and words[0].lower() in _NOT_NAMES:
            words = words[1:]
        if words:
            out.append(" ".join(words))
    return list(dict.fromkeys(out))


def _asked_speaker(question: str, kind: str) -> str:
    """Who the question asks about as a speaker: "according to X" and "did X say" always; a bare "X said"
    only when the question asks for what was said ("Why X warned ..."): in "Which virus did the CDC say ..."
    it does, in "The CDC announced it activated a centre for which virus?" the clause only sets the scene."""
    patterns = _ASKED_SPEAKER if kind in (STATEMENT, REASON, DESCRIPTION) else _ASKED_SPEAKER[:2]
    for pattern in patterns:
        m = pattern.search(question)
        if m and m.group("who").lower() not in _NOT_NAMES:
            return m.group("who")
    return ""


def question_focus(question: str, inherited: Sequence[str] = (), previous_speaker: str = "") -> Focus:
    """The focus of ``question``; a follow-up passes the names it inherits and the previous answer's speaker
    (who "he" is)."""
    q = without_choices(skeleton(question))  # the choices a quiz offers are answers, not names it asks about
    kind = expected_kind(q)
    speaker = _asked_speaker(q, kind)
    if speaker.lower() in _PRONOUN:
        speaker = previous_speaker or next(iter(inherited), "")
    names = tuple(_names(q))
    quoted = parse_query(q).phrases  # trimmed of the sentence's punctuation: 'the show “Cheer,”' asks for Cheer
    counted = _COUNTED.search(q)
    counted_stems = tuple(sorted(content_stems(counted_words(q) or (counted.group(1) if counted else ""))))
    coloured = _COLOURED.search(q)  # "what colour is the cap ...?": the cap's, not the bottle's
    counted_stems = tuple(sorted(content_stems(coloured.group(1)))) if coloured else counted_stems
    own = {n.lower() for n in names}
    return Focus(
        kind=kind,
        numbers=frozenset(numbers(q)),
        quoted=tuple(dict.fromkeys(quoted)),
        names=names,
        inherited=tuple(n for n in inherited if n.lower() not in own and n != speaker),
        speaker=speaker,
        counted=counted_stems,
        role=_role(q, kind),
        terms=_terms(q, names),
        count=asked_count(q),
        # "Joel Greenberg, a former tax collector in Florida, is expected to ... How many charges ...?": the scene
        # tells which story from general knowledge, and its article need not name Florida
        scene=tuple(n for n in names if n not in _names(asking_sentence(q))),
    )


def _terms(question: str, names: Sequence[str]) -> tuple[str, ...]:
    """What the question asks about its names: its other content words ("hospital", "treated" in "Which
    hospital treated Jill Biden?"), as stems, without question words and time words."""
    own = content_stems(" ".join(names)) | _NOT_TERMS
    return tuple(sorted(w for w in content_stems(question) - own if len(w) > 1))


def _role(question: str, kind: str) -> str:
    """The role a "which <role>" question asks a person in: a sentence naming a person answers it only when
    it, the sentence before it or the headline names that role (any named person is not the pilot)."""
    if kind != PERSON:
        return ""
    head = head_noun(question)
    if not head or head in _ANYONE:
        return ""
    return next(iter(content_stems(head)), "")


def name_in(name: str, stems: set[str]) -> bool:
    """A name is present when one of its own words is ("Rutte" for "Mark Rutte", "Buffett" for "Warren Buffett")."""
    words = [w for w in content_stems(name) if w not in _TITLE_WORDS]
    return bool(words) and any(w in stems for w in words)


def term_in(term: str, stems: set[str]) -> bool:
    """A word of the question is in a sentence as a stem, or as the whole short word a longer one starts
    with ("warn" in "warned" and "warning", whose stems are "warne" and "warni")."""
    if term in stems:
        return True
    return len(term) >= 4 and any(len(w) >= 4 and (w.startswith(term) or term.startswith(w)) for w in stems)


def _checkable(name: str) -> bool:
    """A name made only of common words ("The Who") or too short ("US") for the word check: not required."""
    if len(name.replace(".", "")) <= 2:  # "US" is also written "U.S.": too short to look for
        return False
    return bool([w for w in content_stems(name) if w not in _TITLE_WORDS])


def is_echo(question: str, sentence: str) -> bool:
    """A sentence that is itself a question, or that holds the question's words and either asks them or adds
    nothing to them. Word overlap alone is no restatement: news answers in the question's words ("Ferries
    will dock at the northern pier from June" answers "Where will ferries dock from June?"); whether what
    it adds is an answer is the answer-kind check's to say."""
    if sentence.rstrip(" \"'”’)").endswith("?"):
        return True
    asked, said = content_stems(question), content_stems(sentence)
    if not asked or len(asked & said) / len(asked) < ECHO_SHARE:
        return False
    return not (said - asked) or bool(_ASKING.search(sentence.strip()))


def focus_missing(focus: Focus, sentence: str, ctx: Context) -> tuple[list[str], str, dict[str, str]]:
    """What of the focus ``sentence`` lacks (empty when nothing), its speaker when it was looked up, and the rule
    of each thing it lacks."""
    text = skeleton(sentence)
    near = skeleton(f"{ctx.title}\n{ctx.before}")
    stems, near_stems = content_stems(text), content_stems(near)
    missing: list[str] = []
    rules: dict[str, str] = {}  # each missing item's rule, as the refusal log names it (bench/answers.py)
    have_numbers = numbers(text) | numbers(skeleton(ctx.title)) | set(re.findall(r"^\d{4}", ctx.published_at))
    _lack(missing, rules, "numbers", *sorted(focus.numbers - have_numbers))
    folded = (text + " " + skeleton(ctx.title)).lower()
    _lack(missing, rules, "quoted words", *[f"“{q}”" for q in focus.quoted if skeleton(q).lower() not in folded])
    speaker = ""
    names = [n for n in focus.names if n != focus.speaker and _checkable(n)]
    # a region or country adjective ("Which European capital") is met by a place of it ("Copenhagen")
    local = [n for n in names if name_in(n, stems | near_stems) or qualifier_met(n, f"{text}\n{near}")]
    # the question's quoted words, found in the sentence, place it as surely as a name: its names may then
    # stand anywhere in the article ("which diners from his Australian restaurant “for mental health reasons”?")
    anchored = bool(focus.quoted) and not any(m.startswith("“") for m in missing)
    if names and not local and not focus.speaker and not anchored:
        _lack(missing, rules, "names", " or ".join(names))
    elsewhere = [n for n in names if n not in local]
    if elsewhere:
        article = ctx.article_stems()
        _lack(missing, rules, "names", *[n for n in elsewhere if not name_in(n, article) and n not in focus.scene])
    if focus.inherited and not any(name_in(n, stems | near_stems) for n in focus.inherited):
        _lack(missing, rules, "names", " or ".join(focus.inherited))
    if focus.role and focus.role not in stems | near_stems and not role_met(focus.role, text, ctx.article_text()):
        _lack(missing, rules, "role word", f"the {focus.role}… asked for")
    if focus.terms and not any(term_in(t, stems) for t in focus.terms):  # the names only, not what is asked of them
        _lack(missing, rules, "question words", f"any of {', '.join(f'{t}…' for t in focus.terms)}")
    if focus.counted and not set(focus.counted) & stems:
        _lack(missing, rules, "counted thing",
              f"the {'/'.join(focus.counted)}… {'whose colour is asked' if focus.kind == COLOUR else 'counted'}")
    if focus.speaker:
        # The one who says it: the attributed speaker, or (with no attribution) the name leading the sentence,
        # where news puts the actor. A sentence merely naming him ("a warning to Putin") is not his word.
        # By the last word of the name asked about: "Rutte" is "Mark Rutte", but "Mark Rutte" is no "Mark Zuckerberg".
        speaker = ctx.speaker_of()
        lead = content_stems(" ".join(text.split()[:SUBJECT_WORDS]))
        surname = focus.speaker.split()[-1]
        if not (name_in(surname, content_stems(speaker)) or (not speaker and name_in(surname, lead))):
            _lack(missing, rules, "speaker", f"{focus.speaker} as its speaker")
    return missing, speaker, rules


def _lack(missing: list[str], rules: dict[str, str], rule: str, *items: str) -> None:
    missing += items
    rules.update(dict.fromkeys(items, rule))


def judge(question: str, focus: Focus, sentence: str, ctx: Context, with_kind: bool = True) -> Judgement:
    """Whether ``sentence`` answers ``question`` (``with_kind=False`` skips the answer-kind check, which runs
    the language model)."""
    echo = is_echo(question, sentence)
    missing, speaker, rules = focus_missing(focus, sentence, ctx)
    kind_ok, found = True, []
    if with_kind and not echo and not missing and focus.kind not in WHOLE_SENTENCE:
        found = answer_phrases(question, sentence, focus.kind, kind_of=ctx.kind_of)
        kind_ok = bool(found) and holds_count(found, focus.count)  # "which two": a sentence naming two
    short = f"{focus.count} names of a {focus.kind}" if found else f"a {focus.kind} not already in the question"
    lacks = tuple(dict.fromkeys(missing)) + (() if kind_ok else (short,))
    broken = tuple(dict.fromkeys([rules[m] for m in missing] + ([] if kind_ok else ["names counted" if found else "answer kind"])))
    return Judgement(focus=not missing, kind=kind_ok, echo=echo, missing=lacks, speaker=speaker,
                     rules=("echo",) if echo else broken)


# --- choosing among scored candidate sentences (archive/answers/answerer.py scores them) ----------------------------

def context_of(c: Candidate, kind_of: KindOf | None = None) -> Context:
    """What the focus check may look at beside the sentence: headline, date, the sentence before, the speaker,
    and (``kind_of``) the kind the archive's name book gives a name."""
    from archive.text.sentences import sentence_spans
    from archive.text.speakers import speaker_of

    spans = [(s, e) for s, e in sentence_spans(c.chunk.text[:c.start]) if c.chunk.text[s:e].strip()]
    before = c.chunk.text[spans[-1][0]:spans[-1][1]] if spans else ""
    at = c.chunk.start
    return Context(title=c.article.title, published_at=c.article.published_at or "", before=before,
                   speaker_of=lambda: speaker_of(c.article.text, at + c.start, at + c.end, c.article.found_names),
                   article_stems=lambda: article_stems(c.article.title + "\n" + c.article.text),
                   kind_of=kind_of, article_text=lambda: c.article.text)


@lru_cache(maxsize=64)
def article_stems(text: str) -> frozenset[str]:
    """An article's content words (cached: every candidate sentence of an article asks for the same set)."""
    from archive.text.fold import skeleton

    return frozenset(content_stems(skeleton(text)))


def select_answer(asked: str, focus: Focus, candidates: list[Candidate], min_similarity: float,
                  min_coverage: float, kind_of: KindOf | None = None,
                  ) -> tuple[Candidate | None, Judgement | None, str]:
    """The gate and the choice in one. The archive holds the topic when some sentence is close to the question
    and holds more than a token share of its words (or is a close paraphrase of it); it answers when a sentence that is close to the question or
    holds that share of its words (news paraphrases a quiz's question: "coming back for a second season" for
    "green lit for a new season") also answers it (archive/answers/focus.py): the best-scored such sentence is the
    answer. Without one: (None, None, why)."""
    # A quiz restating the question does show that the archive holds the topic; it is never the answer (judge).
    # So does a sentence that means nearly what the question asks in other words ("Sri Lanka has plunged into
    # chaos and its president has fled" for "Which island nation plunged into chaos, prompting its leader to
    # flee?"), however few of its words it shares.
    if not any(c.similarity >= min_similarity and (c.coverage > min_coverage or c.similarity >= PARAPHRASE)
               for c in candidates):
        return None, None, ""
    nearest: tuple[Candidate, Judgement] | None = None
    for c in candidates:
        if not _eligible(c, min_similarity, min_coverage):
            continue
        verdict = judge(asked, focus, c.text, context_of(c, kind_of))
        if verdict.answers:
            return (*_naming(asked, focus, candidates, c, verdict, min_similarity, min_coverage, kind_of), "")
        nearest = nearest or (c, verdict)
    if nearest is not None and nearest[1].rules and set(nearest[1].rules) <= LABELLED:
        return (*nearest, f"May not answer the question: the quoted sentence {nearest[1].reason}.")
    return None, None, refusal_note(asked, focus, candidates, nearest)


def _eligible(c: Candidate, min_similarity: float, min_coverage: float) -> bool:
    """A sentence may answer when it is close to the question or holds more than a token share of its words."""
    return c.coverage > min_coverage or c.similarity >= min_similarity


def _naming(asked: str, focus: Focus, candidates: list[Candidate], best: Candidate, verdict: Judgement,
            min_similarity: float, min_coverage: float, kind_of: KindOf | None) -> tuple[Candidate, Judgement]:
    """The answer: ``best``, or a sentence scored within ``NAMING_MARGIN`` of it that names a thing of the kind
    asked for where ``best`` holds only a common noun ("Which holiday ...?": "Labor Day signals the unofficial
    end of summer" before "the day took root ... as the unofficial end of summer", marked by parades)."""
    if focus.kind not in (NAME, PLACE, WHO) or answer_phrases(asked, best.text, focus.kind, True, kind_of):
        return best, verdict
    for c in candidates[candidates.index(best) + 1:]:
        if c.score < best.score - NAMING_MARGIN:
            break
        if _eligible(c, min_similarity, min_coverage) and answer_phrases(asked, c.text, focus.kind, True, kind_of):
            named = judge(asked, focus, c.text, context_of(c, kind_of))
            if named.answers:
                return c, named
    return best, verdict


def refusal_note(asked: str, focus: Focus, candidates: list[Candidate],
                 nearest: tuple[Candidate, Judgement] | None) -> str:
    """Why the archive cannot answer, naming who it does quote when the question asked about someone else."""
    if focus.speaker:
        for c in candidates:
            verdict = judge(asked, focus, c.text, context_of(c), with_kind=False)
            if verdict.missing == (f"{focus.speaker} as its speaker",) and verdict.speaker:
                return (f"The archive does not quote {focus.speaker} on this; it attributes the closest sentence to "
                        f"{verdict.speaker} ({c.article.title or c.article.id}): “{' '.join(c.text.split())}”")
    if nearest is not None:
        return f"The closest sentence {nearest[1].reason}."
    return ""


def supports(asked: str, focus: Focus, c: Candidate) -> bool:
    """A further quoted sentence carries the focus too and does not restate the question (it need not hold
    the answer kind: it supports, the first sentence answers)."""
    verdict = judge(asked, focus, c.text, context_of(c), with_kind=False)
    return verdict.focus and not verdict.echo
