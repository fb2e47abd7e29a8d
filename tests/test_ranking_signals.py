"""Every ranking signal decides at least one query: remove any one and a test here fails.

The corpus is a few dozen real news articles (RealTime QA pool records, read from ../shared by id and
never copied here) around the dev questions named below, plus two pairs of articles written here for
the whole-article signals. Each pair shares its first paragraph, word for word, and one title, so the
chunk rankings and the headline tie between its two articles and only a whole-article signal can tell
them apart. For each case the test checks both directions: with every signal the right article is
first, and with that one signal off it is not (so the case really depends on it). Documents are embedded
in fp32 here, whatever precision the CPU would choose: the cases are about fusion, and each is a near tie
that a precision can tip. On an AVX2-only CPU, where `auto` embeds documents in int8, dense alone found the
keyword case's article (the article still came first with every signal on). The cases were also checked in
bf16.
"""

from __future__ import annotations

import gzip
import json

import pytest

from archive import Archive, Settings
from archive.types import record_id_of
from tests.conftest import SHARED

pytestmark = pytest.mark.slow

REALTIMEQA = SHARED / "eval" / "realtimeqa"
# The gold articles of the questions below and, for each, two same-topic articles BM25 ranks near it.
POOL_IDS = [
    "fdc0d4949c12", "257153564bcf", "2654204a0fb7", "62595fe6098e", "868056c43d46", "cd9c2d19342b", "b2495ba77b37", "0e996900adc5",
    "1688db3fac3e", "b423dddf6fd6", "e163824d8fbb", "76fe3e12f408", "f428e607315d", "7618c19ad68b", "7180e61a45fc", "0973223079ac",
    "6fef8c6c93f9", "e64733a29584", "40ca1d3994e6", "bb7931e0645e", "800cce8db762", "30f7fbf3e761", "41d59d9b4f88", "7ba056e0825d",
    "7a339b837338", "872201ad453d", "a5918ce4fa52", "862e3e634454", "41da25d49185", "fc2f61f312ff", "05e5ae53323c", "db6a5a287aa9",
    "9eb72dca850b", "21ad4298eeef", "7e16910c0684", "7ef8a94a85a5", "e7478bae5151", "163183499839", "e05db749fd8c", "405bce83b73a",
    "917fd0662745", "5b2df2aa1c0e", "bb8d1d5a4f26", "8b59ca324315", "113974db7383", "629d73cffcc2", "32143083e629",
]

# The icebreaker pair: the same first paragraph; the rest of one explains the stoppage in other words,
# the rest of the other is unrelated town news (and shorter, so BM25 over whole articles prefers it).
P_A = ("Work on the new icebreaker at the Lindqvist shipyard was halted on Thursday, the owners said in a short "
       "statement that gave no reason for the decision.")
G_A = [P_A,
 "Building of the polar ship stopped because inspectors found cracked welds in the lower hull plates, two people "
 "familiar with the matter said.",
 "The yard paused construction until the steel supplier has tested its last deliveries of plate for the ship's "
 "hull, they said.",
 "Cracked welding on a polar hull is serious: builders may have to cut out whole sections of the ship and build "
 "them again.",
 "The pause could delay the ship further; the coast guard ordered it to keep northern sea lanes open in the "
 "frozen months.",
 "Inspectors will decide next month whether the cracked plates can be repaired in place or the hull sections "
 "must be rebuilt, which would stop construction for longer."]
D_A = [P_A,
 "The city council approved next year's budget on Tuesday after a long debate about bus fares and parking fees.",
 "The library on Elm Street will open on Sundays from March, and the swimming pool will get a new roof in May.",
 "The town's football club won its third match in a row on Saturday and moved up to fourth place in the league.",
 "A bakery on the high street celebrated its hundredth birthday this weekend by giving away free cakes to all."]

# The ferry pair: the same first paragraph; the rest of one uses the query's words in unrelated senses,
# the rest of the other tells the story in other words (so the whole-article vector prefers it).
P_B = ("Ferry operators on the Marrow islands said on Monday that they would change their timetable for the coming "
       "months, without saying exactly how.")
G_B = [P_B,
 "At the school prize-giving, the mayor cut a ribbon to open the new science room, and pupils sang for the guests.",
 "The school's fuel bill for the boiler was discussed by the governors, who also chose new colours for the sports kit.",
 "The costs of the school trip to the museum will be shared by the parents' association this year.",
 "The choir will sing at the winter fair in the church hall, where there will be stalls and a raffle."]
