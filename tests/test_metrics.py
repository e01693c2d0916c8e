"""Ranking metrics against hand-computed cases (evals/metrics.py)."""

from __future__ import annotations

import math

import pytest

from evals.metrics import (
    collapse,
    hits_at_k,
    mean,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    r_precision,
    recall_at_k,
    score_ranking,
)

RANKED = ["a", "x", "b", "y", "c"]
GOLD = {"a", "b", "c", "d"}


def test_r_precision_counts_hits_in_the_first_len_gold():
    # R = 4: the first four are a x b y -> 2 relevant.
    assert r_precision(RANKED, GOLD) == pytest.approx(2 / 4)
    assert r_precision(["d", "c", "b", "a"], GOLD) == 1.0
    assert r_precision(["x"], {"x", "y"}) == 0.5  # list shorter than R: not padded


def test_ndcg_binary_log2_discount():
    # DCG = 1/log2(2) + 1/log2(4) + 1/log2(6) (hits at ranks 1, 3, 5); IDCG over min(|gold|, k) = 4 ranks.
    dcg = 1 + 1 / math.log2(4) + 1 / math.log2(6)
    idcg = sum(1 / math.log2(i + 2) for i in range(4))
    assert ndcg_at_k(RANKED, GOLD, 100) == pytest.approx(dcg / idcg)
    # k = 2: DCG = 1; IDCG over min(4, 2) = 2 ranks = 1 + 1/log2(3).
    assert ndcg_at_k(RANKED, GOLD, 2) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(["a", "b", "c", "d"], GOLD, 10) == pytest.approx(1.0)


def test_recall_hits_and_mrr():
    assert recall_at_k(RANKED, GOLD, 3) == pytest.approx(2 / 4)
    assert recall_at_k(RANKED, GOLD, 100) == pytest.approx(3 / 4)  # k beyond the list: the whole list
    assert hits_at_k(RANKED, GOLD, 1) == 1.0
    assert hits_at_k(["x", "y", "a"], GOLD, 2) == 0.0
    assert hits_at_k(["x", "y", "a"], GOLD, 3) == 1.0
    assert mrr_at_k(["x", "y", "a"], GOLD, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["x", "y", "a"], GOLD, 2) == 0.0


def test_empty_gold_and_empty_ranking_score_zero():
    for value in (r_precision(RANKED, set()), ndcg_at_k(RANKED, set(), 10), recall_at_k(RANKED, set(), 10),
                  hits_at_k(RANKED, set(), 10), mrr_at_k(RANKED, set(), 10)):
        assert value == 0.0
    assert ndcg_at_k([], GOLD, 10) == 0.0 and recall_at_k([], GOLD, 10) == 0.0 and mrr_at_k([], GOLD, 10) == 0.0
    assert ndcg_at_k(RANKED, GOLD, 0) == 0.0


def test_a_repeated_id_is_not_a_second_hit():
    ranked = ["a", "a", "a", "a"]
    assert r_precision(ranked, GOLD) == 0.25
    assert recall_at_k(ranked, GOLD, 4) == 0.25
    assert ndcg_at_k(ranked, {"a"}, 4) == pytest.approx(1.0)  # one relevant item, found first
    assert ndcg_at_k(ranked, {"a", "b"}, 4) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    # The repeat still takes its position: b at rank 3, not 2.
    assert mrr_at_k(["x", "x", "b"], GOLD, 10) == pytest.approx(1 / 3)


def test_collapse_keeps_each_cluster_once_at_its_first_position():
    cluster = {"a1": "A", "a2": "A", "b": "B", "c": "C"}
    assert collapse(["a1", "b", "a2", "c", "b"], cluster.__getitem__) == ["A", "B", "C"]
    assert collapse([], cluster.__getitem__) == []


def test_score_ranking_and_mean():
    scores = score_ranking(RANKED, GOLD, ["hits@1", "mrr@10", "recall@100", "r_precision"])
    assert scores == {"hits@1": 1.0, "mrr@10": 1.0, "recall@100": 0.75, "r_precision": 0.5}
    assert mean([1.0, 0.0, 0.5]) == 0.5 and mean([]) == 0.0


def test_nearest_rank_percentile():
    values = [15.0, 20.0, 35.0, 40.0, 50.0]  # the NIST example: p30 is the 2nd value (ceil(1.5) = 2)
    assert percentile(values, 30) == 20.0 and percentile(values, 40) == 20.0 and percentile(values, 50) == 35.0
    assert percentile(values, 100) == 50.0 and percentile(values, 0) == 15.0 and percentile([], 50) == 0.0
