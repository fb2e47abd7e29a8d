"""Turn a RawDocument into an Article: clean text, infer title, source, date and author."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from archive.errors import InputError
from archive.text.dates import parse_date
from archive.text.fold import unmarked
from archive.types import Article, RawDocument

# Invisible characters that carry no meaning in news text (tags characters hide text); quotes, dashes and accents
# are kept as is. Between two letters a run of them may stand for a space: archive/text/fold.py decides.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\U000e0000-\U000e007f]+")
_PARAGRAPH = re.compile(r"(?:[^\n]|\n(?!\s*\n))+")  # a paragraph: lines up to a blank one
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")
_SURROGATES = re.compile("[\ud800-\udfff]")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s|$)")
_BYLINE = re.compile(r"^\s*By\s+([A-Z][\w.'’-]+(?:\s+(?:[A-Z][\w.'’-]+|and|de|van|von)){0,5})\s*$")

TITLE_MAX_CHARS = 200
TITLE_MAX_WORDS = 30
DERIVED_TITLE_CHARS = 100


def valid_unicode(text: str) -> str:
    """Replace lone surrogates (JSON escapes such as "\\ud800" decode to them) with U+FFFD.

    Python strings may hold them, but they cannot be encoded as UTF-8, so hashing or storing them fails.
    """
    return _SURROGATES.sub("\ufffd", text)


def _cleaned_marks(paragraph: str) -> str:
    """A paragraph without its invisible marks (read as archive/text/fold.py ``unmarked`` reads them), unless only
    its marks show it to be an instruction to an AI: then they are kept, so that the check at answer time
    (archive/answers/prompts.py) still reads it, as cleaning would have hidden it ("ear<SHY>lier<SHY>guid<SHY>ance")."""
    from archive.answers.prompts import addresses_ai

    cleaned = unmarked(paragraph, _INVISIBLE)
    if cleaned != paragraph and addresses_ai(paragraph) and not addresses_ai(cleaned):
        return paragraph
    return cleaned


def clean_text(text: str) -> str:
    """Normalise unicode (NFC) and whitespace without changing any word or quote."""
    text = valid_unicode(text)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _PARAGRAPH.sub(lambda m: _cleaned_marks(m.group(0)), text) if _INVISIBLE.search(text) else text
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _MANY_BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _is_dateline(line: str) -> bool:
    """'Washington CNN —': a place and an outlet ending in a dash, standing alone before the story."""
    return len(line.split()) <= 8 and line.rstrip().endswith(("—", "–", "-"))


def _reads_as_headline(line: str, next_line: str | None) -> bool:
    words = line.split()
    if not line or len(line) > TITLE_MAX_CHARS or len(words) > TITLE_MAX_WORDS or len(words) < 2:
        return False
    if line.rstrip("\"'”’)").endswith((".", ",", ";", ":")) or _is_dateline(line):
        return False
    # A headline stands alone: a blank line or the end of the text follows it.
    return next_line is None or next_line == "" or len(words) <= 12


def derive_title(text: str) -> str:
    """A title from the first sentence, cut at a word boundary; a dateline line ('CNN —') is skipped."""
    lines = [line for line in text.split("\n") if line.strip()]
    first_line = next((line for line in lines if not _is_dateline(line)), lines[0] if lines else "")
    match = _SENTENCE_END.search(first_line)
    sentence = first_line[: match.end()] if match else first_line
    if len(sentence) <= DERIVED_TITLE_CHARS:
        return sentence.rstrip(" .")
    cut = sentence[:DERIVED_TITLE_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–-") + "…"


# Last path segments that name a page type, not the story: the slug is the segment before them.
_GENERIC_SEGMENTS = frozenset({"index", "default", "article", "story", "amp", "print", "full", "content", "page"})
_SLUG_SPLIT = re.compile(r"[-_+.,~]+|%20")
_VOWEL = re.compile(r"[aeiouy]")


def title_from_url(url: str) -> str:
    """A title read from a news URL's slug ('/2022/06/15/business/ford-recall/index.html' -> 'Ford recall').

    Editors write slugs as short headlines. Ids are not slugs: a segment qualifies only with at least
    two words of letters and no long numeric id; mixed letter-and-digit ids (other than short ones such
    as 'g7') are dropped, as are a trailing date and trailing section codes without vowels ('-nr-vpx').
    '' when the URL has no readable slug.
    """
    parsed = _parsed_url(url)
    if parsed is None or (parsed.fragment and not parsed.fragment.startswith(":~:")):
        return ""  # '#h_6ab0…' points at one post of a page (a live blog): the slug names the page
    segments = [s for s in parsed.path.split("/") if s]
    while segments:
        segment = segments.pop()
        stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", segment)
        if stem.lower() in _GENERIC_SEGMENTS or not stem:
            continue
        parts = [w for w in _SLUG_SPLIT.split(stem.lower()) if w]
        if any(w.isdigit() and len(w) >= 5 for w in parts):
            return ""  # 'world-europe-60506682': a section and a numeric id, not a headline
        words = [w for w in parts if _slug_word(w)]
        while words and len(words[-1]) <= 4 and not _VOWEL.search(words[-1]) and not words[-1].isdigit():
            words.pop()
        trailing = len(words) - next((i + 1 for i in range(len(words) - 1, -1, -1) if not words[i].isdigit()), 0)
        if trailing >= 2:  # a date ('-10-24-22'), not words of the headline
            del words[-trailing:]
        if sum(w.isalpha() for w in words) >= 2 and len(words) >= len(parts) / 2:
            title = " ".join(words)
            return title[0].upper() + title[1:]
        return ""
    return ""


_TITLE_WORD = re.compile(r"[^\W\d_]{3,}")


def _same_story(headline: str, slug_title: str) -> bool:
    """Whether a headline and a slug share a word (compared on their first five letters: 'bans', 'ban')."""
    stems = {w[:5] for w in _TITLE_WORD.findall(slug_title.lower())}
    return any(w[:5] in stems for w in _TITLE_WORD.findall(headline.lower()))


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_URL_DATES = (
    re.compile(r"/((?:19|20)\d\d)/(\d\d?)/(\d\d?)(?:/|$)"),  # /2022/06/15/
    re.compile(r"/((?:19|20)\d\d)/([a-z]{3})/(\d\d?)(?:/|$)"),  # /2022/aug/04/
    re.compile(r"[/_-]((?:19|20)\d\d)-(\d\d)-(\d\d)(?:[/_.-]|$)"),  # -2022-08-04/ or /2022-08-04/
    re.compile(r"/((?:19|20)\d\d)(\d\d)(\d\d)(?:/|$)"),  # /20220804/
)


def date_from_url(url: str) -> str:
    """The publication date a news URL states in its path ('/2022/06/15/...' -> '2022-06-15'), or ''.

    Used only when the input gives no date: news sites put the day of publication in the path, and
    without a date an article escapes every date filter.
    """
    parsed = _parsed_url(url)
    path = parsed.path.lower() if parsed else ""
    for pattern in _URL_DATES:
        match = pattern.search(path)
        if not match:
            continue
        year, month, day = match.groups()
        month_number = _MONTHS.get(month, 0) if month.isalpha() else int(month)
        try:
            return datetime(int(year), month_number, int(day)).date().isoformat()
        except ValueError:
            continue
    return ""


def _slug_word(word: str) -> bool:
    """A word of a slug, not an id: letters, a short number, or a short mix ('covid19', 'g7')."""
    if word.isalpha():
        return True
    if word.isdigit():
        return len(word) <= 4
    return word.isalnum() and len(word) <= 7


def split_title(text: str, allow_headline: bool) -> tuple[str, str, bool]:
    """Return (title, body, title_was_headline); the headline line leaves the body."""
    lines = text.split("\n")
    if allow_headline and lines:
        following = lines[1] if len(lines) > 1 else None
        if _reads_as_headline(lines[0], following) and len(lines) > 1:
            body = "\n".join(lines[1:]).strip()
            if body:
                return lines[0], body, True
    return derive_title(text), text, False


def source_from_url(url: str) -> str:
    """The publisher's domain, without 'www.' (e.g. 'cnn.com')."""
    parsed = _parsed_url(url)
    try:
        host = (parsed.hostname or "") if parsed else ""
    except ValueError:  # a malformed port or host
        host = ""
    return host.removeprefix("www.")


