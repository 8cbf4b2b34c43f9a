"""The local summary method: pick the sentences that carry the conversation, in order.

Sentences are scored by how much of the conversation's vocabulary they hold (content words
weighted by how often the conversation uses them, per word of the sentence), with a bonus for
what people look for in a job conversation — amounts, dates, days and times — and for the
latest messages, where agreements land. The best few, up to ``MAX_CHARS``, are given in the
order they were said, each with its speaker. Deterministic: the same messages give the same
summary.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from khaya.ai.vocabulary import STOPWORDS

MAX_CHARS = 500
MAX_SENTENCES = 3
MAX_SENTENCE_CHARS = 220
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_WORD = re.compile(r"[a-z0-9]+")
_FACT = re.compile(
    r"\d|\b(?:r|zar|kes|ksh|ngn|ghs|usd|naira|cedi|rand|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|today|tomorrow|week|morning|afternoon|evening|deposit|price|quote|agreed|deal|confirm)\b"
)


@dataclass(frozen=True)
class Line:
    speaker: str  # "Client" or "Worker"
    text: str


def _sentences(lines: Sequence[Line]) -> list[tuple[int, int, str, str]]:
    """(message index, position, speaker, sentence) for every sentence said."""
    out = []
    for i, line in enumerate(lines):
        for j, match in enumerate(_SENTENCE.finditer(line.text)):
            sentence = " ".join(match.group(0).split())
            if len(_WORD.findall(sentence.lower())) >= 2:
                out.append((i, j, line.speaker, sentence[:MAX_SENTENCE_CHARS]))
    return out


def summarise(lines: Sequence[Line]) -> str:
    if not lines:
        return "No messages yet."
    found = _sentences(lines)
    if not found:
        return " ".join(f"{line.speaker}: {line.text.strip()[:MAX_SENTENCE_CHARS]}" for line in lines[-2:])[:MAX_CHARS]
    words = [[w for w in _WORD.findall(s.lower()) if w not in STOPWORDS] for *_, s in found]
    frequency = Counter(w for ws in words for w in set(ws))
    last = len(lines) - 1
    scored = []
    for (msg, pos, speaker, sentence), ws in zip(found, words, strict=True):
        vocabulary = sum(math.log1p(frequency[w]) for w in set(ws)) / math.sqrt(len(ws) + 1)
        facts = 1.0 if _FACT.search(sentence.lower()) else 0.0
        recency = 0.5 * (msg / last) if last else 0.5
        scored.append((vocabulary + facts + recency, msg, pos, speaker, sentence))
    chosen: list[tuple[int, int, str, str]] = []
    used = 0
    for _, msg, pos, speaker, sentence in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        cost = len(speaker) + 2 + len(sentence) + 1
        if len(chosen) == MAX_SENTENCES or used + cost > MAX_CHARS:
            continue
        chosen.append((msg, pos, speaker, sentence))
        used += cost
    chosen.sort()
    return " ".join(f"{speaker}: {sentence}" for _, _, speaker, sentence in chosen)
