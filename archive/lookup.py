"""Source look-up: which articles contain a phrase, where exactly, and who the text says said it.

Exact matches come from the keyword index (an FTS5 phrase query), confirmed against the article text
with case, quote style and line breaks folded, so the span returned is the exact characters of the
article. Approximate matches (a misremembered quote, "20,000 soldiers a month" for "20,000 soldier
losses monthly") come from the hybrid search's passages, aligned sentence by sentence with rapidfuzz.

The speaker is read from explicit attribution near the match: "Rutte stated, “…”", "“…”, said Rutte",
"according to Rutte", "“…” – Mark Rutte". A "he said" looks back up to three sentences for a named
speaker. Titles before a name ("NATO Secretary General Mark Rutte") are trimmed. A quotation set on
its own line with "– Mark Rutte" on the next is Rutte's; a speaker the text only describes ("the head
of Germany's intelligence service said") is given as described. A surname is given in full as the
article names the person ("Rutte" is "Mark Rutte"; archive/text/speakers.py ``in_full``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from archive.search.roles import ArticleReader, PhraseIndex, Retriever
from archive.text.fold import folded_map
from archive.text.query import ParsedQuery, plain_query
from archive.text.sentences import sentence_spans
from archive.text.speakers import attribution, said_by
from archive.types import Article, Filters

MIN_FUZZY_SCORE = 75.0


@dataclass(frozen=True)
class LookupHit:
    """One place an article contains the phrase."""

    article: Article
    start: int  # article coordinates of the matched text
    end: int
    sentence_start: int  # the sentence around it
    sentence_end: int
    exact: bool
    score: float  # 100 for an exact match, else rapidfuzz's partial ratio
    speaker: str  # "" when the text attributes it to no one
    role: str = ""  # who the article says the speaker is ("NATO Secretary General"); "" when it does not say

    @property
    def said_by(self) -> str:
        """The speaker with the role the article gives ("Mark Rutte, NATO Secretary General"); "" for no one."""
        return said_by(self.speaker, self.role)

    @property
    def quote(self) -> str:
        return self.article.text[self.start:self.end]

    @property
    def sentence(self) -> str:
        return self.article.text[self.sentence_start:self.sentence_end]

    def to_dict(self) -> dict[str, Any]:
        a = self.article
        return {"article_id": a.id, "title": a.title, "source": a.source, "published_at": a.published_at,
                "origin": a.origin, "url": a.url, "start": self.start, "end": self.end, "quote": self.quote,
                "sentence": self.sentence, "exact": self.exact, "score": round(self.score, 1),
                "speaker": self.speaker, "speaker_role": self.role}


def _fold(text: str) -> str:
    return folded_map(text)[0]


def phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    words = _fold(phrase.strip().strip('"“”')).split()
    if not words:
        return None
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)", re.IGNORECASE)


def exact_spans(text: str, phrase: str) -> list[tuple[int, int]]:
    """Where ``phrase`` occurs in ``text`` (folded as ``folded_map`` says), in ``text``'s own coordinates."""
    pattern = phrase_pattern(phrase)
    if not pattern:
        return []
    folded, where = folded_map(text)
    return [(where[m.start()], where[m.end() - 1] + 1) for m in pattern.finditer(folded) if m.end() > m.start()]


def _sentence_around(text: str, start: int) -> tuple[int, int]:
    for s, e in sentence_spans(text) or [(0, len(text))]:
        if s <= start < e:
            return s, e
    return 0, len(text)


