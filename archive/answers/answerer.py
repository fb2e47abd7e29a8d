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
from dataclasses import replace

from archive.answers.candidates import choose_sentences, score_candidates
from archive.answers.focus import (
    Context,
    Focus,
    article_stems,
    judge,
    question_focus,
    select_answer,
    supports,
)
from archive.answers.followups import (
    carry_topic,
    inherited_names,
    is_follow_up,
    previous_speaker,
)
from archive.answers.markers import make_citation, parse_markers, renumber, split_answer
from archive.answers.shortanswer import KindOf
from archive.answers.types import (
    Answer,
    Answered,
    AnswerSentence,
    Candidate,
    Event,
    ShortAnswer,
    Source,
    SourcesFound,
    Token,
)
from archive.answers.verify import Verifier
from archive.models.chat import ChatBackend
from archive.models.embedding import Embedder
from archive.search.roles import ArticleReader, Retriever
from archive.settings import Settings
from archive.text.fold import normalize
from archive.text.query import plain_query
from archive.types import Filters


class Answerer:
    """Answers questions from an archive with one backend: extractive or a chat model.

    It is given the narrow things it uses: a ``retriever`` (search, and how search reads a question's time
    words), a ``reader`` of whole articles, the ``embedder`` sentences are scored with, a ``verifier`` and,
    for a generative answerer, a chat backend."""

    def __init__(self, settings: Settings, retriever: Retriever, reader: ArticleReader, embedder: Embedder,
                 verifier: Verifier, chat: ChatBackend | None = None):
        self.settings = settings
        self.retriever = retriever
        self.reader = reader
        self.embedder = embedder
        self.verifier = verifier
        self.chat = chat
        self.name = chat.name if chat is not None else "extractive"

    def ask(
        self, question: str, history: Sequence[Answer] = (), filters: Filters | None = None, as_of=None,
        time_words: bool | None = None,
    ) -> Answer:
        answer = None
        for event in self.stream(question, history, filters, as_of, time_words):
            if isinstance(event, Answered):
                answer = event.answer
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
        timed = self.retriever.interpret(self._standalone(question, history), filters, as_of, time_words)
        standalone = timed.text  # "this week" is when, not what: sentences are scored on the rest
        # Every report of a story may answer: another outlet's rewrite can hold the sentence the first lacks.
        hits = self.retriever.search(standalone, self.settings.answer_sources, timed.filters, stories=False,
                                   as_of=timed.as_of, time_words=False)
        full = self.reader.get_articles([h.article.id for h in hits])  # verification needs the text
        hits = [replace(h, article=full.get(h.article.id, h.article)) for h in hits]
        candidates = score_candidates(standalone, hits, self.embedder)
        s = self.settings
        asked = self._asked(question, standalone, history)
        focus = question_focus(asked, inherited_names(question, history), previous_speaker(history))
        kind_of = self.reader.name_kind_lookup() if self.reader is not None else None
        best, verdict, why = select_answer(asked, focus, candidates, s.min_answer_similarity, s.min_answer_coverage,
                                           kind_of)
        if best is None:
            yield Answered(self._refusal(question, standalone, hits, started, note=why, kind=focus.kind))
            return
        if self.chat is None:
            others = [c for c in candidates if c is not best and supports(asked, focus, c)]
            answer = self._extractive(question, standalone, [best, *others])
            answer.judgement = verdict
            yield SourcesFound(answer.sources)
            for sentence in answer.sentences:  # shown at once; the direct answer is worked out after
                yield Token(sentence.marked() + " ")
        else:
            sources = [Source(i + 1, h.article, h.chunk) for i, h in enumerate(hits)]
            yield SourcesFound(sources)
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
                yield Token(token)
            answer = self._generated(question, standalone, "".join(tokens), sources)
            if answer.refused:
                answer = self._refusal(question, standalone, hits, started, answer, kind=focus.kind)
            else:
                self._judge_generated(answer, asked, focus, kind_of)
        if not answer.refused:
            self._direct(answer, asked, focus, kind_of)
            answer.note = why or answer.note  # a labelled answer says what its sentence may lack
        answer.elapsed_ms = (time.perf_counter() - started) * 1000
        yield Answered(answer)

    def _asked(self, question: str, standalone: str, history: Sequence[Answer]) -> str:
        """The question a sentence is judged against: a model's rewrite, or the follow-up as asked (the names
        it inherits are judged apart: one of them is enough), time words left out as retrieval left them."""
        if carry_topic(question, history) != question and standalone.endswith(")"):
            return re.sub(r"\s*\([^()]*\)$", "", standalone)
        return standalone

    def _direct(self, answer: Answer, asked: str, focus: Focus, kind_of: KindOf | None = None) -> None:
        """The direct answer from the first quoted sentence, the speakers, and a plain note when the sentence
        holds no phrase of the kind asked for."""
        from archive.answers.asking import KIND_WORDS, WHOLE_SENTENCE
        from archive.answers.shortanswer import short_phrase
        from archive.text.speakers import attribution

        articles = {s.article.id: s.article for s in answer.sources}

        def attributed(sent: AnswerSentence) -> AnswerSentence:
            c = sent.citations[0] if sent.citations else None
            article = articles.get(c.article_id) if c else None
            if article is None:
                return sent
            speaker, role = attribution(article.text, c.start, c.end, article.found_names)
            return replace(sent, speaker=speaker, role=role)

        answer.sentences = [attributed(sent) for sent in answer.sentences]
        answer.kind = focus.kind
        first = answer.sentences[0].citations[0] if answer.sentences and answer.sentences[0].citations else None
        phrase = short_phrase(asked, first.quote, focus.kind, kind_of) if first else None
        if first is not None and phrase is not None:
            start = first.start + phrase.start
            answer.short = ShortAnswer(phrase.text, focus.kind, first.n, first.article_id, start, start + len(phrase.text))
        elif focus.kind in WHOLE_SENTENCE:
            answer.note = f"The question asks for a {KIND_WORDS[focus.kind]}: the quoted sentence is the answer."
        else:
            answer.note = f"No {KIND_WORDS[focus.kind]} is in the best sentence: it is quoted as the closest answer."

    def _judge_generated(self, answer: Answer, asked: str, focus: Focus, kind_of: KindOf | None = None) -> None:
        """A generated answer is judged on the passage window its first sentence cites."""
        first = answer.sentences[0].citations[0] if answer.sentences and answer.sentences[0].citations else None
        if first is not None:
            source = next(s for s in answer.sources if s.n == first.n)
            article = source.article
            ctx = Context(title=article.title, published_at=article.published_at or "",
                          article_stems=lambda: article_stems(article.title + "\n" + article.text),
                          kind_of=kind_of)
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
            citation = make_citation(source.n, Source(source.n, c.article, c.chunk), c.start, c.end, verdict.supported,
                                 verdict.reason)
            citation = replace(citation, verbatim=c.article.text[citation.start:citation.end] == citation.quote)
            sentences.append(AnswerSentence(c.text.strip(), (citation,)))
        sentences, ordered = renumber(sentences, list(sources.values()))
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
                citations.append(make_citation(n, src, *verdict.span, verdict.supported, verdict.reason))
            sentence = AnswerSentence(clean, tuple(c for c in citations if c.supported))
            if not sentence.citations:
                answer.removed.append((clean, "; ".join(f"[{c.n}] {c.reason}" for c in citations)))
                continue
            kept.append(sentence)
        if not kept:
            answer.refused = True
            return answer
        answer.sentences, answer.sources = renumber(kept, sources)
        return answer


def quotes_verbatim(answer: Answer, article_texts: dict[str, str]) -> bool:
    """True when every quoted phrase of the answer appears in a cited article (used by the evaluation)."""
    from archive.answers.verify import quoted_phrases

    for sentence in answer.sentences:
        cited = " ".join(normalize(article_texts.get(c.article_id, "")) for c in sentence.citations)
        if any(normalize(q) not in cited for q in quoted_phrases(sentence.text)):
            return False
    return True
