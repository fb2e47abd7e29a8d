"""Test-only runner: ``python -m tests.ingest_with_fake_embedder PATH...`` is ``python -m ingest`` with the
deterministic ``HashingEmbedder`` in place of the real model.

Crash and concurrency tests start many ingest processes; loading the real model takes 5-10 s in each,
so they run this instead. It calls the very same ``ingest.__main__.main`` (argument parsing, the
archive's write lock, the ``Ingestor``, the report and exit status); only the embedder that
``Archive`` makes is swapped, here in the test process, with no hook in production code.

``TEST_EMBED_DELAY_S`` (tests only) makes every embedding call sleep that long, so a test can keep
an ingest running, lock held, while it starts a second one.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

import archive.facade
from archive.cli.common import run_cli
from ingest.__main__ import main
from tests.fakes import HashingEmbedder


class SlowHashingEmbedder(HashingEmbedder):
    """The hashing embedder, taking ``delay`` seconds per call like a (very) slow model."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        time.sleep(self.delay)
        return super().embed_documents(texts)


def fake_embedder(settings) -> HashingEmbedder:
    delay = float(os.environ.get("TEST_EMBED_DELAY_S") or 0)
    return SlowHashingEmbedder(delay) if delay else HashingEmbedder()


if __name__ == "__main__":
    archive.facade.make_embedder = fake_embedder
    run_cli(lambda: main(sys.argv[1:]))
