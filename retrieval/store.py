"""The Chroma vector store: a `tracks` and a `playlists` collection, embedded or on a Chroma server.

We always pass our own vectors (`embeddings=`, `query_embeddings=`): Chroma's default embedding function
downloads a model, which fails offline.

Server mode (`SEGUE_CHROMA_URL=http://HOST:PORT`) fails fast: the server is pinged with a short timeout
before anything else, a call that hits a dropped connection is retried briefly (every call we make is
idempotent: upsert and delete by id, reads), and a server that stays down becomes one
`StoreUnavailableError` line. Nothing is lost: ingest writes by id and records its progress in Chroma.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence
from urllib.parse import urlparse

import numpy as np

from retrieval.errors import IndexCorruptError, StoreUnavailableError
from retrieval.settings import Settings

# Chroma refuses larger batches (measured max 5,461 for 384-d vectors).
MAX_BATCH = 5000
# A live server answers its heartbeat in milliseconds; waiting longer only delays the error.
PING_TIMEOUT_S = 2.0
# Generous for a 5,000-row upsert or a `where` scan at 500k rows; a hung server still ends in an error.
CALL_TIMEOUT_S = 60.0
# Pauses before retrying a call whose connection failed (a server restarting, a dropped keep-alive).
RETRY_PAUSES_S = (0.2, 0.6)
# Collection metadata key holding the catalog fingerprint of the last complete ingest ("" while one runs).
FINGERPRINT_KEY = "segue_fingerprint"
SQLITE_FILE = "chroma.sqlite3"
SQLITE_HEADER = b"SQLite format 3\x00"
CHROMA_TABLES = frozenset({"collections", "segments", "embeddings", "embedding_metadata"})


@dataclass(frozen=True)
class StoreHit:
    id: str
    score: float  # cosine similarity, 1 = identical


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _is_transport_error(exc: BaseException) -> bool:
    """Connection-level failures (refused, reset, timed out), as opposed to Chroma rejecting a request."""
    import httpx

    if isinstance(exc, httpx.TransportError):
        return True
    # chromadb wraps a refused connection in a bare ValueError
    return isinstance(exc, ValueError) and "could not connect" in str(exc).lower()


def _server_url(chroma_url: str) -> tuple[str, int, bool]:
    url = urlparse(chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise StoreUnavailableError(f"SEGUE_CHROMA_URL={chroma_url!r} is not an http://HOST:PORT address")
    return url.hostname, url.port or 8000, url.scheme == "https"


def ping_server(chroma_url: str, timeout: float = PING_TIMEOUT_S) -> float:
    """Seconds the Chroma server at `chroma_url` takes to answer its heartbeat; StoreUnavailableError if it doesn't."""
    import httpx

    host, port, ssl = _server_url(chroma_url)
    base = f"{'https' if ssl else 'http'}://{host}:{port}"
    start = time.perf_counter()
    try:
        response = httpx.get(f"{base}/api/v2/heartbeat", timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise StoreUnavailableError(
            f"Chroma server at {chroma_url} unreachable ({_first_line(exc)}): start it or fix SEGUE_CHROMA_URL"
        ) from None
    return time.perf_counter() - start


def _connect(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        host, port, ssl = _server_url(settings.chroma_url)
        ping_server(settings.chroma_url)
        try:
            client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings)
        except Exception as exc:  # chromadb raises bare ValueError / httpx errors for a dead server
            raise StoreUnavailableError(
                f"Chroma server at {settings.chroma_url} unreachable ({_first_line(exc)}): "
                f"start it or fix SEGUE_CHROMA_URL"
            ) from None
        _set_timeout(client)
        return client
    path = settings.index_dir / "chroma"
    check_embedded_db(path)
    path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        raise IndexCorruptError(f"the index in {path} cannot be opened ({_first_line(exc)}); "
                                f"move it aside and run `segue ingest`") from None


def check_embedded_db(path: Path) -> None:
    """Raise IndexCorruptError when `path` holds a chroma.sqlite3 that is not a whole Chroma database.

    Chroma silently replaces a database file it cannot read with a new, empty one (measured with 1.5.9):
    the index would be lost and every search would answer nothing. The checks read only the header and
    the schema, so they cost the same at any catalog size.
    """
    db = path / SQLITE_FILE
    try:
        size = db.stat().st_size
    except FileNotFoundError:
        return
    if size == 0:  # nothing to lose: Chroma writes its schema into it
        return
    try:
        with open(db, "rb") as fh:
            header = fh.read(100)
        if len(header) < 100 or not header.startswith(SQLITE_HEADER):
            problem = "not an SQLite database"
        elif _hot_journal(db):
            problem = ""  # a write was cut short (a killed ingest): SQLite rolls it back on the next open
        else:
            page_size = int.from_bytes(header[16:18], "big")
            page_size = 65536 if page_size == 1 else page_size
            # the page count in the header is valid when its "version-valid-for" equals the change counter
            pages = int.from_bytes(header[28:32], "big") if header[92:96] == header[24:28] else 0
            with contextlib.closing(sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=1)) as con:
                tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            problem = ("truncated" if size < pages * page_size
                       else "Chroma tables missing" if not CHROMA_TABLES <= tables else "")
    except (OSError, sqlite3.Error) as exc:
        # another process writing (an ingest) holds the lock: that database is alive, not damaged
        problem = "" if "locked" in str(exc).lower() else _first_line(exc)
    if problem:
        raise IndexCorruptError(f"the index database {db} is damaged ({problem}): move {path.parent} aside "
                                f"and run `segue ingest`")


