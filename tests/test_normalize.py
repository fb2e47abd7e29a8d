"""Normalisation: clean text, titles, dates, ids, metadata."""

from __future__ import annotations

import pytest

from archive.errors import InputError
from archive.text.dates import parse_date
from archive.types import RawDocument
from ingest.normalize import (
    article_id_for,
    clean_text,
    date_from_url,
    derive_title,
    normalize,
    origin_id,
    source_from_url,
    split_title,
    title_from_url,
)
from tests.conftest import SAMPLE


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2022-07-26", "2022-07-26"),
        ("2022/07/26", "2022-07-26"),
        ("2022/7/6", "2022-07-06"),
        ("Tue, 26 Jul 2022 10:00:00 +0200", "2022-07-26T08:00:00Z"),
        ("Tue, 26 Jul 2022 10:00:00 GMT", "2022-07-26T10:00:00Z"),
        ("December 19, 2025", "2025-12-19"),
        ("19 December 2025", "2025-12-19"),
        ("2022-07-26T10:00:00Z", "2022-07-26T10:00:00Z"),
        ("2022-07-26T10:00:00+02:00", "2022-07-26T08:00:00Z"),
        ("2022-07-26 14:30:00", "2022-07-26T14:30:00"),
        ("not a date", ""),
        ("", ""),
        ("2022/13/45", ""),
    ],
)
def test_parse_date_forms(raw, expected):
    assert parse_date(raw) == expected


def test_clean_text_keeps_quotes_and_words():
    raw = "He said \u201cNATO remains here\u201d \u2013 and\u00a0left.\r\n\r\n\r\n\u200bNext\u00adline   here.  "
    assert clean_text(raw) == "He said \u201cNATO remains here\u201d \u2013 and left.\n\nNextline here."


def test_clean_text_composes_unicode():
    assert clean_text("Cafe\u0301") == "Caf\u00e9"


@pytest.mark.parametrize(
    "name, is_headline, title_start",
    [
        ("000_b3c31ebb1dec5765.txt", False, "NATO Secretary General Mark Rutte delivered a stark warning"),
        ("001_15af5051488cbce4.txt", True, "NATO Warns of Imminent Russian Offensive"),
        ("002_f1eefb7e175393c8.txt", False, "NATO Secretary General Mark Rutte warned during a speech in Berlin"),
        ("003_12d7a953f25de888.txt", True, "NATO\u2019s New Leader Stirs Tensions"),
        ("004_d6acca71867ffea4.txt", False, "Following a Tuesday meeting between US and Russian"),
    ],
)
def test_sample_titles(name, is_headline, title_start):
    text = clean_text((SAMPLE / name).read_text(encoding="utf-8"))
    title, body, headline = split_title(text, allow_headline=True)
    assert headline is is_headline
    assert title.startswith(title_start)
    assert len(title) <= 101
    if headline:
        assert not body.startswith(title), "the headline leaves the body"
    else:
        assert body == text


def test_derived_title_cuts_at_word_boundary():
    title = derive_title("A " * 80 + "end.")
    assert title.endswith("…") and len(title) <= 101 and not title[:-1].endswith(" ")


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://www.cnn.com/2022/06/15/business/ford-recall/index.html", "Ford recall"),
        ("https://www.cnn.com/videos/us/2022/09/20/desantis-marthas-vineyard-investigation-nr-vpx.cnn",
         "Desantis marthas vineyard investigation"),
        ("https://www.nytimes.com/2022/08/02/world/asia/pelosi-taiwan.html", "Pelosi taiwan"),
        ("https://www.cnn.com/2022/10/28/sport/gallery/world-series-2022", "World series 2022"),
        ("https://www.reuters.com/world/europe/russia-warns-nato-2022-08-04/", "Russia warns nato"),
        ("https://apnews.com/article/covid-19-vaccines-2f3a9b8c7d6e5f4a", "Covid 19 vaccines"),
        ("https://www.cnn.com/2022/06/12/tech/lightning-cable/index.html#:~:text=The%20company", "Lightning cable"),
        # Not slugs: ids, sections with a numeric id, bare dates, a post inside a live page.
        ("https://www.bbc.co.uk/news/world-europe-60506682", ""),
        ("https://example.com/article.php?id=123", ""),
        ("https://example.com/news/2022/08/04/", ""),
        ("https://www.cnn.com/europe/live-news/russia-ukraine-war-news-10-24-22#h_6ab0c97a71", ""),
        ("https://www.cnn.com/europe/live-news/ukraine-war-07-12-22/h_c164ac931cc8414108b8bbae8f859e65", ""),
        ("", ""),
    ],
)
def test_title_from_url(url, expected):
    assert title_from_url(url) == expected


