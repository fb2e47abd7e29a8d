"""Grounded answers: every sentence cites a numbered source passage, and every citation is checked.

The flow is the same for every answerer:

1. Resolve a follow-up into a standalone question (LLM answerers rewrite it; the extractive answerer
   carries the names of the previous question forward).
2. Retrieve the ``answer_sources`` best articles and score their passages' sentences against the
   question (embedding similarity plus the share of the question's content words, see ``_score``).
3. Gate: when no sentence is both similar enough and covers enough of the question, refuse and list
   the closest articles. The gate runs before any model is called, so a generative model never gets
   the chance to answer from sources that do not hold the answer.
4. Answer: the extractive answerer quotes the best sentences verbatim; a generative answerer writes
   text with ``[n]`` markers, which are parsed, checked against the sources (unknown numbers dropped)
   and verified sentence by sentence (archive/answers/verify.py); unsupported sentences are removed from the
   answer and kept in ``Answer.removed`` with the reason.
5. Renumber: the cited sources become ``[1]..[m]`` in order of first citation.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from archive.answers.focus import (
    Context,
    Focus,
    Judgement,
    article_stems,
    judge,
    question_focus,
    select_answer,
    supports,
)
from archive.answers.verify import Verifier
from archive.models.embedding import embed_short
from archive.text.fold import normalize
from archive.text.query import parse_query, plain_query
from archive.text.sentences import sentence_spans
from archive.text.words import content_stems, numbers
from archive.types import Article, Chunk, Filters, SearchHit

if TYPE_CHECKING:
    from archive.facade import Archive
    from archive.models.chat import ChatBackend

REFUSAL = "The archive does not contain an answer to this question."
MIN_SENTENCE_CHARS = 20
MAX_SENTENCE_CHARS = 700
NEAR_DUPLICATE = 0.6  # share of content words two answer sentences may share before one is dropped
SECOND_SENTENCE_MARGIN = 0.2  # a further sentence must score within this of the best one
COVERAGE_WEIGHT = 0.3  # sentence score = similarity + COVERAGE_WEIGHT * coverage + lede + answer type
LEDE_WEIGHT = 0.06
MAX_SCORED_SENTENCES = 32  # sentences embedded per answer, chosen by word coverage
LEDE_SCALE = 500  # characters: the lede bonus halves 500 characters into the article
_QUESTION_WORDS = frozenset({"what", "which", "who", "whom", "whose", "when", "where", "why", "how", "and",
                             "did", "does", "do", "is", "are", "was", "were", "according", "about", "say",
                             "tell", "told", "happen", "happened", "describe", "described", "mention",
                             "mentioned"})
_PRONOUNS = frozenset({"he", "him", "his", "she", "her", "hers", "they", "them", "their", "it", "its", "this",
                       "that", "these", "those", "there", "then"})
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*")
_MARKER = re.compile(r"\[(\s*\d+(?:\s*(?:,|;|-|–|and)\s*\d+)*\s*)\]")


@dataclass(frozen=True)
class Source:
    """A numbered source passage of an answer."""

    n: int
    article: Article
    chunk: Chunk


@dataclass(frozen=True)
class Citation:
    """One cited passage: the exact quoted span (article coordinates) and its verdict."""

    n: int
    article_id: str
    chunk_id: str
    title: str
    origin: str
    start: int
    end: int
    quote: str
    supported: bool
    reason: str = ""
    verbatim: bool = False  # the quote is the article's own characters (always so for the extractive answerer)

    @property
    def label(self) -> str:
        """What was checked, in words: the text's fidelity, not whether it answers (see ``Answer.judgement``)."""
        if self.verbatim:
            return "quoted verbatim"
        if self.supported:
            return f"supported by the passage ({self.reason})" if self.reason else "supported by the passage"
        return f"not supported: {self.reason}" if self.reason else "not supported"

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "article_id": self.article_id, "chunk_id": self.chunk_id, "title": self.title,
                "origin": self.origin, "start": self.start, "end": self.end, "quote": self.quote,
                "supported": self.supported, "quoted_verbatim": self.verbatim, "label": self.label,
                "reason": self.reason}


