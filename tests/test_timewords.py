"""Time words resolved against an as-of date: a golden table, then search, ask and look-up honouring them."""

from __future__ import annotations

import json
from datetime import date

import pytest

from archive import Archive, Settings
from archive.errors import QueryError
from archive.text.timewords import Window, parse_as_of, resolve
from archive.types import record_id_of
from tests.fakes import HashingEmbedder

FRI = date(2022, 6, 17)  # a Friday
NEW_YEAR = date(2023, 1, 2)  # a Monday, two days into a year
MARCH_1 = date(2024, 3, 1)  # a leap year's March

GOLDEN = [
    # (query, as-of, words left, (start, end, phrase)) or None when it names no time
    ("Which automaker recalled 2.9 million vehicles this week?", FRI,
     "Which automaker recalled 2.9 million vehicles?", ("2022-06-10", "2022-06-17", "this week")),
    ("this week", NEW_YEAR, "this week", ("2022-12-26", "2023-01-02", "this week")),
    ("What happened in the past week in Kyiv", FRI, "What happened in Kyiv", ("2022-06-10", "2022-06-17", "in the past week")),
    ("strikes last week", FRI, "strikes", ("2022-06-03", "2022-06-10", "last week")),
    ("prices this month", MARCH_1, "prices", ("2024-03-01", "2024-03-01", "this month")),
    ("prices last month", MARCH_1, "prices", ("2024-02-01", "2024-02-29", "last month")),
    ("prices last month", NEW_YEAR, "prices", ("2022-12-01", "2022-12-31", "last month")),
    ("results last year", NEW_YEAR, "results", ("2022-01-01", "2022-12-31", "last year")),
    ("results this year", NEW_YEAR, "results", ("2023-01-01", "2023-01-02", "this year")),
    ("the vote yesterday", NEW_YEAR, "the vote", ("2023-01-01", "2023-01-01", "yesterday")),
    ("yesterday's vote", FRI, "vote", ("2022-06-16", "2022-06-16", "yesterday's")),
    ("the vote today", FRI, "the vote", ("2022-06-17", "2022-06-17", "today")),
    ("What did he announce on Monday?", FRI, "What did he announce?", ("2022-06-13", "2022-06-17", "on Monday")),
    ("What did he announce on Friday?", FRI, "What did he announce?", ("2022-06-17", "2022-06-17", "on Friday")),
    ("What did he announce last Friday?", FRI, "What did he announce?", ("2022-06-10", "2022-06-17", "last Friday")),
    ("on Sunday", NEW_YEAR, "on Sunday", ("2023-01-01", "2023-01-02", "on Sunday")),
    ("What did Putin say on December 19?", NEW_YEAR, "What did Putin say?", ("2022-12-19", "2022-12-26", "on December 19")),
    ("What did Putin say on December 19?", FRI, "What did Putin say?", ("2021-12-19", "2021-12-26", "on December 19")),
    ("floods on 19 December 2020", FRI, "floods", ("2020-12-19", "2020-12-26", "on 19 December 2020")),
    ("June 12 protests", FRI, "protests", ("2022-06-12", "2022-06-17", "June 12")),
    ("Feb 29 leap day", MARCH_1, "leap day", ("2024-02-29", "2024-03-01", "Feb 29")),
    ("the 2022-06-12 report", FRI, "the report", ("2022-06-12", "2022-06-17", "2022-06-12")),
    ("rates since March", FRI, "rates", ("2022-03-01", "2022-06-17", "since March")),
    ("rates since March", MARCH_1, "rates", ("2024-03-01", "2024-03-01", "since March")),
    ("rates since 2020", FRI, "rates", ("2020-01-01", "2022-06-17", "since 2020")),
    ("elections in June", FRI, "elections", ("2022-06-01", "2022-06-17", "in June")),
    ("elections in July", FRI, "elections", ("2021-07-01", "2021-07-31", "in July")),
    ("elections in December", NEW_YEAR, "elections", ("2022-12-01", "2022-12-31", "in December")),
    ("elections in 2021", FRI, "elections", ("2021-01-01", "2021-12-31", "in 2021")),
    ("two weeks ago", FRI, "two weeks ago", ("2022-05-31", "2022-06-06", "two weeks ago")),
    ("a fire 3 days ago", NEW_YEAR, "a fire", ("2022-12-30", "2022-12-30", "3 days ago")),
    ("a month ago", MARCH_1, "a month ago", ("2024-02-01", "2024-02-29", "a month ago")),
    # no time named: the query is left as it is
    ("How many soldiers does Russia lose each month?", FRI, None, None),
    ("20,000 soldiers a month", FRI, None, None),
    ("Black Friday sales", FRI, None, None),
    ("Why did they march 5 miles?", FRI, None, None),
    ("Officials may 3 times refuse", FRI, None, None),
    ("What will NATO do in 2029?", FRI, None, None),  # the future: not when anything was published
    ('"this week in history"', FRI, None, None),  # a quoted phrase is matched as written
    ("recently", FRI, None, None),
    ("Which city saw the biggest rise in rents compared to a year ago?", FRI, None, None),  # a baseline
    ("Prices are higher than last month", FRI, None, None),
    ("up 5% from last year", FRI, None, None),
    ("an animal frozen 46,000 years ago", FRI, None, None),
    ("a mammoth frozen 1000 years ago", FRI, None, None),
]


