"""Generative backends behind one small protocol: stream text for a list of (role, content) messages.

``llamacpp:<file.gguf>`` runs a local GGUF through llama-cpp-python (an optional install, see the
README). ``ollama:<model>`` and ``openai:<model>`` go through LangChain chat models, and any other
LangChain chat model can be wrapped with ``LangChainChat`` (the tests use LangChain's fake models).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from archive.errors import ConfigError
from archive.settings import Settings

Messages = list[tuple[str, str]]


class ChatBackend(Protocol):
    name: str

    def stream(self, messages: Messages) -> Iterator[str]: ...


class LangChainChat:
    """Any LangChain ``BaseChatModel``."""

    def __init__(self, model: Any, name: str):
        self._model = model
        self.name = name

    def stream(self, messages: Messages) -> Iterator[str]:
        for chunk in self._model.stream(messages):
            content = chunk.content
            if isinstance(content, list):  # some providers stream content blocks
                content = "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
            if content:
                yield content


class LlamaCppChat:
    """A local GGUF model through llama-cpp-python."""

    def __init__(self, path: str, settings: Settings):
        try:
            from llama_cpp import Llama
        except ImportError as e:
            raise ConfigError(
                "the llamacpp answerer needs llama-cpp-python; install it as the README says "
                "(`make llm`), or use ARCHIVE_ANSWERER=extractive"
            ) from e
        if not Path(path).is_file():
            raise ConfigError(f"GGUF model file not found: {path}")
        self.name = f"llamacpp:{Path(path).name}"
        self._settings = settings
        self._llama = Llama(model_path=path, n_ctx=settings.llm_context, n_threads=os.cpu_count() or 2, verbose=False)

    def stream(self, messages: Messages) -> Iterator[str]:
        chat = [{"role": role, "content": content} for role, content in messages]
        for part in self._llama.create_chat_completion(
            messages=chat, stream=True, temperature=self._settings.llm_temperature,
            max_tokens=self._settings.llm_max_tokens,
        ):
            delta = part["choices"][0].get("delta", {}).get("content")
            if delta:
                yield delta


def make_chat(settings: Settings) -> ChatBackend | None:
    """The generative backend ``settings.answerer`` names, or None for the extractive answerer."""
    spec = settings.answerer.strip()
    kind, _, target = spec.partition(":")
    if spec in ("", "extractive"):
        return None
    if not target.strip():
        raise ConfigError(f"answerer {spec!r} needs a model after the colon, e.g. {kind}:<model>")
    target = target.strip()
    if kind == "llamacpp":
        return LlamaCppChat(target, settings)
    if kind == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as e:
            raise ConfigError("the ollama answerer needs langchain-ollama (pip install langchain-ollama)") from e
        model = ChatOllama(model=target, base_url=settings.ollama_url, temperature=settings.llm_temperature,
                           num_predict=settings.llm_max_tokens)
        return LangChainChat(model, spec)
    if kind == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as e:
            raise ConfigError("the openai answerer needs langchain-openai (pip install langchain-openai)") from e
        key = settings.openai_api_key.get_secret_value() or os.environ.get("OPENAI_API_KEY", "")
        if not key and not settings.openai_base_url:
            raise ConfigError("the openai answerer needs ARCHIVE_OPENAI_API_KEY (or OPENAI_API_KEY), "
                              "or ARCHIVE_OPENAI_BASE_URL for a local OpenAI-compatible server")
        model = ChatOpenAI(model=target, base_url=settings.openai_base_url or None, api_key=key or "not-needed",
                           temperature=settings.llm_temperature, max_tokens=settings.llm_max_tokens,
                           timeout=120, max_retries=1)
        return LangChainChat(model, spec)
    raise ConfigError(f"unknown answerer {spec!r}: use extractive, llamacpp:<file.gguf>, ollama:<model> "
                      "or openai:<model>")
