"""The one LLM interface the rest of Segue uses, whatever the backend."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from assistant.llm.errors import LLMOutputError, one_line
from assistant.llm.schema import bounded_schema

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}
T = TypeVar("T", bound=BaseModel)

ROLES = frozenset({"system", "user", "assistant"})
# Small models loop inside JSON strings ("rock, rock, rock, ..."); a mild penalty stops most of it.
STRUCTURED_REPEAT_PENALTY = 1.15
# The retry must not replay the first attempt: at temperature 0 it would produce the same reply.
RETRY_MIN_TEMPERATURE = 0.5


class LLMClient(ABC):
    """Chat, stream or fill a schema. Implementations are thread-safe.

    Nothing a model writes is trusted: `structured` validates with pydantic, and callers still check
    facts (track names, artists) against the catalog.
    """

    backend: str

    @property
    @abstractmethod
    def model(self) -> str:
        """The model name used for requests."""

    @abstractmethod
    def chat(self, messages: Sequence[Message], *, max_tokens: int = 256, temperature: float = 0.2) -> str:
        """The whole reply to `messages`."""

    @abstractmethod
    def stream(
        self, messages: Sequence[Message], *, max_tokens: int = 256, temperature: float = 0.2
    ) -> Iterator[str]:
        """The reply to `messages`, piece by piece (about one token each) as it is generated."""

    def load(self) -> float:
        """Get ready now instead of on the first request (load the model, check the server); seconds taken."""
        return 0.0

    @abstractmethod
    def info(self) -> dict[str, Any]:
        """At least `backend` and `model`; never raises."""

    @abstractmethod
    def _complete_json(
        self, messages: list[Message], name: str, schema: dict[str, Any], *, max_tokens: int, temperature: float
    ) -> tuple[str, str | None]:
        """Raw text of a reply constrained to the JSON `schema`, and its finish reason."""

    def structured(
        self,
        messages: Sequence[Message],
        schema: type[T] | dict[str, Any],
        *,
        max_tokens: int = 300,
        temperature: float = 0.0,
    ) -> T | dict[str, Any]:
        """`schema` filled in by the model: schema-constrained, then validated.

        `schema` is a pydantic model (an instance comes back) or a JSON schema dict (a validated dict comes
        back). An invalid reply is retried once (warmer, and with more room if it was cut off); a second
        failure raises `LLMOutputError`. The schema must be bounded (see `bounded_schema`).
        """
        json_schema = bounded_schema(schema)
        name = schema.__name__ if isinstance(schema, type) else str(json_schema.get("title", "Output"))[:64]
        msgs = check_messages(messages)
        raw, error = "", ""
        for attempt in range(2):
            raw, finish = self._complete_json(msgs, name, json_schema, max_tokens=max_tokens, temperature=temperature)
            try:
                return _validate(raw, schema, json_schema)
            except ValueError as exc:
                error = str(exc) + (" (cut off at max_tokens)" if finish == "length" else "")
            if attempt == 0:
                temperature = max(temperature, RETRY_MIN_TEMPERATURE)
                if finish == "length":
                    max_tokens *= 2
        raise LLMOutputError(one_line(f"the model's reply did not fit {name} after a retry ({error})"), raw=raw)


def _validate(raw: str, schema: type[T] | dict[str, Any], json_schema: dict[str, Any]) -> T | dict[str, Any]:
    """The reply as a validated object; ValueError with the first problem otherwise."""
    if isinstance(schema, type):
        try:
            return schema.model_validate_json(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "reply"
            raise ValueError(f"{where}: {first['msg']}") from None
    import json

    import jsonschema

    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"reply: invalid JSON ({exc.msg})") from None
    problem = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(json_schema).iter_errors(value))
    if problem is not None:
        where = ".".join(str(p) for p in problem.absolute_path) or "reply"
        raise ValueError(f"{where}: {problem.message[:200]}")
    return value


def check_messages(messages: Sequence[Message]) -> list[Message]:
    """A plain list of role/content dicts; a malformed message is a programming error."""
    out: list[Message] = []
    for i, m in enumerate(messages):
        if m.get("role") not in ROLES or not isinstance(m.get("content"), str):
            raise ValueError(f"message {i} needs a role in {sorted(ROLES)} and a string content: {m!r}")
        out.append({"role": m["role"], "content": m["content"]})
    if not out:
        raise ValueError("no messages")
    return out
