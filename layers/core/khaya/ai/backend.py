"""Which method answers an AI request, and the fallback that keeps every AI route up.

``AI_BACKEND`` chooses: ``bedrock`` (the default) asks the model first; ``local`` (what the
local stage configures) always answers with the deterministic local method. Whatever goes
wrong with the model (unreachable, throttled, too slow, refused, an answer that fails
validation) becomes ``ModelFailed``, and ``answer()`` then runs the local method instead:
the result is labelled ``source: "fallback"`` and the request still succeeds.

Settings (all optional; read through ``khaya.config``):

| setting | default | meaning |
|---|---|---|
| ``AI_BACKEND`` | ``bedrock`` | ``bedrock`` or ``local`` |
| ``BEDROCK_REGION`` | the function's region | where the Bedrock runtime is called |
| ``BEDROCK_TEXT_MODEL_ID`` | EU Claude Haiku 4.5 profile | inference profile id for ``converse`` |
| ``BEDROCK_EMBEDDING_MODEL_ID`` | ``amazon.titan-embed-text-v2:0`` | embeddings (512 dimensions) |
| ``BEDROCK_GUARDRAIL_ID`` / ``_VERSION`` | none / ``DRAFT`` | a Guardrail applied to every ``converse`` |
| ``AI_TIMEOUT_SECONDS`` / ``AI_MAX_ATTEMPTS`` | ``4`` / ``2`` | read timeout per call; attempts (``standard``) |
| ``AI_DAILY_QUOTA`` / ``AI_SEARCH_DAILY_QUOTA`` | ``50`` / ``300`` | requests per user per UTC day |
| ``SEARCH_MAX_CANDIDATES`` | ``5000`` | newest open jobs a search ranks |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from khaya.observability import logger, metric

Source = Literal["bedrock", "fallback"]

DEFAULT_TEXT_MODEL = "eu.anthropic.claude-haiku-4-5-20251001-v1:0"
DEFAULT_EMBEDDING_MODEL = "amazon.titan-embed-text-v2:0"
CONNECT_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class AiSettings:
    backend: str
    region: str
    text_model_id: str
    embedding_model_id: str
    guardrail_id: str | None
    guardrail_version: str
    timeout_seconds: float
    max_attempts: int
    daily_quota: int
    search_daily_quota: int
    enrich_daily_quota: int
    search_max_candidates: int

    @property
    def uses_bedrock(self) -> bool:
        return self.backend == "bedrock"


def ai_settings() -> AiSettings:
    from khaya.config import settings

    cfg = settings()
    backend = (cfg.get("AI_BACKEND") or "bedrock").lower()
    if backend not in ("bedrock", "local"):
        raise RuntimeError("AI_BACKEND must be bedrock or local")
    return AiSettings(
        backend=backend,
        region=cfg.get("BEDROCK_REGION") or cfg.region,
        text_model_id=cfg.get("BEDROCK_TEXT_MODEL_ID") or DEFAULT_TEXT_MODEL,
        embedding_model_id=cfg.get("BEDROCK_EMBEDDING_MODEL_ID") or DEFAULT_EMBEDDING_MODEL,
        guardrail_id=cfg.get("BEDROCK_GUARDRAIL_ID") or None,
        guardrail_version=cfg.get("BEDROCK_GUARDRAIL_VERSION") or "DRAFT",
        timeout_seconds=float(cfg.get("AI_TIMEOUT_SECONDS") or 4),
        max_attempts=int(cfg.get("AI_MAX_ATTEMPTS") or 2),
        daily_quota=int(cfg.get("AI_DAILY_QUOTA") or 50),
        search_daily_quota=int(cfg.get("AI_SEARCH_DAILY_QUOTA") or 300),
        enrich_daily_quota=int(cfg.get("AI_ENRICH_DAILY_QUOTA") or 40),
        search_max_candidates=int(cfg.get("SEARCH_MAX_CANDIDATES") or 5000),
    )


class ModelFailed(Exception):
    """The model gave no usable answer. ``reason``: ``throttled``, ``timeout``, ``unavailable``,
    ``misconfigured``, ``refused`` or ``invalid``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Answer[T]:
    value: T
    source: Source
    degraded: bool  # the local method answered because the model failed (not by configuration)


def answer[T](feature: str, ask_model: Callable[[], T], local: Callable[[], T], *, use_model: bool = True) -> Answer[T]:
    """The model's answer, or the local method's when the backend is local, ``use_model`` is
    false (a quota is spent) or the model fails.
    Never raises because of the model: a failure is logged, counted and answered locally."""
    if not ai_settings().uses_bedrock or not use_model:
        metric("AiAnswer", feature=feature, source="fallback", reason="local" if use_model else "quota")
        return Answer(local(), "fallback", degraded=False)
    try:
        value = ask_model()
    except ModelFailed as exc:
        reason = exc.reason
        log = logger.error if reason == "misconfigured" else logger.warning
        log("model failed; the local method answers", extra={"feature": feature, "reason": reason, "code": exc.detail})
    except Exception:  # a bug reading the answer must not take the route down either
        reason = "error"
        logger.exception("model answer could not be used; the local method answers", extra={"feature": feature})
    else:
        metric("AiAnswer", feature=feature, source="bedrock")
        return Answer(value, "bedrock", degraded=False)
    metric("AiAnswer", feature=feature, source="fallback", reason=reason)
    return Answer(local(), "fallback", degraded=True)