@pytest.mark.parametrize(("query", "as_of", "rest", "window"), GOLDEN, ids=[f"{g[0]}@{g[1]}" for g in GOLDEN])
def test_time_words_golden_table(query, as_of, rest, window):
    got_rest, got = resolve(query, as_of)
    if window is None:
        assert (got_rest, got) == (query, None)
    else:
        assert got == Window(*window)
        assert (got_rest or query) == rest


def test_window_labels():
    assert Window("2022-06-10", "2022-06-17", "this week").label() == "2022-06-10 to 2022-06-17"
    assert Window("2022-06-16", "2022-06-16", "yesterday").label() == "2022-06-16"


def test_as_of_parsing():
    assert parse_as_of("2022-06-17") == FRI
    assert parse_as_of(FRI) == FRI
    assert parse_as_of("", today=FRI) == FRI and parse_as_of(None, today=FRI) == FRI
    with pytest.raises(QueryError, match="as-of expects an ISO date such as 2022-06-17, got 'June'"):
        parse_as_of("June")


# Recalls in different years, and one undated: the same topic, the same words.
RECALLS = [
    ("recall-2022", "2022-06-14", "Ford recalls 2.9 million vehicles over a transmission fault that can roll them away."),
    ("recall-2021", "2021-06-15", "Ford recalls 2.9 million vehicles over a transmission fault, the automaker said."),
    ("recall-2023", "2023-06-13", "Ford recalls 2.9 million vehicles over a transmission fault that regulators flagged."),
    ("recall-undated", "", "Ford recalls vehicles over a transmission fault, a dealer newsletter says."),
]


@pytest.fixture(scope="module")
def recalls(tmp_path_factory) -> Archive:
    folder = tmp_path_factory.mktemp("recalls")
    feed = folder / "recalls.jsonl"
    feed.write_text("\n".join(json.dumps({"id": rid, "title": "Automaker recall", "text": text}
                                         | ({"published_at": day} if day else {}))
                              for rid, day, text in RECALLS), encoding="utf-8")
    archive = Archive(Settings(dir=folder / "archive", entities=False), embedder=HashingEmbedder(dim=256))
    assert archive.ingest([str(feed)]).added == len(RECALLS)
    return archive


def _ids(hits) -> list[str]:
    """The records' own ids (article ids are scoped by their feed)."""
    return [record_id_of(h.article.id) for h in hits]


def test_this_week_finds_the_week_before_the_as_of_date_and_undated_articles(recalls):
    q = "Which automaker recalled 2.9 million vehicles this week?"
    assert set(_ids(recalls.search(q, as_of="2022-06-17", stories=False))) == {"recall-2022", "recall-undated"}
    assert set(_ids(recalls.search(q, as_of="2023-06-16", stories=False))) == {"recall-2023", "recall-undated"}
    # the words alone, without the window: every year's recall competes
    assert len(recalls.search(q, as_of="2023-06-16", stories=False, time_words=False)) == len(RECALLS)


def test_nothing_published_after_the_as_of_date_is_returned(recalls):
    ids = _ids(recalls.search("Ford recalls 2.9 million vehicles", as_of="2022-06-17", stories=False))
    assert set(ids) == {"recall-2022", "recall-2021", "recall-undated"}
    assert set(_ids(recalls.search("Ford recalls 2.9 million vehicles", as_of="2021-12-31", stories=False))) == {
        "recall-2021", "recall-undated"}
    # today (no as-of given) hides nothing
    assert len(recalls.search("Ford recalls 2.9 million vehicles", stories=False)) == len(RECALLS)