def _parsed_url(url: str):
    """The parsed URL, or None when there is none or it cannot be parsed ('http://[bad')."""
    try:
        return urlparse(url) if url else None
    except ValueError:
        return None


def find_byline(text: str) -> str:
    """An author named by a 'By Jane Doe' line near the top, or ''."""
    for line in text.split("\n")[:6]:
        match = _BYLINE.match(line)
        if match:
            return match.group(1)
    return ""


def content_hash(title: str, text: str) -> str:
    """Identity of what gets embedded: the title and the normalised text."""
    return hashlib.sha256(f"{title}\n\n{text}".encode()).hexdigest()


def article_id_for(raw: RawDocument) -> str:
    """A stable id: '<feed>/<record id>' for a record, else the origin's own id (see ``origin_id``).

    A record's id is only unique within its feed: two feeds both numbering from 1, or a record named
    like a stored file's article, must not overwrite each other, so the feed's id scopes it.
    """
    if raw.record_id:
        record_id = raw.record_id.strip()
        feed = raw.origin.removesuffix(f"#{raw.record_id}")
        if feed == raw.origin:  # an origin not written as '<feed>#<id>': its part before '#' is the feed
            feed = raw.origin.split("#", 1)[0]
        return valid_unicode(f"{origin_id(feed)}/{record_id}")
    return origin_id(raw.origin)


