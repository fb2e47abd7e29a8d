"""The names pass on every core (archive/models/nameworkers.py): the same names as in one process, and a
worker that fails costs only speed."""

from __future__ import annotations

from types import SimpleNamespace

from archive.models.entities import EntityExtractor
from archive.models.nameworkers import NamePool
from tests.conftest import SAMPLE


def _sample_articles() -> list[SimpleNamespace]:
    """The sample articles (their first line as a title is enough: both sides get the same input)."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(SAMPLE.glob("*.txt"))]
    return [SimpleNamespace(title=text.split("\n", 1)[0][:80], text=text) for text in texts]


def test_workers_find_the_names_one_process_finds_in_the_order_of_the_batches():
    articles = _sample_articles()
    assert len(articles) >= 3
    batches = [articles[i : i + 2] for i in range(0, len(articles), 2)]
    with NamePool(0, 2) as pool:
        answered = list(pool.map(batches))
    assert [a for a, _ in answered] == batches
    here = EntityExtractor()
    assert [found for _, found in answered] == [here.extract([a.title for a in b], [a.text for a in b]) for b in batches]
    assert any(("place", "Berlin") in names for _, found in answered for names in found)


def test_a_failed_worker_leaves_its_batches_to_this_process():
    articles = _sample_articles()
    batches = [articles[:2], articles[2:]]
    with NamePool(0, 1) as pool:
        pool._procs[0].kill()  # a worker that died (a crash, or the OOM killer)
        pool._procs[0].wait()
        answered = list(pool.map(batches))
    here = EntityExtractor()
    assert [found for _, found in answered] == [here.extract([a.title for a in b], [a.text for a in b]) for b in batches]
