"""GET /v1/docs — Swagger UI for the API (public): a self-contained page, see ``khaya.docs``."""

from aws_lambda_powertools.event_handler import Response

from khaya import docs
from khaya.http import Router, make_handler

router = Router()


@router.get(
    "/v1/docs",
    summary="Swagger UI",
    description="A self-contained page (no CDN): it loads `openapi.json` from beside it.",
    tags=["platform"],
    responses={200: {"description": "The Swagger UI page", "content": {"text/html": {"schema": {"type": "string"}}}}},
)
def get_docs() -> Response[str | bytes]:
    gzipped = "gzip" in (router.current_event.headers.get("accept-encoding") or "").lower()
    headers = {
        "Content-Security-Policy": docs.page()[1],
        "Cache-Control": "public, max-age=300",
        "Vary": "Accept-Encoding",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    body: str | bytes = docs.page_bytes(gzipped=True) if gzipped else docs.page()[0]
    return Response(200, content_type="text/html; charset=utf-8", body=body, headers=headers)


handler = make_handler(router, validation=False)