AD_FORM = ("1. How relevant is this ad to you?\n\nVideo player was slow to load content Video content never "
           "loaded Ad froze or did not finish loading Other issues")


def test_a_page_that_is_only_furniture_is_titled_by_its_url_and_keeps_every_line():
    ford = normalize(RawDocument(text=AD_FORM, origin="/x/a.jsonl#1", record_id="1",
                                 hints={"url": "https://www.cnn.com/2022/06/15/business/ford-recall/index.html"}))
    taco = normalize(RawDocument(text=AD_FORM, origin="/x/a.jsonl#2", record_id="2",
                                 hints={"url": "https://www.cnn.com/2022/08/02/business/taco-bell-pizza/index.html"}))
    assert (ford.title, taco.title) == ("Ford recall", "Taco bell pizza")
    assert ford.text == AD_FORM, "the first line shares no word with the slug: it is not a headline"
    assert ford.content_hash != taco.content_hash, "two stories are not one article because their pages failed"


def test_a_headline_that_agrees_with_the_slug_wins_over_it():
    raw = RawDocument(text="Saudi Arabia bans rainbow toys\n\nOfficials seized the toys on Tuesday.",
                      origin="/x/a.txt", hints={"url": "https://www.cnn.com/2022/06/19/saudi-rainbow-toys-ban-intl"})
    article = normalize(raw)
    assert article.title == "Saudi Arabia bans rainbow toys"
    assert article.text == "Officials seized the toys on Tuesday."


def test_a_dateline_is_not_a_headline():
    raw = RawDocument(text="Washington CNN —\n\nSenators agreed on a gun bill. It passed on Friday.", origin="/x/a.txt")
    article = normalize(raw)
    assert article.title == "Senators agreed on a gun bill"
    assert article.text.startswith("Washington CNN —"), "the dateline stays where the article put it"
    slugged = normalize(RawDocument(text=raw.text, origin="/x/b.txt",
                                    hints={"url": "https://www.cnn.com/2022/06/12/politics/senate-gun-bill/index.html"}))
    assert slugged.title == "Senate gun bill"


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://www.cnn.com/2022/06/15/business/ford-recall/index.html", "2022-06-15"),
        ("https://www.theguardian.com/world/2022/aug/04/china-taiwan", "2022-08-04"),
        ("https://www.reuters.com/world/europe/russia-warns-nato-2022-08-04/", "2022-08-04"),
        ("https://example.com/news/20220804/story.html", "2022-08-04"),
        ("https://www.cnn.com/2022/7/6/politics/x", "2022-07-06"),
        # Not dates: an impossible day, ids, a bare year, no URL.
        ("https://www.cnn.com/2022/02/30/x", ""),
        ("https://www.bbc.co.uk/news/world-europe-60506682", ""),
        ("https://example.com/2022/review", ""),
        ("", ""),
    ],
)
def test_date_from_url(url, expected):
    assert date_from_url(url) == expected


def test_a_stated_date_wins_over_the_url_and_the_url_fills_a_missing_one():
    url = "https://www.cnn.com/2022/06/15/business/ford-recall/index.html"
    stated = normalize(RawDocument(text="Body.", origin="/x/a.txt", hints={"url": url, "published_at": "2022-06-16"}))
    missing = normalize(RawDocument(text="Body.", origin="/x/b.txt", hints={"url": url}))
    assert (stated.published_at, missing.published_at) == ("2022-06-16", "2022-06-15")


def test_a_malformed_url_gives_no_title_or_source_and_no_error():
    raw = RawDocument(text="Senators agreed on a gun bill. It passed.", origin="/x/a.jsonl#1", record_id="1",
                      hints={"url": "http://[bad-host/senate-gun-bill"})
    article = normalize(raw)
    assert (article.title, article.source, article.url) == ("Senators agreed on a gun bill", "", "http://[bad-host/senate-gun-bill")


