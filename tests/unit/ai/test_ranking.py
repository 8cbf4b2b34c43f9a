"""Exact top-k: numpy and pure Python agree, ties go to the newer candidate."""

from __future__ import annotations

import math
import random

from khaya.ai.embeddings import to_bytes
from khaya.ai.ranking import TopK, scores_numpy, scores_pure


def unit(rng: random.Random) -> list[float]:
    raw = [rng.gauss(0, 1) for _ in range(512)]
    norm = math.sqrt(sum(v * v for v in raw))
    return [v / norm for v in raw]


def test_numpy_and_pure_python_give_the_same_scores():
    rng = random.Random(7)
    query, blobs = unit(rng), [to_bytes(unit(rng)) for _ in range(300)]
    pure, fast = scores_pure(query, blobs), scores_numpy(query, blobs)
    assert max(abs(a - b) for a, b in zip(pure, fast, strict=True)) < 1e-5


def test_top_k_keeps_the_best_in_order_and_breaks_ties_by_newest():
    best = TopK(3)
    for score, key in [(0.2, "a"), (0.9, "b"), (0.5, "c"), (0.9, "d"), (0.1, "e"), (0.5, "f")]:
        best.offer(score, key, key)
    assert best.best() == [(0.9, "d"), (0.9, "b"), (0.5, "f")]


def test_numpy_is_loaded_only_for_a_page_big_enough_to_pay_for_it():
    from khaya.ai import ranking

    ranking.numpy_module.cache_clear()
    rng = random.Random(3)
    query = unit(rng)
    small = [to_bytes(unit(rng)) for _ in range(ranking.NUMPY_FROM - 1)]
    ranking.scores(query, small)
    assert ranking.numpy_module.cache_info().currsize == 0  # a cold start would not have paid for the import
    big = [*small, to_bytes(unit(rng))]
    ranking.scores(query, big)
    assert ranking.numpy_module.cache_info().currsize == 1
    ranking.scores(query, small[:3])  # and once loaded, it is used for every page
    assert ranking.numpy_module.cache_info().hits >= 1
