"""`segue ingest`: embed the catalog into Chroma incrementally, then write the local snapshot.

Each record carries a content hash; a track is embedded again only when its hash changed, and records that
left the catalog are deleted. Vectors are upserted a batch at a time, so an ingest killed midway keeps what
it wrote and the next run embeds only the rest (upsert by id never duplicates).

The catalog fingerprint is stored in Chroma's collection metadata when an ingest completes and cleared when
one starts: a re-run over an unchanged catalog checks it and stops, without reading 28k hashes back, and
without parsing the catalog when the file (and the code reading it) has the digest the manifest records.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from retrieval import catalog as catalog_module
from retrieval import labels as labels_module
from retrieval import text as text_module
from retrieval.catalog import CatalogPlaylist, Track, load_catalog
from retrieval.embeddings import DIM, Embedder, embedder_for
from retrieval.labels import borrow_artist_labels
from retrieval.settings import Settings
from retrieval.snapshot import Snapshot, read_manifest, read_snapshot, update_manifest, write_snapshot
from retrieval.store import VectorStore
from retrieval.text import track_text

EMBED_BATCH = 512  # tracks per Chroma upsert (and per progress step)
# Texts per forward pass, measured on length-sorted ~35-token catalog texts: with onnxruntime 16 beat 32 and 64
# by 4-17% (1 and 2 threads); with torch 16 was 3-8% faster than 64.
ENCODE_BATCH = 16


@dataclass
class IngestResult:
    tracks: int
    playlists: int
    skipped: int
    skipped_reasons: dict[str, int]
    embedded: int
    deleted: int
    seconds: float
    catalog: str
    index: str
    labels_borrowed: int = 0  # unlabelled tracks that took their artist's genre labels (`retrieval.labels`)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        skipped = f"{self.skipped} rows skipped" + (
            " (" + ", ".join(f"{n} {why}" for why, n in self.skipped_reasons.items()) + ")" if self.skipped else ""
        )
        return (
            f"Indexed {self.tracks} tracks and {self.playlists} playlists from {self.catalog} in {self.seconds:.1f} s: "
            f"{self.embedded} embedded, {self.deleted} removed, {skipped}"
            + (f", {self.labels_borrowed} unlabelled tracks took their artist's genres" if self.labels_borrowed else "")
            + f". Index: {self.index}"
        )


def playlist_text(p: CatalogPlaylist) -> str:
    labels = ", ".join(x for x in (p.subgenre, p.genre) if x)
    return f"{p.name}; {labels}" if labels else p.name


def playlist_hash(p: CatalogPlaylist) -> str:
    return hashlib.sha1(p.model_dump_json().encode("utf-8")).hexdigest()[:16]


def track_metadata(t: Track, content_hash: str) -> dict[str, Any]:
    """What Chroma stores beside a vector: scalars only (Chroma rejects None and lists in some versions)."""
    meta: dict[str, Any] = {
        "hash": content_hash,
        "title": t.title,
        "artist": t.artist,
        "album": t.album,
        "genres": "|".join(t.genres),
        "subgenres": "|".join(t.subgenres),
    }
    for name in ("year", "popularity", "duration_ms", "energy", "valence", "danceability", "acousticness",
                 "instrumentalness", "speechiness", "tempo"):
        value = getattr(t, name)
        if value is not None:
            meta[name] = value
    for genre in t.genres:
        meta[f"genre_{genre}"] = True
    return meta


def catalog_fingerprint(track_hashes: dict[str, str], playlist_hashes: dict[str, str]) -> str:
    digest = hashlib.sha1()
    for key in sorted(track_hashes):
        digest.update(f"{key}:{track_hashes[key]}\n".encode())
    digest.update(b"--playlists--\n")
    for key in sorted(playlist_hashes):
        digest.update(f"{key}:{playlist_hashes[key]}\n".encode())
    return digest.hexdigest()


def source_digest(path: Path) -> str:
    """Digest of the catalog file and of the code that parses and hashes it: equal digests mean equal tracks."""
    digest = hashlib.sha256()
    for module in (catalog_module, labels_module, text_module, sys.modules[__name__]):
        digest.update(Path(module.__file__ or "").read_bytes())
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=False) as bar:
        yield bar


def ingest(settings: Settings, catalog_path: Path | None = None, *, progress: bool = True,
           namespace: str = "") -> IngestResult:
    start = time.perf_counter()
    path = Path(catalog_path or settings.catalog)
    index_dir = settings.index_dir if not namespace else settings.index_dir / namespace
    manifest = read_manifest(index_dir)
    digest = source_digest(path) if path.is_file() else ""
    store: VectorStore | None = None
    # The same catalog bytes read by the same code, into a store that still holds that ingest: nothing to
    # do, and no need to parse the catalog (most of a no-change run's time).
    if digest and manifest is not None and manifest.get("source_digest") == digest:
        store = VectorStore(settings, namespace=namespace)
        if manifest.get("fingerprint") and store.fingerprint(store.tracks) == manifest["fingerprint"]:
            return IngestResult(
                tracks=manifest["tracks"], playlists=manifest["playlists"], skipped=manifest.get("skipped", 0),
                skipped_reasons=manifest.get("skipped_reasons", {}), embedded=0, deleted=0,
                seconds=round(time.perf_counter() - start, 2), catalog=str(path), index=store.where,
                labels_borrowed=manifest.get("labels_borrowed", 0),
            )
    catalog = load_catalog(path)
    catalog.tracks, borrowed = borrow_artist_labels(catalog.tracks)
    store = store or VectorStore(settings, namespace=namespace)
    source = {"source_digest": digest, "skipped": catalog.report.skipped_total,
              "skipped_reasons": dict(catalog.report.skipped), "labels_borrowed": borrowed}

    wanted = {t.track_id: t.content_hash() for t in catalog.tracks}
    wanted_playlists = {p.playlist_id: playlist_hash(p) for p in catalog.playlists}
    fingerprint = catalog_fingerprint(wanted, wanted_playlists)
    todo: list[Track] = []
    gone: list[str] = []
    # Chroma records the fingerprint only after an ingest completed (and clears it when one starts), so a
    # match on both sides proves nothing changed without reading every stored hash back.
    up_to_date = (manifest is not None and manifest.get("fingerprint") == fingerprint
                  and store.fingerprint(store.tracks) == fingerprint)
    if up_to_date and manifest is not None and manifest.get("source_digest") != digest:
        update_manifest(index_dir, source)  # e.g. an index written before digests: the next run is quick
    if not up_to_date:
        stored = store.hashes(store.tracks)
        stored_playlists = store.hashes(store.playlists)
        todo = [t for t in catalog.tracks if stored.get(t.track_id) != wanted[t.track_id]]
        gone = [tid for tid in stored if tid not in wanted]
        todo_playlists = [p for p in catalog.playlists
                          if stored_playlists.get(p.playlist_id) != wanted_playlists[p.playlist_id]]
        gone_playlists = [pid for pid in stored_playlists if pid not in wanted_playlists]
        store.set_fingerprint(store.tracks, "")
        embedder = embedder_for(settings)
        fresh = _embed_tracks(store, embedder, todo, wanted, progress)
        store.delete(store.tracks, gone)
        if todo_playlists:
            texts = [playlist_text(p) for p in todo_playlists]
            store.upsert(store.playlists, [p.playlist_id for p in todo_playlists], embedder.encode(texts),
                         [{"hash": wanted_playlists[p.playlist_id], "name": p.name} for p in todo_playlists], texts)
        store.delete(store.playlists, gone_playlists)
        _write_snapshot(index_dir, store, catalog.tracks, catalog.playlists, fresh,
                        {"fingerprint": fingerprint, "catalog": str(catalog.source), **source})
        store.set_fingerprint(store.tracks, fingerprint)

    return IngestResult(
        tracks=len(catalog.tracks),
        playlists=len(catalog.playlists),
        skipped=catalog.report.skipped_total,
        skipped_reasons=dict(catalog.report.skipped),
        embedded=len(todo),
        deleted=len(gone),
        seconds=round(time.perf_counter() - start, 2),
        catalog=str(catalog.source),
        index=store.where,
        labels_borrowed=borrowed,
    )


def _embed_tracks(store: VectorStore, embedder: Embedder, todo: list[Track], hashes: dict[str, str],
                  progress: bool) -> dict[str, np.ndarray]:
    """Embed `todo` a batch at a time; each batch is upserted on a writer thread while the next one is embedded."""
    texts = {t.track_id: track_text(t) for t in todo}
    # Every encoder batch is padded to its longest text: batches of similar lengths waste the least compute.
    ordered = sorted(todo, key=lambda t: len(texts[t.track_id]))
    fresh: dict[str, np.ndarray] = {}
    with _progress(progress) as bar, ThreadPoolExecutor(max_workers=1, thread_name_prefix="chroma-upsert") as writer:
        task = bar.add_task("embedding tracks", total=len(todo)) if bar else None
        pending: Future[None] | None = None
        for i in range(0, len(ordered), EMBED_BATCH):
            chunk = ordered[i:i + EMBED_BATCH]
            ids = [t.track_id for t in chunk]
            chunk_texts = [texts[tid] for tid in ids]
            vectors = embedder.encode(chunk_texts, batch_size=ENCODE_BATCH)
            if pending is not None:
                pending.result()  # one batch in flight at most: bounded memory, and a store error stops us here
            pending = writer.submit(store.upsert, store.tracks, ids, vectors,
                                    [track_metadata(t, hashes[t.track_id]) for t in chunk], chunk_texts)
            fresh.update(zip(ids, vectors))
            if bar:
                bar.advance(task, len(chunk))
        if pending is not None:
            pending.result()
    return fresh


def _write_snapshot(index_dir: Path, store: VectorStore, tracks: list[Track], playlists: list[CatalogPlaylist],
                    fresh: dict[str, np.ndarray], manifest: dict[str, Any]) -> None:
    """Vectors come from this run, else from the previous snapshot if the track is unchanged there, else from
    Chroma (after a killed run, or when another machine embedded them into a shared Chroma server)."""
    known: dict[str, np.ndarray] = {}
    current = {t.track_id: t for t in tracks}
    try:
        old = read_snapshot(index_dir)
        known = {t.track_id: v for t, v in zip(old.tracks, old.vectors)
                 if t.track_id not in fresh and current.get(t.track_id) == t}
    except Exception:  # no usable previous snapshot: Chroma has every vector
        pass
    need = [t.track_id for t in tracks if t.track_id not in fresh and t.track_id not in known]
    if need:
        known.update(zip(need, store.vectors(store.tracks, need)))
    vectors = np.stack([fresh.get(t.track_id, known.get(t.track_id)) for t in tracks]) if tracks else np.zeros((0, DIM), np.float32)
    playlist_vectors = (store.vectors(store.playlists, [p.playlist_id for p in playlists])
                        if playlists else np.zeros((0, DIM), np.float32))
    manifest = {**manifest, "tracks": len(tracks), "playlists": len(playlists)}
    write_snapshot(index_dir, Snapshot(tracks, vectors, playlists, playlist_vectors, manifest))