@dataclass(frozen=True)
class AnswerSentence:
    text: str  # without citation markers
    citations: tuple[Citation, ...]
    speaker: str = ""  # who the cited article says said it ("" when it attributes it to no one)

    @property
    def supported(self) -> bool:
        return any(c.supported for c in self.citations)

    def marked(self) -> str:
        numbers_ = sorted({c.n for c in self.citations})
        return self.text.rstrip() + "".join(f"[{n}]" for n in numbers_)


@dataclass(frozen=True)
class ShortAnswer:
    """The direct answer: a phrase of the expected kind, verbatim from the cited sentence, with its place."""

    text: str
    kind: str  # archive/answers/shortanswer.py: number, date, person, place, organisation, name, phrase
    n: int  # the citation it comes from
    article_id: str
    start: int  # article coordinates
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "kind": self.kind, "n": self.n, "article_id": self.article_id,
                "start": self.start, "end": self.end}


@dataclass
class Answer:
    """A question's answer, its numbered sources, and how it was made."""

    question: str
    standalone: str  # the question as retrieval saw it (follow-ups resolved)
    sentences: list[AnswerSentence]
    sources: list[Source]  # the cited sources, numbered 1..m in order of first citation
    refused: bool
    backend: str
    closest: list[Article] = field(default_factory=list)  # best matches, shown with a refusal
    removed: list[tuple[str, str]] = field(default_factory=list)  # (sentence, why) taken out by verification
    dropped_citations: list[int] = field(default_factory=list)  # numbers the model invented
    elapsed_ms: float = 0.0
    kind: str = ""  # the kind of answer the question asks for (archive/answers/shortanswer.py)
    short: ShortAnswer | None = None  # the direct answer, when the best sentence holds a phrase of that kind
    judgement: Judgement | None = None  # whether the best sentence answers the question (archive/answers/focus.py)
    note: str = ""  # why a refusal refused, or why there is no direct answer, in words a user can read

    @property
    def answers_question(self) -> bool:
        """The best sentence carries the question's focus and a phrase of the expected kind."""
        return not self.refused and self.judgement is not None and self.judgement.answers

    @property
    def lead(self) -> str:
        """The direct answer with its citation ("approximately 20,000 soldier losses monthly [1]"), or ""."""
        return f"{self.short.text} [{self.short.n}]" if self.short else ""

    @property
    def text(self) -> str:
        if self.refused:
            return REFUSAL
        return " ".join(s.marked() for s in self.sentences)

    @property
    def citations(self) -> list[Citation]:
        seen, out = set(), []
        for sentence in self.sentences:
            for c in sentence.citations:
                if (c.n, c.start, c.end) not in seen:
                    seen.add((c.n, c.start, c.end))
                    out.append(c)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "standalone_question": self.standalone,
            "answer": self.text,
            "short_answer": self.short.to_dict() if self.short else None,
            "expected_answer": self.kind,
            "answers_question": self.answers_question,
            "answer_check": self.judgement.reason if self.judgement else "",
            "note": self.note,
            "refused": self.refused,
            "backend": self.backend,
            "sentences": [{"text": s.text, "speaker": s.speaker, "citations": [c.n for c in s.citations]}
                          for s in self.sentences],
            "citations": [c.to_dict() for c in self.citations],
            "sources": [{"n": s.n, "article_id": s.article.id, "chunk_id": s.chunk.id, "title": s.article.title,
                         "source": s.article.source, "published_at": s.article.published_at,
                         "origin": s.article.origin, "start": s.chunk.start, "end": s.chunk.end,
                         "passage": s.chunk.text} for s in self.sources],
            "closest": [{"article_id": a.id, "title": a.title, "source": a.source, "published_at": a.published_at}
                        for a in self.closest],
            "removed": [{"sentence": s, "reason": r} for s, r in self.removed],
            "dropped_citations": self.dropped_citations,
            "elapsed_ms": round(self.elapsed_ms, 1),
        }

    def to_markdown(self) -> str:
        """The answer with its sources, for saving or pasting into a report."""
        lines = [f"## {self.question}", ""]
        if self.lead:
            lines += [f"**{self.lead}**", ""]
        lines += [self.text, ""]
        if self.note:
            lines += [f"*{self.note}*", ""]
        if self.refused and self.closest:
            lines += ["Closest articles in the archive:", ""]
            lines += [f"- {a.title} ({a.source or 'unknown source'}, {a.published_at[:10] or 'undated'}) `{a.id}`"
                      for a in self.closest]
            lines.append("")
        if self.sources:
            lines += ["### Sources", ""]
            for s in self.sources:
                a = s.article
                lines.append(f"[{s.n}] **{a.title}**, {a.source or 'unknown source'}, "
                             f"{a.published_at[:10] or 'undated'} ({a.url or a.origin}), article `{a.id}`")
                for c in self.citations:
                    if c.n == s.n:
                        quote = c.quote.replace("\n", " ")
                        lines.append(f"> {quote} (characters {c.start}-{c.end})")
                lines.append("")
        if self.removed:
            lines += ["### Removed by verification", ""]
            lines += [f"- {s} ({why})" for s, why in self.removed]
        return "\n".join(lines).rstrip() + "\n"


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, scored against the question."""

    hit_rank: int
    article: Article
    chunk: Chunk
    start: int  # chunk coordinates
    end: int
    similarity: float
    coverage: float
    score: float

    @property
    def text(self) -> str:
        return self.chunk.text[self.start:self.end]


# Events of a streamed answer: ("sources", list[Source]) once retrieval is done, ("token", str) for each
# piece of the answer's text (each generated token; each quoted sentence of an extractive answer, as soon as
# it is chosen), ("answer", Answer) at the end.
Event = tuple[str, Any]


def question_words(question: str) -> list[str]:
    """The question's content words, quoted ones included (a quoted term is what the question is about)."""
    parsed = parse_query(question)
    return list(dict.fromkeys([*parsed.words, *(w for p in parsed.phrases for w in parse_query(p).words)]))