def origin_id(origin: str) -> str:
    """A readable slug of a file's or URL's name plus a short hash of the whole origin: stable per path."""
    parsed = _parsed_url(origin)
    name = Path(parsed.path).name if parsed and parsed.scheme in ("http", "https") else Path(origin).name
    stem = name.split(".", 1)[0] or ((parsed.hostname if parsed else None) or "article")
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:48] or "article"
    return f"{slug}-{hashlib.sha1(valid_unicode(origin).encode('utf-8')).hexdigest()[:8]}"


def normalize(raw: RawDocument, defaults: dict[str, str] | None = None, max_chars: int = 0) -> Article:
    """Build the Article from a raw document; ``defaults`` fill metadata the input did not state."""
    hints = {**(defaults or {}), **{k: valid_unicode(str(v)) for k, v in raw.hints.items() if v}}
    text = clean_text(raw.text)
    if not text:
        raise InputError("no text (empty after cleaning)")
    if max_chars and len(text) > max_chars:
        raise InputError(f"article has {len(text):,} characters, over the {max_chars:,} limit")
    given_title = clean_text(hints.get("title", "")).replace("\n", " ")
    url = hints.get("url", "").strip()
    if given_title:
        title, body = given_title, text
    else:
        # A headline line at the top, else the URL's slug, else the first sentence: a page whose
        # body is only furniture (an ad form, a video player) still gets a title that says what it is.
        title, body, headline = split_title(text, raw.title_from_text)
        slug_title = title_from_url(url)
        if slug_title and not (headline and _same_story(title, slug_title)):
            # A first line that shares no word with the slug is not this story's headline ('1. How
            # relevant is this ad to you?'): it stays in the body.
            title, body = slug_title, text
    return Article(
        id=article_id_for(raw),
        title=title,
        text=body,
        content_hash=content_hash(title, body),
        origin=valid_unicode(raw.origin),
        source=hints.get("source", "").strip() or source_from_url(url),
        url=url,
        author=hints.get("author", "").strip() or find_byline(body),
        published_at=parse_date(hints.get("published_at", "")) or date_from_url(url),
        ingested_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        origins=(valid_unicode(raw.origin),),
    )
