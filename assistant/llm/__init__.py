"""Segue's LLM layer: one `LLMClient` interface, an embedded and an OpenAI-compatible backend.

Importing this package loads nothing heavy; `get_llm()` builds the client on first call and the
embedded model is loaded by its first request.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from assistant.llm.base import LLMClient, Message
from assistant.llm.errors import (
    LLMContextError,
    LLMError,
    LLMModelNotFoundError,
    LLMOutputError,
    LLMTimeoutError,
    LLMUnavailableError,
)
from assistant.llm.schema import UnboundedSchemaError, bounded_schema

if TYPE_CHECKING:
    from retrieval.settings import Settings

__all__ = [
    "LLMClient",
    "LLMContextError",
    "LLMError",
    "LLMModelNotFoundError",
    "LLMOutputError",
    "LLMTimeoutError",
    "LLMUnavailableError",
    "Message",
    "UnboundedSchemaError",
    "bounded_schema",
    "create_llm",
    "get_llm",
]

_clients: dict[tuple[object, ...], LLMClient] = {}
_clients_lock = threading.Lock()


def get_llm(settings: Settings | None = None) -> LLMClient:
    """The process-wide client for these settings (default: the environment's), created on first use."""
    from retrieval.settings import get_settings

    s = settings or get_settings()
    backend = s.resolved_llm_backend
    if backend == "openai":
        key: tuple[object, ...] = (backend, s.llm_url, s.llm_model, s.llm_api_key, s.llm_timeout)
    else:
        key = (backend, s.llm_threads, s.llm_ctx)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = create_llm(s)
        return client


def create_llm(settings: Settings) -> LLMClient:
    """A new, uncached client (benchmarks and tests); everything else uses `get_llm`."""
    if settings.resolved_llm_backend == "openai":
        from assistant.llm.openai_client import OpenAIClient

        return OpenAIClient(settings)
    from assistant.llm.embedded import EmbeddedClient

    return EmbeddedClient(settings)