def test_recency_ranks_the_nearest_earlier_article_first_without_time_words(recalls):
    q = "Ford recalls 2.9 million vehicles transmission fault"
    plain = Archive(recalls.settings.model_copy(update={"recency_weight": 0}), embedder=recalls.embedder)
    recent = Archive(recalls.settings.model_copy(update={"recency_weight": 0.5}), embedder=recalls.embedder)
    assert _ids(recent.search(q, as_of="2023-06-20", stories=False))[0] == "recall-2023"
    assert _ids(recent.search(q, as_of="2022-06-20", stories=False))[0] == "recall-2022"
    assert _ids(recent.search(q, as_of="2021-06-20", stories=False))[0] == "recall-2021"
    # without recency, the as-of date only hides later articles: the order is the words' order
    order = _ids(plain.search(q, stories=False))
    assert _ids(plain.search(q, as_of="2023-06-20", stories=False)) == order


def test_ask_and_lookup_resolve_time_words_the_same_way(recalls):
    answer = recalls.ask("Which automaker recalled 2.9 million vehicles this week?", as_of="2022-06-17")
    assert {record_id_of(s.article.id) for s in answer.sources} <= {"recall-2022", "recall-undated"}
    found = recalls.lookup("2.9 million vehicles this week", as_of="2023-06-16", approximate=False)
    assert [record_id_of(m.article.id) for m in found] == ["recall-2023"]
    # a phrase that is only a date is looked up as written, not as a window
    assert recalls.lookup("June 12", as_of="2023-06-16", approximate=False) == []


def test_interpret_reports_the_window_and_the_words_left(recalls):
    timed = recalls.interpret("Ford recall this week", as_of="2022-06-17")
    assert (timed.text, timed.window, timed.as_of) == ("Ford recall", Window("2022-06-10", "2022-06-17", "this week"), FRI)
    assert (timed.filters.window_from, timed.filters.window_to) == ("2022-06-10", "2022-06-17")
    untimed = recalls.interpret("Ford recall this week", as_of="2022-06-17", time_words=False)
    assert untimed.text == "Ford recall this week" and untimed.window is None
    assert untimed.filters.window_to == "2022-06-17"  # the as-of date still bounds what is known


@pytest.mark.slow
def test_cli_json_carries_the_as_of_date_and_the_window(sample_archive, cli):
    where = ["--archive-dir", str(sample_archive.settings.dir)]
    code, out = cli("search", "What did Putin say about Rutte this week?", "--as-of", "2025-12-24", "--json", *where)
    data = json.loads(out)
    assert code == 0 and data["as_of"] == "2025-12-24"
    # the sample is undated: no article is dated that week, so the window is named but not applied
    assert data["window"] == {"start": "2025-12-17", "end": "2025-12-24", "phrase": "this week", "applied": False}
    assert data["query_words"] == "What did Putin say about Rutte this week?" and data["hits"]
    code, out = cli("search", "Putin Rutte this week", "--as-of", "2025-12-24", "--no-time-words", "--json", *where)
    data = json.loads(out)
    assert data["window"] is None and data["query_words"] == "Putin Rutte this week"
    code, out = cli("ask", "How many soldiers does Russia lose each month according to Rutte?", "--as-of",
                    "2025-12-24", "--json", *where)
    data = json.loads(out)
    assert data["as_of"] == "2025-12-24" and data["window"] is None and not data["refused"]


def test_a_window_in_which_an_article_is_dated_is_applied_in_json(recalls, tmp_path):
    """The JSON fields for an applied window, through the same helper the CLI prints."""
    from archive.cli.shapes import window_dict

    timed = recalls.interpret("Ford recall this week", as_of="2022-06-17")
    assert window_dict(timed) == {"start": "2022-06-10", "end": "2022-06-17", "phrase": "this week", "applied": True}
    unused = recalls.interpret("Ford recall this week", as_of="2024-06-17")
    assert unused.window is None and unused.unused == Window("2024-06-10", "2024-06-17", "this week")
    assert unused.text == "Ford recall this week"
    assert window_dict(unused)["applied"] is False
