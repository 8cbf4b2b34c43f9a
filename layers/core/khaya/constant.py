"""Handlers for the routes whose answer is fixed when the layer is built.

``GET /v1/openapi.json``, ``GET /v1/docs`` and the ``$default`` route (404/405) answer from
bytes shipped in the layer. Their handlers import neither Powertools' resolver nor pydantic,
only what the runtime's JSON support has loaded anyway, so their cold start is the
interpreter's own. They keep the house rules of every other route: ``X-Request-Id`` on every
answer, errors in the envelope of API.md, and one structured log line per request with the
request id (the fields ``khaya.http.make_handler`` logs).

A function module built on this module still declares its route with ``khaya.http.Router``
for the OpenAPI document, inside a module ``__getattr__`` that only ``make openapi`` calls:
the document stays generated from the code, and the running function never builds it.
"""

from __future__ import annotations

import json
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from khaya.errors import AppError

JSON = "application/json"


def request_id(event: dict[str, Any], context: Any) -> str | None:
    rid = (event.get("requestContext") or {}).get("requestId") or getattr(context, "aws_request_id", None)
    return str(rid) if rid else None


def log_request(event: dict[str, Any], rid: str | None, status: int) -> None:
    """The ``request`` line ``khaya.http.make_handler`` writes, without loading a logger."""
    from khaya.config import settings

    now = time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now)) + f",{int(now % 1 * 1000):03d}+0000"
    line = {
        "level": "INFO",
        "location": "handler",
        "message": "request",
        "timestamp": stamp,
        "service": settings().service,
        "correlation_id": rid,
        "method": ((event.get("requestContext") or {}).get("http") or {}).get("method"),
        "route": event.get("routeKey"),
        "status": status,
    }
    sys.stdout.write(json.dumps(line, separators=(",", ":")) + "\n")


def respond(
    event: dict[str, Any],
    context: Any,
    body: str,
    *,
    content_type: str = JSON,
    headers: dict[str, str] | None = None,
    is_base64: bool = False,
    status: int = 200,
) -> dict[str, Any]:
    """A complete API Gateway v2 response, logged. ``is_base64``: ``body`` is the base64 of bytes."""
    rid = request_id(event, context)
    result = {
        "statusCode": status,
        "body": body,
        "isBase64Encoded": is_base64,
        "headers": {"Content-Type": content_type, **(headers or {}), "X-Request-Id": rid or ""},
        "cookies": [],
    }
    log_request(event, rid, status)
    return result


def error_response(exc: AppError, rid: str | None) -> dict[str, Any]:
    """The error envelope as a complete API Gateway v2 response (for handlers without a resolver)."""
    return {
        "statusCode": exc.status,
        "headers": {"Content-Type": JSON, "Cache-Control": "no-store", "X-Request-Id": rid or "", **exc.headers},
        "body": json.dumps(exc.to_body(rid), separators=(",", ":")),
        "isBase64Encoded": False,
    }
