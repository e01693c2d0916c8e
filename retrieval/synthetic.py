"""Synthetic catalogs of any size for the scale benchmark, grown from the real indexed catalog.

Track `i` is a copy of a real track: the real catalog is repeated in shuffled "generations" (generation 0
is the real tracks as they are). Later generations get their own artists, albums and ids (the name plus
" #g"), jittered audio features, popularity and duration, and the real vector plus Gaussian noise,
renormalised. So metadata follows the real catalog's distributions (genres, years, features, tracks per
artist) and vectors keep the real neighbourhood structure without running the encoder: the benchmark
measures the store and retrieval.
"""

from __future__ import annotations

import gc
import math
from typing import Iterable, Sequence

import numpy as np

from retrieval.catalog import UNIT_FEATURES, Track

# Per-dimension noise: |noise| ~ 0.02 * sqrt(384) = 0.39, so a copy keeps cosine ~0.93 to its original.
VECTOR_NOISE = 0.02
FEATURE_NOISE = 0.03  # on 0..1 features
CHUNK = 50_000  # rows of noise drawn at once (bounds the temporary memory at large sizes)


def synthetic_catalog(tracks: Sequence[Track], vectors: np.ndarray, n: int, *, seed: int = 0,
                      noise: float = VECTOR_NOISE) -> tuple[list[Track], np.ndarray]:
    """`n` new tracks and their (n, dim) float32 unit vectors, drawn from the real `tracks` and `vectors`."""
    if not len(tracks) or len(tracks) != len(vectors):
        raise ValueError("need real tracks with one vector each")
    rng = np.random.default_rng(seed)
    real = len(tracks)
    order = np.concatenate([rng.permutation(real) for _ in range(math.ceil(n / real))])[:n]
    generation = np.arange(n) // real
    out = np.empty((n, vectors.shape[1]), dtype=np.float32)
    for start in range(0, n, CHUNK):
        rows = slice(start, min(start + CHUNK, n))
        block = vectors[order[rows]].astype(np.float32)
        jitter = generation[rows] > 0
        block[jitter] += rng.standard_normal((int(jitter.sum()), vectors.shape[1]), dtype=np.float32) * noise
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[rows] = block
    jitter = _jitter(tracks, order, generation, rng)
    names = list(jitter)
    # Hundreds of thousands of new objects would trigger a full garbage collection again and again.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        synthetic = [
            tracks[j].model_copy(update=_copy_fields(tracks[j], g, zip(names, values))) if g else tracks[j].model_copy()
            for j, g, values in zip(order.tolist(), generation.tolist(), zip(*jitter.values()))
        ]
    finally:
        if gc_was_enabled:
            gc.enable()
    return synthetic, out


def _jitter(tracks: Sequence[Track], order: np.ndarray, generation: np.ndarray,
            rng: np.random.Generator) -> dict[str, list[float]]:
    """Jittered feature values for every synthetic row (NaN where the real track has none), drawn at once."""
    n = len(order)

    def column(name: str) -> np.ndarray:
        return np.array([np.nan if getattr(t, name) is None else getattr(t, name) for t in tracks], np.float64)[order]

    out = {name: np.clip(column(name) + rng.normal(0, FEATURE_NOISE, n), 0.0, 1.0) for name in UNIT_FEATURES}
    out["tempo"] = np.maximum(column("tempo") + rng.normal(0, 3, n), 0.0)
    out["popularity"] = np.clip(np.round(column("popularity") + rng.integers(-5, 6, n)), 0, 100)
    out["duration_ms"] = np.round(column("duration_ms") * rng.uniform(0.95, 1.05, n))
    return {name: values.tolist() for name, values in out.items()}


_INT_FIELDS = ("popularity", "duration_ms")


def _copy_fields(track: Track, generation: int, jitter: Iterable[tuple[str, float]]) -> dict[str, object]:
    update: dict[str, object] = {
        "track_id": f"{track.track_id}-{generation}",
        "artist": f"{track.artist} #{generation}",
        "album": f"{track.album} #{generation}" if track.album else "",
        "album_id": f"{track.album_id}-{generation}" if track.album_id else "",
    }
    for name, value in jitter:
        if value == value:  # NaN: the real track has no value
            update[name] = int(value) if name in _INT_FIELDS else value
    return update
