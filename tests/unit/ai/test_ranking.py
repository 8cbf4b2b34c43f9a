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


def test_numpy_is_loaded_only_once_pure_python_has_cost_what_its_import_does():
    from khaya.ai import ranking

    ranking.reset_ranking()
    rng = random.Random(3)
    query = unit(rng)
    page = [to_bytes(unit(rng)) for _ in range(700)]  # about one DynamoDB page of candidates
    # Given a new container: a first search of two full pages stays in pure Python
    ranking.scores(query, page)
    ranking.scores(query, page)
    assert ranking.numpy_module.cache_info().currsize == 0  # its cold start does not pay for the import
    # When the next page would take pure Python past numpy's import cost
    ranking.scores(query, page)
    # Then numpy is loaded, and used for every page after, however small
    assert ranking.numpy_module.cache_info().currsize == 1
    ranking.scores(query, page[:3])
    assert ranking.numpy_module.cache_info().hits >= 1
    ranking.reset_ranking()
