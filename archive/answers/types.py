"""The answer's domain types: sources, citations, quoted sentences, the direct answer, the answer itself
(with its Markdown and JSON forms), scored candidate sentences and the stream's events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archive.text.speakers import said_by
from archive.types import Article, Chunk

REFUSAL = "The archive does not contain an answer to this question."


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
    role: str = ""  # who the article says the speaker is ("NATO Secretary General"); "" when it does not say

    @property
    def said_by(self) -> str:
        """The speaker with the role the article gives ("Mark Rutte, NATO Secretary General"); "" for no one."""
        return said_by(self.speaker, self.role)

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

    def said_by(self, citation: Citation) -> str:
        """Who the article says said a cited passage, with the role it gives ("Mark Rutte, NATO Secretary
        General"); "" when it attributes it to no one."""
        return next((s.said_by for s in self.sentences for c in s.citations
                     if (c.n, c.start, c.end) == (citation.n, citation.start, citation.end) and s.said_by), "")

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
            "sentences": [{"text": s.text, "speaker": s.speaker, "speaker_role": s.role,
                           "citations": [c.n for c in s.citations]} for s in self.sentences],
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
                        said = self.said_by(c)
                        lines.append(f"> {quote} (characters {c.start}-{c.end}{'; said by ' + said if said else ''})")
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



@dataclass(frozen=True)
class SourcesFound:
    """The stream's first event: the numbered sources the answer will cite."""

    sources: list[Source]


@dataclass(frozen=True)
class Token:
    """A piece of the answer's text: each generated token, or each quoted sentence of an extractive answer as
    soon as it is chosen."""

    text: str


@dataclass(frozen=True)
class Answered:
    """The stream's last event: the checked answer (or the refusal)."""

    answer: Answer


Event = SourcesFound | Token | Answered



@dataclass(frozen=True)
class Judgement:
    """Whether one sentence answers the question, and if not, what it lacks."""

    focus: bool  # carries the question's numbers, quoted terms, names and speaker
    kind: bool  # holds a phrase of the expected kind that the question does not
    echo: bool  # restates the question
    missing: tuple[str, ...] = ()
    speaker: str = ""  # who the article says said the sentence ("" when unattributed or not looked up)
    rules: tuple[str, ...] = ()  # the gate's rules it breaks (archive/answers/focus.py), as the refusal log names them

    @property
    def answers(self) -> bool:
        return self.focus and self.kind and not self.echo

    @property
    def reason(self) -> str:
        if self.echo:
            return "restates the question"
        if self.answers:
            return "focus and answer kind present"
        return "lacks " + ", ".join(self.missing)