def lookup(index: PhraseIndex, retriever: Retriever, phrase: str, k: int = 10, filters: Filters | None = None,
           approximate: bool = True) -> list[LookupHit]:
    """Articles containing ``phrase``: exact matches first, then close ones (when ``approximate``)."""
    phrase = plain_query(phrase).strip('"“”').strip()
    if not phrase:
        return []
    matches = index.keyword_chunks(ParsedQuery((), (phrase,)), max(50, k * 5), filters)
    candidates = list(dict.fromkeys(m.chunk.article_id for m in matches))
    searched = retriever.search(phrase, max(k, 10), filters) if approximate or len(candidates) < k else []
    # The keyword index splits a word where an invisible mark sits ("Rott\u200enest"), so its phrase query
    # misses such a spelling; the best search hits are read with the same folding as a second source.
    candidates += [h.article.id for h in searched if h.article.id not in candidates]
    articles = index.get_articles(candidates)
    hits: list[LookupHit] = []
    seen: set[tuple[str, int]] = set()
    for article in articles.values():
        for start, end in exact_spans(article.text, phrase):
            if (article.id, start) in seen:
                continue
            seen.add((article.id, start))
            s, e = _sentence_around(article.text, start)
            hits.append(LookupHit(article, start, end, s, e, True, 100.0, *attribution(article.text, start, end, article.found_names)))
    hits.sort(key=lambda h: (h.article.published_at or "9999", h.article.id, h.start))
    if approximate and len(hits) < k:
        hits += _approximate(index, phrase, searched, {a for a, _ in seen}, articles)
    return hits[:k]


_TOKEN = re.compile(r"\d[\d,.]*\d|\w+", re.UNICODE)


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """(key, start, end) per word: numbers without separators, words by their first five letters."""
    out = []
    for m in _TOKEN.finditer(text):
        word = m.group(0).lower()
        key = word.replace(",", "") if word[0].isdigit() else word[:5]
        out.append((key, m.start(), m.end()))
    return out


def approximate_span(phrase: str, sentence: str) -> tuple[float, int, int] | None:
    """How closely ``sentence`` contains ``phrase`` (0-100) and where, or None below ``MIN_FUZZY_SCORE``.

    The score mixes the share of the phrase's words found in the sentence (numbers whole, words by
    their first five letters: "soldiers a month" meets "soldier losses monthly") with rapidfuzz's
    character-level partial ratio; the span runs from the first to the last matched word.
    """
    from rapidfuzz import fuzz

    from archive.text.words import STOPWORDS

    wanted = {k for k, _, _ in _tokens(phrase) if k not in STOPWORDS}
    if not wanted:
        return None
    matched = [(s, e) for k, s, e in _tokens(sentence) if k in wanted]
    recall = len({k for k, _, _ in _tokens(sentence) if k in wanted}) / len(wanted)
    folded_sentence, where = folded_map(sentence)
    score = 60 * recall + 0.4 * fuzz.partial_ratio(_fold(phrase), folded_sentence)
    if score < MIN_FUZZY_SCORE or not matched:
        return None
    start, end = matched[0][0], matched[-1][1]
    if end - start > 3 * len(phrase):  # scattered words: fall back to the best character alignment
        align = fuzz.partial_ratio_alignment(_fold(phrase), folded_sentence)
        if align.dest_end > align.dest_start:
            start, end = where[align.dest_start], where[align.dest_end - 1] + 1
    return score, start, end


def _approximate(reader: ArticleReader, phrase: str, searched: list, exclude: set[str],
                 articles: dict[str, Article]) -> list[LookupHit]:
    found: list[LookupHit] = []
    for hit in searched:
        if hit.article.id in exclude:
            continue
        best: tuple[float, int, int] | None = None
        for chunk in (hit.chunk, *hit.passages):
            for s, e in sentence_spans(chunk.text):
                found_span = approximate_span(phrase, chunk.text[s:e])
                if found_span is not None and (best is None or found_span[0] > best[0]):
                    a0 = chunk.start + s
                    best = (found_span[0], a0 + found_span[1], a0 + found_span[2])
        if best is not None:
            score, start, end = best
            article = articles.get(hit.article.id) or reader.get_articles([hit.article.id])[hit.article.id]
            s, e = _sentence_around(article.text, start)
            found.append(LookupHit(article, start, end, s, e, False, score, *attribution(article.text, start, end, article.found_names)))
    return sorted(found, key=lambda h: -h.score)
