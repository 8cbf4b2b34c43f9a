"""The Bedrock runtime adapter: structured answers through ``converse`` with a forced tool,
and Titan Text Embeddings V2.

* The client is made on first use (no SDK import on a cold start that never asks), with
  botocore's ``standard`` retries, ``AI_MAX_ATTEMPTS`` attempts and an ``AI_TIMEOUT_SECONDS``
  read timeout, so a call's worst case fits inside its function's timeout.
* ``converse`` gets a system prompt of fixed rules and one user message in which every piece of
  user text sits inside tags as JSON (``data_block``): ``<`` and ``>`` are escaped, so no
  text can close its block and pose as instructions. ``toolChoice`` forces the one tool,
  whose ``input`` the caller validates with pydantic. An optional Guardrail applies to every call.
* Token counts become metrics (``AiTokens``, by feature and direction).
* Every failure is a ``ModelFailed`` with a reason; callers answer with their local method.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from khaya.ai.backend import CONNECT_TIMEOUT_SECONDS, ModelFailed, ai_settings
from khaya.observability import metric

EMBEDDING_DIMENSIONS = 512

_REASONS = {
    "ThrottlingException": "throttled",
    "ServiceQuotaExceededException": "throttled",
    "TooManyRequestsException": "throttled",
    "ModelTimeoutException": "timeout",
    "ModelNotReadyException": "unavailable",
    "ServiceUnavailableException": "unavailable",
    "InternalServerException": "unavailable",
    "ModelErrorException": "unavailable",
    "AccessDeniedException": "misconfigured",
    "ValidationException": "misconfigured",
    "ResourceNotFoundException": "misconfigured",
    "UnrecognizedClientException": "misconfigured",
}


def runtime() -> Any:
    """The ``bedrock-runtime`` client for the configured region, timeout and attempts."""
    from khaya.aws import client

    cfg = ai_settings()
    return client(
        "bedrock-runtime",
        region=cfg.region,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=cfg.timeout_seconds,
        total_attempts=cfg.max_attempts,
    )


def data_block(tag: str, value: Any) -> str:
    """``value`` as JSON inside ``<tag>…</tag>``, with ``<``, ``>`` and ``&`` escaped so that
    nothing inside can end the block."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<{tag}>{text}</{tag}>"


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    schema: dict[str, Any]

    def config(self) -> dict[str, Any]:
        spec = {"name": self.name, "description": self.description, "inputSchema": {"json": self.schema}}
        return {"tools": [{"toolSpec": spec}], "toolChoice": {"tool": {"name": self.name}}}


def _call(operation: str, params: dict[str, Any]) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

    try:
        return getattr(runtime(), operation)(**params)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        raise ModelFailed(_REASONS.get(code, "unavailable"), code) from exc
    except (ReadTimeoutError, ConnectTimeoutError) as exc:
        raise ModelFailed("timeout", type(exc).__name__) from exc
    except BotoCoreError as exc:
        raise ModelFailed("unavailable", type(exc).__name__) from exc


def _tokens(feature: str, tokens_in: Any, tokens_out: Any = None) -> None:
    for direction, value in (("input", tokens_in), ("output", tokens_out)):
        if isinstance(value, int) and value >= 0:
            metric("AiTokens", value, feature=feature, direction=direction)


def converse_tool(feature: str, *, system: str, user_text: str, tool: Tool, max_tokens: int) -> dict[str, Any]:
    """The forced tool's ``input`` (not yet validated: the caller's model does that)."""
    cfg = ai_settings()
    params: dict[str, Any] = {
        "modelId": cfg.text_model_id,
        "system": [{"text": system}],
        "messages": [{"role": "user", "content": [{"text": user_text}]}],
        "toolConfig": tool.config(),
        "inferenceConfig": {"maxTokens": max_tokens, "temperature": 0},
    }
    if cfg.guardrail_id:
        params["guardrailConfig"] = {"guardrailIdentifier": cfg.guardrail_id, "guardrailVersion": cfg.guardrail_version}
    response = _call("converse", params)
    usage = response.get("usage") or {}
    _tokens(feature, usage.get("inputTokens"), usage.get("outputTokens"))
    stop = response.get("stopReason")
    if stop in ("guardrail_intervened", "content_filtered"):
        raise ModelFailed("refused", str(stop))
    content = ((response.get("output") or {}).get("message") or {}).get("content") or []
    for block in content:
        use = block.get("toolUse") if isinstance(block, dict) else None
        if use and use.get("name") == tool.name and isinstance(use.get("input"), dict):
            return dict(use["input"])
    raise ModelFailed("invalid", f"no {tool.name} call (stopReason {stop})")


def embed(feature: str, text: str) -> list[float]:
    """Titan Text Embeddings V2: 512 dimensions, normalised (so cosine is a dot product)."""
    cfg = ai_settings()
    body = json.dumps({"inputText": text, "dimensions": EMBEDDING_DIMENSIONS, "normalize": True})
    response = _call(
        "invoke_model",
        {
            "modelId": cfg.embedding_model_id,
            "contentType": "application/json",
            "accept": "application/json",
            "body": body,
        },
    )
    try:
        payload = json.loads(response["body"].read())
    except (KeyError, ValueError, AttributeError) as exc:
        raise ModelFailed("invalid", "embedding body is not JSON") from exc
    vector = payload.get("embedding") if isinstance(payload, dict) else None
    if (
        not isinstance(vector, list)
        or len(vector) != EMBEDDING_DIMENSIONS
        or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in vector)
    ):
        raise ModelFailed("invalid", "embedding is not 512 finite numbers")
    _tokens(feature, payload.get("inputTextTokenCount"))
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0:
        raise ModelFailed("invalid", "embedding is all zeros")
    return [float(v) / norm for v in vector]
