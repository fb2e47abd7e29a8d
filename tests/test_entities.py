"""Named entities: extracted at ingest, stored with the article, usable as filters and facets."""

from __future__ import annotations

import pytest

from archive import Archive, Settings
from archive.entities import EntityExtractor, clean_name
from archive.types import Filters
from tests.conftest import SAMPLE, sample_id
from tests.fakes import HashingEmbedder


def test_extractor_finds_people_organisations_places():
    sentence = ("NATO Secretary General Mark Rutte delivered a stark warning in Brussels, while Russian President "
                "Vladimir Putin responded on December 19. Rutte later flew to Berlin.")
    (found,) = EntityExtractor().extract(["Rutte warns Russia"], [sentence])
    assert ("person", "Mark Rutte") in found and ("person", "Vladimir Putin") in found
    assert ("org", "NATO") in found and ("place", "Brussels") in found and ("place", "Berlin") in found
    assert ("person", "Rutte") not in found  # a lone surname joins the full name it ends
    assert not any(kind == "date" for kind, _ in found)


@pytest.mark.parametrize(("raw", "clean"), [("the Kremlin", "Kremlin"), ("Rutte’s", "Rutte"), ("• NATO", "NATO")])
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean


def test_entity_filters_on_the_sample(sample_archive):
    a002, a003 = sample_id(sample_archive, "002"), sample_id(sample_archive, "003")
    article = sample_archive.article(a002)
    assert ("place", "Berlin") in article.entities
    berlin = sample_archive.search("NATO warning", 10, Filters(entities=("Berlin",)))
    assert berlin and all(("place", "Berlin") in sample_archive.article(h.article.id).entities for h in berlin)
    assert a002 in [h.article.id for h in berlin]
    # several names must all be named; a surname matches the full name
    both = sample_archive.search("NATO warning", 10, Filters(entities=("rutte", "Warsaw")))
    assert [h.article.id for h in both] == [a003]
    assert sample_archive.search("NATO warning", 10, Filters(entities=("Atlantis",))) == []


def test_entity_facets_count_articles(sample_archive):
    facets = sample_archive.facets("Rutte warning Russia")
    assert facets.entities["person"]["Mark Rutte"] == 5
    assert facets.entities["org"]["NATO"] == 5
    assert facets.to_dict()["entities"]["place"]["Russia"] >= 4


def test_entities_survive_a_rebuilt_keyword_index(tmp_path):
    settings = Settings(dir=tmp_path / "archive")
    archive = Archive(settings, embedder=HashingEmbedder())
    archive.ingest([str(SAMPLE)])
    before = archive.store.articles_naming(["Berlin"])
    assert before
    archive.store.keywords.close()
    for path in settings.dir.glob("*.keywords.sqlite*"):
        path.unlink()
    reopened = Archive(settings, embedder=HashingEmbedder())
    assert reopened.store.articles_naming(["Berlin"]) == before


def test_entities_can_be_switched_off(tmp_path):
    archive = Archive(Settings(dir=tmp_path / "archive", entities=False), embedder=HashingEmbedder())
    archive.ingest([str(SAMPLE)])
    assert all(a.entities == () for a in archive.articles())
