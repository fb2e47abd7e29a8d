"""Follow-ups: whether a question leans on the previous turn, and the topic, names and speaker it inherits."""

from __future__ import annotations

import re
from collections.abc import Sequence

from archive.answers.types import Answer
from archive.text.query import parse_query

QUESTION_WORDS = frozenset({"what", "which", "who", "whom", "whose", "when", "where", "why", "how", "and",
                             "did", "does", "do", "is", "are", "was", "were", "according", "about", "say",
                             "tell", "told", "happen", "happened", "describe", "described", "mention",
                             "mentioned"})


_PRONOUNS = frozenset({"he", "him", "his", "she", "her", "hers", "they", "them", "their", "it", "its", "this",
                       "that", "these", "those", "there", "then"})


MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*")


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
    names = [n for n in names if n.lower() not in QUESTION_WORDS]
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
    names = [previous_speaker(history), *(n for n in names if n.lower() not in QUESTION_WORDS)]
    return [n for n in dict.fromkeys(names) if n and n.lower() not in question.lower()]


def previous_speaker(history: Sequence[Answer]) -> str:
    """Who said what the previous answer quoted ("" when it quoted no one, or refused)."""
    if not history or history[-1].refused or not history[-1].sentences:
        return ""
    return history[-1].sentences[0].speaker
