"""`TrackIndex`: the in-memory, columnar view of an indexed catalog that retrieval works on.

It holds the tracks, their vectors and feature arrays, so that exact metadata filters are numpy masks
(microseconds) rather than Chroma `where` queries (100-250 ms at 100k rows). Dense search goes to Chroma's
HNSW when unfiltered and a store is attached; filtered, `filtered_search` scans the masked rows exactly or,
for a broad mask over a large index, post-filters HNSW neighbours.
"""

from __future__ import annotations

import re
import threading
from functools import cached_property
from typing import Sequence

import numpy as np

from retrieval.catalog import AUDIO_FEATURES, CatalogPlaylist, Track
from retrieval.embeddings import Embedder, embedder_for
from retrieval.errors import IndexCorruptError
from retrieval.lexical import BM25, fold, tokenize
from retrieval.settings import Settings
from retrieval.snapshot import read_snapshot
from retrieval.store import VectorStore
from retrieval.text import track_text


# filtered_search picks the cheapest way that is exact when it can. Measured on this 2-core machine under
# load: gathering masked rows a small block at a time costs ~0.35 us a row (100k rows ~40 ms), streaming
# the whole matrix ~0.11 us a row (55 ms at 500k rows), an HNSW query for a few hundred neighbours at 500k
# rows 30-90 ms.
EXACT_SCAN_MAX_ROWS = 100_000  # masks up to this many rows are scanned exactly, whatever the index size
FULL_SCAN_MAX_ROWS = 150_000  # indexes up to this size are always scanned exactly (<~20 ms)
GATHER_MAX_SHARE = 0.25  # above this share of rows, scanning everything beats gathering the masked ones
HNSW_OVERFETCH = 2.0  # HNSW neighbours fetched per expected survivor of the mask
HNSW_MAX_FETCH = 2_000  # fetching more costs more than the exact scan it would replace
# Rows gathered per block: small enough that the copy stays in cache and that BLAS runs the product on one
# thread (at 2,048 rows OpenBLAS goes multi-threaded, and on a busy machine that was 10x slower).
SCAN_BLOCK = 1024


def _share_fields_set(tracks: list[Track]) -> None:
    """Give every Track whose every field is set the same pydantic fields-set object.

    Pydantic keeps a per-instance set of the fields that were set: 2.3 KB of a Track's ~3.9 KB. For tracks
    that have all fields set (everything loaded from a snapshot or a catalog) the sets are equal, and sharing
    one is safe: pydantic only ever adds names to it, and they are all in it already.
    """
    if not tracks:
        return
    full = set(Track.model_fields)
    shared: set[str] | None = None
    for t in tracks:
        own = t.__pydantic_fields_set__
        if own is shared or own != full:
            continue
        if shared is None:
            shared = own
        else:
            object.__setattr__(t, "__pydantic_fields_set__", shared)


def _column(tracks: Sequence[Track], name: str) -> np.ndarray:
    return np.array([np.nan if getattr(t, name) is None else getattr(t, name) for t in tracks], dtype=np.float64)


def artist_key(name: str) -> str:
    return " ".join(fold(name).replace("&", "and").split())


# "(feat. Khalid)", "[with Jon Bellion]", "Mama feat. Ellie Goulding"
_FEATURING = re.compile(r"[(\[]\s*(?:feat\.?|ft\.?|featuring|with)\s+([^)\]]+)[)\]]|\s(?:feat\.?|ft\.|featuring)\s+"
                        r"([^()\[\]-]+)", re.IGNORECASE)
_CREDIT_SPLIT = re.compile(r"\s*(?:,|&|\band\b|\bx\b)\s*", re.IGNORECASE)


def featured_keys(title: str) -> set[str]:
    """The `artist_key`s of the artists a title credits as featured: "Cross Me (feat. Chance the Rapper & PnB
    Rock)" -> chance the rapper, pnb rock, and the whole credit (a name may hold "&": "Simon & Garfunkel")."""
    keys: set[str] = set()
    for m in _FEATURING.finditer(title):
        credit = (m.group(1) or m.group(2)).strip()
        keys.update(artist_key(name) for name in [credit, *_CREDIT_SPLIT.split(credit)] if name.strip())
    return keys