def is_follow_up(question: str) -> bool:
    words = re.findall(r"[a-z’']+", question.lower())
    if not words:
        return False
    return bool(set(words) & _PRONOUNS) or words[0] in ("and", "also", "so") or \
        question.lower().startswith(("what about", "how about")) or len(question_words(question)) <= 1


def carried_topic(previous: str) -> str:
    """Names from the previous question that a follow-up leaves out ("Rutte", "Russia")."""
    names = [m.group(0) for m in _CAPITALISED.finditer(previous)]
    names = [n for n in names if n.lower() not in _QUESTION_WORDS]
    return " ".join(dict.fromkeys(names))


def carry_topic(question: str, history: Sequence[Answer]) -> str:
    """A follow-up with the previous question's names appended, so retrieval knows who "him" is."""
    if not history or not is_follow_up(question):
        return question
    topic = carried_topic(history[-1].standalone)
    missing = " ".join(w for w in topic.split() if w.lower() not in question.lower())
    return f"{question} ({missing})" if missing else question


def inherited_names(question: str, history: Sequence[Answer]) -> list[str]:
    """The previous turn's names a follow-up leaves out, its answer's speaker first: who "he" is."""
    if not history or not is_follow_up(question):
        return []
    names = [m.group(0) for m in _CAPITALISED.finditer(history[-1].standalone)]
    names = [previous_speaker(history), *(n for n in names if n.lower() not in _QUESTION_WORDS)]
    return [n for n in dict.fromkeys(names) if n and n.lower() not in question.lower()]


def previous_speaker(history: Sequence[Answer]) -> str:
    """Who said what the previous answer quoted ("" when it quoted no one, or refused)."""
    if not history or history[-1].refused or not history[-1].sentences:
        return ""
    return history[-1].sentences[0].speaker


