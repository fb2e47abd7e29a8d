"""Test-only runner: ``python -m tests.ingest_with_fake_embedder PATH...`` is ``python -m ingest`` with the
deterministic ``HashingEmbedder`` in place of the real model.

Crash and concurrency tests start many ingest processes; loading the real model takes 5-10 s in each,
so they run this instead. It calls the very same ``ingest.__main__.main`` (argument parsing, the
archive's write lock, the ``Ingestor``, the report and exit status); only the embedder that
``Archive`` makes is swapped, here in the test process, with no hook in production code.
"""

from __future__ import annotations

import sys

import archive.core
from archive.cli_common import run_cli
from ingest.__main__ import main
from tests.fakes import HashingEmbedder

if __name__ == "__main__":
    archive.core.make_embedder = lambda settings: HashingEmbedder()
    run_cli(lambda: main(sys.argv[1:]))
