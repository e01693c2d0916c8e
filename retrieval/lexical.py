"""Okapi BM25 over short texts, as one sparse matrix: a query is scored against every document at once.

score(D, Q) = sum_{q in Q} IDF(q) * f(q, D) * (k1 + 1) / (f(q, D) + k1 * (1 - b + b * |D| / avgdl))
IDF(q) = ln(1 + (N - n(q) + 0.5) / (n(q) + 0.5))
(Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond", 2009; the IDF variant of
Lucene, which is never negative.)
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Sequence

import numpy as np
from scipy import sparse

_TOKEN = re.compile(r"[\w']+", re.UNICODE)
STOPWORDS = frozenset(
    "a an and are as at be but by for from i im i'm in into is it its me my of on or so some songs song "
    "music that the this to tracks track with you your playlist want like please give make".split()
)


def fold(text: str) -> str:
    """Lower case without accents: "Beyoncé" and "beyonce" match."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokenize(text: str, drop_stopwords: bool = True) -> list[str]:
    tokens = [t.strip("'") for t in _TOKEN.findall(fold(text))]
    return [t for t in tokens if t and (not drop_stopwords or t not in STOPWORDS)]


# Words that carry a subject's phrasing but not its subject: "songs about being happy" is about "happy".
VAGUE_WORDS = frozenset("being feeling getting having going someone somebody something things stuff people "
                        "about".split())


def word_forms(text: str) -> list[str]:
    """The words of `text` but the vague ones, each with its plural or singular beside it ("dogs" -> dogs, dog):
    BM25 matches words exactly, and a title says "Dog Days" as often as "Dogs of War"."""
    out: list[str] = []
    for t in tokenize(text):
        if t in VAGUE_WORDS:
            continue
        out.append(t)
        if t.endswith("s") and len(t) > 3 and not t.endswith("ss"):
            out.append(t[:-1])
        elif not t.endswith("s"):
            out.append(t + "s")
    return list(dict.fromkeys(out))


class BM25:
    def __init__(self, documents: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        lengths = np.zeros(len(documents), dtype=np.float32)
        for i, doc in enumerate(documents):
            counts = Counter(tokenize(doc))
            lengths[i] = sum(counts.values())
            for term, tf in counts.items():
                rows.append(i)
                cols.append(vocab.setdefault(term, len(vocab)))
                vals.append(tf)
        self.vocab = vocab
        n_docs = max(len(documents), 1)
        tf = sparse.csr_matrix((vals, (rows, cols)), shape=(len(documents), len(vocab)), dtype=np.float32)
        df = np.bincount(tf.indices, minlength=len(vocab)).astype(np.float32)
        self.idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        avgdl = float(lengths.mean()) if len(documents) else 1.0
        norm = k1 * (1 - b + b * lengths / max(avgdl, 1e-9))
        tf = tf.tocoo()
        weights = tf.data * (k1 + 1) / (tf.data + norm[tf.row])
        # Column-major so a query touches only the columns of its terms.
        self.matrix = sparse.csc_matrix((weights, (tf.row, tf.col)), shape=tf.shape, dtype=np.float32)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for `query` (zeros when no term is known)."""
        terms = Counter(t for t in tokenize(query) if t in self.vocab)
        out = np.zeros(self.matrix.shape[0], dtype=np.float32)
        if not terms:
            return out
        cols = np.fromiter((self.vocab[t] for t in terms), dtype=np.int64)
        weights = np.fromiter((self.idf[self.vocab[t]] * n for t, n in terms.items()), dtype=np.float32)
        return np.asarray(self.matrix[:, cols] @ weights).ravel()
