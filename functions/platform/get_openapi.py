"""GET /v1/openapi.json — the OpenAPI document generated from the function modules (public).

Served as the bytes shipped in the layer (``khaya/openapi.json``, written by ``make openapi``),
with no resolver and no pydantic on its cold start (``khaya.constant``). ``router`` declares the
route for the OpenAPI document only.
"""

from khaya import entry
from khaya.constant import respond
from khaya.routes import openapi_text

TYPE_CHECKING = False  # typing stays out of the cold start: its names are for the type checker
if TYPE_CHECKING:
    from typing import Any


@entry
def handler(event: "dict[str, Any]", context: "Any") -> "dict[str, Any]":
    return respond(event, context, openapi_text(), headers={"Cache-Control": "public, max-age=300"})


def __getattr__(name: str) -> "Any":
    """``router``: the route as the OpenAPI document describes it (built by ``make openapi`` only)."""
    if name != "router":
        raise AttributeError(name)
    from khaya.http import Response, Router

    router = Router()

    @router.get(
        "/v1/openapi.json",
        summary="OpenAPI document",
        tags=["platform"],
        responses={
            200: {"description": "This document", "content": {"application/json": {"schema": {"type": "object"}}}}
        },
    )
    def get_openapi() -> Response[str]:
        return handler(router.current_event.raw_event, router.lambda_context)

    return router