def _answer_type_bonus(question: str, sentence: str) -> float:
    q = question.lower()
    if q.startswith(("how many", "how much")) or "how large" in q or "what percentage" in q:
        return 0.05 if numbers(sentence) else 0.0
    if q.startswith("when") or "what year" in q or "what date" in q:
        s = sentence.lower()
        return 0.05 if numbers(sentence) or any(m in s for m in _MONTHS) else 0.0
    return 0.0


def _is_prose(sentence: str) -> bool:
    """False for headings and datelines ("Rutte's Firm Warning to Russia"): a sentence ends in punctuation."""
    return sentence.rstrip().endswith((".", "!", "?", "\"", "”", "’", "'", ")", ":", ";"))


def score_candidates(question: str, hits: list[SearchHit], embedder) -> list[Candidate]:
    """The sentences of each hit's best passage, scored: similarity + coverage + answer-type evidence."""
    wanted = content_stems(" ".join(w for w in question_words(question) if w not in _QUESTION_WORDS))
    from archive.answers.prompts import instruction_spans

    rows: list[tuple[int, SearchHit, Chunk, int, int]] = []
    for rank, hit in enumerate(hits):
        withheld = instruction_spans(hit.article.text)  # text aimed at an AI is never quoted as news
        for chunk in (hit.chunk, *hit.passages[:2]):
            for start, end in sentence_spans(chunk.text):
                at = chunk.start + start
                if any(s <= at < e for s, e in withheld):
                    continue
                if MIN_SENTENCE_CHARS <= end - start <= MAX_SENTENCE_CHARS and _is_prose(chunk.text[start:end]):
                    rows.append((rank, hit, chunk, start, end))
    seen, unique = set(), []
    for row in rows:
        key = (row[1].article.id, row[2].start + row[3])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    if not unique:
        return []
    # Word coverage is cheap and embedding is not: only the sentences holding most of the question's
    # words (earlier ones first on ties) are embedded. On the dev questions, keeping 32 of ~70 left the
    # cited-answer rate unchanged and halved the answer's embedding time.
    covered = []
    for rank, hit, chunk, s, e in unique:
        have = content_stems(f"{hit.article.title} {chunk.text[s:e]}")
        covered.append((len(wanted & have) / len(wanted) if wanted else 0.0, rank, hit, chunk, s, e))
    covered = sorted(covered, key=lambda t: (-t[0], t[3].start + t[4]))[:MAX_SCORED_SENTENCES]
    texts = [question] + [chunk.text[s:e] for _, _, _, chunk, s, e in covered]
    vectors = np.asarray(embed_short(embedder, texts), dtype=np.float32)
    sims = vectors[1:] @ vectors[0]
    out = []
    for (coverage, rank, hit, chunk, s, e), sim in zip(covered, sims):
        sentence = chunk.text[s:e]
        # News puts the key facts first (the inverted pyramid): an early sentence gets a small lift.
        lede = LEDE_WEIGHT / (1 + (chunk.start + s) / LEDE_SCALE)
        score = float(sim) + COVERAGE_WEIGHT * coverage + _answer_type_bonus(question, sentence) + lede
        out.append(Candidate(rank, hit.article, chunk, s, e, float(sim), coverage, score))
    return sorted(out, key=lambda c: -c.score)


def choose_sentences(candidates: list[Candidate], limit: int, min_similarity: float) -> list[Candidate]:
    """The best sentence and up to ``limit - 1`` others close to its score that add something new."""
    if not candidates:
        return []
    best = candidates[0]
    chosen = [best]
    for c in candidates[1:]:
        if len(chosen) >= limit:
            break
        if c.score < best.score - SECOND_SENTENCE_MARGIN or c.similarity < min_similarity:
            continue
        stems = content_stems(c.text)
        if any(len(stems & content_stems(o.text)) / max(1, min(len(stems), len(content_stems(o.text))))
               > NEAR_DUPLICATE for o in chosen):
            continue
        chosen.append(c)
    return chosen


