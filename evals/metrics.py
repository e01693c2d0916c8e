"""Ranking metrics on a ranked list of ids and a set of relevant ("gold") ids. Pure functions, no state.

Conventions shared by every metric here (the same as Microsoft Recommenders' `python_evaluation` and the
CPCD paper's `metrics.py`):

* relevance is binary: an id is relevant when it is in `gold`;
* a ranked id that repeats an earlier one is not a second hit: it takes its position but gains nothing
  (a system that repeats itself wastes the slot);
* `k` larger than the list means the whole list; a list shorter than `k` is not padded;
* empty `gold` makes every metric 0.0 (undefined; the suites skip such queries instead of averaging zeros).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def _gains(ranked: Sequence[str], gold: Collection[str], k: int) -> list[int]:
    """1 at each of the first k positions holding a relevant id seen for the first time, else 0."""
    seen: set[str] = set()
    gains = []
    for item in ranked[: max(k, 0)]:
        hit = item in gold and item not in seen
        seen.add(item)
        gains.append(1 if hit else 0)
    return gains


def r_precision(ranked: Sequence[str], gold: Collection[str]) -> float:
    """R-precision: the share of the first R = |gold| ranked ids that are relevant.

    R-prec = |{ranked[0:R]} ∩ gold| / R

    Source: Buckley & Voorhees, "Evaluating evaluation measure stability", SIGIR 2000; the main metric of
    the RecSys Challenge 2018 (Chen et al., "Recsys Challenge 2018: Automatic Music Playlist Continuation",
    RecSys 2018), which also counts a track only once.
    """
    if not gold:
        return 0.0
    return sum(_gains(ranked, gold, len(gold))) / len(gold)


def ndcg_at_k(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """Normalised discounted cumulative gain at k with binary relevance and a log2 discount.

    DCG@k  = sum_{i=1..k} rel_i / log2(i + 1)
    IDCG@k = sum_{i=1..min(|gold|, k)} 1 / log2(i + 1)
    NDCG@k = DCG@k / IDCG@k

    Source: Järvelin & Kekäläinen, "Cumulated gain-based evaluation of IR techniques", TOIS 2002; the
    binary form used by Microsoft Recommenders (`ndcg_at_k`) and the RecSys Challenge 2018.
    """
    if not gold or k <= 0:
        return 0.0
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(_gains(ranked, gold, k)))
    idcg = sum(1 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return dcg / idcg


def recall_at_k(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """Recall at k: the share of the relevant ids found in the first k.

    Recall@k = |{ranked[0:k]} ∩ gold| / |gold|

    Source: Manning, Raghavan & Schütze, "Introduction to Information Retrieval", 2008, ch. 8; as in
    Microsoft Recommenders (`recall_at_k`) and CPCD's `get_recall`.
    """
    if not gold:
        return 0.0
    return sum(_gains(ranked, gold, k)) / len(gold)


def hits_at_k(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """Hit rate at k: 1.0 when any of the first k ids is relevant, else 0.0.

    Hits@k = 1[{ranked[0:k]} ∩ gold ≠ ∅]

    Source: CPCD's `get_hit` (Chaganty et al., SIGIR 2023); "clicks"-free form of the RecSys Challenge 2018
    Recommended Songs Clicks.
    """
    return 1.0 if any(_gains(ranked, gold, k)) else 0.0


def mrr_at_k(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """Reciprocal rank at k: 1 / (position of the first relevant id among the first k), else 0.0.
    Averaged over queries it is the mean reciprocal rank (MRR@k).

    RR@k = 1 / min{i <= k : ranked[i] in gold}

    Source: Voorhees, "The TREC-8 Question Answering Track Report", 1999; CPCD's `get_reciprocal_rank`.
    """
    for i, gain in enumerate(_gains(ranked, gold, k), start=1):
        if gain:
            return 1.0 / i
    return 0.0


def collapse(ids: Iterable[str], key: Callable[[str], K]) -> list[K]:
    """Ids mapped to their near-duplicate cluster (`key`), each cluster kept once at its first position.

    This is how CPCD counts near-duplicates (`convert_to_cluster_ids` of its eval.py): two uploads of the
    same song are one result, in the ranking and in the gold alike.
    """
    seen: set[K] = set()
    out: list[K] = []
    for item in ids:
        cluster = key(item)
        if cluster not in seen:
            seen.add(cluster)
            out.append(cluster)
    return out


RANKING_METRICS: dict[str, Callable[[Sequence[str], Collection[str]], float]] = {
    "r_precision": r_precision,
    "ndcg@100": lambda r, g: ndcg_at_k(r, g, 100),
    "recall@100": lambda r, g: recall_at_k(r, g, 100),
    "hits@1": lambda r, g: hits_at_k(r, g, 1),
    "hits@10": lambda r, g: hits_at_k(r, g, 10),
    "hits@100": lambda r, g: hits_at_k(r, g, 100),
    "mrr@10": lambda r, g: mrr_at_k(r, g, 10),
}


def score_ranking(ranked: Sequence[str], gold: Collection[str], names: Sequence[str]) -> dict[str, float]:
    """The named metrics of `RANKING_METRICS` for one query."""
    return {name: RANKING_METRICS[name](ranked, gold) for name in names}


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted values: the value at rank ceil(q/100 * n) (1-based), 0 when empty.

    Source: the nearest-rank method, e.g. NIST/SEMATECH e-Handbook of Statistical Methods, section 7.2.6.2."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(len(ordered) * q / 100))
    return float(ordered[rank - 1])
