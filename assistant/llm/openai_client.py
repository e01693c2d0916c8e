"""The openai backend: any OpenAI-compatible server (vLLM in production, `segue llm serve` in tests).

Uses the `openai` client directly rather than LangChain's ChatOpenAI: `response_format` and extra
sampling fields pass through unchanged, streaming is a plain iterator, and each failure arrives as
its own exception type, which maps one-to-one onto our errors. LangChain would add a layer to unwrap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
import openai

from assistant.llm.base import STRUCTURED_REPEAT_PENALTY, LLMClient, Message, check_messages
from assistant.llm.errors import (
    LLMContextError,
    LLMError,
    LLMModelNotFoundError,
    LLMTimeoutError,
    LLMUnavailableError,
    one_line,
)
from retrieval.settings import Settings

# How servers word "prompt too long": llama.cpp, vLLM (two versions), OpenAI.
_CONTEXT_MARKERS = ("exceed_context_size", "context size", "context length", "maximum model length", "too long")


class OpenAIClient(LLMClient):
    backend = "openai"

    def __init__(self, settings: Settings) -> None:
        if not settings.llm_url:
            raise LLMUnavailableError("the openai backend needs a server URL (check SEGUE_LLM_URL)")
        self._settings = settings
        self._url = settings.llm_url.rstrip("/")
        # max_retries=0: an unreachable server must fail now, not after the client's silent retries.
        self._client = openai.OpenAI(
            base_url=self._url,
            api_key=settings.llm_api_key or "EMPTY",
            timeout=settings.llm_timeout,
            max_retries=0,
        )
        self._model = settings.llm_model
        self._checked = False
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        return self._model or "(first model the server lists)"

    # ---------------------------------------------------------------- requests

    def chat(self, messages: Sequence[Message], *, max_tokens: int = 256, temperature: float = 0.2) -> str:
        with self._errors():
            reply = self._client.chat.completions.create(
                model=self._resolve_model(),
                messages=check_messages(messages),  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
            )
        return reply.choices[0].message.content or ""

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int = 256, temperature: float = 0.2
    ) -> Iterator[str]:
        with self._errors():
            chunks = self._client.chat.completions.create(
                model=self._resolve_model(),
                messages=check_messages(messages),  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
                stream=True,
            )
            with chunks:
                for chunk in chunks:
                    for choice in chunk.choices:
                        if choice.delta.content:
                            yield choice.delta.content

    def _complete_json(
        self, messages: list[Message], name: str, schema: dict[str, Any], *, max_tokens: int, temperature: float
    ) -> tuple[str, str | None]:
        with self._errors():
            reply = self._client.chat.completions.create(
                model=self._resolve_model(),
                messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
                # vLLM's structured outputs and llama.cpp both accept this json_schema response_format.
                response_format={"type": "json_schema", "json_schema": {"name": name, "schema": schema}},
                # llama.cpp's name for the penalty; vLLM ignores the field (a big model needs no help).
                extra_body={"repeat_penalty": STRUCTURED_REPEAT_PENALTY},
            )
        choice = reply.choices[0]
        return choice.message.content or "", choice.finish_reason

    # ---------------------------------------------------------------- model check

    def load(self) -> float:
        start = time.perf_counter()
        self._resolve_model()
        return time.perf_counter() - start

    def list_models(self) -> list[str]:
        """Names (ids and aliases) of the models the server serves."""
        with self._errors(listing=True):
            page = self._client.models.list()
        names: dict[str, None] = {}  # ordered and without duplicates
        for m in page.data:
            names[m.id] = None
            names.update((a, None) for a in (getattr(m, "aliases", None) or []) if isinstance(a, str))
        return list(names)

    def _resolve_model(self) -> str:
        """The model to request, checked once against the server's list.

        Some servers (llama.cpp among them) answer with their one model whatever name is asked for;
        the check makes a wrong SEGUE_LLM_MODEL an error there too instead of a silent substitution.
        """
        with self._lock:
            if not self._checked:
                try:
                    names = self.list_models()
                except LLMUnavailableError as exc:
                    if not (self._model and isinstance(exc.__cause__, openai.NotFoundError)):
                        raise
                    names = [self._model]  # a server without /models: the request itself will tell
                if not names:
                    raise LLMModelNotFoundError(f"the LLM server at {self._url} lists no models (check the server)")
                if self._model is None:
                    self._model = names[0]
                elif self._model not in names:
                    raise LLMModelNotFoundError(
                        one_line(
                            f"model {self._model!r} unknown to the LLM server at {self._url}, which serves "
                            f"{', '.join(names[:5])} (check SEGUE_LLM_MODEL)"
                        )
                    )
                self._checked = True
            assert self._model is not None
            return self._model

    # ---------------------------------------------------------------- errors

    @contextmanager
    def _errors(self, *, listing: bool = False) -> Iterator[None]:
        """Turn the client's exceptions into one-line `LLMError`s naming the setting to check."""
        url, timeout = self._url, self._settings.llm_timeout
        try:
            yield
        except (openai.APITimeoutError, httpx.TimeoutException) as exc:
            raise LLMTimeoutError(
                f"LLM server at {url} did not answer within {timeout:g} s (check the server or SEGUE_LLM_TIMEOUT)"
            ) from exc
        except (openai.APIConnectionError, httpx.TransportError) as exc:
            raise LLMUnavailableError(f"LLM server at {url} unreachable (check SEGUE_LLM_URL)") from exc
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise LLMUnavailableError(f"LLM server at {url} refused the API key (check SEGUE_LLM_API_KEY)") from exc
        except openai.NotFoundError as exc:
            if listing or "model" not in _message(exc).lower():
                raise LLMUnavailableError(
                    f"no OpenAI-compatible API at {url} (check SEGUE_LLM_URL; it usually ends in /v1)"
                ) from exc
            raise LLMModelNotFoundError(
                f"model {self._model!r} unknown to the LLM server at {url} (check SEGUE_LLM_MODEL)"
            ) from exc
        except openai.APIStatusError as exc:
            text = _message(exc)
            if exc.status_code in (400, 413) and any(m in f"{text} {exc.body}".lower() for m in _CONTEXT_MARKERS):
                raise LLMContextError(
                    one_line(f"prompt too long for the model at {url}: {text} (shorten it, or raise the "
                             "server's context, e.g. vLLM --max-model-len)")
                ) from exc
            raise LLMError(one_line(f"LLM server at {url} answered {exc.status_code}: {text}")) from exc
        except openai.APIError as exc:  # an error event inside a stream
            raise LLMError(one_line(f"LLM server at {url} failed: {_message(exc)}")) from exc

    def info(self) -> dict[str, Any]:
        data: dict[str, Any] = {"backend": self.backend, "model": self._model, "url": self._url}
        try:
            names = self.list_models()
            model = self._model or (names[0] if names else None)
            data.update(model=model, reachable=True, served_models=names, model_served=model in names)
        except LLMError as exc:
            data.update(reachable=False, error=str(exc))
        return data


def _message(exc: openai.APIError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
    return exc.message