def _citation(n: int, source: Source, start: int, end: int, supported: bool, reason: str) -> Citation:
    chunk, article = source.chunk, source.article
    return Citation(n=n, article_id=article.id, chunk_id=chunk.id, title=article.title, origin=article.origin,
                    start=chunk.start + start, end=chunk.start + end, quote=chunk.text[start:end],
                    supported=supported, reason=reason)


def parse_markers(text: str, known: int) -> tuple[str, list[int], list[int]]:
    """Strip ``[n]`` markers from a sentence: (clean text, numbers in range, numbers out of range)."""
    found: list[int] = []
    for match in _MARKER.finditer(text):
        for part in re.split(r"\s*(?:,|;|and)\s*", match.group(1).strip()):
            bounds = re.split(r"\s*[-–]\s*", part)
            if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
                lo, hi = int(bounds[0]), int(bounds[1])
                found += list(range(lo, hi + 1)) if 0 < hi - lo < 20 else [lo, hi]
            elif part.isdigit():
                found.append(int(part))
    clean = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", _MARKER.sub("", text))).strip()
    valid = list(dict.fromkeys(n for n in found if 1 <= n <= known))
    invalid = list(dict.fromkeys(n for n in found if not 1 <= n <= known))
    return clean, valid, invalid


def split_answer(text: str) -> list[str]:
    """Sentences of a generated answer; markers that follow a full stop stay with their sentence."""
    text = re.sub(r"([.!?])\s*((?:\[[^\]]*\]\s*)+)", lambda m: " " + m.group(2).strip() + m.group(1) + " ", text)
    return [text[s:e].strip() for s, e in sentence_spans(text) if text[s:e].strip()]


def _renumber(sentences: list[AnswerSentence], sources: list[Source]) -> tuple[list[AnswerSentence], list[Source]]:
    order: dict[int, int] = {}
    for sentence in sentences:
        for c in sentence.citations:
            order.setdefault(c.n, len(order) + 1)
    by_n = {s.n: s for s in sources}
    new_sources = [Source(new, by_n[old].article, by_n[old].chunk) for old, new in order.items()]
    new_sentences = [AnswerSentence(s.text, tuple(Citation(**{**c.__dict__, "n": order[c.n]}) for c in s.citations))
                     for s in sentences]
    return new_sentences, new_sources


