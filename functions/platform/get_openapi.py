"""GET /v1/openapi.json — the OpenAPI document generated from the function modules (public)."""

from aws_lambda_powertools.event_handler import Response

from khaya.http import Router, make_handler
from khaya.routes import openapi_text

router = Router()


@router.get(
    "/v1/openapi.json",
    summary="OpenAPI document",
    tags=["platform"],
    responses={200: {"description": "This document", "content": {"application/json": {"schema": {"type": "object"}}}}},
)
def get_openapi() -> Response[str]:
    # Served as pre-rendered text: parsing and re-serialising it per request buys nothing.
    return Response(
        status_code=200,
        content_type="application/json",
        body=openapi_text(),
        headers={"Cache-Control": "public, max-age=300"},
    )


handler = make_handler(router, validation=False)
