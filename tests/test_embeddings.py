"""The embedding backends: onnxruntime on the exported model gives the torch model's vectors, a damaged export is
rebuilt, a failed export falls back to torch, and importing the module loads nothing."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from retrieval.catalog import Catalog
from retrieval.embeddings import (
    MIN_COSINE,
    PROBE_KEY,
    Embedder,
    OnnxEncoder,
    embedder_for,
    model_words,
    onnx_path,
)
from retrieval.ingest import ENCODE_BATCH, playlist_text
from retrieval.settings import Settings, get_settings
from retrieval.text import track_text
from tests.conftest import TEST_THREADS

QUERIES = ["upbeat 80s synthpop for a night drive", "Ärzte — Männer sind Schweine", "", "lo-fi beats to study to",
           "rap " * 400]  # the last one is cut at the model's 256 tokens by both backends


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def onnx_embedder(onnx_cache: Path) -> Embedder:
    return Embedder(TEST_THREADS, backend="onnx", cache_dir=onnx_cache)


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder(TEST_THREADS, backend="torch")


def real_texts(catalog: Catalog) -> list[str]:
    """~750 real track texts of every length, the slice's playlist names and some queries."""
    return [track_text(t) for t in catalog.tracks[::5]] + [playlist_text(p) for p in catalog.playlists] + QUERIES


def test_onnx_gives_the_torch_vectors(slice_catalog, onnx_embedder, torch_embedder, onnx_cache):
    texts = real_texts(slice_catalog)
    expected = torch_embedder.encode(texts)
    for batch_size in (1, ENCODE_BATCH, 64):
        got = onnx_embedder.encode(texts, batch_size=batch_size)
        assert got.shape == expected.shape and got.dtype == np.float32
        cosines = np.sum(got * expected, axis=1)
        assert cosines.min() >= MIN_COSINE, (batch_size, texts[int(cosines.argmin())])
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert float(onnx_embedder.encode_one(QUERIES[0]) @ torch_embedder.encode_one(QUERIES[0])) >= MIN_COSINE
    assert onnx_embedder.loaded_backend == "onnx" and torch_embedder.loaded_backend == "torch"
    assert onnx_path(onnx_cache).is_file()
    assert [p.name for p in onnx_cache.iterdir()] == [onnx_path(onnx_cache).name]  # no temp file left behind


def test_garbage_export_is_rebuilt(onnx_embedder, onnx_cache, tmp_path):
    onnx_embedder.encode_one("export it first")
    path = onnx_path(tmp_path)
    path.write_bytes(b"not an onnx model" * 1000)
    embedder = Embedder(TEST_THREADS, backend="onnx", cache_dir=tmp_path)
    vector = embedder.encode_one(QUERIES[0])
    assert embedder.loaded_backend == "onnx"
    assert float(vector @ onnx_embedder.encode_one(QUERIES[0])) >= MIN_COSINE
    OnnxEncoder(path, TEST_THREADS)  # the rebuilt file loads and passes its own check


def test_export_computing_other_vectors_is_refused(onnx_embedder, onnx_cache, tmp_path):
    onnx_embedder.encode_one("export it first")
    proto = onnx.load(str(onnx_path(onnx_cache)))
    probe = next(p for p in proto.metadata_props if p.key == PROBE_KEY)
    probe.value = json.dumps([-x for x in json.loads(probe.value)])  # as if the weights had changed
    damaged = tmp_path / "damaged.onnx"
    onnx.save(proto, str(damaged))
    with pytest.raises(ValueError, match="does not reproduce"):
        OnnxEncoder(damaged, TEST_THREADS)


def test_failed_export_falls_back_to_torch_with_one_warning(torch_embedder, tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache dir cannot be created under a file")
    embedder = Embedder(TEST_THREADS, backend="onnx", cache_dir=blocker / "onnx")
    with caplog.at_level(logging.WARNING, logger="retrieval.embeddings"):
        vector = embedder.encode_one(QUERIES[0])
    assert embedder.loaded_backend == "torch"
    assert float(vector @ torch_embedder.encode_one(QUERIES[0])) >= MIN_COSINE
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].exc_info is None
    assert warnings[0].getMessage().startswith("ONNX embedding backend unavailable (")
    assert "\n" not in warnings[0].getMessage()


def test_model_words_are_whole_everyday_words():
    words = model_words()
    assert {"italian", "horns", "piano", "classical"} <= words  # a sound to lean to
    assert not {"enya", "candlebox", "portishead", "##s", "[UNK]"} & words  # names, pieces, special tokens


def test_backend_setting(monkeypatch):
    monkeypatch.setenv("SEGUE_EMBED_BACKEND", "torch")
    assert Settings().embed_backend == "torch"
    get_settings.cache_clear()
    try:
        embedder = Embedder(TEST_THREADS)
        assert embedder.loaded_backend is None  # nothing loads before the first text
        embedder.encode_one("by the settings")
        assert embedder.loaded_backend == "torch"
    finally:
        get_settings.cache_clear()
    monkeypatch.setenv("SEGUE_EMBED_BACKEND", "tensorflow")
    with pytest.raises(ValueError):
        Settings()
    monkeypatch.delenv("SEGUE_EMBED_BACKEND")
    assert Settings().embed_backend == "onnx"


def test_import_loads_no_model():
    code = ("import sys, retrieval.embeddings as e; e.Embedder(2); e.shared_embedder(2); "
            "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers', 'onnxruntime', 'onnx', "
            "'tokenizers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"


def test_a_settings_object_decides_where_the_export_lives(onnx_embedder, onnx_cache, tmp_path):
    """The export goes to the given settings' model cache, not into any data dir: one export for every index."""
    onnx_embedder.encode_one("export it first")
    cache = tmp_path / "models"
    (cache / "onnx").mkdir(parents=True)
    onnx_path(cache / "onnx").write_bytes(onnx_path(onnx_cache).read_bytes())  # as if exported earlier
    settings = Settings(data_dir=tmp_path / "data", model_cache=cache, threads=TEST_THREADS)
    embedder = embedder_for(settings)
    assert embedder is embedder_for(settings.model_copy(update={"data_dir": tmp_path / "other"}))
    embedder.encode_one(QUERIES[0])
    assert embedder.cache_dir == cache / "onnx" and embedder.loaded_backend == "onnx"
    assert not (tmp_path / "data").exists()
