"""Scale: the synthetic catalog, `TrackIndex.filtered_search` on both of its paths, and one small bench size."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import retrieval.index as index_module
from retrieval.bench_scale import bench_size, filter_cases
from retrieval.filters import Range, TrackFilter, filter_mask
from retrieval.index import TrackIndex, top_k
from retrieval.settings import Settings
from retrieval.snapshot import Snapshot, write_snapshot
from retrieval.store import VectorStore
from retrieval.synthetic import synthetic_catalog
from tests.conftest import TEST_THREADS


def test_synthetic_catalog_follows_the_real_one(slice_index: TrackIndex) -> None:
    real = slice_index
    n = len(real) * 3 + 17
    tracks, vectors = synthetic_catalog(real.tracks, real.vectors, n, seed=1)
    assert len(tracks) == len(vectors) == n and len({t.track_id for t in tracks}) == n
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)

    def shares(ts: list, key) -> dict:
        counts = Counter(key(t) for t in ts)
        return {k: v / len(ts) for k, v in counts.items()}

    for key in (lambda t: t.genres[0] if t.genres else "", lambda t: (t.year or 0) // 10 * 10):
        real_shares, synthetic_shares = shares(real.tracks, key), shares(tracks, key)
        assert set(synthetic_shares) == set(real_shares)
        assert max(abs(synthetic_shares[k] - real_shares[k]) for k in real_shares) < 0.01
    energy = np.array([t.energy for t in tracks if t.energy is not None])
    assert abs(energy.mean() - np.nanmean(real.features["energy"])) < 0.01 and energy.min() >= 0 and energy.max() <= 1

    # A copy keeps its original's neighbourhood but is a distinct track of a distinct artist.
    row = {t.track_id: i for i, t in enumerate(real.tracks)}
    copy = next(i for i, t in enumerate(tracks) if t.track_id.endswith("-2"))
    original = row[tracks[copy].track_id.removesuffix("-2")]
    assert 0.85 < float(vectors[copy] @ real.vectors[original]) < 0.99
    assert tracks[copy].artist == real.tracks[original].artist + " #2"
    assert tracks[copy].genres == real.tracks[original].genres and tracks[copy].year == real.tracks[original].year


@pytest.fixture(scope="module")
def stored_index(slice_index: TrackIndex, tmp_path_factory: pytest.TempPathFactory) -> TrackIndex:
    """The slice's vectors in a real embedded Chroma store, attached to a copy of the slice index."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("scale") / "data", threads=TEST_THREADS, chroma_url=None)
    store = VectorStore(settings)
    store.upsert(store.tracks, [t.track_id for t in slice_index.tracks], slice_index.vectors,
                 [{"year": t.year or 0} for t in slice_index.tracks])
    return TrackIndex(slice_index.tracks, slice_index.vectors, store=store, embedder=slice_index.embedder)


def exact(index: TrackIndex, vector: np.ndarray, mask: np.ndarray, k: int) -> list[int]:
    rows = np.flatnonzero(mask)
    return rows[top_k(index.vectors[rows] @ vector, k)].tolist()


@pytest.mark.parametrize("path", ["exact", "hnsw"])
def test_filtered_search_keeps_to_the_mask_and_finds_the_nearest(stored_index: TrackIndex, path: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    if path == "hnsw":  # make the slice count as a large index so that broad masks go to HNSW
        monkeypatch.setattr(index_module, "FULL_SCAN_MAX_ROWS", 0)
        monkeypatch.setattr(index_module, "EXACT_SCAN_MAX_ROWS", 0)
    calls = []
    query = stored_index.store.query
    monkeypatch.setattr(stored_index.store, "query", lambda *a, **kw: calls.append(a) or query(*a, **kw))
    broad = filter_mask(stored_index, TrackFilter(features={"energy": Range(min=0.5)}))
    narrow = filter_mask(stored_index, TrackFilter(include_labels=["rock"], year=Range(min=1970, max=1979)))
    assert 0.5 < broad.mean() < 0.9 and 20 < narrow.sum() < 60
    recalls = []
    queries = range(0, len(stored_index), len(stored_index) // 15)
    for i in queries:
        vector = stored_index.vectors[i]
        for mask in (broad, narrow):
            found = stored_index.filtered_search(vector, mask, 20)
            rows = [r for r, _ in found]
            assert len(rows) == min(20, int(mask.sum())) and all(mask[rows])
            scores = [s for _, s in found]
            assert scores == sorted(scores, reverse=True)
            best = exact(stored_index, vector, mask, 20)
            if path == "exact":  # the same scores (ties between equal vectors may come in either order)
                assert np.allclose(scores, stored_index.vectors[best] @ vector, atol=1e-5)
            recalls.append(len(set(rows) & set(best)) / len(rows))
    assert np.mean(recalls) > (0.99 if path == "exact" else 0.95)
    # Only the HNSW path asks the store, and only for the broad mask: to keep 20 of the narrow mask's rows it
    # would need more neighbours than HNSW_MAX_FETCH, so that one is scanned exactly.
    assert len(calls) == (len(queries) if path == "hnsw" else 0)
    assert all(20 < a[2] <= index_module.HNSW_MAX_FETCH for a in calls)


def test_bench_size_reports_every_figure(slice_index: TrackIndex, tmp_path: Path) -> None:
    real = Settings(data_dir=tmp_path / "real", threads=TEST_THREADS, chroma_url=None)
    write_snapshot(real.index_dir, Snapshot(slice_index.tracks, slice_index.vectors, [],
                                            np.zeros((0, slice_index.vectors.shape[1]), np.float32), {}))
    calls = []

    def timer(index: TrackIndex, settings: Settings) -> list[float]:
        calls.append((len(index), settings.data_dir))
        return [0.010, 0.020, 0.030]

    result = bench_size(real, 5000, playlist_timer=timer, queries=len(filter_cases()), progress=False)
    assert calls == [(5000, calls[0][1])] and calls[0][1] != real.data_dir
    assert result["tracks"] == 5000 and result["store"] == "embedded"
    for key in ("ingest_per_s", "disk_mb", "rss_mb", "search_p95_ms", "filtered_p95_ms", "where_p95_ms", "speedup",
                "playlist_p95_ms", "index_mb_per_100k"):
        assert result[key] > 0, key
    assert result["playlist_p95_ms"] == pytest.approx(29.0, abs=0.5)
    assert result["filtered_recall"] == 1.0  # 5,000 rows: always the exact scan
    assert result["where_recall"] > 0.9 and result["search_recall"] > 0.9
