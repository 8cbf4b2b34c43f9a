"""Local-only routes under ``/_dev/...``: they exist in the local gateway, never in template.yaml.

Register one (in this file, or in a module listed in ``EXTENSIONS``) with::

    @dev_route("GET", "/_dev/outbox")
    def outbox(event: dict, ctx: DevContext) -> Any:
        return {"items": [...]}

``event`` is the same HTTP API v2 event a function gets; the return value is mapped back
like a Lambda result (a ``{"statusCode", "headers", "body"}`` dict, or any JSON value →
200). They run without the authorizer: they are tools for a developer on their machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PREFIX = "/_dev/"

# Modules whose import registers more dev routes (e.g. a fake provider's outbox). Add one
# line here; the gateway imports them at start-up.
EXTENSIONS: tuple[str, ...] = (
    "local.dev_outbox",  # identity: GET /_dev/outbox
    "local.payment_simulator",  # payments: /_dev/pay, /_dev/transfers, the providers' APIs
)


@dataclass
class DevContext:
    """What a dev route may want to know about the running gateway."""

    endpoint_url: str  # moto's server
    table_name: str
    routes: list[dict[str, Any]] = field(default_factory=list)  # served routes, for /_dev/routes
    # Invoke a template function in its own container: invoke(logical_id, event) -> its result.
    invoke: Callable[[str, dict[str, Any]], Any] | None = None
    pollers: list[Any] = field(default_factory=list)  # the stream and queue pollers (local.polling), once they run


SETTLE_PASSES = 3
DevHandler = Callable[[dict[str, Any], DevContext], Any]
_ROUTES: dict[tuple[str, str], DevHandler] = {}


def dev_route(method: str, path: str) -> Callable[[DevHandler], DevHandler]:
    if not path.startswith(PREFIX):
        raise ValueError(f"dev routes live under {PREFIX}: {path}")

    def register(fn: DevHandler) -> DevHandler:
        _ROUTES[(method.upper(), path)] = fn
        return fn

    return register


def load_extensions() -> None:
    import importlib

    for name in EXTENSIONS:
        importlib.import_module(name)


def find(method: str, path: str) -> DevHandler | None:
    """The handler for ``method path``; a registered path may hold ``{name}`` parts
    (``/_dev/pay/{reference}``), which the handler reads with ``path_params``."""
    exact = _ROUTES.get((method.upper(), path))
    if exact is not None:
        return exact
    from local.events import match_path

    for (m, template), fn in _ROUTES.items():
        if m == method.upper() and "{" in template and match_path(template, path) is not None:
            return fn
    return None


def path_params(template: str, event: dict[str, Any]) -> dict[str, str]:
    from local.events import match_path

    return match_path(template, str(event.get("rawPath") or "")) or {}


def paths() -> set[str]:
    return {p for _, p in _ROUTES}


def registered() -> list[tuple[str, str]]:
    return sorted(_ROUTES)


@dev_route("GET", "/_dev/routes")
def list_routes(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    dev = [{"method": m, "path": p, "function": None, "public": True} for m, p in registered()]
    return {"routes": ctx.routes + dev}


@dev_route("POST", "/_dev/streams/settle")
def settle_streams(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    """Answer once the stream and queue consumers are idle (what they wrote delivered too): 200, or
    503 after ``timeout`` seconds (query, default 30). For a test that must not measure a request
    while a consumer still works on an earlier one."""
    import json

    raw = (event.get("queryStringParameters") or {}).get("timeout") or "30"
    timeout = max(0.0, min(120.0, float(raw))) if raw.replace(".", "", 1).isdigit() else 30.0
    deadline = time.monotonic() + timeout
    # A stream record becomes a queue message, and a consumer's write a stream record again:
    # each pass settles every poller in that order, and a few passes follow such chains.
    idle = True
    for _ in range(SETTLE_PASSES):
        for poller in ctx.pollers:
            idle = idle and poller.settle(max(0.0, deadline - time.monotonic()))
    status = 200 if idle else 503
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps({"idle": idle})}
