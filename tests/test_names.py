"""Golden tables for clean names: spellings, fragments, headline words, kinds, per article and archive-wide."""

from __future__ import annotations

import pytest

from archive.models.entities import EntityExtractor
from archive.storage.namebook import NameBook, entity_counts
from archive.text.names import (
    Mention,
    Name,
    clean_name,
    confirmed,
    is_acronym,
    is_headline_case,
    kind_of,
    name_key,
)


@pytest.mark.parametrize(("a", "b"), [("U.S.", "US"), ("U.S", "US"), ("u.s.", "U.S"), ("Rutte’s", "Rutte's"),
                                      ("Mark  Rutte", "mark rutte")])
def test_spellings_that_are_one_name_share_a_key(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(("a", "b"), [("US", "UK"), ("Mark Rutte", "Rutte"), ("Russia", "Russian")])
def test_different_names_keep_different_keys(a, b):
    assert name_key(a) != name_key(b)


@pytest.mark.parametrize(("raw", "clean"), [
    ("the Kremlin", "Kremlin"), ("Rutte’s", "Rutte"), ("• NATO", "NATO"),
    ("Rutte's Firm Warning", "Rutte"),       # a possessive ends the name
    ("Mark Rutte Rutte", "Mark Rutte"),      # a headline's name run into the text
    ("U.S", "U.S."), ("U.S.", "U.S."),       # an initialism keeps its final dot
    ("Donald Tusk.", "Donald Tusk"), ("New York", "New York"),
])
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean


@pytest.mark.parametrize(("line", "headline"), [
    ("NATO’s New Leader Stirs Tensions with Stark Warning to Putin", True),
    ("Barge Collides With Ferry Near Harbour", True),
    ("U.S.-NATO Relations Under Scrutiny", True),
    ("NATO Secretary General Mark Rutte delivered a stark warning during a high-stakes address in Brussels.", False),
    ("Ferry operators cut winter timetables", False),
    ("Engineers inspected the quay. Repairs will take Weeks And Months", False),  # a sentence ends inside
])
def test_headline_case_lines(line, headline):
    assert is_headline_case(line) is headline


@pytest.mark.parametrize(("name", "acronym"), [("NATO", True), ("U.S.", True), ("COVID", True), ("Rutte", False),
                                               ("Mark Rutte", False), ("A", False)])
def test_acronyms(name, acronym):
    assert is_acronym(name) is acronym


def _name(*mentions: Mention) -> Name:
    return Name(name_key(mentions[0].name), list(mentions))


@pytest.mark.parametrize(("mentions", "lower", "kept"), [
    ([Mention("Barge", "org", headline=True)], set(), False),                 # headline capitals only
    ([Mention("Stark Warning", "person", headline=True)], set(), False),
    ([Mention("Engineers", "org", opens_sentence=True)], {"engineers"}, False),  # the article's common word
    ([Mention("Germany", "place", opens_sentence=True)], set(), True),         # "Germany has approved…"
    ([Mention("Mark Rutte", "person", opens_sentence=True)], {"mark"}, True),  # two capitalised words
    ([Mention("Ferry", "org", headline=True), Mention("Ferry", "org")], {"ferry"}, True),  # mid-sentence
    ([Mention("NATO", "org", headline=True)], set(), True),                    # capitalised by its spelling
])
def test_a_name_needs_running_text_to_confirm_it(mentions, lower, kept):
    assert confirmed(_name(*mentions), lower) is kept


@pytest.mark.parametrize(("mentions", "corroborated", "kind"), [
    ([Mention("Pfizer", "person"), Mention("Pfizer", "person"), Mention("Pfizer", "org")], False, "org"),
    ([Mention("Moderna", "person", after="vaccine")], False, "org"),
    ([Mention("Donbass", "person", after="region")], False, "place"),
    ([Mention("COVID", "person"), Mention("COVID", "person")], False, "other"),   # no acronym is a person
    ([Mention("COVID-19", "org", after="pandemic"), Mention("COVID-19", "org", after="cases")], False, "other"),
    ([Mention("Tusk", "person", before="minister"), Mention("Tusk", "org")], False, "person"),  # a title
    ([Mention("Trump", "org", after="administration")], False, "person"),
    ([Mention("Putin", "person"), Mention("Putin", "org")], True, "person"),     # a full name supports it
    ([Mention("Harbour Authority", "person")], True, "org"),                     # an organisation's last word
])
def test_kinds_are_voted_by_labels_and_context(mentions, corroborated, kind):
    assert kind_of(_name(*mentions), corroborated) == kind


ARTICLES = [  # (title, text, must be found, must not be found)
    ("Barge Collides With Ferry Near Harbour",
     "A barge struck a ferry near the harbour on Monday. Engineers said the ferry was sound, and engineers "
     "from the Port of Tallinn will inspect the barge.",
     {("place", "Tallinn")}, {"Barge", "Ferry", "Engineers", "Harbour"}),
    ("NATO’s New Leader Stirs Tensions with Stark Warning to Putin",
     "NATO Secretary General Mark Rutte warned Russia on Monday. Rutte said the alliance was ready, and "
     "Rutte repeated it in Warsaw.",
     {("person", "Mark Rutte"), ("org", "NATO"), ("place", "Warsaw")},
     {"Rutte", "Stirs Tensions", "Stark Warning", "New Leader"}),
    ("Talks",
     "Concerns grow about the outcome of U.S.-Russia talks. The U.S. delegation met officials from Russia "
     "in Geneva, and US officials said little.",
     {("place", "U.S."), ("place", "Russia")}, {"U.S.-Russia", "US", "U.S"}),
    ("Warning",
     "The speech named Vladimir Vladimirovich Putin once. Russian President Vladimir Putin answered, and "
     "Putin's spokesman added more.",
     {("person", "Vladimir Putin")}, {"Vladimir Vladimirovich Putin", "Putin"}),
]


@pytest.fixture(scope="module")
def extractor():
    return EntityExtractor()


@pytest.mark.parametrize(("title", "text", "found", "not_found"), ARTICLES, ids=["headline-words", "surname",
                                                                               "compound-initialism", "middle-name"])
def test_article_names_golden(extractor, title, text, found, not_found):
    (names,) = extractor.extract([title], [text])
    assert found <= set(names), names
    assert not not_found & {n for _, n in names}, names


def test_a_name_cut_off_where_reading_stops_joins_the_full_name(extractor):
    text = "Mark Rutte spoke in Brussels on Monday about the alliance. Later, Mark Rutte met Mark Rutte"
    (names,) = EntityExtractor(max_chars=len(text) - 3).extract(["Speech"], [text])
    assert ("person", "Mark Rutte") in names and not any(n.startswith("Mark Ru") and n != "Mark Rutte" for _, n in names)


BOOK = NameBook([  # (kind, stored name, articles)
    ("person", "Mark Rutte", 50), ("person", "Rutte", 7), ("person", "Mark Ru", 1),
    ("place", "US", 800), ("place", "U.S", 600), ("org", "US", 2), ("place", "United States", 500),
    ("person", "Pfizer", 44), ("org", "Pfizer", 2),
    ("person", "Vladimir Putin", 90), ("person", "Vladimir Vladimirovich Putin", 3), ("person", "Putin", 40),
    ("org", "TRUMP", 324), ("person", "Trump", 57), ("person", "Donald Trump", 508),
    ("place", "Washington", 500), ("person", "George Washington", 20), ("place", "WASHINGTON", 900),
    ("org", "European Union", 59), ("org", "EU", 44),
])


@pytest.mark.parametrize(("stored", "kind", "shown"), [
    ("Rutte", "person", "Mark Rutte"), ("Mark Ru", "person", "Mark Rutte"),          # surname, cut-off form
    ("U.S", "place", "US"), ("United States", "place", "US"), ("US", "place", "US"),  # spellings and initials
    ("Pfizer", "org", "Pfizer"),                    # no full name in the archive supports a person
    ("Vladimir Vladimirovich Putin", "person", "Vladimir Putin"), ("Putin", "person", "Vladimir Putin"),
    ("TRUMP", "person", "Donald Trump"),            # the surname of a full name most articles use
    ("Washington", "place", "Washington"),          # a place most articles name, not George's surname
    ("EU", "org", "European Union"), ("European Union", "org", "European Union"),  # the spelling most use
])
def test_the_name_book_joins_spellings_across_the_archive(stored, kind, shown):
    entry = BOOK.entry(stored)
    assert (entry.kind, entry.name) == (kind, shown)


def test_a_filter_on_a_surname_matches_every_spelling_of_the_full_name():
    assert {"mark rutte", "rutte", "mark ru"} <= BOOK.variants_of("Rutte")
    assert {"us", "u.s", "united states"} <= BOOK.variants_of("United States")
    assert "washington" not in BOOK.variants_of("Donald Trump")


def test_facet_counts_are_per_entry_most_named_first_ties_by_name():
    rows = [("a", "rutte"), ("b", "mark rutte"), ("b", "rutte"), ("c", "us"), ("d", "united states"),
            ("a", "u.s"), ("c", "pfizer"), ("a", "eu"), ("e", "european union")]
    counts = entity_counts(BOOK, rows)
    assert counts["person"] == {"Mark Rutte": 2}  # b names him twice, counted once
    assert list(counts["place"].items()) == [("US", 3)]
    assert list(counts["org"].items()) == [("European Union", 2), ("Pfizer", 1)]
    tied = entity_counts(NameBook([("place", "Oslo", 1), ("place", "Bergen", 1), ("place", "Tromsø", 3)]),
                         [("a", "oslo"), ("b", "bergen"), ("a", "tromsø"), ("b", "tromsø"), ("c", "tromsø")])
    assert list(tied["place"]) == ["Tromsø", "Bergen", "Oslo"]
