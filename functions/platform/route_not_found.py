"""$default route: unmatched requests get 404 or 405 in the API's error envelope.

Without it API Gateway answers its own bare ``{"message":"Not Found"}``. Public: a request
that matches no route has no route to authorize. No resolver and no pydantic here
(``khaya.constant``): the route table is read from the OpenAPI document in the layer.
"""

from khaya import entry
from khaya.constant import error_response
from khaya.errors import MethodNotAllowed, NotFound
from khaya.routes import allowed_methods

TYPE_CHECKING = False  # typing stays out of the cold start: its names are for the type checker
if TYPE_CHECKING:
    from typing import Any


@entry
def handler(event: "dict[str, Any]", context: "Any") -> "dict[str, Any]":
    ctx = event.get("requestContext") or {}
    method = str((ctx.get("http") or {}).get("method", "GET")).upper()
    path = str(event.get("rawPath") or (ctx.get("http") or {}).get("path") or "/")
    allowed = allowed_methods(path)
    rid = ctx.get("requestId")
    if allowed and method not in allowed:
        allow = ", ".join(sorted(allowed))
        return error_response(MethodNotAllowed(f"Use {allow} on this path.", headers={"Allow": allow}), rid)
    return error_response(NotFound("No route matches this path.", code="route_not_found"), rid)
