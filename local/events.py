"""Build API Gateway HTTP API (payload 2.0) events exactly as the gateway does.

Used by the local gateway, the tests and the benchmarks, so all three send handlers the
shape AWS sends: lowercased headers (repeats comma-joined), ``rawPath``,
``rawQueryString``, ``cookies``, ``pathParameters``, base64 bodies for non-text content,
``requestContext.http.sourceIp``, a ``requestId`` and ``authorizer.lambda``.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

_TEXT_TYPES = re.compile(r"^(text/|application/(json|.*\+json|xml|.*\+xml|javascript))", re.I)


def match_path(template_path: str, path: str) -> dict[str, str] | None:
    """``/v1/jobs/{id}`` against ``/v1/jobs/123`` → ``{"id": "123"}``; ``None`` if no match."""
    if template_path == "$default":
        return None
    pattern = re.sub(
        r"\\\{([A-Za-z0-9_]+)(\\\+)?\\\}",
        lambda m: f"(?P<{m.group(1)}>{'.+' if m.group(2) else '[^/]+'})",  # {proxy+} is greedy
        re.escape(template_path),
    )
    hit = re.fullmatch(pattern, path)
    return hit.groupdict() if hit else None


def http_event(
    method: str,
    path: str,
    *,
    route_path: str | None = None,
    query: str = "",
    headers: Iterable[tuple[str, str]] | Mapping[str, str] | None = None,
    body: bytes | str | dict[str, Any] | list[Any] | None = None,
    source_ip: str = "127.0.0.1",
    authorizer: Mapping[str, Any] | None = None,
    stage: str = "$default",
    request_id: str | None = None,
) -> dict[str, Any]:
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers or [])
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        if not any(k.lower() == "content-type" for k, _ in pairs):
            pairs.append(("content-type", "application/json"))
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for key, value in pairs:
        lk = key.lower()
        if lk == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        merged[lk] = f"{merged[lk]},{value}" if lk in merged else value
    ctype = merged.get("content-type", "")
    event_body: str | None = None
    is_b64 = False
    if body is not None and body != b"" and body != "":
        raw = body if isinstance(body, bytes) else body.encode("utf-8")
        if ctype and _TEXT_TYPES.match(ctype):
            try:
                event_body = raw.decode("utf-8")
            except UnicodeDecodeError:
                event_body, is_b64 = base64.b64encode(raw).decode("ascii"), True
        else:
            # HTTP API base64-encodes everything that is not text, forms included.
            event_body, is_b64 = base64.b64encode(raw).decode("ascii"), True
        merged.setdefault("content-length", str(len(raw)))
    route = route_path or path
    now = datetime.now(UTC)
    rid = request_id or uuid.uuid4().hex[:20]
    qs: dict[str, str] = {}
    for k, v in parse_qsl(query, keep_blank_values=True):
        qs[k] = f"{qs[k]},{v}" if k in qs else v
    params = match_path(route, path) if route != path else None
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default" if route == "$default" else f"{method.upper()} {route}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": merged,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": merged.get("host", "localhost"),
            "domainPrefix": "localhost",
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": rid,
            "routeKey": "$default" if route == "$default" else f"{method.upper()} {route}",
            "stage": stage,
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": is_b64,
    }
    if cookies:
        event["cookies"] = cookies
    if qs:
        event["queryStringParameters"] = qs
    if params:
        event["pathParameters"] = params
    if event_body is not None:
        event["body"] = event_body
    if authorizer is not None:
        event["requestContext"]["authorizer"] = {"lambda": dict(authorizer)}
    return event


def authorizer_event(
    method: str, path: str, route_path: str, headers: Mapping[str, str], source_ip: str
) -> dict[str, Any]:
    """The REQUEST authorizer event (payload 2.0) the gateway sends before a protected route."""
    ev = http_event(method, path, route_path=route_path, headers=headers, source_ip=source_ip)
    ev["type"] = "REQUEST"
    ev["routeArn"] = f"arn:aws:execute-api:af-south-1:123456789012:local/$default/{method.upper()}{path}"
    auth = ev["headers"].get("authorization")
    ev["identitySource"] = [auth] if auth else []
    return ev


class LambdaContext:
    """Enough of the Lambda context object for Powertools and the handlers."""

    def __init__(self, function_name: str = "local", memory_mb: int = 256, timeout_s: int = 10) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:af-south-1:123456789012:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main(argv: list[str] | None = None) -> int:
    """``python -m local.events POST /v1/jobs --route /v1/jobs --body '{...}' --user u1 --role client``

    Prints a real-shaped HTTP API v2 event, to save under ``events/<domain>/<verb_noun>.json``.
    """
    import argparse

    parser = argparse.ArgumentParser(description="Print an API Gateway HTTP API (v2) event.")
    parser.add_argument("method")
    parser.add_argument("path")
    parser.add_argument("--route", help="route template, e.g. /v1/jobs/{id} (default: the path)")
    parser.add_argument("--query", default="")
    parser.add_argument("--body", help="JSON text")
    parser.add_argument("--header", action="append", default=[], help="Name: value")
    parser.add_argument("--user", help="authorizer context userId")
    parser.add_argument("--role", default="client")
    args = parser.parse_args(argv)
    headers = [tuple(h.split(":", 1)) for h in args.header]
    headers = [(k.strip(), v.strip()) for k, v in headers]
    headers += [("user-agent", "Mozilla/5.0 (khaya-app)"), ("host", "api.khaya.example")]
    if args.body is not None and not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("content-type", "application/json"))
    event = http_event(
        args.method,
        args.path,
        route_path=args.route,
        query=args.query,
        headers=headers,
        body=args.body,
        source_ip="198.51.100.24",
        authorizer={"userId": args.user, "role": args.role} if args.user else None,
        request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    )
    event["requestContext"]["apiId"] = "a1b2c3d4e5"
    event["requestContext"]["domainName"] = "api.khaya.example"
    event["requestContext"]["domainPrefix"] = "api"
    print(json.dumps(event, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
