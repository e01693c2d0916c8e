"""The Chroma store and incremental ingest, each run against the embedded store and a real Chroma server.

The server is the one `scripts/test.sh` starts (SEGUE_TEST_CHROMA_URL), else one started here with the
`chroma` CLI of the venv on a free loopback port. Server-mode tests use the default collection names, as
the app does, and drop them before and after each test.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from retrieval.catalog import load_catalog
from retrieval.embeddings import shared_embedder
from retrieval.errors import StoreUnavailableError
from retrieval.index import TrackIndex
from retrieval.ingest import EMBED_BATCH, ingest
from retrieval.settings import Settings
from retrieval.snapshot import read_snapshot
from retrieval.store import VectorStore
from retrieval.text import track_text
from tests.conftest import TEST_THREADS, free_port, kill_after_first_write, write_catalog_slice

CHROMA_CLI = Path(sys.executable).with_name("chroma")


def start_chroma(path: Path, port: int) -> subprocess.Popen[bytes]:
    """`chroma run` on 127.0.0.1:port, returned once it answers its heartbeat."""
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([str(CHROMA_CLI), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail(f"chroma run exited with {proc.returncode}: {log.read().decode(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            stop_chroma(proc)
            pytest.fail("chroma run did not answer within 60 s")
        time.sleep(0.1)


def stop_chroma(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()  # Chroma takes 1-3 s to exit after SIGTERM
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real Chroma server on loopback."""
    url = os.environ.get("SEGUE_TEST_CHROMA_URL")
    if url:
        yield url
        return
    port = free_port()
    proc = start_chroma(tmp_path_factory.mktemp("chroma-server") / "db", port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_chroma(proc)


def drop_collections(url: str) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    host, port = url.removeprefix("http://").split(":")
    client = chromadb.HttpClient(host=host, port=int(port), settings=ChromaSettings(anonymized_telemetry=False))
    existing = {c.name for c in client.list_collections()}
    for name in ("tracks", "playlists"):
        if name in existing:
            client.delete_collection(name)


@pytest.fixture(params=["embedded", "server"])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings with a fresh data dir, on the embedded store or on the (emptied) Chroma server."""
    url = None
    if request.param == "server":
        url = request.getfixturevalue("chroma_server")
        drop_collections(url)
    yield Settings(data_dir=tmp_path / "data", threads=TEST_THREADS, chroma_url=url)
    if url:
        drop_collections(url)


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_ingest_search_reingest_and_update(store_settings: Settings, tmp_path: Path) -> None:
    catalog_csv = write_catalog_slice(tmp_path / "slice.csv", max_rows=300)
    first = ingest(store_settings, catalog_csv, progress=False)
    assert first.embedded == first.tracks > 250 and first.deleted == 0

    store = VectorStore(store_settings)
    assert store.ping() >= 0
    assert store.count(store.tracks) == first.tracks
    assert store.count(store.playlists) == first.playlists >= 1
    snap = read_snapshot(store_settings.index_dir)
    assert len(snap.tracks) == first.tracks
    row = {t.track_id: i for i, t in enumerate(snap.tracks)}

    # The store's HNSW finds a track from its own vector, and from its text through the index.
    target = snap.tracks[17]
    hits = store.query(store.tracks, snap.vectors[17], 5)
    assert hits[0].id == target.track_id and hits[0].score > 0.99
    index = TrackIndex(snap.tracks, snap.vectors, store=store, embedder=shared_embedder(TEST_THREADS))
    assert index.dense_search(track_text(target), k=3)[0][0].track_id == target.track_id
    recent = store.query(store.tracks, snap.vectors[17], 10, where={"year": {"$gte": 2015}})
    assert recent and all(snap.tracks[row[h.id]].year >= 2015 for h in recent)

    again = ingest(store_settings, catalog_csv, progress=False)
    assert (again.embedded, again.deleted, again.tracks) == (0, 0, first.tracks)

    # Edit one track's title and drop every row of five others: exactly those are re-embedded / removed.
    fields, rows = read_rows(catalog_csv)
    ids = list(dict.fromkeys(r["track_id"] for r in rows))
    edited, dropped = ids[3], set(ids[10:15])
    for r in rows:
        if r["track_id"] == edited:
            r["track_name"] = "A Title Nobody Wrote Before"
    write_rows(catalog_csv, fields, [r for r in rows if r["track_id"] not in dropped])
    third = ingest(store_settings, catalog_csv, progress=False)
    assert (third.embedded, third.deleted, third.tracks) == (1, 5, first.tracks - 5)
    assert store.count(store.tracks) == first.tracks - 5
    assert store.tracks.get(ids=sorted(dropped))["ids"] == []
    assert store.tracks.get(ids=[edited], include=["metadatas"])["metadatas"][0]["title"] == "A Title Nobody Wrote Before"
    snap = read_snapshot(store_settings.index_dir)
    assert not dropped & {t.track_id for t in snap.tracks}
    new_row = next(i for i, t in enumerate(snap.tracks) if t.track_id == edited)
    assert snap.tracks[new_row].title == "A Title Nobody Wrote Before"
    assert float(snap.vectors[new_row] @ snap.vectors[new_row]) == pytest.approx(1.0, abs=1e-4)

    # What an ingest of another catalog killed midway leaves behind: the "in progress" mark and a record
    # changed under the same id. A re-run must notice it, though the catalog is the one of the last snapshot.
    store.set_fingerprint(store.tracks, "")
    stale = ids[20]
    store.upsert(store.tracks, [stale], snap.vectors[:1], [{"hash": "from-another-catalog"}])
    fourth = ingest(store_settings, catalog_csv, progress=False)
    assert (fourth.embedded, fourth.deleted) == (1, 0)
    assert store.hashes(store.tracks)[stale] != "from-another-catalog"
    assert store.fingerprint(store.tracks) != ""


def embedded_count(data_dir: Path) -> int:
    """Rows of the `tracks` collection, read from Chroma's SQLite file without opening a client in this process
    (a second embedded client would cache state while another process writes)."""
    db = data_dir / "index" / "chroma" / "chroma.sqlite3"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute(
                "SELECT count(*) FROM embeddings e JOIN segments s ON e.segment_id = s.id "
                "JOIN collections c ON s.collection = c.id WHERE c.name = 'tracks'").fetchone()[0])
    except sqlite3.OperationalError:  # locked by the writer or not created yet: ask again
        return 0


def test_ingest_killed_midway_resumes_without_duplicates(store_settings: Settings, tmp_path: Path) -> None:
    catalog_csv = write_catalog_slice(tmp_path / "slice.csv", max_rows=1000)
    catalog = load_catalog(catalog_csv)
    n = len(catalog.tracks)
    assert n > EMBED_BATCH * 1.3  # the kill lands after the first batch, before the last
    env = {**os.environ, "SEGUE_DATA_DIR": str(store_settings.data_dir), "SEGUE_THREADS": str(TEST_THREADS)}
    env.pop("SEGUE_CHROMA_URL", None)
    if store_settings.chroma_url:
        env["SEGUE_CHROMA_URL"] = store_settings.chroma_url
    command = [sys.executable, "-m", "assistant.cli", "ingest", "--catalog", str(catalog_csv), "--json"]
    server = VectorStore(store_settings) if store_settings.chroma_url else None

    def count() -> int:
        return server.count(server.tracks) if server else embedded_count(store_settings.data_dir)

    kill_after_first_write(command, env, count)
    written = count()
    assert 0 < written < n

    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    # Only what the killed run had not written is embedded again (a batch in flight at the kill may be redone).
    assert result["tracks"] == n and 0 < result["embedded"] <= n - written + EMBED_BATCH
    assert result["embedded"] < n

    store = server or VectorStore(store_settings)
    stored = store.hashes(store.tracks)
    assert store.count(store.tracks) == len(stored) == n
    assert stored == {t.track_id: t.content_hash() for t in catalog.tracks}
    assert store.fingerprint(store.tracks) != ""  # the completed run recorded its catalog
    snap = read_snapshot(store_settings.index_dir)
    assert [t.track_id for t in snap.tracks] == [t.track_id for t in catalog.tracks]
    norms = np.linalg.norm(snap.vectors, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-3)
    sample = [t.track_id for t in snap.tracks[:: max(1, n // 50)]]
    assert np.allclose(store.vectors(store.tracks, sample), snap.vectors[:: max(1, n // 50)], atol=1e-5)


def test_unreachable_server_is_one_line_and_fast(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    start = time.monotonic()
    with pytest.raises(StoreUnavailableError) as err:
        VectorStore(Settings(data_dir=tmp_path / "data", chroma_url=dead))
    assert time.monotonic() - start < 5
    message = str(err.value)
    assert "\n" not in message and dead in message and "SEGUE_CHROMA_URL" in message

    catalog_csv = write_catalog_slice(tmp_path / "slice.csv", max_rows=50)
    env = {**os.environ, "SEGUE_DATA_DIR": str(tmp_path / "data"), "SEGUE_CHROMA_URL": dead}
    out = subprocess.run([sys.executable, "-m", "assistant.cli", "ingest", "--catalog", str(catalog_csv)],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert out.stderr.strip().startswith("error: Chroma server") and len(out.stderr.strip().splitlines()) == 1


def test_server_going_down_midway_loses_nothing(tmp_path: Path) -> None:
    port = free_port()
    path = tmp_path / "db"
    proc = start_chroma(path, port)
    try:
        store = VectorStore(Settings(data_dir=tmp_path / "data", chroma_url=f"http://127.0.0.1:{port}"))
        rng = np.random.default_rng(0)
        vectors = rng.standard_normal((50, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids = [f"t{i}" for i in range(50)]
        store.upsert(store.tracks, ids, vectors, [{"hash": str(i)} for i in range(50)])
        stop_chroma(proc)

        start = time.monotonic()
        with pytest.raises(StoreUnavailableError) as err:
            store.count(store.tracks)
        assert time.monotonic() - start < 5 and "\n" not in str(err.value)
        with pytest.raises(StoreUnavailableError):
            store.ping()

        proc = start_chroma(path, port)  # the same store object carries on once the server is back
        assert store.ping() > 0
        assert store.count(store.tracks) == 50
        assert store.query(store.tracks, vectors[7], 1)[0].id == "t7"
    finally:
        stop_chroma(proc)


def test_replicas_share_one_server(chroma_server: str, tmp_path: Path) -> None:
    """Two app machines (two data dirs) on one Chroma server: what one embeds, the other only reads."""
    drop_collections(chroma_server)
    try:
        first = Settings(data_dir=tmp_path / "replica1", threads=TEST_THREADS, chroma_url=chroma_server)
        second = Settings(data_dir=tmp_path / "replica2", threads=TEST_THREADS, chroma_url=chroma_server)
        catalog_csv = write_catalog_slice(tmp_path / "slice.csv", max_rows=200)
        assert ingest(first, catalog_csv, progress=False).embedded > 150
        assert ingest(second, catalog_csv, progress=False).embedded == 0  # its snapshot comes from the server

        fields, rows = read_rows(catalog_csv)
        edited = rows[5]["track_id"]
        for r in rows:
            if r["track_id"] == edited:
                r["track_name"] = "Retitled On Another Machine"
        write_rows(catalog_csv, fields, rows)
        assert ingest(first, catalog_csv, progress=False).embedded == 1
        assert ingest(second, catalog_csv, progress=False).embedded == 0
        one, two = read_snapshot(first.index_dir), read_snapshot(second.index_dir)
        assert [t.track_id for t in one.tracks] == [t.track_id for t in two.tracks]
        row = [t.track_id for t in two.tracks].index(edited)
        assert two.tracks[row].title == "Retitled On Another Machine"
        assert np.allclose(one.vectors, two.vectors, atol=1e-5)  # the edited track's new vector included
    finally:
        drop_collections(chroma_server)