def _hot_journal(db: Path) -> bool:
    journal = db.with_name(db.name + "-journal")
    return journal.exists() and journal.stat().st_size > 0


def _set_timeout(client: Any) -> None:
    """chromadb's HTTP client waits forever by default; a hung server must end in an error instead.
    There is no public setting for it, so set it on the client's httpx session when that is where we expect."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(CALL_TIMEOUT_S, connect=PING_TIMEOUT_S)


class VectorStore:
    """Thin typed wrapper over two Chroma collections. `namespace` keeps separate indexes apart (evals)."""

    def __init__(self, settings: Settings, namespace: str = "") -> None:
        self.settings = settings
        self.where = settings.chroma_url or str(settings.index_dir / "chroma")
        self._client = _connect(settings)
        prefix = f"{namespace}_" if namespace else ""
        self.tracks = self._call(self._collection, f"{prefix}tracks")
        self.playlists = self._call(self._collection, f"{prefix}playlists")

    @property
    def is_server(self) -> bool:
        return bool(self.settings.chroma_url)

    def _collection(self, name: str) -> Any:
        return self._client.get_or_create_collection(
            name=name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    def _translate(self, exc: BaseException) -> Exception:
        if self.is_server:
            return StoreUnavailableError(
                f"Chroma server at {self.settings.chroma_url} failed ({_first_line(exc)}): "
                f"check that it runs and SEGUE_CHROMA_URL"
            )
        return IndexCorruptError(f"the index in {self.where} cannot be read ({_first_line(exc)}): "
                                 f"move {self.settings.index_dir} aside and run `segue ingest`")

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        pauses = RETRY_PAUSES_S if self.is_server else ()
        for attempt in range(len(pauses) + 1):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if attempt < len(pauses) and _is_transport_error(exc):
                    time.sleep(pauses[attempt])
                    continue
                raise self._translate(exc) from None
        raise AssertionError("unreachable")

    def ping(self) -> float:
        """Health check: seconds one round trip takes (server heartbeat, or a count on the embedded store).
        Raises StoreUnavailableError (server) or IndexCorruptError (embedded) when the store does not answer."""
        if self.is_server:
            return ping_server(self.settings.chroma_url or "")
        start = time.perf_counter()
        self.count(self.tracks)
        return time.perf_counter() - start

    # ------------------------------------------------------------------ writes

    def upsert(self, collection: Any, ids: Sequence[str], vectors: np.ndarray,
               metadatas: Sequence[dict[str, Any]], documents: Sequence[str] | None = None) -> None:
        for start in range(0, len(ids), MAX_BATCH):
            end = start + MAX_BATCH
            self._call(
                collection.upsert,
                ids=list(ids[start:end]),
                embeddings=vectors[start:end],
                metadatas=list(metadatas[start:end]),
                documents=list(documents[start:end]) if documents is not None else None,
            )

    def delete(self, collection: Any, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), MAX_BATCH):
            self._call(collection.delete, ids=list(ids[start:start + MAX_BATCH]))

    def drop(self) -> None:
        """Delete both collections and everything in them (temporary namespaces of benchmarks and evals)."""
        for collection in (self.tracks, self.playlists):
            self._call(self._client.delete_collection, collection.name)

    def set_fingerprint(self, collection: Any, fingerprint: str) -> None:
        """Record (in Chroma itself, so it holds for every client of a server) which catalog the collection
        holds completely; "" marks an ingest under way."""
        metadata = dict(collection.metadata or {})
        metadata[FINGERPRINT_KEY] = fingerprint
        self._call(collection.modify, metadata=metadata)

    def fingerprint(self, collection: Any) -> str:
        """The fingerprint of the last complete ingest into `collection`, "" if none or one was interrupted."""
        fresh = self._call(self._client.get_collection, collection.name)
        return str((fresh.metadata or {}).get(FINGERPRINT_KEY, ""))

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
        """The k nearest records (approximate, HNSW), optionally only among those matching Chroma's `where`."""
        if k <= 0:
            return []
        res = self._call(
            collection.query, query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=k, where=where,
            include=["distances"],
        )
        return [StoreHit(rid, 1.0 - float(d)) for rid, d in zip(res["ids"][0], res["distances"][0])]


def chroma_path(settings: Settings) -> Path:
    return settings.index_dir / "chroma"
