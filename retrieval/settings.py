"""The one settings object of Segue. Every value can be set by an env var `SEGUE_<NAME>`."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_CATALOG = PACKAGE_DIR / "data" / "spotify_songs.csv.gz"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "segue"


def _default_model_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "segue"


class Settings(BaseSettings):
    """Configuration read from `SEGUE_*` environment variables (and `.env` if present)."""

    model_config = SettingsConfigDict(env_prefix="SEGUE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir, description="Index, profiles and caches live here.")
    catalog: Path = Field(default=DEFAULT_CATALOG, description="Catalog file ingested by default.")
    chroma_url: str | None = Field(default=None, description="http://HOST:PORT of a Chroma server; unset = embedded.")
    threads: int = Field(default=2, ge=1, le=64, description="CPU threads for the embedding model.")
    embed_backend: Literal["onnx", "torch"] = Field(
        default="onnx", description="Embedding runtime, same vectors: onnx (exported once into model_cache/onnx, "
        "~2x faster) or torch (also the fallback when the ONNX export fails)."
    )
    model_cache: Path = Field(default_factory=_default_model_cache,
                              description="Models derived from the packaged ones (the ONNX export); shared by every "
                              "data dir, so a new index or a test's temp dir does not export again.")

    llm_backend: Literal["embedded", "openai"] | None = Field(
        default=None, description="LLM backend; default: openai when llm_url is set, else embedded."
    )
    llm_url: str | None = Field(default=None, description="Base URL of an OpenAI-compatible server, e.g. http://host:8000/v1.")
    llm_model: str | None = Field(default=None, description="Model name on the OpenAI-compatible server.")
    llm_api_key: str | None = Field(default=None, description="API key of the OpenAI-compatible server, if it needs one.")
    llm_timeout: float = Field(default=30.0, gt=0, description="Seconds before an LLM call is abandoned.")
    # 1 thread: measured faster for the 135M model on 2 shared cores (~125 tok/s, also with the other
    # core busy) than 2 threads (50-150 tok/s idle, 22-85 under contention).
    llm_threads: int = Field(default=1, ge=1, le=64, description="CPU threads of the embedded LLM.")
    llm_ctx: int = Field(default=4096, ge=512, description="Context window of the embedded LLM, in tokens.")

    max_message_chars: int = Field(default=2000, ge=10, description="Longer chat messages are refused.")
    max_tracks: int = Field(default=100, ge=1, description="Most tracks one playlist may hold.")

    @property
    def resolved_llm_backend(self) -> Literal["embedded", "openai"]:
        if self.llm_backend:
            return self.llm_backend
        return "openai" if self.llm_url else "embedded"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process (tests pass their own `Settings`)."""
    return Settings()
