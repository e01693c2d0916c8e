"""LLM failures the caller is expected to handle; each message is one line naming what to check."""

from __future__ import annotations

from retrieval.errors import SegueError


class LLMError(SegueError):
    """Base of every expected LLM failure."""


class LLMUnavailableError(LLMError):
    """The model cannot be used at all: server unreachable, wrong URL, rejected key, model file missing."""


class LLMTimeoutError(LLMError):
    """The server did not answer within `Settings.llm_timeout`."""


class LLMModelNotFoundError(LLMError):
    """The server does not serve the configured model."""


class LLMContextError(LLMError):
    """The prompt does not fit in the model's context window."""


class LLMOutputError(LLMError):
    """The reply did not validate against the requested schema, even after one retry."""

    def __init__(self, message: str, raw: str = "") -> None:
        super().__init__(message)
        self.raw = raw  # the last invalid reply, for logs; never shown to the user as-is


def one_line(text: str, limit: int = 300) -> str:
    """Collapse a server's (often multi-line) message so that errors stay on one line."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
