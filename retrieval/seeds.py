"""What known seed tracks say about every other track: "more like these".

Each signal is a raw per-track score (higher = closer to the seeds); `HybridSearcher` standardises and weighs
them. The per-index tables they need (album numbers, artist centroids, the audio matrix, which artists share
playlists) are built once per index on first use and kept in a `SeedTables`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from retrieval.catalog import AUDIO_FEATURES
from retrieval.index import TrackIndex

# The audio features that describe a track's sound (z-scored before use, so their units do not matter); key and
# mode are categorical.
SOUND_FEATURES = tuple(f for f in AUDIO_FEATURES if f not in ("key", "mode"))


class SeedTables:
    """Per-index arrays the seed signals share."""

    def __init__(self, index: TrackIndex) -> None:
        n_artists = len(index.artist_names)
        album_keys = [t.album_id or (f"{t.album}|{index.artist[i]}" if t.album else f"track:{t.track_id}")
                      for i, t in enumerate(index.tracks)]
        self.album = np.unique(album_keys, return_inverse=True)[1].astype(np.int32) if album_keys else np.zeros(0, np.int32)
        centroids = np.zeros((n_artists, index.vectors.shape[1]), np.float32)
        np.add.at(centroids, index.artist, index.vectors)
        self.artist_vectors = centroids / np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-9)
        self.sound = _standardised_columns([index.features[f] for f in SOUND_FEATURES if f in index.features])
        rows, cols = [], []
        for j, playlist in enumerate(index.playlists):
            for tid in playlist.track_ids:
                if tid in index.row:
                    rows.append(index.artist[index.row[tid]])
                    cols.append(j)
        incidence = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                                  shape=(n_artists, len(index.playlists)))
        incidence.data[:] = 1.0  # an artist in a playlist once or ten times shares it once
        self.artist_playlists = incidence


def _standardised_columns(columns: list[np.ndarray]) -> np.ndarray | None:
    """Known columns as z-scores with missing values at the column mean; None when no column is known."""
    known = [c for c in columns if np.isfinite(c).any() and np.nanstd(c) > 0]
    if not known:
        return None
    out = np.stack([np.nan_to_num((c - np.nanmean(c)) / np.nanstd(c), nan=0.0) for c in known], axis=1)
    return out.astype(np.float32)


def _closeness(values: np.ndarray, seed_rows: list[int]) -> np.ndarray | None:
    """Minus the distance of each value to the seeds' mean; unknown values sit at the median distance."""
    seen = values[seed_rows]
    seen = seen[np.isfinite(seen)]
    if not len(seen):
        return None
    distance = np.abs(values - seen.mean())
    known = np.isfinite(distance)
    return -np.where(known, distance, np.median(distance[known]))


def seed_signals(index: TrackIndex, tables: SeedTables, seed_rows: list[int]) -> dict[str, np.ndarray]:
    """Raw seed signals by name (the `HybridConfig` weight names); absent data means an absent signal."""
    if not seed_rows:
        return {}
    out: dict[str, np.ndarray] = {}
    centroid = index.vectors[seed_rows].mean(axis=0)
    out["seed_dense"] = index.dense_scores(centroid / max(float(np.linalg.norm(centroid)), 1e-9))
    seed_artists = np.unique(index.artist[seed_rows])
    out["seed_artist"] = np.isin(index.artist, seed_artists).astype(np.float32)
    out["seed_album"] = np.isin(tables.album, tables.album[seed_rows]).astype(np.float32)
    artist_centroid = tables.artist_vectors[seed_artists].mean(axis=0)
    artist_centroid /= max(float(np.linalg.norm(artist_centroid)), 1e-9)
    out["seed_artist_centroid"] = (tables.artist_vectors @ artist_centroid)[index.artist]
    if tables.sound is not None:
        out["seed_sound"] = -np.linalg.norm(tables.sound - tables.sound[seed_rows].mean(axis=0), axis=1)
    for name, values in (("seed_year", index.year), ("seed_popularity", index.popularity)):
        closeness = _closeness(values, seed_rows)
        if closeness is not None:
            out[name] = closeness
    if tables.artist_playlists.shape[1]:
        # Artists that share playlists with the seeds' artists, counted over those playlists.
        chosen = np.zeros(len(index.artist_names), np.float32)
        chosen[seed_artists] = 1.0
        shared = tables.artist_playlists @ (tables.artist_playlists.T @ chosen)
        out["seed_cooccurrence"] = np.log1p(np.asarray(shared, np.float32))[index.artist]
    return out
