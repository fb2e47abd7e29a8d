"""Names found on every core: worker processes that each run the NER pass over their share of batches.

The names pass comes after embedding (``ingest.pipeline.name_articles``), when the encoder is idle, but
spaCy's NER computes on one core: on a machine with more, the rest would wait. So each further core gets
a worker process (``python -m archive.models.nameworkers``, which loads the spaCy model once and answers one
JSON line per batch: the same ``EntityExtractor.extract`` the pass runs in-process). Batches go to the
workers in turn and their names come back in the order the batches were read, so the caller records
each batch as before. A worker that fails or dies costs only speed: its batch, and those after it, are
found in the calling process instead (which raises what the in-process pass raises, e.g. a missing model).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

log = logging.getLogger(__name__)
_ROOT = str(Path(__file__).resolve().parents[2])  # where `archive` is importable from


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class NamePool:
    """``workers`` processes finding names; ``map`` pairs each batch of articles with its names, in order."""

    def __init__(self, max_chars: int, workers: int):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")])),
               "OMP_NUM_THREADS": "1"}
        self._max_chars = max_chars
        self._failed: set[int] = set()  # workers that failed a batch: not sent another
        self._procs = [subprocess.Popen([sys.executable, "-m", "archive.models.nameworkers", str(max_chars)], env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")
                       for _ in range(workers)]

    def map(self, batches: Iterable[Sequence]) -> Iterator[tuple[Sequence, list[tuple]]]:
        """(articles, their entities) per batch of articles (anything with ``title`` and ``text``)."""
        waiting: deque = deque()  # (articles, worker) sent and not answered yet, in order
        batches = iter(batches)
        for proc in self._procs:
            self._send(batches, proc, waiting)
        while waiting:
            articles, proc = waiting.popleft()
            yield articles, self._answer(articles, proc)
            self._send(batches, None if proc is None or proc.pid in self._failed else proc, waiting)

    def _send(self, batches: Iterator, proc: subprocess.Popen | None, waiting: deque) -> None:
        articles = next(batches, None)
        if articles is None:
            return
        if proc is not None:
            try:
                proc.stdin.write(json.dumps([[a.title for a in articles], [a.text for a in articles]]) + "\n")
                proc.stdin.flush()
            except OSError as e:
                log.warning("a names worker stopped (%s); its batches are named in this process", e)
                proc = None
        waiting.append((articles, proc))

    def _answer(self, articles: Sequence, proc: subprocess.Popen | None) -> list[tuple]:
        line = proc.stdout.readline() if proc is not None else ""
        try:
            reply = json.loads(line) if line else {"error": "no worker" if proc is None else "the worker exited"}
        except json.JSONDecodeError:
            reply = {"error": f"an answer that is not JSON: {line[:80]!r}"}
        if "names" in reply:
            return [tuple(tuple(e) for e in found) for found in reply["names"]]
        if proc is not None:
            log.warning("a names worker failed (%s); its batches are named in this process", reply["error"])
            self._failed.add(proc.pid)
        from archive.models.entities import get_extractor

        return get_extractor(self._max_chars).extract([a.title for a in articles], [a.text for a in articles])

    def close(self) -> None:
        """Every worker is told to stop before any is waited for, so that they exit side by side."""
        for proc in self._procs:
            try:
                proc.stdin.close()
            except OSError:
                pass
        for proc in self._procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> NamePool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def serve(max_chars: int) -> None:
    """A worker: one JSON line [titles, texts] in, one line {"names": [...]} (or {"error": ...}) out."""
    answers, sys.stdout = sys.stdout, sys.stderr  # what a library prints must not mix with the answers
    from archive.models.entities import get_extractor

    extractor = get_extractor(max_chars)
    for line in sys.stdin:
        try:
            titles, texts = json.loads(line)
            reply = {"names": extractor.extract(titles, texts)}
        except Exception as e:  # noqa: BLE001 - reported to the caller, which names this batch itself
            reply = {"error": f"{type(e).__name__}: {e}"}
        answers.write(json.dumps(reply) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
