"""Shared fixtures: settings in temporary folders, the real bundled model (loaded once), the sample."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from archive import Archive, Settings  # noqa: E402
from tests.fakes import HashingEmbedder  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
SHARED = ROOT.parent / "shared"


# Tests that need a browser or a `chroma run` server may skip on a developer's machine that lacks one,
# never in CI (``CI`` set): there a skip would hide that the claim was not checked.
MUST_RUN_IN_CI = ("browser", "server")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") and any(item.get_closest_marker(m) for m in MUST_RUN_IN_CI):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where it must run: {reason}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(dir=tmp_path / "archive")


@pytest.fixture
def fake_archive(settings: Settings) -> Archive:
    """A real Chroma in a temporary folder with a deterministic fake embedder."""
    return Archive(settings, embedder=HashingEmbedder())


@pytest.fixture(scope="session")
def real_embedder():
    """The bundled MiniLM model, loaded once for the whole run."""
    from archive.models.embedding import make_embedder

    embedder = make_embedder(Settings())
    embedder.embed_query("warm up")
    return embedder


@pytest.fixture
def cli(capsys, monkeypatch, real_embedder):
    """``python -m archive`` (or, with ``ingest`` first, ``python -m ingest``) run in this process with the
    model already loaded: (exit status, stdout). For tests of what a command prints; each CLI also has
    tests in a real subprocess, which pay for loading the model every time."""
    import archive.cli.main
    import ingest.__main__

    monkeypatch.setattr("archive.facade.make_embedder", lambda settings: real_embedder)

    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        if args and args[0] == "ingest":
            code = ingest.__main__.main(list(args[1:]))
        else:
            code = archive.cli.main.main(list(args))
        return code, capsys.readouterr().out

    return run


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A private copy of the sample articles that a test may change."""
    target = tmp_path / "sample"
    shutil.copytree(SAMPLE, target)
    return target


@pytest.fixture(scope="session")
def sample_archive(tmp_path_factory, real_embedder) -> Archive:
    """The five sample articles ingested with the real model into a real Chroma (read-only use)."""
    folder = tmp_path_factory.mktemp("sample-archive")
    archive = Archive(Settings(dir=folder / "archive"), embedder=real_embedder)
    report = archive.ingest([str(SAMPLE)])
    assert report.added == 5 and not report.failed, report
    return archive


def sample_id(archive: Archive, prefix: str) -> str:
    """The article id of the sample file whose name starts with ``prefix`` (e.g. '004')."""
    ids = [a.id for a in archive.articles() if Path(a.origin).name.startswith(prefix)]
    assert len(ids) == 1, ids
    return ids[0]