class Answerer:
    """Answers questions from an archive with one backend: extractive or a chat model."""

    def __init__(self, archive: "Archive", verifier: Verifier, chat: "ChatBackend | None" = None):
        self.archive = archive
        self.settings = archive.settings
        self.verifier = verifier
        self.chat = chat
        self.name = chat.name if chat is not None else "extractive"

    def ask(
        self, question: str, history: Sequence[Answer] = (), filters: Filters | None = None, as_of=None,
        time_words: bool | None = None,
    ) -> Answer:
        answer = None
        for kind, value in self.stream(question, history, filters, as_of, time_words):
            if kind == "answer":
                answer = value
        assert answer is not None
        return answer

    def stream(
        self, question: str, history: Sequence[Answer] = (), filters: Filters | None = None, as_of=None,
        time_words: bool | None = None,
    ) -> Iterator[Event]:
        """``as_of``: the date the archive is consulted as of; time words resolve against it, as in search
        (``time_words=False`` reads them as plain words)."""
        started = time.perf_counter()
        question = plain_query(question)
        timed = self.archive.interpret(self._standalone(question, history), filters, as_of, time_words)
        standalone = timed.text  # "this week" is when, not what: sentences are scored on the rest
        # Every report of a story may answer: another outlet's rewrite can hold the sentence the first lacks.
        hits = self.archive.search(standalone, self.settings.answer_sources, timed.filters, stories=False,
                                   as_of=timed.as_of, time_words=False)
        full = self.archive.store.get_articles([h.article.id for h in hits])  # verification needs the text
        hits = [replace(h, article=full.get(h.article.id, h.article)) for h in hits]
        candidates = score_candidates(standalone, hits, self.archive.embedder)
        s = self.settings
        asked = self._asked(question, standalone, history)
        focus = question_focus(asked, inherited_names(question, history), previous_speaker(history))
        best, verdict, why = select_answer(asked, focus, candidates, s.min_answer_similarity, s.min_answer_coverage)
        if best is None:
            yield "answer", self._refusal(question, standalone, hits, started, note=why, kind=focus.kind)
            return
        if self.chat is None:
            others = [c for c in candidates if c is not best and supports(asked, focus, c)]
            answer = self._extractive(question, standalone, [best, *others])
            answer.judgement = verdict
            yield "sources", answer.sources
            for sentence in answer.sentences:  # shown at once; the direct answer is worked out after
                yield "token", sentence.marked() + " "
        else:
            sources = [Source(i + 1, h.article, h.chunk) for i, h in enumerate(hits)]
            yield "sources", sources
            tokens: list[str] = []
            from archive.answers.prompts import (
                answer_messages,
                format_source,
                instruction_spans,
                redact,
            )

            formatted = [format_source(x.n, x.article.title, x.article.published_at, x.article.source,
                                       redact(x.chunk.text, instruction_spans(x.article.text), x.chunk.start))
                         for x in sources]
            for token in self.chat.stream(answer_messages(standalone, formatted)):
                tokens.append(token)
                yield "token", token
            answer = self._generated(question, standalone, "".join(tokens), sources)
            if answer.refused:
                answer = self._refusal(question, standalone, hits, started, answer, kind=focus.kind)
            else:
                self._judge_generated(answer, asked, focus)
        if not answer.refused:
            self._direct(answer, asked, focus)
        answer.elapsed_ms = (time.perf_counter() - started) * 1000
        yield "answer", answer

    def _asked(self, question: str, standalone: str, history: Sequence[Answer]) -> str:
        """The question a sentence is judged against: a model's rewrite, or the follow-up as asked (the names
        it inherits are judged apart: one of them is enough), time words left out as retrieval left them."""
        if carry_topic(question, history) != question and standalone.endswith(")"):
            return re.sub(r"\s*\([^()]*\)$", "", standalone)
        return standalone

    def _direct(self, answer: Answer, asked: str, focus: Focus) -> None:
        """The direct answer from the first quoted sentence, the speakers, and a plain note when the sentence
        holds no phrase of the kind asked for."""
        from archive.answers.shortanswer import KIND_WORDS, WHOLE_SENTENCE, short_phrase
        from archive.text.speakers import speaker_of

        texts = {s.article.id: s.article.text for s in answer.sources}
        answer.sentences = [replace(sent, speaker=speaker_of(texts.get(sent.citations[0].article_id, ""),
                                                             sent.citations[0].start, sent.citations[0].end))
                            if sent.citations else sent for sent in answer.sentences]
        answer.kind = focus.kind
        first = answer.sentences[0].citations[0] if answer.sentences and answer.sentences[0].citations else None
        phrase = short_phrase(asked, first.quote, focus.kind) if first else None
        if first is not None and phrase is not None:
            start = first.start + phrase.start
            answer.short = ShortAnswer(phrase.text, focus.kind, first.n, first.article_id, start, start + len(phrase.text))
        elif focus.kind in WHOLE_SENTENCE:
            answer.note = f"The question asks for a {KIND_WORDS[focus.kind]}: the quoted sentence is the answer."
        else:
            answer.note = f"No {KIND_WORDS[focus.kind]} is in the best sentence: it is quoted as the closest answer."

    def _judge_generated(self, answer: Answer, asked: str, focus: Focus) -> None:
        """A generated answer is judged on the passage window its first sentence cites."""
        first = answer.sentences[0].citations[0] if answer.sentences and answer.sentences[0].citations else None
        if first is not None:
            source = next(s for s in answer.sources if s.n == first.n)
            article = source.article
            ctx = Context(title=article.title, published_at=article.published_at or "",
                          article_stems=lambda: article_stems(article.title + "\n" + article.text))
            answer.judgement = judge(asked, focus, first.quote, ctx)

    def _standalone(self, question: str, history: Sequence[Answer]) -> str:
        if not history:
            return question
        if self.chat is not None and is_follow_up(question):
            from archive.answers.prompts import rewrite_messages

            turns: list[tuple[str, str]] = []
            for previous in history[-3:]:
                turns += [("user", previous.standalone), ("assistant", previous.text)]
            try:
                rewritten = "".join(self.chat.stream(rewrite_messages(question, turns))).strip().splitlines()
            except Exception:  # noqa: BLE001 - a failed rewrite falls back to carrying the topic
                rewritten = []
            if rewritten and rewritten[0].strip():
                return rewritten[0].strip()
        return carry_topic(question, history)

    def _refusal(self, question, standalone, hits, started, generated: Answer | None = None, note: str = "",
                 kind: str = "") -> Answer:
        answer = Answer(question, standalone, [], [], True, self.name, closest=[h.article for h in hits[:5]],
                        kind=kind, note=note)
        if generated is not None:
            answer.removed = generated.removed
            answer.dropped_citations = generated.dropped_citations
        answer.elapsed_ms = (time.perf_counter() - started) * 1000
        return answer

    def _extractive(self, question: str, standalone: str, candidates: list[Candidate]) -> Answer:
        s = self.settings
        chosen = choose_sentences(candidates, s.answer_max_sentences, s.min_answer_similarity)
        sources: dict[str, Source] = {}
        sentences = []
        for c in chosen:
            # One source per article: two sentences from two of its passages cite one number, not [1] and [3].
            source = sources.setdefault(c.article.id, Source(len(sources) + 1, c.article, c.chunk))
            verdict = self.verifier.verify(c.text, c.chunk.text, c.article.text)
            citation = _citation(source.n, Source(source.n, c.article, c.chunk), c.start, c.end, verdict.supported,
                                 verdict.reason)
            citation = replace(citation, verbatim=c.article.text[citation.start:citation.end] == citation.quote)
            sentences.append(AnswerSentence(c.text.strip(), (citation,)))
        sentences, ordered = _renumber(sentences, list(sources.values()))
        return Answer(question, standalone, sentences, ordered, False, self.name)

    def _generated(self, question: str, standalone: str, text: str, sources: list[Source]) -> Answer:
        from archive.answers.prompts import REFUSAL_MARK

        answer = Answer(question, standalone, [], [], False, self.name)
        if REFUSAL_MARK in text or not text.strip():
            answer.refused = True
            return answer
        by_n = {s.n: s for s in sources}
        kept: list[AnswerSentence] = []
        for raw in split_answer(text):
            clean, cited, invented = parse_markers(raw, len(sources))
            answer.dropped_citations += invented
            if not re.search(r"\w", clean):
                continue
            if not cited:
                # An uncited sentence may still be supported: cite the source that supports it, if any.
                cited = [n for n in by_n if self.verifier.verify(clean, by_n[n].chunk.text, by_n[n].article.text).supported][:1]
                if not cited:
                    answer.removed.append((clean, "no citation, and no source supports it"))
                    continue
            citations = []
            for n in cited:
                src = by_n[n]
                verdict = self.verifier.verify(clean, src.chunk.text, src.article.text)
                citations.append(_citation(n, src, *verdict.span, verdict.supported, verdict.reason))
            sentence = AnswerSentence(clean, tuple(c for c in citations if c.supported))
            if not sentence.citations:
                answer.removed.append((clean, "; ".join(f"[{c.n}] {c.reason}" for c in citations)))
                continue
            kept.append(sentence)
        if not kept:
            answer.refused = True
            return answer
        answer.sentences, answer.sources = _renumber(kept, sources)
        return answer


def quotes_verbatim(answer: Answer, article_texts: dict[str, str]) -> bool:
    """True when every quoted phrase of the answer appears in a cited article (used by the evaluation)."""
    from archive.answers.verify import quoted_phrases

    for sentence in answer.sentences:
        cited = " ".join(normalize(article_texts.get(c.article_id, "")) for c in sentence.citations)
        if any(normalize(q) not in cited for q in quoted_phrases(sentence.text)):
            return False
    return True
