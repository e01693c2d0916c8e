"""Shared fixtures: the real catalog, the real embedding model and real Chroma stores in temp dirs."""

from __future__ import annotations

import contextlib
import csv
import gzip
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from retrieval.catalog import Catalog, load_catalog  # noqa: E402
from retrieval.embeddings import shared_embedder  # noqa: E402
from retrieval.index import TrackIndex  # noqa: E402
from retrieval.settings import DEFAULT_CATALOG, Settings  # noqa: E402

# Tests share the 2 cores with whatever else runs; one torch thread avoids oversubscription.
TEST_THREADS = int(os.environ.get("SEGUE_TEST_THREADS", "1"))
SLICE_PLAYLISTS = 60  # every 8th playlist: ~3,500 tracks spread over all genres


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(DEFAULT_CATALOG)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh, empty data dir and the embedded store."""
    return Settings(data_dir=tmp_path / "data", threads=TEST_THREADS, llm_threads=TEST_THREADS, chroma_url=None)


def write_catalog_slice(path: Path, playlist_ids: set[str] | None = None, max_rows: int | None = None) -> Path:
    """A real slice of the shipped catalog CSV (the rows of some playlists), written as a new CSV file."""
    with gzip.open(DEFAULT_CATALOG, "rt", encoding="utf-8", newline="") as src, open(path, "w", encoding="utf-8", newline="") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        n = 0
        for row in reader:
            if playlist_ids is not None and row["playlist_id"] not in playlist_ids:
                continue
            writer.writerow(row)
            n += 1
            if max_rows is not None and n >= max_rows:
                break
    return path


def kill_after_first_write(command: list[str], env: dict[str, str], written: Callable[[], int],
                           cwd: Path | None = None, timeout: float = 600) -> None:
    """Run `command` and SIGKILL it as soon as `written()` is non-zero: an ingest really killed mid-way."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    try:
        deadline = time.monotonic() + timeout
        while written() == 0:
            assert proc.poll() is None, "ingest ended before it could be killed"
            assert time.monotonic() < deadline, f"no batch written within {timeout:.0f} s"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def slice_catalog(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The tracks and playlists of every 8th catalog playlist (~3,500 real tracks, all genres)."""
    chosen = {p.playlist_id for p in catalog.playlists[::8][:SLICE_PLAYLISTS]}
    path = write_catalog_slice(tmp_path_factory.mktemp("slice") / "slice.csv", chosen)
    return load_catalog(path)


@pytest.fixture(scope="session")
def slice_index(slice_catalog: Catalog) -> TrackIndex:
    """An in-memory index of the slice, embedded with the real model (no Chroma)."""
    from retrieval.ingest import playlist_text
    from retrieval.text import track_text

    embedder = shared_embedder(TEST_THREADS)
    vectors = embedder.encode([track_text(t) for t in slice_catalog.tracks])
    playlist_vectors = embedder.encode([playlist_text(p) for p in slice_catalog.playlists])
    return TrackIndex(slice_catalog.tracks, vectors, slice_catalog.playlists, playlist_vectors,
                      embedder=embedder, name="test slice")


@pytest.fixture(scope="session")
def titles_base(slice_catalog: Catalog, slice_index: TrackIndex):
    """Three eval and five training playlists of the slice, with the slice's vectors as known ones: a `base`
    for the titles suite and the weight fitting without the full catalog."""
    from evals.corpora import title_playlists

    evals = title_playlists(slice_catalog.playlists, "eval")[:3]
    playlists = evals + [p for p in slice_catalog.playlists if p not in evals][:5]
    keep = {t for p in playlists for t in p.track_ids}
    tracks = [t for t in slice_catalog.tracks if t.track_id in keep]
    known = {text: slice_index.vectors[i] for i, text in enumerate(slice_index.texts)}
    return tracks, playlists, known


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (closed again, so connecting to it is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_process(cmd: list[str], ready_url: str, env: dict[str, str], name: str, timeout: float = 180,
                  cwd: Path | None = None) -> Iterator[None]:
    """Run `cmd` while the block runs, once `ready_url` answers 200; stop it afterwards however the block ends."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    err.seek(0)
                    pytest.fail(f"{name} exited with {proc.returncode}: {err.read().decode(errors='replace')[-3000:]}")
                try:
                    if httpx.get(ready_url, timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"{name} not ready after {timeout:.0f} s")
                time.sleep(0.1)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def llm_server_url() -> Iterator[str]:
    """Base URL (ending in /v1) of a real OpenAI-compatible server: the embedded model served by
    `python -m assistant.llm.serve` in a subprocess on a free loopback port."""
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.setdefault("SEGUE_LLM_THREADS", "1")
    url = f"http://127.0.0.1:{port}/v1"
    with serve_process([sys.executable, "-m", "assistant.llm.serve", "--port", str(port)], f"{url}/models", env,
                       "LLM server", timeout=60):
        yield url


# --------------------------------------------------------------------------------------- web UI

# Catalog rows whose text is hostile: the UI must show each title as text (tests/test_ui.py).
HOSTILE_ARTIST = "Quentin Zephyrbloom"
HOSTILE_TITLES = (
    "<img src=x onerror=alert(1)>",
    '<img src=x onerror="window.__xss=1">',
    "**Bold** [click](javascript:window.__xss=2) & <b>Co</b>",
)
UI_PLAYLISTS_PER_GENRE = 2  # of 20-60 tracks each: ~550 real tracks over all six genres, quick to embed


@pytest.fixture(scope="session")
def ui_data_dir(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with a real index (ingested like `segue ingest` does) of a catalog slice plus the hostile rows."""
    from retrieval.ingest import ingest

    root = tmp_path_factory.mktemp("ui")
    picked: dict[str, list[str]] = {}
    for p in catalog.playlists:
        if 20 <= len(p.track_ids) <= 60 and len(picked.setdefault(p.genre, [])) < UI_PLAYLISTS_PER_GENRE:
            picked[p.genre].append(p.playlist_id)
    path = write_catalog_slice(root / "catalog.csv", {pid for ids in picked.values() for pid in ids})
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields, template = reader.fieldnames or [], next(reader)
    with open(path, "a", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        for i, title in enumerate(HOSTILE_TITLES):
            writer.writerow({**template, "track_id": f"hostile{i:017d}", "track_name": title,
                             "track_artist": HOSTILE_ARTIST, "track_album_id": "hostilealbum",
                             "track_album_name": "Escapes", "track_popularity": "40"})
    data_dir = root / "data"
    ingest(Settings(data_dir=data_dir, threads=TEST_THREADS, chroma_url=None), path, progress=False)
    return data_dir


@contextlib.contextmanager
def serve_app(data_dir: Path, *args: str, **env_vars: str) -> Iterator[str]:
    """`python app.py --port P ARGS` over `data_dir` on a free loopback port while the block runs; yields its URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGUE_")}
    env.update(SEGUE_DATA_DIR=str(data_dir), SEGUE_THREADS=str(TEST_THREADS),
               SEGUE_LLM_THREADS=str(TEST_THREADS), HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False", **env_vars)
    repo = Path(__file__).resolve().parents[1]
    url = f"http://127.0.0.1:{port}"
    with serve_process([sys.executable, str(repo / "app.py"), "--port", str(port), *args], url, env, "UI", cwd=repo):
        yield url


@pytest.fixture(scope="session")
def ui_url(ui_data_dir: Path) -> Iterator[str]:
    """URL of `python app.py` serving the UI on a free loopback port over `ui_data_dir` (embedded LLM)."""
    with serve_app(ui_data_dir) as url:
        yield url
