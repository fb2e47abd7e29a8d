"""Kind words the answering sentence does not repeat (issue 32, hole classes 2 and 3): a region or type word met by
a place of that kind, a role met by a person the article gives it, "which two" by a list of two, "which document"
by a title. Judged with spaCy's small model, as answers are."""

from __future__ import annotations

import pytest

from archive.answers.focus import Context, judge, question_focus
from archive.answers.kinds import asked_count, qualifier_met
from archive.answers.places import CAPITAL, COUNTRY, gazetteer
from archive.answers.shortanswer import short_phrase


def _answers(question: str, sentence: str, article: str = "", title: str = "") -> tuple[bool, str]:
    focus = question_focus(question)
    verdict = judge(question, focus, sentence, Context(title=title, article_text=lambda: article or sentence))
    return verdict.answers, verdict.reason


# (question, sentence that answers it, the direct answer, a sentence of the same words that does not)
PLACES = [
    ("Which European capital opened a driverless tram line this week?",
     "Vienna opened a driverless tram line on Monday, the city's transport authority said.", "Vienna",
     "Seoul opened a driverless tram line on Monday, the city's transport authority said."),
    ("Which Scandinavian country will host the 2030 winter games?",
     "Organisers confirmed that Sweden will host the 2030 winter games.", "Sweden",
     "Organisers confirmed that Canada will host the 2030 winter games."),
    ("Which South American nation suspended grain exports?",
     "Argentina suspended grain exports for a week after the drought.", "Argentina",
     "Ukraine suspended grain exports for a week after the drought."),
    ("The storm closed ports across the region. Which Asian capital shut its schools on Friday?",
     "Manila shut its schools on Friday as the typhoon neared.", "Manila",
     "Houston shut its schools on Friday as the hurricane neared."),
]


@pytest.mark.parametrize("question, sentence, answer, other", PLACES)
def test_a_region_word_is_met_by_a_place_of_that_region(question, sentence, answer, other):
    ok, why = _answers(question, sentence)
    assert ok, why
    phrase = short_phrase(question, sentence)
    assert phrase is not None and phrase.text == answer
    assert not _answers(question, other)[0]  # a place elsewhere is no answer


def test_the_direct_answer_is_the_place_of_the_kind_asked():
    sentence = "Denmark's capital Copenhagen opened its new metro line on Sunday."
    assert short_phrase("Which European capital opened a new metro line?", sentence).text == "Copenhagen"
    assert short_phrase("Which European country opened a new metro line in its capital?", sentence).text == "Denmark"


def test_the_gazetteer_knows_kinds_and_regions():
    book = gazetteer()
    assert CAPITAL in book.kind("Canberra") and COUNTRY in book.kind("Chile")
    assert book.in_region("Nordic", "Helsinki") and not book.in_region("Nordic", "Lisbon")
    assert book.in_region("Kenyan", "Nairobi") and not book.in_region("Kenyan", "Kampala")
    assert qualifier_met("Baltic", "Talks were held in Vilnius.") and not qualifier_met("Baltic", "Talks in Oslo.")
    assert not qualifier_met("Dimitrov", "Talks were held in Vilnius.")  # a name, not a region


ARTICLE = ("Education Minister Clara Voss said on Monday that exams would go ahead.\n\n"
           "Voss resigned on Tuesday after a row over the exam results.\n\n"
           "Her deputy, Tom Hale, said he would stay.")


def test_a_role_is_met_by_a_person_the_article_gives_it():
    for sentence in ("Mr Voss resigned on Tuesday after a row over the exam results.",
                     "Clara Voss resigned on Tuesday after a row over the exam results."):
        ok, why = _answers("Which minister resigned on Tuesday?", sentence, ARTICLE)
        assert ok, why
    ok, why = _answers("Which minister resigned on Tuesday?", "Clara Voss resigned on Tuesday after a row.",
                       ARTICLE.replace("Education Minister ", ""))
    assert not ok and "minis" in why  # without the post, any person is not the minister
    ok, why = _answers("Which minister stayed on?", "Her deputy, Tom Hale, said he would stay.", ARTICLE)
    assert not ok and "minis" in why  # Hale is given no minister's post


@pytest.mark.parametrize("question, count", [
    ("Which two countries signed the pact?", 2), ("What three cities bid for the games?", 3),
    ("Which countries signed the pact?", 0), ("Which of these two players won?", 0),
])
def test_the_number_of_things_asked_for_is_read(question, count):
    assert asked_count(question) == count


def test_which_two_wants_a_sentence_listing_two():
    question = "Which two countries signed a fishing pact on Monday?"
    ok, why = _answers(question, "Norway and Iceland signed a fishing pact on Monday in Reykjavik.")
    assert ok, why
    assert short_phrase(question, "Norway and Iceland signed a fishing pact on Monday in Reykjavik.").text == \
        "Norway and Iceland"
    ok, why = _answers(question, "Norway signed a fishing pact on Monday, officials said.")
    assert not ok and "2 names of a place" in why


def test_which_document_wants_a_title():
    question = "Which report did the audit office publish on Friday?"
    named = "The audit office published its Annual Rail Safety Report on Friday."
    ok, why = _answers(question, named)
    assert ok, why
    assert short_phrase(question, named).text == "Annual Rail Safety Report"
    ok, why = _answers(question, "The audit office published its findings on Friday, with a warning.")
    assert not ok and "title" in why


@pytest.mark.parametrize("question, choices, asked", [
    ("Which of these ferries sank off Crete: Aurora, Helios or Minerva?", ("Aurora", "Helios", "Minerva"),
     "Which of these ferries sank off Crete?"),
    ("Which city hosted the summit (Lima, Quito or Bogota)?", ("Lima", "Quito", "Bogota"), "Which city hosted the summit?"),
    ("Who won the race, and what did she say?", (), "Who won the race, and what did she say?"),
])
def test_the_choices_a_quiz_offers_are_read_apart(question, choices, asked):
    from archive.answers.asking import offered_choices, without_choices

    assert offered_choices(question) == choices
    assert without_choices(question) == asked


def test_which_of_these_is_answered_by_one_of_the_choices():
    question = "Which of these harbour towns banned cruise ships this summer: Kotor, Split or Hydra?"
    sentence = "Officials in Kotor, Budva and Tivat said the town banned cruise ships this summer."
    ok, why = _answers(question, sentence)
    assert ok, why  # the choices are no names the sentence must repeat
    assert short_phrase(question, sentence).text == "Kotor"  # the choice, not the list it stands in
    ok, why = _answers(question, "Officials in Budva said the town banned cruise ships this summer.")
    assert not ok  # none of the choices
