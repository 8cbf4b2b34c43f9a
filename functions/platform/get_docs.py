"""GET /v1/docs — Swagger UI for the API (public): a self-contained page, see ``khaya.docs``.

A constant built with the layer: the handler reads bytes (``khaya.constant``), with no resolver
and no pydantic on its cold start. ``router`` declares the route for the OpenAPI document only.
"""

from khaya import docs, entry
from khaya.constant import respond

HEADERS = {
    "Cache-Control": "public, max-age=300",
    "Vary": "Accept-Encoding",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

TYPE_CHECKING = False  # typing stays out of the cold start: its names are for the type checker
if TYPE_CHECKING:
    from typing import Any


@entry
def handler(event: "dict[str, Any]", context: "Any") -> "dict[str, Any]":
    headers = {"Content-Security-Policy": docs.page()[1], **HEADERS}
    if "gzip" in ((event.get("headers") or {}).get("accept-encoding") or "").lower():
        import base64

        body = base64.b64encode(docs.page_bytes(gzipped=True)).decode("ascii")
        headers["Content-Encoding"] = "gzip"
        return respond(event, context, body, content_type="text/html; charset=utf-8", headers=headers, is_base64=True)
    return respond(event, context, docs.page()[0], content_type="text/html; charset=utf-8", headers=headers)


def __getattr__(name: str) -> "Any":
    """``router``: the route as the OpenAPI document describes it (built by ``make openapi`` only)."""
    if name != "router":
        raise AttributeError(name)
    from khaya.http import Response, Router

    router = Router()

    @router.get(
        "/v1/docs",
        summary="Swagger UI",
        description="A self-contained page (no CDN): it loads `openapi.json` from beside it.",
        tags=["platform"],
        responses={
            200: {"description": "The Swagger UI page", "content": {"text/html": {"schema": {"type": "string"}}}}
        },
    )
    def get_docs() -> Response[str | bytes]:
        return handler(router.current_event.raw_event, router.lambda_context)

    return router
