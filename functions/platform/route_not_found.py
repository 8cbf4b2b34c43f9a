"""$default route: unmatched requests get 404 or 405 in the API's error envelope.

Without it API Gateway answers its own bare ``{"message":"Not Found"}``. Public: a request
that matches no route has no route to authorize. No resolver here, to stay cheap.
"""

from typing import Any

from khaya.errors import MethodNotAllowed, NotFound
from khaya.http import error_response
from khaya.routes import allowed_methods


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ctx = event.get("requestContext") or {}
    method = str((ctx.get("http") or {}).get("method", "GET")).upper()
    path = str(event.get("rawPath") or (ctx.get("http") or {}).get("path") or "/")
    allowed = allowed_methods(path)
    rid = ctx.get("requestId")
    if allowed and method not in allowed:
        allow = ", ".join(sorted(allowed))
        return error_response(MethodNotAllowed(f"Use {allow} on this path.", headers={"Allow": allow}), rid)
    return error_response(NotFound("No route matches this path.", code="route_not_found"), rid)
