"""Generative backends behind one small protocol: stream text for a list of (role, content) messages.

``llamacpp:<file.gguf>`` runs a local GGUF through llama-cpp-python (an optional install, see the
README). Every other ``provider:model`` (``ollama:``, ``openai:``, and any provider LangChain's
``init_chat_model`` knows) is a LangChain chat model; any LangChain chat model can also be wrapped with
``LangChainChat`` (the tests use LangChain's fake models).
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
    """The generative backend ``settings.answerer`` names, or None for the extractive answerer.

    ``llamacpp:<file.gguf>`` runs llama-cpp-python directly; every other ``provider:model`` is made by
    LangChain's ``init_chat_model``, so any provider LangChain supports works once its integration package
    is installed (``ollama:`` and ``openai:`` are in requirements.txt and get their settings here)."""
    spec = settings.answerer.strip()
    kind, _, target = spec.partition(":")
    if spec in ("", "extractive"):
        return None
    if not target.strip():
        raise ConfigError(f"answerer {spec!r} needs a model after the colon, e.g. {kind}:<model>")
    if kind == "llamacpp":
        return LlamaCppChat(target.strip(), settings)
    from langchain.chat_models import init_chat_model

    try:
        model = init_chat_model(f"{kind}:{target.strip()}", **_provider_options(kind, settings))
    except ImportError as e:  # the provider's integration package is missing: LangChain names it
        raise ConfigError(f"the {kind} answerer needs its LangChain integration: {e}") from e
    except ValueError as e:
        raise ConfigError(f"unknown answerer {spec!r}: use extractive, llamacpp:<file.gguf>, ollama:<model>, "
                          f"openai:<model> or another LangChain provider:<model> ({e})") from e
    return LangChainChat(model, spec)


def _provider_options(kind: str, settings: Settings) -> dict[str, Any]:
    """What the archive's settings say to a provider's chat model."""
    if kind == "ollama":
        return {"base_url": settings.ollama_url, "temperature": settings.llm_temperature,
                "num_predict": settings.llm_max_tokens}
    if kind == "openai":
        key = settings.openai_api_key.get_secret_value() or os.environ.get("OPENAI_API_KEY", "")
        if not key and not settings.openai_base_url:
            raise ConfigError("the openai answerer needs ARCHIVE_OPENAI_API_KEY (or OPENAI_API_KEY), "
                              "or ARCHIVE_OPENAI_BASE_URL for a local OpenAI-compatible server")
        return {"base_url": settings.openai_base_url or None, "api_key": key or "not-needed",
                "temperature": settings.llm_temperature, "max_tokens": settings.llm_max_tokens,
                "timeout": 120, "max_retries": 1}
    return {"temperature": settings.llm_temperature, "max_tokens": settings.llm_max_tokens}
