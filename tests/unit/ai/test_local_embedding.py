"""The local embedding: good enough to rank by meaning in the trade vocabulary, stable, compact."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from khaya.ai.embeddings import DIMENSIONS, dot, from_bytes, job_text, local_embed, to_bytes

GEYSER = job_text(
    "Geyser leaking through the ceiling",
    "plumbing",
    "Our geyser burst last night and water is dripping through the bedroom ceiling.",
)
LAWN = job_text("Mow the lawn and trim the hedges", "gardening", "Big back garden, the grass is knee high.")
SOCKETS = job_text("Two plug points dead", "electrical", "The kitchen sockets stopped working and the breaker trips.")
PAINT = job_text("Paint the lounge", "painting", "Two coats on the walls, white.")


def score(query: str, text: str) -> float:
    return dot(local_embed(query), local_embed(text))


@pytest.mark.parametrize(
    "query,best",
    [
        ("water heater leak", GEYSER),
        ("hot water cylinder burst", GEYSER),
        ("someone to cut my grass", LAWN),
        ("electrician, power keeps tripping", SOCKETS),
        ("painter for interior walls", PAINT),
    ],
)
def test_a_query_ranks_the_job_it_means_first_even_without_shared_words(query, best):
    ranked = sorted((GEYSER, LAWN, SOCKETS, PAINT), key=lambda text: score(query, text), reverse=True)
    assert ranked[0] == best


def test_water_heater_leak_scores_the_geyser_job_well_above_the_lawn_job():
    assert score("water heater leak", GEYSER) > 0.3
    assert abs(score("water heater leak", LAWN)) < 0.05


def test_vectors_are_unit_length_and_an_empty_text_is_zero():
    assert math.isclose(math.sqrt(sum(v * v for v in local_embed(GEYSER))), 1.0)
    assert local_embed("!!! ...") == [0.0] * DIMENSIONS


def test_the_same_text_gives_the_same_vector_in_another_process():
    # Python's own str hash changes per process; the local method must not
    code = "import json; from khaya.ai.embeddings import local_embed; print(json.dumps(local_embed('Geyser, heater')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == local_embed("Geyser, heater")


def test_float16_storage_is_1_kib_and_keeps_scores_to_three_decimals():
    a, b = local_embed(GEYSER), local_embed("water heater leak")
    blob = to_bytes(a)
    assert len(blob) == 1024
    assert abs(dot(from_bytes(blob), b) - dot(a, b)) < 1e-3