class TrackIndex:
    def __init__(
        self,
        tracks: Sequence[Track],
        vectors: np.ndarray,
        playlists: Sequence[CatalogPlaylist] = (),
        playlist_vectors: np.ndarray | None = None,
        *,
        embedder: Embedder | None = None,
        store: VectorStore | None = None,
        texts: Sequence[str] | None = None,
        name: str = "catalog",
    ) -> None:
        if len(tracks) != len(vectors):
            raise ValueError("one vector per track")
        self.name = name
        self.tracks = list(tracks)
        _share_fields_set(self.tracks)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.playlists = list(playlists)
        self.playlist_vectors = (np.zeros((0, self.vectors.shape[1] if self.vectors.size else 384), np.float32)
                                 if playlist_vectors is None else np.asarray(playlist_vectors, dtype=np.float32))
        self.embedder = embedder
        self.store = store
        self._texts = list(texts) if texts is not None else None
        self.row = {t.track_id: i for i, t in enumerate(self.tracks)}
        self.features = {name: _column(self.tracks, name) for name in AUDIO_FEATURES}
        self.year = _column(self.tracks, "year")
        self.duration_ms = _column(self.tracks, "duration_ms")
        self.popularity = _column(self.tracks, "popularity")
        keys = [artist_key(t.artist) for t in self.tracks]
        self.artist_names: list[str] = []
        artist_of: dict[str, int] = {}
        for t, key in zip(self.tracks, keys):
            if key not in artist_of:
                artist_of[key] = len(self.artist_names)
                self.artist_names.append(t.artist)
        self.artist_index = artist_of  # folded artist name -> artist number
        self.artist = np.array([artist_of[k] for k in keys], dtype=np.int32)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.tracks)

    # ------------------------------------------------------------------ text

    @property
    def texts(self) -> list[str]:
        if self._texts is None:
            self._texts = [track_text(t) for t in self.tracks]
        return self._texts

    @cached_property
    def bm25(self) -> BM25:
        return BM25(self.texts)

    @cached_property
    def featuring(self) -> dict[str, np.ndarray]:
        """artist_key -> the rows whose titles credit that artist as featured ("Life Is Good (feat. Drake)")."""
        out: dict[str, list[int]] = {}
        for row, t in enumerate(self.tracks):
            for key in featured_keys(t.title):
                out.setdefault(key, []).append(row)
        return {k: np.array(rows, dtype=np.int64) for k, rows in out.items()}

    @cached_property
    def artist_name_words(self) -> list[frozenset[str]]:
        """The words of each artist's name (by artist number), stopwords left out."""
        return [frozenset(tokenize(name)) for name in self.artist_names]

    @cached_property
    def artists_by_name_word(self) -> dict[str, np.ndarray]:
        """Each word of the artists' names -> the numbers of the artists whose names hold it."""
        out: dict[str, list[int]] = {}
        for number, words in enumerate(self.artist_name_words):
            for word in words:
                out.setdefault(word, []).append(number)
        return {w: np.array(numbers, dtype=np.int32) for w, numbers in out.items()}

    @cached_property
    def title_bm25(self) -> BM25:
        """BM25 over the song titles alone: what a song is about, not who sings it ("Three Dog Night")."""
        return BM25([t.title for t in self.tracks])

    @cached_property
    def labels(self) -> dict[str, np.ndarray]:
        """Genre or subgenre label -> boolean mask of the tracks that carry it."""
        out: dict[str, np.ndarray] = {}
        for i, t in enumerate(self.tracks):
            for label in (*t.genres, *t.subgenres):
                mask = out.get(label)
                if mask is None:
                    mask = out[label] = np.zeros(len(self.tracks), dtype=bool)
                mask[i] = True
        return out

    # ------------------------------------------------------------------ vectors

    def encode(self, text: str) -> np.ndarray:
        if self.embedder is None:
            raise RuntimeError(f"index {self.name} has no embedder")
        return self.embedder.encode_one(text)

    def dense_scores(self, vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of every track to `vector` (vectors are normalised)."""
        return self.vectors @ vector.astype(np.float32)

    def dense_search(self, query: str | np.ndarray, k: int = 10, mask: np.ndarray | None = None) -> list[tuple[Track, float]]:
        vector = self.encode(query) if isinstance(query, str) else query
        if mask is None and self.store is not None:
            hits = self.store.query(self.store.tracks, vector, k)
            return [(self.tracks[self.row[h.id]], h.score) for h in hits if h.id in self.row]
        return [(self.tracks[i], score) for i, score in self.filtered_search(vector, mask, k)]

    def filtered_search(self, vector: np.ndarray, mask: np.ndarray | None, k: int) -> list[tuple[int, float]]:
        """The k rows nearest to `vector` among those `mask` allows, as (row, cosine) pairs, best first.

        Exact whenever that is cheap: a narrow mask gathers and scans only its rows, an index of up to
        FULL_SCAN_MAX_ROWS tracks is scanned whole. A broad mask over a large index, when a store is attached,
        is served by the store's HNSW index with enough extra neighbours fetched that k are expected to pass
        the mask (post-filtering); if fewer do, the exact scan answers instead.
        """
        n = len(self.tracks)
        allowed = n if mask is None else int(np.count_nonzero(mask))
        if k <= 0 or allowed == 0:
            return []
        if self.store is not None and allowed > EXACT_SCAN_MAX_ROWS and n > FULL_SCAN_MAX_ROWS:
            found = self._hnsw_filtered(vector, mask, k, allowed)
            if found is not None:
                return found
        rows = np.flatnonzero(mask) if mask is not None and allowed <= n * GATHER_MAX_SHARE else None
        scores = self._scan(vector, rows)
        if rows is None and mask is not None:
            scores[~mask] = -np.inf
        top = top_k(scores, min(k, allowed))
        picked = top if rows is None else rows[top]
        return [(int(r), float(scores[i])) for r, i in zip(picked, top)]

    def _hnsw_filtered(self, vector: np.ndarray, mask: np.ndarray | None, k: int,
                       allowed: int) -> list[tuple[int, float]] | None:
        """HNSW neighbours that pass the mask; None when too many would be needed or too few passed."""
        n = len(self.tracks)
        fetch = min(n, max(2 * k, int(k * n / allowed * HNSW_OVERFETCH)))
        if fetch > HNSW_MAX_FETCH or self.store is None:
            return None
        hits = self.store.query(self.store.tracks, vector, fetch)
        found = [(row, h.score) for h in hits if (row := self.row.get(h.id)) is not None and (mask is None or mask[row])]
        return found[:k] if len(found) >= min(k, allowed) else None

    def _scan(self, vector: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        """Exact cosine of `rows` (all when None), gathered a block at a time (see SCAN_BLOCK)."""
        vector = vector.astype(np.float32)
        if rows is None:
            return self.vectors @ vector
        out = np.empty(len(rows), dtype=np.float32)
        for start in range(0, len(rows), SCAN_BLOCK):
            block = rows[start:start + SCAN_BLOCK]
            out[start:start + len(block)] = self.vectors[block] @ vector
        return out


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores, best first (argpartition, then a sort of only those k)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]


_open: dict[tuple[str, str], TrackIndex] = {}
_open_lock = threading.Lock()


def open_index(settings: Settings, *, use_store: bool = True) -> TrackIndex:
    """The index of `settings.data_dir`, loaded once per process. Raises IndexMissingError before `segue ingest`."""
    key = (str(settings.index_dir), settings.chroma_url or "")
    with _open_lock:
        if key not in _open:
            snap = read_snapshot(settings.index_dir)
            store = VectorStore(settings) if use_store else None
            # An emptied or replaced Chroma (a server restarted on another path) would answer every search
            # with nothing: compare it with the snapshot instead.
            if store is not None and (stored := store.count(store.tracks)) != len(snap.tracks):
                raise IndexCorruptError(f"the vector store {store.where} holds {stored} tracks, the index "
                                        f"{len(snap.tracks)}: run `segue ingest`")
            _open[key] = TrackIndex(
                snap.tracks, snap.vectors, snap.playlists, snap.playlist_vectors,
                embedder=embedder_for(settings), store=store, name=snap.manifest.get("catalog", "catalog"),
            )
        return _open[key]


def forget_open_indexes() -> None:
    """Drop cached indexes (after a re-ingest in the same process, and in tests)."""
    with _open_lock:
        _open.clear()
