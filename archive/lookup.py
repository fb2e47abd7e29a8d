"""Source look-up: which articles contain a phrase, where exactly, and who the text says said it.

Exact matches come from the keyword index (an FTS5 phrase query), confirmed against the article text
with case, quote style and line breaks folded, so the span returned is the exact characters of the
article. Approximate matches (a misremembered quote, "20,000 soldiers a month" for "20,000 soldier
losses monthly") come from the hybrid search's passages, aligned sentence by sentence with rapidfuzz.

The speaker is read from explicit attribution near the match: "Rutte stated, “…”", "“…”, said Rutte",
"according to Rutte", "“…” – Mark Rutte". A "he said" looks back up to three sentences for a named
speaker. Titles before a name ("NATO Secretary General Mark Rutte") are trimmed. A quotation set on
its own line with "– Mark Rutte" on the next is Rutte's; a speaker the text only describes ("the head
of Germany's intelligence service said") is given as described.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archive.storage.keyword import ParsedQuery, plain_query
from archive.types import Article, Filters
from ingest.chunking import sentence_spans

if TYPE_CHECKING:
    from archive.facade import Archive

MIN_FUZZY_SCORE = 75.0
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
                "speaker": self.speaker}


_QUOTES_DASHES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def folded_map(text: str) -> tuple[str, list[int]]:
    """``text`` as look-up compares it, and where each folded character came from: lower case, straight
    quotes and dashes, and the skeleton the instruction check reads (archive/answers/prompts.py: invisible and bidi
    marks dropped, look-alike letters and accents folded), so "Rottnest" finds "Rott\u200enest" and the
    span still covers the article's own characters."""
    from archive.answers.prompts import skeleton_map

    folded, where = skeleton_map(text.translate(_QUOTES_DASHES))
    return folded, where


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


def speaker_of(text: str, start: int, end: int) -> str:
    """Who the article says said the text at ``start:end`` ("" when no attribution is found)."""
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


def _sentence_around(text: str, start: int) -> tuple[int, int]:
    for s, e in sentence_spans(text) or [(0, len(text))]:
        if s <= start < e:
            return s, e
    return 0, len(text)


def lookup(archive: "Archive", phrase: str, k: int = 10, filters: Filters | None = None,
           approximate: bool = True) -> list[LookupHit]:
    """Articles containing ``phrase``: exact matches first, then close ones (when ``approximate``)."""
    phrase = plain_query(phrase).strip('"“”').strip()
    if not phrase:
        return []
    store = archive.store
    matches = store.keyword_chunks(ParsedQuery((), (phrase,)), max(50, k * 5), filters)
    candidates = list(dict.fromkeys(m.chunk.article_id for m in matches))
    searched = archive.search(phrase, max(k, 10), filters) if approximate or len(candidates) < k else []
    # The keyword index splits a word where an invisible mark sits ("Rott\u200enest"), so its phrase query
    # misses such a spelling; the best search hits are read with the same folding as a second source.
    candidates += [h.article.id for h in searched if h.article.id not in candidates]
    articles = store.get_articles(candidates)
    hits: list[LookupHit] = []
    seen: set[tuple[str, int]] = set()
    for article in articles.values():
        for start, end in exact_spans(article.text, phrase):
            if (article.id, start) in seen:
                continue
            seen.add((article.id, start))
            s, e = _sentence_around(article.text, start)
            hits.append(LookupHit(article, start, end, s, e, True, 100.0, speaker_of(article.text, start, end)))
    hits.sort(key=lambda h: (h.article.published_at or "9999", h.article.id, h.start))
    if approximate and len(hits) < k:
        hits += _approximate(archive, phrase, searched, {a for a, _ in seen}, articles)
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

    from archive.storage.keyword import STOPWORDS

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


def _approximate(archive: "Archive", phrase: str, searched: list, exclude: set[str],
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
            article = articles.get(hit.article.id) or archive.store.get_articles([hit.article.id])[hit.article.id]
            s, e = _sentence_around(article.text, start)
            found.append(LookupHit(article, start, end, s, e, False, score, speaker_of(article.text, start, end)))
    return sorted(found, key=lambda h: -h.score)
