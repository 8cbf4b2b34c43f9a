"""Bedrock in tests: moto has no Bedrock runtime, so botocore's own ``Stubber`` answers.

    stub = use_bedrock(monkeypatch)                  # AI_BACKEND=bedrock, a Stubber on the client
    stub.add_response("converse", tool_answer("price_suggestion", {...}), expected_params={...})
    ...call the route...
    stub.assert_no_pending_responses()

``times_out(monkeypatch)`` makes every Bedrock request time out on the wire instead (each
attempt botocore makes is counted), which the Stubber cannot do.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber


def _bedrock_settings(monkeypatch: pytest.MonkeyPatch) -> Any:
    from khaya.ai import bedrock
    from khaya.config import reset_settings

    monkeypatch.setenv("AI_BACKEND", "bedrock")
    monkeypatch.setenv("BEDROCK_REGION", "eu-central-1")
    monkeypatch.setenv("BEDROCK_TEXT_MODEL_ID", "eu.anthropic.claude-haiku-4-5-20251001-v1:0")
    monkeypatch.setenv("BEDROCK_EMBEDDING_MODEL_ID", "amazon.titan-embed-text-v2:0")
    reset_settings()
    return bedrock.runtime()


def use_bedrock(monkeypatch: pytest.MonkeyPatch) -> Stubber:
    stubber = Stubber(_bedrock_settings(monkeypatch))
    stubber.activate()
    return stubber


def times_out(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every Bedrock request times out reading its answer; returns the attempts made."""
    from botocore.exceptions import ReadTimeoutError

    client = _bedrock_settings(monkeypatch)
    attempts: list[str] = []

    def on_send(request: Any, **_: Any) -> None:
        attempts.append(request.url)
        raise ReadTimeoutError(endpoint_url=request.url)

    # First, ahead of moto's own before-send hook, which would answer for a service it lacks.
    client.meta.events.register_first("before-send.bedrock-runtime", on_send)
    return attempts


def tool_answer(name: str, tool_input: dict[str, Any], tokens: tuple[int, int] = (321, 45)) -> dict[str, Any]:
    """A ``converse`` response in which the model called tool ``name`` with ``tool_input``."""
    return {
        "output": {
            "message": {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": "tooluse_1", "name": name, "input": tool_input}}],
            }
        },
        "stopReason": "tool_use",
        "usage": {"inputTokens": tokens[0], "outputTokens": tokens[1], "totalTokens": sum(tokens)},
        "metrics": {"latencyMs": 420},
    }


def text_answer(text: str) -> dict[str, Any]:
    """A ``converse`` response with prose and no tool call."""
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 300, "outputTokens": 20, "totalTokens": 320},
        "metrics": {"latencyMs": 380},
    }


def embedding_answer(vector: list[float], tokens: int = 7) -> dict[str, Any]:
    """An ``invoke_model`` response of Titan Text Embeddings V2."""
    raw = json.dumps({"embedding": vector, "inputTextTokenCount": tokens}).encode()
    return {"body": StreamingBody(io.BytesIO(raw), len(raw)), "contentType": "application/json"}


def emitted_metrics(stdout: str, name: str) -> list[dict[str, Any]]:
    """The EMF records named ``name`` a test's stdout holds."""
    found = []
    for line in stdout.splitlines():
        if line.startswith("{") and f'"{name}"' in line:
            record = json.loads(line)
            if name in record:
                found.append(record)
    return found
