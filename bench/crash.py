"""Crash safety: SIGKILL `python -m ingest` at random moments, re-run it, check the archive.

    python bench/crash.py                  # 20 kills, the deterministic test embedder (a few seconds a run)
    python bench/crash.py --real           # the real bundled model (5-10 s of model load per process)
    python bench/crash.py --kills 20 --seed 3 --files 150 --rerun-every 1

Every round changes the corpus (new files, rewritten files, exact copies of files), starts an ingest
of the whole corpus, and kills it with SIGKILL after a random delay drawn (seeded) between 0 and the
duration of the first complete run. Kills are chained: the next ingest starts from what the killed
one left. Every ``--rerun-every`` kills, and at the end, the ingest is re-run to completion and checked:

- its ``--json`` report accounts for every input (added + updated + unchanged + duplicate + failed
  equals the number of articles in the corpus) with no failures;
- the stored content is exactly the corpus's content (the set of content hashes), nothing lost;
- every chunk's article exists at the chunk's version, every article has exactly its chunks, no
  content is stored twice, the keyword index matches Chroma, no journal is left, and search answers
  (``tests/archive_checks.py``, run in a fresh process).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT  # noqa: E402

WORDS = (
    "storm flood river council budget election court army fuel price rain city harbour strike minister "
    "vaccine hospital school bridge railway drought wildfire market bank inflation border ceasefire "
    "treaty summit protest union factory export grain tariff satellite rocket festival museum"
).split()
SEARCH = "storm flood river"


@dataclass
class Kill:
    """One SIGKILL: when, whether the ingest was still running, whether it died mid-write."""

    round: int
    delay_s: float
    killed: bool  # False: the ingest had already finished when its moment came
    journal_left: bool  # the store's write journal was present after the kill: it died inside a write


@dataclass
class Check:
    """A re-run to completion after some kills, and what the checks found."""

    after_kill: int
    seconds: float
    report: dict
    expected_articles: int
    problems: list[str] = field(default_factory=list)


# ---- the corpus ---------------------------------------------------------------------------------------


def article_text(rng: random.Random, n: int, revision: int = 0) -> str:
    sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "." for _ in range(n)]
    title = f"Report {rng.randrange(10**9)} on the {rng.choice(WORDS)} and the {rng.choice(WORDS)}"
    # Half the articles carry the same sign-off: site furniture once enough of them are stored.
    furniture = "\nSign up for our daily newsletter to get these reports in your inbox." if rng.random() < 0.5 else ""
    return f"{title}\n\n" + " ".join(sentences) + furniture + (f"\nRevision {revision}." if revision else "")


def make_corpus(folder: Path, rng: random.Random, files: int, record_prefix: str = "rec") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (folder / f"story_{i:04d}.txt").write_text(article_text(rng, rng.randint(20, 70)), encoding="utf-8")
    records = [{"id": f"{record_prefix}-{i}", "title": f"Record {i}", "text": article_text(rng, rng.randint(5, 20))} for i in range(files // 3)]
    (folder / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")


def change_corpus(folder: Path, rng: random.Random, round_no: int) -> None:
    """New files, rewritten files (updates) and exact copies (duplicates) for the next ingest."""
    stories = sorted(folder.glob("story_*.txt"))
    for path in rng.sample(stories, k=max(1, len(stories) // 4)):
        path.write_text(article_text(rng, rng.randint(20, 70), revision=round_no), encoding="utf-8")
    for i in range(5):
        (folder / f"story_r{round_no:02d}_{i}.txt").write_text(article_text(rng, rng.randint(20, 70)), encoding="utf-8")
    original = rng.choice(stories)
    shutil.copyfile(original, folder / f"zz_copy_{round_no:02d}_of_{original.name}")
    feed = folder / "feed.jsonl"
    records = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]
    for record in rng.sample(records, k=max(1, len(records) // 5)):
        record["text"] = article_text(rng, rng.randint(5, 20), revision=round_no)
    feed.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")


def expected_content(folder: Path) -> tuple[int, set[str]]:
    """(articles the corpus holds, their content hashes), read the way ingest reads them."""
    from archive.settings import Settings
    from ingest import sources
    from ingest.normalize import normalize

    origins, failures, _ = sources.discover([str(folder)])
    assert not failures, failures
    hashes, count = set(), 0
    for origin in origins:
        for raw in sources.read(origin, Settings()):
            hashes.add(normalize(raw).content_hash)
            count += 1
    return count, hashes


# ---- running and killing ingest -------------------------------------------------------------------------


def ingest_command(corpus: Path, archive_dir: Path, real: bool) -> list[str]:
    module = "ingest" if real else "tests.ingest_with_fake_embedder"
    return [sys.executable, "-m", module, str(corpus), "--archive-dir", str(archive_dir), "--json"]


def environment() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
            "PYTHONPATH": str(ROOT)}


def run_to_completion(command: list[str], timeout: float = 900) -> tuple[dict, float]:
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=environment(), capture_output=True, text=True, timeout=timeout)
    if done.returncode not in (0, 1):  # 1: some input failed, which the report says; 2: an error
        raise RuntimeError(f"ingest exited {done.returncode}: {done.stderr[-2000:]}")
    return json.loads(done.stdout), time.monotonic() - started


def kill_after(command: list[str], delay: float, journal: Path) -> tuple[bool, bool]:
    """Start the ingest, SIGKILL it after ``delay`` seconds: (was it still running, journal left)."""
    proc = subprocess.Popen(command, cwd=ROOT, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=delay)
        return False, journal.exists()
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True, journal.exists()


def archive_state(archive_dir: Path, real: bool) -> dict:
    command = [sys.executable, "-m", "tests.archive_checks", str(archive_dir), "--search", SEARCH]
    done = subprocess.run(command + (["--real"] if real else []), cwd=ROOT, env=environment(),
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"archive check failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def journal_path(archive_dir: Path, real: bool) -> Path:
    from archive.settings import BUNDLED_MODEL, Settings
    from archive.storage import JOURNAL

    name = Settings(dir=archive_dir).index_name(BUNDLED_MODEL if real else "hashing-test")
    return archive_dir / f"{name}.{JOURNAL}"


# ---- the rounds -----------------------------------------------------------------------------------------


def check_after(corpus: Path, archive_dir: Path, real: bool, after_kill: int) -> Check:
    expected_count, expected_hashes = expected_content(corpus)
    report, seconds = run_to_completion(ingest_command(corpus, archive_dir, real))
    check = Check(after_kill, round(seconds, 2), report, expected_count)
    accounted = report["added"] + report["updated"] + report["unchanged"] + report["duplicate"] + len(report["failed"])
    if accounted != expected_count:
        check.problems.append(f"the re-run's report accounts for {accounted} of {expected_count} articles")
    if report["failed"]:
        check.problems.append(f"the re-run reported failures: {report['failed'][:3]}")
    state = archive_state(archive_dir, real)
    check.problems += state["problems"]
    stored = set(state["content_hashes"])
    if stored != expected_hashes:
        check.problems.append(
            f"stored content differs from the corpus: {len(expected_hashes - stored)} missing, {len(stored - expected_hashes)} extra"
        )
    return check


def crash_rounds(workdir: Path, kills: int, seed: int, files: int, real: bool, rerun_every: int) -> dict:
    """Run the whole experiment in ``workdir``; returns the summary (also what the tests assert on)."""
    rng = random.Random(seed)
    corpus, archive_dir = workdir / "corpus", workdir / "archive"
    make_corpus(corpus, rng, files)
    journal = journal_path(archive_dir, real)
    first = check_after(corpus, archive_dir, real, after_kill=0)
    full_run_s = first.seconds
    log: list[Kill] = []
    checks = [first]
    for n in range(1, kills + 1):
        change_corpus(corpus, rng, n)
        delay = round(rng.uniform(0.0, full_run_s), 2)
        killed, journal_left = kill_after(ingest_command(corpus, archive_dir, real), delay, journal)
        log.append(Kill(n, delay, killed, journal_left))
        if n % rerun_every == 0 or n == kills:
            checks.append(check_after(corpus, archive_dir, real, after_kill=n))
    return {
        "embedder": "real (bundled MiniLM)" if real else "HashingEmbedder (tests/ingest_with_fake_embedder.py)",
        "seed": seed,
        "first_full_run_s": full_run_s,
        "kills": [asdict(k) for k in log],
        "checks": [asdict(c) for c in checks],
        "problems": [p for c in checks for p in c.problems],
    }


def summary_lines(result: dict) -> list[str]:
    kills = result["kills"]
    checks = result["checks"][1:]
    last = result["checks"][-1]
    return [
        f"embedder: {result['embedder']}, seed {result['seed']}, first full run {result['first_full_run_s']:.1f} s",
        f"kills: {len(kills)}; still running when killed: {sum(k['killed'] for k in kills)}; "
        f"died inside a store write (journal left): {sum(k['journal_left'] for k in kills)}",
        f"kill delays (s): {', '.join(str(k['delay_s']) for k in kills)}",
        f"re-runs to completion after kills: {len(checks)}, mean {sum(c['seconds'] for c in checks) / max(1, len(checks)):.1f} s; "
        f"last report: added {last['report']['added']}, updated {last['report']['updated']}, "
        f"unchanged {last['report']['unchanged']}, duplicate {last['report']['duplicate']}, "
        f"failed {len(last['report']['failed'])} of {last['expected_articles']} articles",
        f"problems: {len(result['problems'])}" + "".join(f"\n  {p}" for p in result["problems"]),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--files", type=int, default=150, help="text files in the first corpus (plus a JSONL feed)")
    parser.add_argument("--rerun-every", type=int, default=1, help="re-run to completion and check after every N kills")
    parser.add_argument("--real", action="store_true", help="use the real bundled model instead of the test embedder")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="crash-bench-") as tmp:
        result = crash_rounds(Path(tmp), args.kills, args.seed, args.files, args.real, args.rerun_every)
    result["total_s"] = round(time.monotonic() - started, 1)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print("\n".join(summary_lines(result)) + f"\ntotal {result['total_s']} s")
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
