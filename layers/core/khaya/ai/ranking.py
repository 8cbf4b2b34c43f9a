"""Exact top-k by dot product over stored float16 vectors, one page of candidates at a time.

Pages stream through (memory stays at one DynamoDB page, about 1 MB of items, plus the k
best), scored in one matrix product with numpy when the function has it (the search
function's own layer), else in pure Python. ``bench/search.py`` measures both: pure Python
ranks a candidate in about 0.1 ms, numpy some fifty times faster, but importing numpy costs
a cold start about 176 ms, the price of about 1 700 candidates in pure Python. So a container
ranks in pure Python until the candidates it has ranked that way, this page included, would
pass ``NUMPY_AFTER``; then it loads numpy and keeps it. No search pays for the import where
pure Python finishes sooner (the first search of a new container included), and a busy
container pays at most about twice what knowing its traffic in advance would have cost.
"""

from __future__ import annotations

import heapq
import struct
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from khaya.ai.embeddings import DIMENSIONS

_UNPACK = struct.Struct(f"<{DIMENSIONS}e").unpack
NUMPY_AFTER = 1_700  # candidates: numpy's import time in pure-Python ranking time (bench/search.py)
_ranked_pure = [0]  # candidates this container has ranked in pure Python


@lru_cache(maxsize=1)
def numpy_module() -> Any:
    """numpy if this function ships it (``None`` otherwise)."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def scores_pure(query: Sequence[float], blobs: Sequence[bytes]) -> list[float]:
    q = tuple(query)
    return [sum(map(float.__mul__, q, _UNPACK(blob))) for blob in blobs]


def scores_numpy(query: Sequence[float], blobs: Sequence[bytes]) -> list[float]:
    np = numpy_module()
    matrix = np.frombuffer(b"".join(blobs), dtype="<f2").reshape(len(blobs), DIMENSIONS)
    result: list[float] = (matrix.astype(np.float32) @ np.asarray(query, dtype=np.float32)).tolist()
    return result


def scores(query: Sequence[float], blobs: Sequence[bytes]) -> list[float]:
    if not blobs:
        return []
    loaded = numpy_module.cache_info().currsize > 0
    if (loaded or _ranked_pure[0] + len(blobs) > NUMPY_AFTER) and numpy_module() is not None:
        return scores_numpy(query, blobs)
    _ranked_pure[0] += len(blobs)
    return scores_pure(query, blobs)


def reset_ranking() -> None:
    """Forget numpy and the pure-Python count, as a new container would (tests)."""
    numpy_module.cache_clear()
    _ranked_pure[0] = 0


class TopK:
    """The ``k`` best (score, tie-break key, item) seen; ties go to the larger key (newer)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self._heap: list[tuple[float, str, int, Any]] = []
        self._n = 0

    def offer(self, score: float, key: str, item: Any) -> None:
        entry = (score, key, self._n, item)
        self._n += 1
        if len(self._heap) < self.k:
            heapq.heappush(self._heap, entry)
        elif entry[:2] > self._heap[0][:2]:
            heapq.heapreplace(self._heap, entry)

    def best(self) -> list[tuple[float, Any]]:
        return [(s, item) for s, _, _, item in sorted(self._heap, key=lambda e: (e[0], e[1]), reverse=True)]
