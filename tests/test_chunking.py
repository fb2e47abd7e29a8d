"""Sentence splitting and chunk spans: golden tables and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from archive.text.sentences import sentence_spans
from ingest.chunking import chunk_article, chunk_spans, embedding_text
from ingest.normalize import clean_text
from tests.conftest import SAMPLE


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("One. Two. Three.", ["One.", "Two.", "Three."]),
        ("Mr. Smith went to Washington. He left.", ["Mr. Smith went to Washington.", "He left."]),
        ("The U.S. Army said so. Then it left.", ["The U.S. Army said so.", "Then it left."]),
        ("Gen. J. Doe spoke. Fine!", ["Gen. J. Doe spoke.", "Fine!"]),
        ("He said, “It is over.” Then he left.", ["He said, “It is over.”", "Then he left."]),
        ("Prices rose 3.5 percent. Really?", ["Prices rose 3.5 percent.", "Really?"]),
        ("Headline\nBody sentence one. Two.", ["Headline", "Body sentence one.", "Two."]),
        ("lower case after stop. is not a new sentence.", ["lower case after stop. is not a new sentence."]),
        ("  padded  \n\n  ", ["padded"]),
        ("", []),
    ],
)
def test_sentence_spans_golden(text, expected):
    assert sentences(text) == expected


def test_chunks_respect_size_and_overlap_whole_sentences():
    text = " ".join(f"Sentence number {i} is here." for i in range(40))
    spans = chunk_spans(text, size=120, overlap=40)
    assert all(e - s <= 120 for s, e in spans)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    starts = {s for s, _ in sentence_spans(text)}
    for (_s1, e1), (s2, _) in zip(spans, spans[1:]):
        assert s2 in starts, "a chunk starts at a sentence boundary"
        assert s2 < e1, "consecutive chunks overlap"
        assert e1 - s2 <= 40


def test_zero_overlap_chunks_do_not_overlap():
    text = " ".join(f"Sentence number {i} is here." for i in range(40))
    spans = chunk_spans(text, size=100, overlap=0)
    assert all(s2 >= e1 for (_, e1), (s2, _) in zip(spans, spans[1:]))


def test_sentence_longer_than_chunk_is_split_at_words():
    text = "word " * 300 + "end."
    spans = chunk_spans(text.strip(), size=200, overlap=0)
    assert len(spans) > 1 and all(e - s <= 200 for s, e in spans)
    assert all(not text[s:e].startswith(" ") for s, e in spans)


def test_sample_article_chunks_point_into_text():
    text = clean_text((SAMPLE / "004_d6acca71867ffea4.txt").read_text(encoding="utf-8"))
    chunks = chunk_article("a", text, size=500, overlap=100)
    assert len(chunks) >= 4
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
    soldiers = [c for c in chunks if "20,000 soldier" in c.text]
    assert soldiers, "the 20,000 sentence lies whole inside a chunk"


def test_embedding_text_puts_title_first():
    assert embedding_text("Title", "Body.") == "Title\n\nBody."
    assert embedding_text("", "Body.") == "Body."


_words = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=12)
_text = st.lists(
    st.tuples(_words, st.sampled_from([" ", ". ", "! ", "? ", "\n", "\n\n", ".” ", "  ", "\t"])), max_size=120
).map(lambda parts: "".join(w + sep for w, sep in parts))


@hsettings(max_examples=300, deadline=None)
@given(text=_text, size=st.integers(20, 400), overlap_share=st.floats(0, 0.9))
def test_chunk_properties(text, size, overlap_share):
    overlap = int(size * overlap_share)
    chunks = chunk_article("x", text, size, overlap)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert 0 < len(chunk.text) <= size
        assert chunk.text == chunk.text.strip()
    covered = [False] * len(text)
    for chunk in chunks:
        covered[chunk.start : chunk.end] = [True] * (chunk.end - chunk.start)
    assert all(covered[i] or text[i].isspace() for i in range(len(text))), "every visible character is in a chunk"
    starts = [c.start for c in chunks]
    assert starts == sorted(set(starts)), "chunks advance"


def test_headline_is_the_title_or_else_the_first_sentence():
    from ingest.chunking import headline_text

    assert headline_text("  Rutte warns NATO ", "Body. More.") == "Rutte warns NATO"
    assert headline_text("", "Rutte warned NATO on Monday. Then he left.") == "Rutte warned NATO on Monday."
    assert len(headline_text("", "word " * 200)) <= 300
