"""Named entities: extracted at ingest, stored with the article, usable as filters and facets."""

from __future__ import annotations

import pytest

from archive import Archive, Settings
from archive.models.entities import EntityExtractor, clean_name
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


@pytest.mark.parametrize(("raw", "clean"), [("the Kremlin", "Kremlin"), ("Rutte’s", "Rutte"), ("• NATO", "NATO"),
                                              ("Donald Trump .", "Donald Trump"), ("U.S.", "U.S.")])
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


def test_names_come_from_the_whole_article(sample_archive):
    """Article 003 names Donald Tusk only at character 1,207, past the lede."""
    a003 = sample_id(sample_archive, "003")
    assert sample_archive.article(a003).text.find("Tusk") > 1000
    hits = sample_archive.search("NATO warning", 10, Filters(entities=("Tusk",)))
    assert [h.article.id for h in hits] == [a003]
    assert all(a.named for a in sample_archive.articles())


def test_articles_are_stored_before_their_names_and_a_failed_names_pass_loses_nothing(tmp_path, monkeypatch):
    from archive.errors import ConfigError

    settings = Settings(dir=tmp_path / "archive")
    archive = Archive(settings, embedder=HashingEmbedder())

    def no_model(self, titles, texts):
        assert archive.store.count_articles() == 5  # names are looked for only once every article is stored
        raise ConfigError("the spaCy model is missing (simulated)")

    monkeypatch.setattr(EntityExtractor, "extract", no_model)
    report = archive.ingest([str(SAMPLE)])
    assert report.added == 5 and report.named == 0 and not report.failed
    assert sorted(archive.store.unnamed()) == sorted(a.id for a in archive.articles())
    assert archive.search("NATO warning", 10) and archive.store.articles_naming(["Berlin"]) == []
    monkeypatch.undo()
    embedded = archive.store.count_chunks()
    assert Archive(settings, embedder=HashingEmbedder()).name_articles() == 5
    again = Archive(settings, embedder=HashingEmbedder())
    assert again.store.unnamed() == [] and again.store.count_chunks() == embedded  # nothing embedded again
    assert sample_id(again, "002") in again.store.articles_naming(["Berlin"])
    assert again.name_articles() == 0


def test_the_names_command_reads_every_article_again_with_all(tmp_path, cli):
    folder = tmp_path / "archive"
    code, _ = cli("ingest", str(SAMPLE), "--archive-dir", str(folder))
    assert code == 0
    code, out = cli("names", "--archive-dir", str(folder))
    assert code == 0 and out.startswith("names found in 0 of 5 articles")  # ingest named them all
    code, out = cli("names", "--all", "--archive-dir", str(folder))
    assert code == 0 and out.startswith("names found in 5 of 5 articles")


@pytest.mark.server
def test_a_host_on_a_shared_server_gets_the_names_another_host_found(tmp_path):
    from tests.servers import chroma_run

    with chroma_run(tmp_path / "server-data") as url:
        a = Archive(Settings(dir=tmp_path / "a", chroma_url=url, entities=False, follow_interval_s=0),
                    embedder=HashingEmbedder())
        b = Archive(Settings(dir=tmp_path / "b", chroma_url=url, follow_interval_s=0), embedder=HashingEmbedder())
        a.ingest([str(SAMPLE)])
        assert b.store.articles_naming(["Berlin"]) == []  # host A stored them without names
        assert b.name_articles() == 5
        assert sample_id(a, "002") in Archive(a.settings, embedder=HashingEmbedder()).store.articles_naming(["Berlin"])


def test_look_up_and_answers_name_a_surname_speaker_as_the_names_pass_found_the_person(tmp_path):
    """The full name starts the article, where the words before a name prove nothing: only the names pass
    knows that "Elon Musk" is the person "Musk" is."""
    article = tmp_path / "musk.txt"
    article.write_text("Musk pledges rockets\n\nElon Musk spoke in Austin on Monday. The company will expand. "
                       "“We will build the rockets here,” Musk said.", encoding="utf-8")
    archive = Archive(Settings(dir=tmp_path / "archive"), embedder=HashingEmbedder())
    archive.ingest([str(article)])
    stored = next(iter(archive.articles()))
    assert ("person", "Elon Musk") in archive.article(stored.id).found_names
    (hit,) = archive.lookup("build the rockets here", k=3, approximate=False)
    assert hit.speaker == "Elon Musk"
    answer = archive.ask("What did Musk say about rockets?")
    assert not answer.refused and answer.sentences[0].speaker == "Elon Musk", answer.text
    off = Archive(Settings(dir=tmp_path / "plain", entities=False), embedder=HashingEmbedder())
    off.ingest([str(article)])
    assert off.lookup("build the rockets here", k=3, approximate=False)[0].speaker == "Musk"  # no names pass
