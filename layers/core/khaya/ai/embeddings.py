"""Text → unit vector: Titan Text Embeddings V2, or the local hashed n-gram method.

Both give 512 dimensions, normalised, so similarity is a dot product. A stored vector carries
the name of the method that made it (``model``): vectors of different methods are never
compared with each other.

The local method (``local_embed``), deterministic and dependency-free, is what the local
stage uses and what answers when Titan cannot. The trade concepts and categories of
``khaya.ai.vocabulary`` (so "water heater" meets "geyser") each own one dimension; the words
(lightly stemmed), their pairs and character 4-grams of each word (so "leaking" still meets
"leak") are hashed, with a sign, into the other dimensions. Weights grow with the log of a
feature's count. Giving the concepts dimensions of their own keeps a hash collision from ever
making two trades look alike (or opposite).

Vectors are stored as little-endian float16 bytes: 1 KiB each.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import struct
import unicodedata
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from khaya.ai import bedrock
from khaya.ai.backend import Source, ai_settings, answer
from khaya.ai.vocabulary import CONCEPTS, STOPWORDS

DIMENSIONS = 512
LOCAL_MODEL = "local-hash-v1"
MAX_TEXT_CHARS = 2000
_PACK = struct.Struct(f"<{DIMENSIONS}e")
_WORD = re.compile(r"[a-z0-9]+")
_DOUBLE_END = re.compile(r"([b-df-hj-np-tv-z])\1$")

WEIGHT_WORD = 1.0
WEIGHT_PAIR = 0.5
WEIGHT_GRAMS = 0.4  # shared by the 4-grams of one word
WEIGHT_CONCEPT = 2.0
WEIGHT_CATEGORY = 1.0


@dataclass(frozen=True)
class Embedding:
    vector: list[float]
    model: str
    source: Source


def titan_model(model_id: str) -> str:
    return f"{model_id}/{DIMENSIONS}"


# ---------------------------------------------------------------- storage


def to_bytes(vector: Sequence[float]) -> bytes:
    return _PACK.pack(*vector)


def from_bytes(blob: bytes) -> tuple[float, ...]:
    return _PACK.unpack(blob)


def dot(a: Sequence[float], b: Sequence[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def job_text(title: str, category: str, description: str) -> str:
    """What a job is embedded from: its title (twice: it says the most), category, description."""
    return f"{title}\n{title}\n{category.replace('_', ' ')}\n{description}"[:MAX_TEXT_CHARS]


# ---------------------------------------------------------------- the local method


def _stem(word: str) -> str:
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and (word.endswith("ed") or (word.endswith("es") and word[-3] in "sxz")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    if _DOUBLE_END.search(word) and not word.endswith(("ll", "ss", "zz", "ff")):
        word = word[:-1]
    return word


def _words(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return [_stem(w) for w in _WORD.findall(plain)]


@lru_cache(maxsize=1)
def _reserved() -> dict[str, int]:
    """The dimension of each concept and category feature (the first ones, in a fixed order)."""
    names = sorted({"c:" + c for c in CONCEPTS}) + sorted({"k:" + cat for cat, _ in CONCEPTS.values()})
    return {name: i for i, name in enumerate(names)}


@lru_cache(maxsize=1)
def _phrases() -> tuple[dict[tuple[str, ...], tuple[str, ...]], int]:
    """Stemmed term → the concepts it names; and the longest term, in words."""
    found: dict[tuple[str, ...], list[str]] = {}
    for concept, (_, terms) in CONCEPTS.items():
        for term in terms:
            found.setdefault(tuple(_words(term)), []).append(concept)
    return {k: tuple(v) for k, v in found.items()}, max(len(k) for k in found)


def _features(text: str) -> Counter[tuple[str, float]]:
    phrases, longest = _phrases()
    words = _words(text)
    counts: Counter[tuple[str, float]] = Counter()
    for n in range(longest, 0, -1):
        for i in range(len(words) - n + 1):
            for concept in phrases.get(tuple(words[i : i + n]), ()):
                counts[("c:" + concept, WEIGHT_CONCEPT)] += 1
                counts[("k:" + CONCEPTS[concept][0], WEIGHT_CATEGORY)] += 1
    content = [w for w in words if w not in STOPWORDS]
    for word in content:
        counts[("w:" + word, WEIGHT_WORD)] += 1
        padded = f"^{word}$"
        grams = [padded[i : i + 4] for i in range(len(padded) - 3)]
        for gram in grams:
            counts[("g:" + gram, WEIGHT_GRAMS / len(grams))] += 1
    for a, b in itertools.pairwise(content):
        counts[(f"p:{a} {b}", WEIGHT_PAIR)] += 1
    return counts


def local_embed(text: str) -> list[float]:
    """The local method's unit vector for ``text`` (all zeros when it has no usable word)."""
    vector = [0.0] * DIMENSIONS
    reserved = _reserved()
    hashed = DIMENSIONS - len(reserved)
    for (feature, weight), count in _features(text[:MAX_TEXT_CHARS]).items():
        value = weight * (1.0 + math.log(count))
        if feature in reserved:
            vector[reserved[feature]] += value
            continue
        h = zlib.crc32(feature.encode("utf-8"))
        vector[len(reserved) + h % hashed] += value if (h >> 16) & 1 else -value
    norm = math.sqrt(math.fsum(v * v for v in vector))
    return [v / norm for v in vector] if norm else vector


# ---------------------------------------------------------------- either method


def embed(feature: str, text: str, *, use_model: bool = True) -> Embedding:
    """Titan's vector when the backend is Bedrock, ``use_model`` and it answers, else the local
    method's."""
    cfg = ai_settings()
    got = answer(
        feature,
        lambda: (bedrock.embed(feature, text), titan_model(cfg.embedding_model_id)),
        lambda: (local_embed(text), LOCAL_MODEL),
        use_model=use_model,
    )
    vector, model = got.value
    return Embedding(vector, model, got.source)