D_B = [P_B,
 "Sailings to the smaller islands will drop from six crossings a day to four until spring, because diesel for "
 "the boats has become so expensive.",
 "The last boat of the day will leave the harbour at six in the evening, and drivers must book ahead for the "
 "reduced service in the cold season.",
 "Islanders said fewer crossings in the dark months would make it harder to reach the hospital on the mainland."]

PAIRS = [("synth-icebreaker", "synth-icebreaker-other", G_A, D_A), ("synth-ferry", "synth-ferry-other", G_B, D_B)]
OFF = {
    "dense": {"dense_weight": 0},
    "keyword": {"keyword_weight": 0},
    "article": {"article_weight": 0},
    "article_keyword": {"article_keyword_weight": 0},
    "headline": {"headline_weight": 0, "headline_candidates": 0},
}
# (signal, dev question id or None, query when written here, the article it must find first)
CASES = [
    ("dense", "20220617_0", "", ""),
    ("dense", "20220930_0", "", ""),
    ("keyword", "20221111_5", "", ""),
    ("headline", "20220624_3", "", ""),
    ("article", None, "Why was work on the Lindqvist icebreaker halted?", "synth-icebreaker"),
    ("article_keyword", None, "Marrow ferry timetable cut because of fuel costs in winter", "synth-ferry"),
]


def _questions() -> dict[str, dict]:
    with open(REALTIMEQA / "dev.jsonl", encoding="utf-8") as f:
        return {q["question_id"]: q for q in map(json.loads, f)}


def _pool_records() -> list[dict]:
    wanted = set(POOL_IDS)
    with gzip.open(REALTIMEQA / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        records = [r for r in map(json.loads, f) if r["doc_id"] in wanted]
    assert len(records) == len(POOL_IDS)
    return records


def _pair_records() -> list[dict]:
    return [{"id": rid, "title": "Morning briefing", "source": "Test Wire", "text": "\n\n".join(paragraphs)}
            for gold, other, gold_paragraphs, other_paragraphs in PAIRS
            for rid, paragraphs in ((gold, gold_paragraphs), (other, other_paragraphs))]


def _build(folder, records: list[dict], embedder, **settings) -> Archive:
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    archive = Archive(Settings(dir=folder / "archive", entities=False, **settings), embedder=embedder)
    report = archive.ingest([str(folder / "corpus.jsonl")])
    assert report.added == len(records) and not report.failed, report
    return archive


@pytest.fixture(scope="module")
def fp32_embedder():
    from archive.models.embedding import make_embedder

    return make_embedder(Settings(embedding_precision="fp32"))


@pytest.fixture(scope="module")
def archives(tmp_path_factory, fp32_embedder) -> dict[str, Archive]:
    """The pool articles as ingested by default; and with the pairs, in paragraph-sized chunks (so that a
    pair's shared first paragraph is a chunk of its own in both articles)."""
    if not REALTIMEQA.exists():
        pytest.skip(f"{REALTIMEQA} is missing (../shared beside the project)")
    pool = _pool_records()
    return {
        "pool": _build(tmp_path_factory.mktemp("pool"), pool, fp32_embedder),
        "pairs": _build(tmp_path_factory.mktemp("pairs"), pool + _pair_records(), fp32_embedder,
                        chunk_size=250, chunk_overlap=0),
    }


def _case(case) -> tuple[str, str]:
    signal, question_id, query, gold = case
    if question_id is None:
        return query, gold
    question = _questions()[question_id]
    (answer,) = question["gold_doc_ids"]
    return question["question"], answer


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1] or c[3]}" for c in CASES])
def test_each_signal_decides_a_query(archives, case):
    archive = archives["pool" if case[1] else "pairs"]
    query, gold = _case(case)
    first = record_id_of(archive.search(query, k=3, stories=False)[0].article.id)
    assert first == gold, f"with every signal on, {query!r} finds {first}"
    without = Archive(archive.settings.model_copy(update=OFF[case[0]]), embedder=archive.embedder)
    first = record_id_of(without.search(query, k=3, stories=False)[0].article.id)
    assert first != gold, f"{case[0]} does not decide {query!r}: without it, it still finds the right article"


def test_every_signal_has_a_case():
    assert {c[0] for c in CASES} == set(OFF)
