"""The `segue` CLI's foundation commands as a user runs them: real subprocesses, real index."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_THREADS, write_catalog_slice


def segue(*args: str, data_dir: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SEGUE_DATA_DIR": str(data_dir), "SEGUE_THREADS": str(TEST_THREADS)}
    env.pop("SEGUE_CHROMA_URL", None)
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def test_help_lists_the_commands(tmp_path):
    out = segue("--help", data_dir=tmp_path)
    assert out.returncode == 0
    for command in ("ingest", "search", "bench", "eval", "llm"):
        assert command in out.stdout


def test_search_without_index_says_run_ingest(tmp_path):
    out = segue("search", "jazz", data_dir=tmp_path / "empty")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [out.stderr.strip()]  # one line, no traceback
    assert "segue ingest" in out.stderr and "Traceback" not in out.stderr


def test_ingest_missing_catalog_is_one_line(tmp_path):
    out = segue("ingest", "--catalog", str(tmp_path / "nope.csv"), data_dir=tmp_path)
    assert out.returncode == 1
    assert "not found" in out.stderr and "Traceback" not in out.stderr


@pytest.fixture(scope="module")
def small_index(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    csv_path = write_catalog_slice(root / "slice.csv", max_rows=300)
    data_dir = root / "data"
    out = segue("ingest", "--catalog", str(csv_path), "--json", data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["embedded"] == result["tracks"] > 250
    assert result["skipped"] == 0 and result["playlists"] >= 1 and result["seconds"] > 0
    return data_dir


def test_search_json_lists_real_tracks(small_index):
    out = segue("search", "remix of a pop song", "-k", "5", "--json", data_dir=small_index)
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert len(hits) == 5
    assert set(hits[0]) == {"track_id", "title", "artist", "score"}
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert any("remix" in h["title"].lower() for h in hits)


def test_ingest_if_missing_skips_existing_index(small_index):
    out = segue("ingest", "--if-missing", data_dir=small_index)
    assert out.returncode == 0 and "skipping" in out.stdout


def test_corrupted_index_is_detected_and_not_overwritten(small_index, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(small_index, broken)
    vectors = broken / "index" / "snapshot" / "vectors.npy"
    vectors.write_bytes(b"this is not a numpy file")
    before = hashlib.sha256(vectors.read_bytes()).hexdigest()
    out = segue("search", "rock", data_dir=broken)
    assert out.returncode == 1
    assert "damaged" in out.stderr and "Traceback" not in out.stderr
    assert hashlib.sha256(vectors.read_bytes()).hexdigest() == before
