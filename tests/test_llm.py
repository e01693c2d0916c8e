"""The LLM layer against the real embedded model and a real OpenAI-compatible server (no fakes)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field, StringConstraints, field_validator

from assistant.llm import (
    LLMClient,
    LLMContextError,
    LLMModelNotFoundError,
    LLMOutputError,
    LLMTimeoutError,
    LLMUnavailableError,
    UnboundedSchemaError,
    bounded_schema,
    create_llm,
    get_llm,
)
from assistant.prompts import load_prompt, prompt_variables, render_prompt, system_message
from retrieval.settings import Settings

Tag = Annotated[str, StringConstraints(max_length=24)]


class RequestFields(BaseModel):
    genre: str = Field(max_length=30)
    mood: str = Field(max_length=20)
    tempo: Literal["slow", "medium", "fast"]
    activities: list[Tag] = Field(max_length=3)


REQUESTS = [
    "upbeat 80s synthpop for a run",
    "sad piano for a rainy night",
    "loud metal for lifting weights",
    "chill lo-fi beats to study",
    "country songs for a road trip",
    "jazz for a dinner party",
    "reggae for the beach",
    "classical music to focus",
    "punk rock to clean the house",
    "romantic soul for a date night",
    "techno for a late night drive",
    "folk songs around a campfire",
]
HELLO = [system_message(), {"role": "user", "content": "Suggest one jazz album for a quiet evening."}]
TOO_LONG = [{"role": "user", "content": "word " * 5000}]  # ~5,000 tokens > the 4,096-token default context


def request_messages(request: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": render_prompt("llm_request_fields", request=request)}]


@pytest.fixture(scope="module")
def embedded() -> LLMClient:
    return create_llm(Settings(llm_backend="embedded"))


@pytest.fixture(scope="module")
def served(llm_server_url: str) -> LLMClient:
    return create_llm(Settings(llm_url=llm_server_url, llm_model="SmolLM2-135M-Instruct", llm_timeout=30))


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers, like a hung or overloaded one."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield f"http://127.0.0.1:{s.getsockname()[1]}/v1"


# ------------------------------------------------------------------ interface, schemas, prompts


def test_import_loads_no_model() -> None:
    code = (
        "import sys, assistant.llm, assistant.prompts; from assistant.llm import get_llm; get_llm(); "
        "print(sorted(m for m in ('xllamacpp', 'openai') if m in sys.modules))"
    )
    env = {"PATH": "", "HF_HUB_OFFLINE": "1", "SEGUE_LLM_BACKEND": "embedded"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"


def test_get_llm_one_client_per_config() -> None:
    a = Settings(llm_backend="embedded", llm_threads=1)
    assert get_llm(a) is get_llm(Settings(llm_backend="embedded", llm_threads=1))
    assert get_llm(a) is not get_llm(Settings(llm_backend="embedded", llm_threads=2))
    remote = get_llm(Settings(llm_backend=None, llm_url="http://127.0.0.1:9/v1", llm_model="m"))
    assert remote.backend == "openai" and remote.model == "m"


def test_bounded_schema_accepts_bounded_model() -> None:
    schema = bounded_schema(RequestFields)
    assert schema["properties"]["genre"]["maxLength"] == 30
    assert schema["properties"]["activities"]["maxItems"] == 3
    assert schema["properties"]["activities"]["items"]["maxLength"] == 24
    assert schema["additionalProperties"] is False


def test_bounded_schema_refuses_unbounded_fields() -> None:
    class Loose(BaseModel):
        name: str
        tags: list[Tag]
        words: list[str] = Field(max_length=3)
        extra: dict[str, int]

    with pytest.raises(UnboundedSchemaError) as err:
        bounded_schema(Loose)
    message = str(err.value)
    for where in ("Loose.name", "Loose.tags", "Loose.words[]", "Loose.extra"):
        assert where in message
    with pytest.raises(UnboundedSchemaError):
        bounded_schema({"type": "object", "properties": {"a": {"type": "string"}}})


def test_prompts_load_and_render() -> None:
    assert "Segue" in load_prompt("system")
    assert prompt_variables("llm_request_fields") == {"request"}
    assert "jazz for a dinner party" in render_prompt("llm_request_fields", request="jazz for a dinner party")
    with pytest.raises(KeyError):
        render_prompt("llm_request_fields")
    with pytest.raises(FileNotFoundError):
        load_prompt("no_such_prompt")
    with pytest.raises(ValueError):
        load_prompt("../pyproject")


# ------------------------------------------------------------------ embedded backend


def test_embedded_chat_returns_text(embedded: LLMClient) -> None:
    reply = embedded.chat(HELLO, max_tokens=40)
    assert isinstance(reply, str) and reply.strip()  # sometimes only two words: no length check
    info = embedded.info()
    assert info["backend"] == "embedded" and info["model"] == "SmolLM2-135M-Instruct" and info["loaded"]


def test_embedded_stream_joins_to_the_whole_reply(embedded: LLMClient) -> None:
    chunks = list(embedded.stream(HELLO, max_tokens=32, temperature=0))
    assert len(chunks) >= 5
    assert "".join(chunks) == embedded.chat(HELLO, max_tokens=32, temperature=0)


def test_embedded_stream_closed_early_frees_the_model(embedded: LLMClient) -> None:
    stream = embedded.stream(HELLO, max_tokens=200)
    assert next(stream)
    stream.close()
    assert embedded.chat(HELLO, max_tokens=4)  # would hang if the stream still held the lock


def test_embedded_concurrent_callers_are_serialised(embedded: LLMClient) -> None:
    replies: list[str] = []
    threads = [threading.Thread(target=lambda: replies.append(embedded.chat(HELLO, max_tokens=8))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(replies) == 3 and all(replies)


def test_embedded_structured_output_is_valid_for_many_inputs(embedded: LLMClient) -> None:
    results = [embedded.structured(request_messages(r), RequestFields, max_tokens=120) for r in REQUESTS]
    assert len(results) == len(REQUESTS) >= 10
    for fields in results:
        assert isinstance(fields, RequestFields)
        assert fields.genre and len(fields.genre) <= 30 and len(fields.activities) <= 3


def test_embedded_structured_accepts_a_json_schema_dict(embedded: LLMClient) -> None:
    schema = {
        "title": "Mood",
        "type": "object",
        "properties": {
            "mood": {"type": "string", "enum": ["calm", "upbeat", "sad"]},
            "words": {"type": "array", "items": {"type": "string", "maxLength": 20}, "maxItems": 3},
        },
        "required": ["mood", "words"],
    }
    for request in ("slow sad songs for a rainy night", "party bangers to dance to"):
        value = embedded.structured(request_messages(request), schema, max_tokens=80)
        assert isinstance(value, dict) and value["mood"] in {"calm", "upbeat", "sad"}
        assert len(value["words"]) <= 3 and all(len(w) <= 20 for w in value["words"])


def test_embedded_structured_invalid_twice_raises_output_error(embedded: LLMClient) -> None:
    attempts: list[str] = []

    class Impossible(BaseModel):
        genre: str = Field(max_length=20)

        @field_validator("genre")
        @classmethod
        def never(cls, value: str) -> str:
            attempts.append(value)
            raise ValueError("no genre is good enough")

    with pytest.raises(LLMOutputError, match="Impossible") as err:
        embedded.structured(request_messages("jazz"), Impossible, max_tokens=40)
    assert len(attempts) == 2  # the first reply and one retry
    assert err.value.raw and "\n" not in str(err.value)


def test_embedded_too_long_prompt(embedded: LLMClient) -> None:
    with pytest.raises(LLMContextError, match="SEGUE_LLM_CTX"):
        embedded.chat(TOO_LONG)
    with pytest.raises(LLMContextError):
        list(embedded.stream(TOO_LONG))


def test_bench_reports_the_expected_keys(embedded: LLMClient) -> None:
    from assistant.llm.bench import bench_llm

    result = bench_llm(Settings(llm_backend="embedded"), client=embedded, reply_tokens=20, runs=1)
    for key in ("backend", "model", "load_s", "ttft_s", "tokens_per_s", "peak_rss_mb"):
        assert key in result
    assert result["tokens_per_s"] > 0 and result["ttft_s"] > 0 and result["peak_rss_mb"] > 50


# ------------------------------------------------------------------ openai backend, failures without a server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_fails_fast_with_a_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # closed port: connection refused
    llm = create_llm(Settings(llm_url=url, llm_model="m", llm_timeout=5))
    for call in (
        lambda: llm.chat(HELLO),
        lambda: list(llm.stream(HELLO)),
        lambda: llm.structured(request_messages("jazz"), RequestFields),
    ):
        start = time.monotonic()
        with pytest.raises(LLMUnavailableError) as err:
            call()
        assert time.monotonic() - start < 5
        assert str(err.value) == f"LLM server at {url} unreachable (check SEGUE_LLM_URL)"
    assert llm.info()["reachable"] is False


def test_silent_server_times_out(silent_server: str) -> None:
    llm = create_llm(Settings(llm_url=silent_server, llm_model="m", llm_timeout=1))
    start = time.monotonic()
    with pytest.raises(LLMTimeoutError, match="SEGUE_LLM_TIMEOUT"):
        llm.chat(HELLO)
    assert 0.9 < time.monotonic() - start < 5


# ------------------------------------------------------------------ openai backend against a real server


@pytest.mark.server
def test_served_chat_stream_and_structured(served: LLMClient) -> None:
    assert served.backend == "openai"
    assert served.chat(HELLO, max_tokens=30).strip()
    chunks = list(served.stream(HELLO, max_tokens=32, temperature=0))
    assert len(chunks) >= 5
    assert "".join(chunks) == served.chat(HELLO, max_tokens=32, temperature=0)
    for request in REQUESTS[:4]:
        assert isinstance(served.structured(request_messages(request), RequestFields, max_tokens=120), RequestFields)


@pytest.mark.server
def test_served_default_model_is_the_first_listed(llm_server_url: str) -> None:
    llm = create_llm(Settings(llm_url=llm_server_url, llm_model=None))
    assert llm.chat(HELLO, max_tokens=4)
    assert llm.model == "SmolLM2-135M-Instruct"


@pytest.mark.server
def test_served_unknown_model(llm_server_url: str) -> None:
    # llama.cpp's server answers with its one model whatever name is asked for; the client checks
    # the name against /v1/models first, so the mistake is still reported.
    llm = create_llm(Settings(llm_url=llm_server_url, llm_model="Qwen/Qwen2.5-7B-Instruct"))
    with pytest.raises(LLMModelNotFoundError, match="SEGUE_LLM_MODEL"):
        llm.chat(HELLO, max_tokens=4)
    assert llm.info()["model_served"] is False


@pytest.mark.server
def test_served_too_long_prompt(served: LLMClient) -> None:
    with pytest.raises(LLMContextError, match="too long"):
        served.chat(TOO_LONG)
    with pytest.raises(LLMContextError):
        list(served.stream(TOO_LONG))


@pytest.mark.server
def test_cli_llm_info_reports_the_server(llm_server_url: str) -> None:
    env = {"PATH": "", "HF_HUB_OFFLINE": "1", "SEGUE_LLM_URL": llm_server_url}
    out = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "llm", "info", "--json"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["backend"] == "openai" and info["reachable"] is True
    assert info["model"] == "SmolLM2-135M-Instruct"
