"""The Chroma vector store: a `tracks` and a `playlists` collection, embedded or on a Chroma server.

We always pass our own vectors (`embeddings=`, `query_embeddings=`): Chroma's default embedding function
downloads a model, which fails offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import urlparse

import numpy as np

from retrieval.errors import IndexCorruptError, StoreUnavailableError
from retrieval.settings import Settings

# Chroma refuses larger batches (measured max 5,461 for 384-d vectors).
MAX_BATCH = 5000


@dataclass(frozen=True)
class StoreHit:
    id: str
    score: float  # cosine similarity, 1 = identical


def _connect(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if not url.hostname:
            raise StoreUnavailableError(f"SEGUE_CHROMA_URL={settings.chroma_url!r} is not an http://HOST:PORT address")
        try:
            return chromadb.HttpClient(
                host=url.hostname, port=url.port or 8000, ssl=url.scheme == "https", settings=chroma_settings
            )
        except Exception as exc:  # chromadb raises bare ValueError / httpx errors for a dead server
            raise StoreUnavailableError(
                f"Chroma server at {settings.chroma_url} unreachable (check SEGUE_CHROMA_URL): {_first_line(exc)}"
            ) from None
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        raise IndexCorruptError(f"the index in {path} cannot be opened ({_first_line(exc)}); "
                                f"move it aside and run `segue ingest`") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


class VectorStore:
    """Thin typed wrapper over two Chroma collections. `namespace` keeps separate indexes apart (evals)."""

    def __init__(self, settings: Settings, namespace: str = "") -> None:
        self.settings = settings
        self.where = settings.chroma_url or str(settings.index_dir / "chroma")
        self._client = _connect(settings)
        prefix = f"{namespace}_" if namespace else ""
        try:
            self.tracks = self._collection(f"{prefix}tracks")
            self.playlists = self._collection(f"{prefix}playlists")
        except StoreUnavailableError:
            raise
        except Exception as exc:
            raise self._translate(exc) from None

    def _collection(self, name: str) -> Any:
        return self._client.get_or_create_collection(
            name=name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    def _translate(self, exc: BaseException) -> Exception:
        if self.settings.chroma_url:
            return StoreUnavailableError(
                f"Chroma server at {self.settings.chroma_url} failed (check SEGUE_CHROMA_URL): {_first_line(exc)}"
            )
        return IndexCorruptError(f"the index in {self.where} cannot be read ({_first_line(exc)})")

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise self._translate(exc) from None

    # ------------------------------------------------------------------ writes

    def upsert(self, collection: Any, ids: Sequence[str], vectors: np.ndarray,
               metadatas: Sequence[dict[str, Any]], documents: Sequence[str]) -> None:
        for start in range(0, len(ids), MAX_BATCH):
            end = start + MAX_BATCH
            self._call(
                collection.upsert,
                ids=list(ids[start:end]),
                embeddings=vectors[start:end],
                metadatas=list(metadatas[start:end]),
                documents=list(documents[start:end]),
            )

    def delete(self, collection: Any, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), MAX_BATCH):
            self._call(collection.delete, ids=list(ids[start:start + MAX_BATCH]))

    # ------------------------------------------------------------------ reads

    def count(self, collection: Any) -> int:
        return int(self._call(collection.count))

    def iter_records(self, collection: Any, include: Sequence[str], page: int = MAX_BATCH) -> Iterator[dict[str, Any]]:
        """All records of a collection, a page at a time: {"ids": [...], "metadatas": [...], ...}."""
        total = self.count(collection)
        for offset in range(0, total, page):
            yield self._call(collection.get, include=list(include), limit=page, offset=offset)

    def hashes(self, collection: Any) -> dict[str, str]:
        """id -> content hash of every stored record (what ingest compares to decide what to re-embed)."""
        out: dict[str, str] = {}
        for batch in self.iter_records(collection, include=["metadatas"]):
            for rid, meta in zip(batch["ids"], batch["metadatas"] or []):
                out[rid] = (meta or {}).get("hash", "")
        return out

    def vectors(self, collection: Any, ids: Sequence[str]) -> np.ndarray:
        """The stored vectors of `ids`, in that order."""
        out = np.zeros((len(ids), 0), dtype=np.float32)
        rows: dict[str, np.ndarray] = {}
        for start in range(0, len(ids), MAX_BATCH):
            got = self._call(collection.get, ids=list(ids[start:start + MAX_BATCH]), include=["embeddings"])
            for rid, vec in zip(got["ids"], got["embeddings"]):
                rows[rid] = np.asarray(vec, dtype=np.float32)
        missing = [i for i in ids if i not in rows]
        if missing:
            raise IndexCorruptError(f"{len(missing)} vectors missing from {self.where}: run `segue ingest`")
        if ids:
            out = np.stack([rows[i] for i in ids])
        return out

    def query(self, collection: Any, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[StoreHit]:
        k = min(k, self.count(collection))
        if k <= 0:
            return []
        res = self._call(
            collection.query, query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=k, where=where,
            include=["distances"],
        )
        return [StoreHit(rid, 1.0 - float(d)) for rid, d in zip(res["ids"][0], res["distances"][0])]


def chroma_path(settings: Settings) -> Path:
    return settings.index_dir / "chroma"