def test_normalize_uses_hints_and_url_source():
    raw = RawDocument(
        text="Body text here.",
        origin="/x/a.json#r1",
        hints={"title": "Given", "url": "https://www.cnn.com/2022/06/12/x.html", "published_at": "2022/06/12"},
        record_id="r1",
    )
    article = normalize(raw)
    assert (article.id, article.title, article.source, article.published_at) == (
        f"{origin_id('/x/a.json')}/r1", "Given", "cnn.com", "2022-06-12")
    assert article.text == "Body text here."


def test_normalize_cli_source_is_a_default_only():
    raw = RawDocument(text="Body.", origin="/x/a.txt", hints={"source": "Reuters"})
    assert normalize(raw, {"source": "CLI"}).source == "Reuters"
    assert normalize(RawDocument(text="Body.", origin="/x/b.txt"), {"source": "CLI"}).source == "CLI"


def test_normalize_finds_byline():
    raw = RawDocument(text="Big news today\n\nBy Jane Q. Doe\n\nThe story begins here.", origin="/x/a.txt")
    assert normalize(raw).author == "Jane Q. Doe"


def test_normalize_refuses_empty_and_oversized():
    with pytest.raises(InputError, match="no text"):
        normalize(RawDocument(text=" \n\u200b\n ", origin="/x/a.txt"))
    with pytest.raises(InputError, match="over the 1,000 limit"):
        normalize(RawDocument(text="x" * 2000, origin="/x/a.txt"), max_chars=1000)


def test_ids_are_stable_and_readable():
    a = article_id_for(RawDocument(text="t", origin="/data/004_d6acca71867ffea4.txt"))
    b = article_id_for(RawDocument(text="t", origin="/data/004_d6acca71867ffea4.txt"))
    c = article_id_for(RawDocument(text="t", origin="/other/004_d6acca71867ffea4.txt"))
    assert a == b != c and a.startswith("004_d6acca71867ffea4-")


@pytest.mark.parametrize(
    "origin, expected",
    [  # the ids files, URLs and records without an id had before record ids were scoped: they must not move
        ("/data/004_d6acca71867ffea4.txt", "004_d6acca71867ffea4-deaf3205"),
        ("https://www.cnn.com/2022/06/15/business/ford-recall/index.html", "index-80ca9b5e"),
        ("https://example.org/", "example-org-166d9d91"),
        ("/x/feed.jsonl:3", "feed-8476337f"),
    ],
)
def test_ids_of_files_and_urls_are_unchanged(origin, expected):
    assert article_id_for(RawDocument(text="t", origin=origin)) == expected


def test_a_records_id_is_scoped_by_its_feed():
    """Feeds number their records alike: the record's id is unique only within its feed's file or URL."""
    feed = article_id_for(RawDocument(text="t", origin="/f.jsonl#abc", record_id="abc"))
    assert feed == f"{origin_id('/f.jsonl')}/abc" and feed.startswith("f-")
    assert feed == article_id_for(RawDocument(text="other text", origin="/f.jsonl#abc", record_id="abc"))
    assert feed != article_id_for(RawDocument(text="t", origin="/g.jsonl#abc", record_id="abc"))
    # The id is cut from the end of the origin, so a '#' in the file's own path or in the id is no trouble.
    assert article_id_for(RawDocument(text="t", origin="/a#b/f.jsonl#x#1", record_id="x#1")) == (
        f"{origin_id('/a#b/f.jsonl')}/x#1")
    assert origin_id("/f.jsonl") == article_id_for(RawDocument(text="t", origin="/f.jsonl")), "a file's own id"


def test_content_hash_changes_with_title_or_text():
    base = normalize(RawDocument(text="Body.", origin="/x/a.txt", hints={"title": "T"}))
    other_title = normalize(RawDocument(text="Body.", origin="/x/a.txt", hints={"title": "U"}))
    other_text = normalize(RawDocument(text="Body!", origin="/x/a.txt", hints={"title": "T"}))
    assert len({base.content_hash, other_title.content_hash, other_text.content_hash}) == 3


def test_source_from_url():
    assert source_from_url("https://www.theweek.com/news/1") == "theweek.com"
    assert source_from_url("") == ""
