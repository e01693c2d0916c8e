"""`segue bench scale`, one catalog size: the store and retrieval on a synthetic catalog of N tracks.

The synthetic catalog (retrieval/synthetic.py) is grown from the real indexed catalog, so the encoder is
not involved: ingest is the store write (Chroma upsert with metadata, then the snapshot), and queries are
real track vectors plus noise. For each size it measures ingest throughput, size on disk, memory, and
latency of unfiltered search, filtered search (genre and year; a feature range) through numpy masks and
`TrackIndex.filtered_search`, the same filters through Chroma's `where`, and (given a timer) whole
playlists. Sizes run one per process (see assistant/bench_scale.py) so that memory figures are per size.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from retrieval.bench import peak_rss_mb
from retrieval.embeddings import embedder_for
from retrieval.filters import Range, TrackFilter, filter_mask
from retrieval.index import TrackIndex, top_k
from retrieval.ingest import _progress, track_metadata
from retrieval.settings import Settings
from retrieval.snapshot import Snapshot, read_snapshot, write_snapshot
from retrieval.store import MAX_BATCH, VectorStore
from retrieval.synthetic import synthetic_catalog
from retrieval.text import track_text

DEFAULT_SIZES = (28_000, 100_000, 500_000)
K = 50  # neighbours per query, what playlist building asks retrieval for
QUERIES = 60  # timed queries per kind (the p95 of 60 is their 3rd slowest)
QUERY_NOISE = 0.03

PlaylistTimer = Callable[[TrackIndex, Settings], list[float]]


@dataclass(frozen=True)
class FilterCase:
    kind: str  # "genre_year" or "feature"
    track_filter: TrackFilter
    where: dict[str, Any]  # the same constraint in Chroma's `where` language


def _between(field: str, low: float | None, high: float | None) -> list[dict[str, Any]]:
    return ([{field: {"$gte": low}}] if low is not None else []) + ([{field: {"$lte": high}}] if high is not None else [])


def filter_cases() -> list[FilterCase]:
    """Filters a listener asks for: a genre in a span of years, or a range of one audio feature."""
    cases = []
    for genre, start, end in (("rock", 1970, 1989), ("pop", 2010, 2019), ("r&b", 1990, 2009),
                              ("latin", 2015, 2020), ("edm", 2012, 2019), ("rap", 2000, 2014)):
        cases.append(FilterCase("genre_year", TrackFilter(include_labels=[genre], year=Range(min=start, max=end)),
                                {"$and": [{f"genre_{genre}": True}, *_between("year", start, end)]}))
    for feature, low, high in (("energy", 0.8, None), ("danceability", 0.7, None), ("valence", None, 0.3),
                               ("tempo", 118.0, 130.0), ("acousticness", 0.5, None)):
        where = _between(feature, low, high)
        cases.append(FilterCase("feature", TrackFilter(features={feature: Range(min=low, max=high)}),
                                where[0] if len(where) == 1 else {"$and": where}))
    return cases


def ms(samples: list[float], q: float) -> float:
    return round(float(np.percentile(samples, q)) * 1000, 2) if samples else float("nan")


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_store(store: VectorStore, index_dir: Path, tracks: list, vectors: np.ndarray, progress: bool) -> None:
    """What `segue ingest` writes, minus the encoder: Chroma records with metadata and text, then the snapshot."""
    with _progress(progress) as bar:
        task = bar.add_task(f"writing {len(tracks)} tracks", total=len(tracks)) if bar else None
        for start in range(0, len(tracks), MAX_BATCH):
            chunk = tracks[start:start + MAX_BATCH]
            store.upsert(store.tracks, [t.track_id for t in chunk], vectors[start:start + MAX_BATCH],
                         [track_metadata(t, t.content_hash()) for t in chunk], [track_text(t) for t in chunk])
            if bar:
                bar.advance(task, len(chunk))
    manifest = {"fingerprint": "synthetic", "catalog": "synthetic", "tracks": len(tracks), "playlists": 0}
    write_snapshot(index_dir, Snapshot(list(tracks), vectors, [], np.zeros((0, vectors.shape[1]), np.float32), manifest))


def _disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def bench_size(settings: Settings, n: int, *, playlist_timer: PlaylistTimer | None = None,
               queries: int = QUERIES, progress: bool = True, seed: int = 0) -> dict[str, Any]:
    """Every figure for one catalog size; `settings` names the real index and the store (embedded or server)."""
    real = read_snapshot(settings.index_dir)
    rss_start = _rss_mb()  # kept alive below, so the growth from here on is the synthetic index alone
    tracks, vectors = synthetic_catalog(real.tracks, real.vectors, n, seed=seed)
    index = TrackIndex(tracks, vectors, embedder=embedder_for(settings), name=f"synthetic {n}")
    index.labels, index.bm25  # built now so that the memory figure holds them and no query pays for them
    index_mb = _rss_mb() - rss_start
    _log(f"[{n}] synthetic catalog and in-memory index: {index_mb:.0f} MB")
    del real

    tmp = Path(tempfile.mkdtemp(prefix="segue-bench-scale-"))
    run = settings.model_copy(update={"data_dir": tmp / "data"})
    namespace = f"scale{n}p{os.getpid()}" if run.chroma_url else ""
    store = VectorStore(run, namespace=namespace)
    try:
        start = time.perf_counter()
        load_store(store, run.index_dir, index.tracks, index.vectors, progress)
        ingest_s = time.perf_counter() - start
        disk_mb = _disk_mb(tmp)  # server mode: only the local snapshot (the server keeps its own files)
        _log(f"[{n}] ingest {ingest_s:.1f} s, {disk_mb:.0f} MB on disk")
        index.store = store
        result = {
            "tracks": n,
            "store": "server" if run.chroma_url else "embedded",
            "ingest_s": round(ingest_s, 1),
            "ingest_per_s": round(n / ingest_s, 1),
            "disk_mb": round(disk_mb, 1),
            "index_mb": round(index_mb, 1),
            "index_mb_per_100k": round(index_mb / n * 100_000, 1),
            **_latencies(index, store, queries, seed),
        }
        if playlist_timer is not None:
            times = playlist_timer(index, run)
            result["playlist_p50_ms"] = ms(times, 50)
            result["playlist_p95_ms"] = ms(times, 95)
        result["rss_mb"] = round(peak_rss_mb(), 1)
        return result
    finally:
        if namespace:
            store.drop()
        shutil.rmtree(tmp, ignore_errors=True)


def _latencies(index: TrackIndex, store: VectorStore, queries: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed + 1)
    n = len(index)
    picks = rng.choice(n, size=queries + 5, replace=False)
    qv = index.vectors[picks] + rng.standard_normal((len(picks), index.vectors.shape[1]), dtype=np.float32) * QUERY_NOISE
    qv /= np.linalg.norm(qv, axis=1, keepdims=True)
    cases = filter_cases()
    for v in qv[:5]:  # warm-up: caches, lazily loaded HNSW segments
        index.dense_search(v, K)
        store.query(store.tracks, v, K, where=cases[0].where)
        index.filtered_search(v, filter_mask(index, cases[-1].track_filter), K)

    search, filtered, where = [], [], []
    by_kind: dict[str, list[float]] = {"genre_year": [], "feature": []}
    search_recall, recall, where_recall = [], [], []
    for i, v in enumerate(qv[5:]):
        case = cases[i % len(cases)]
        start = time.perf_counter()
        nearest = index.dense_search(v, K)
        search.append(time.perf_counter() - start)
        exact_all = set(top_k(index.vectors @ v, K).tolist())
        search_recall.append(len(exact_all & {index.row[t.track_id] for t, _ in nearest}) / len(exact_all))

        start = time.perf_counter()
        mask = filter_mask(index, case.track_filter)
        found = index.filtered_search(v, mask, K)
        elapsed = time.perf_counter() - start
        filtered.append(elapsed)
        by_kind[case.kind].append(elapsed)

        start = time.perf_counter()
        hits = store.query(store.tracks, v, K, where=case.where)
        where.append(time.perf_counter() - start)

        rows = np.flatnonzero(mask)  # the exact answer, to check both ways against
        exact = set(rows[top_k(index.vectors[rows] @ v, K)].tolist())
        if exact:
            recall.append(len(exact & {r for r, _ in found}) / len(exact))
            where_recall.append(len(exact & {index.row[h.id] for h in hits if h.id in index.row}) / len(exact))
    filtered_p95, where_p95 = ms(filtered, 95), ms(where, 95)
    return {
        "search_p50_ms": ms(search, 50),
        "search_p95_ms": ms(search, 95),
        "search_recall": round(float(np.mean(search_recall)), 4),
        "filtered_p50_ms": ms(filtered, 50),
        "filtered_p95_ms": filtered_p95,
        "filtered_genre_year_p95_ms": ms(by_kind["genre_year"], 95),
        "filtered_feature_p95_ms": ms(by_kind["feature"], 95),
        "filtered_recall": round(float(np.mean(recall)), 4),
        "where_p50_ms": ms(where, 50),
        "where_p95_ms": where_p95,
        "where_recall": round(float(np.mean(where_recall)), 4),
        "speedup": round(where_p95 / filtered_p95, 1) if filtered_p95 > 0 else None,
    }
