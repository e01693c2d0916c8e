"""The indexes the offline suites search: the catalog with the eval playlists hidden, and the CPCD corpus.

Embeddings go through `CachedEmbedder`: a text already embedded (by the main index snapshot, or by an earlier
eval run, kept on disk under `data_dir/cache`) is never embedded again, so repeated runs embed nothing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals.enrich import CatalogKnowledge
from retrieval.catalog import CatalogPlaylist, Track, load_catalog
from retrieval.embeddings import DIM, Embedder, embedder_for, model_path
from retrieval.errors import IndexMissingError, SegueError
from retrieval.index import TrackIndex
from retrieval.ingest import _progress, playlist_text
from retrieval.labels import borrow_artist_labels
from retrieval.settings import Settings
from retrieval.snapshot import read_snapshot
from retrieval.text import track_text

MIN_PLAYLIST_TRACKS = 10
EMBED_CHUNK = 512


class EvalDataError(SegueError):
    """Eval data that cannot be used (missing file, wrong schema, no playlists)."""


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """sha1(text) -> vector, one `.npz` file per embedding model, rewritten atomically (temp file + rename)."""

    def __init__(self, folder: Path, model: str) -> None:
        self.path = folder / f"embeddings-{model}.npz"
        self._row: dict[str, int] = {}
        self._vectors = np.zeros((0, DIM), np.float32)
        self._pending: dict[str, np.ndarray] = {}
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            with np.load(self.path, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
        except Exception:  # a damaged cache is only a cache: start again
            return
        if len(keys) == len(vectors):
            self._row = {str(k): i for i, k in enumerate(keys)}
            self._vectors = np.asarray(vectors, np.float32)

    def __len__(self) -> int:
        return len(self._row) + len(self._pending)

    def get(self, key: str) -> np.ndarray | None:
        row = self._row.get(key)
        if row is not None:
            return self._vectors[row]
        return self._pending.get(key)

    def put(self, key: str, vector: np.ndarray) -> None:
        if key not in self._row:
            self._pending[key] = vector

    def save(self) -> None:
        """Write what was added since the last save (merged with what another run may have written)."""
        if not self._pending:
            return
        pending = self._pending
        self._load()  # pick up entries another process wrote meanwhile
        pending = {k: v for k, v in pending.items() if k not in self._row}
        keys = [*self._row, *pending]
        vectors = np.concatenate([self._vectors, np.stack(list(pending.values()))]) if pending else self._vectors
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}")
        with open(tmp, "wb") as fh:
            np.savez(fh, keys=np.array(keys, dtype="U40"), vectors=vectors.astype(np.float32))
        os.replace(tmp, self.path)
        self._row = {k: i for i, k in enumerate(keys)}
        self._vectors = vectors
        self._pending = {}


class CachedEmbedder:
    """The `Embedder` interface (`encode`, `encode_one`) in front of a disk cache and known vectors.

    `known` maps texts to vectors embedded elsewhere (the main index snapshot); they are used as they are
    and not copied into the cache file.
    """

    def __init__(self, embedder: Embedder, cache: EmbeddingCache, known: dict[str, np.ndarray] | None = None,
                 progress: bool = False) -> None:
        self.embedder = embedder
        self.cache = cache
        self.known = known or {}
        self.progress = progress
        self.embedded = 0  # texts this instance actually ran through the model

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), DIM), np.float32)
        missing: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            vector = self.known.get(text)
            if vector is None:
                vector = self.cache.get(text_key(text))
            if vector is None:
                missing.setdefault(text, []).append(i)
            else:
                out[i] = vector
        todo = list(missing)
        if not todo:
            return out
        show = self.progress and len(todo) > EMBED_CHUNK
        with _progress(show) as bar:
            task = bar.add_task("embedding eval texts", total=len(todo)) if bar else None
            for start in range(0, len(todo), EMBED_CHUNK):
                chunk = todo[start:start + EMBED_CHUNK]
                vectors = self.embedder.encode(chunk, batch_size=batch_size)
                for text, vector in zip(chunk, vectors):
                    self.cache.put(text_key(text), vector)
                    out[missing[text]] = vector
                self.embedded += len(chunk)
                if bar:
                    bar.advance(task, len(chunk))
                if len(todo) > EMBED_CHUNK:
                    self.cache.save()  # a killed long run keeps what it embedded
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def flush(self) -> None:
        self.cache.save()


def cached_embedder(settings: Settings, known: dict[str, np.ndarray] | None = None,
                    progress: bool = False) -> CachedEmbedder:
    cache = EmbeddingCache(settings.data_dir / "cache", Path(model_path()).parent.name)
    return CachedEmbedder(embedder_for(settings), cache, known, progress)


# --------------------------------------------------------------------------- titles: splits and hiding


def playlist_bucket(playlist_id: str) -> int:
    """sha256(playlist id) mod 3: bucket 0 is the eval split, 1 and 2 the training split."""
    return int(hashlib.sha256(playlist_id.encode()).hexdigest(), 16) % 3


def title_playlists(playlists: Sequence[CatalogPlaylist], split: str = "eval") -> list[CatalogPlaylist]:
    """The query playlists of a split: 'eval' (bucket 0) or 'train' (buckets 1, 2), at least 10 tracks each."""
    if split not in ("eval", "train"):
        raise EvalDataError(f"unknown split {split!r}: use eval or train")
    want_eval = split == "eval"
    return [p for p in playlists
            if len(p.track_ids) >= MIN_PLAYLIST_TRACKS and (playlist_bucket(p.playlist_id) == 0) == want_eval]


def train_folds(playlists: Sequence[CatalogPlaylist], n_folds: int) -> list[list[CatalogPlaylist]]:
    """The training playlists dealt into `n_folds` folds by a second hash, stable across runs, for fitting the
    fusion weights (`segue eval fit titles`: each fold hidden in turn with `hidden_index`)."""
    folds: list[list[CatalogPlaylist]] = [[] for _ in range(n_folds)]
    for p in title_playlists(playlists, "train"):
        folds[int(hashlib.sha256(f"fold:{p.playlist_id}".encode()).hexdigest(), 16) % n_folds].append(p)
    return folds


def training_catalog(base: tuple[list[Track], list[CatalogPlaylist], dict[str, np.ndarray]],
                     ) -> tuple[list[Track], list[CatalogPlaylist], dict[str, np.ndarray]]:
    """The catalog as the titles training folds see it: without the eval playlists and the tracks only they hold.

    Each of 3 folds then hides about a third of what is left, as the eval split hides a third of the catalog,
    so the share of tracks whose labels are hidden (and of those left unlabelled) is the eval's; folds hidden
    *beside* the eval playlists would hide two thirds. Nothing of the eval split remains to fit on."""
    tracks, playlists, known = base
    evals = {p.playlist_id for p in title_playlists(playlists, "eval")}
    kept = [p for p in playlists if p.playlist_id not in evals]
    held = {tid for p in kept for tid in p.track_ids}
    in_playlists = {tid for p in playlists for tid in p.track_ids}
    return [t for t in tracks if t.track_id in held or t.track_id not in in_playlists], kept, known


def hide_labels(tracks: Sequence[Track], playlists: Sequence[CatalogPlaylist],
                hidden: Collection[str]) -> list[Track]:
    """Tracks without the genre labels they carry only through the `hidden` playlists.

    A track's labels come from the playlists it is in (catalog caveat), so a label survives when any
    playlist that is not hidden gives it to the track; labels that came from nowhere (a user's catalog)
    are kept."""
    given: dict[str, tuple[set[str], set[str]]] = {}
    hidden_labels: dict[str, set[str]] = {}
    for p in playlists:
        for tid in p.track_ids:
            if p.playlist_id in hidden:
                hidden_labels.setdefault(tid, set()).update(x for x in (p.genre, p.subgenre) if x)
            else:
                genres, subgenres = given.setdefault(tid, (set(), set()))
                if p.genre:
                    genres.add(p.genre)
                if p.subgenre:
                    subgenres.add(p.subgenre)
    out = []
    for t in tracks:
        drop = hidden_labels.get(t.track_id)
        if not drop:
            out.append(t)
            continue
        genres, subgenres = given.get(t.track_id, (set(), set()))
        out.append(t.model_copy(update={
            "genres": [g for g in t.genres if g not in drop or g in genres],
            "subgenres": [s for s in t.subgenres if s not in drop or s in subgenres],
        }))
    return out


def base_catalog(settings: Settings) -> tuple[list[Track], list[CatalogPlaylist], dict[str, np.ndarray]]:
    """Tracks, playlists and text -> vector of the main index, or of the raw catalog when nothing is indexed."""
    try:
        snap = read_snapshot(settings.index_dir)
    except IndexMissingError:
        catalog = load_catalog(settings.catalog)
        return catalog.tracks, catalog.playlists, {}
    known = {track_text(t): v for t, v in zip(snap.tracks, snap.vectors)}
    known.update((playlist_text(p), v) for p, v in zip(snap.playlists, snap.playlist_vectors))
    return snap.tracks, snap.playlists, known


def hidden_titles_index(settings: Settings, split: str = "eval", progress: bool = True,
                        base: tuple[list[Track], list[CatalogPlaylist], dict[str, np.ndarray]] | None = None,
                        ) -> tuple[TrackIndex, list[CatalogPlaylist]]:
    """The index the titles suite searches, and the query playlists of `split` it hides (see `hidden_index`)."""
    base = base or base_catalog(settings)
    queries = title_playlists(base[1], split)
    if not queries:
        raise EvalDataError("the catalog has no playlists of 10+ tracks to evaluate on: ingest the default catalog")
    return hidden_index(settings, queries, base, progress, name=f"titles-{split}-hidden"), queries


def hidden_index(settings: Settings, hidden_playlists: Sequence[CatalogPlaylist],
                 base: tuple[list[Track], list[CatalogPlaylist], dict[str, np.ndarray]], progress: bool = True,
                 name: str = "titles-hidden") -> TrackIndex:
    """The catalog without `hidden_playlists`: no playlist vectors or playlist-neighbour signal from them, and
    no genre label a track has only through them (a track left without any takes its artist's); texts are
    recomputed and only the tracks whose text changed are embedded (once: the cache keeps them)."""
    tracks, playlists, known = base
    hidden = {p.playlist_id for p in hidden_playlists}
    # What ingesting the catalog without those playlists would give: tracks left unlabelled borrow their
    # artist's remaining labels, as `retrieval.ingest` does.
    shown_tracks, _ = borrow_artist_labels(hide_labels(tracks, playlists, hidden))
    kept = [p for p in playlists if p.playlist_id not in hidden]
    embedder = cached_embedder(settings, known, progress)
    texts = [track_text(t) for t in shown_tracks]
    vectors = embedder.encode(texts)
    playlist_vectors = embedder.encode([playlist_text(p) for p in kept]) if kept else np.zeros((0, DIM), np.float32)
    embedder.flush()
    return TrackIndex(shown_tracks, vectors, kept, playlist_vectors, embedder=embedder,  # type: ignore[arg-type]
                      texts=texts, name=name)


# --------------------------------------------------------------------------- CPCD corpus


def cpcd_track(ytid: str, record: dict[str, Any], knowledge: CatalogKnowledge | None = None) -> Track:
    """A CPCD track record as a catalog `Track`. The file has no labels, audio features, year or popularity:
    `knowledge` adds what the catalog knows of its artist and song."""
    artists = [str(a) for a in (record.get("track_artists") or []) if str(a).strip()]
    track = Track(
        track_id=ytid,
        title=str(record.get("track_titles") or "").strip() or "(untitled)",
        artist=", ".join(artists) or "unknown artist",
        album=str(record.get("track_release_titles") or "").strip(),
    )
    return knowledge.enrich(track, artists) if knowledge else track


def cpcd_index(records: dict[str, dict[str, Any]], settings: Settings, progress: bool = True,
               knowledge: CatalogKnowledge | None = None) -> TrackIndex:
    """An index of every track a CPCD file mentions (enriched by `knowledge`), embedded through the cache."""
    tracks = [cpcd_track(ytid, rec, knowledge) for ytid, rec in records.items()]
    embedder = cached_embedder(settings, progress=progress)
    texts = [track_text(t) for t in tracks]
    vectors = embedder.encode(texts)
    embedder.flush()
    return TrackIndex(tracks, vectors, embedder=embedder, texts=texts, name="cpcd")  # type: ignore[arg-type]
