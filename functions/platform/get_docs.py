"""GET /v1/docs — Swagger UI for the API (public)."""

from aws_lambda_powertools.event_handler import Response

from khaya.http import Router, make_handler

router = Router()

SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.17.14"
PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Khaya API</title>
  <link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{SWAGGER_UI}/swagger-ui-bundle.js" crossorigin="anonymous"></script>
  <script>
    window.ui = SwaggerUIBundle({{url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true}});
  </script>
</body>
</html>
"""
CSP = (
    "default-src 'none'; "
    f"script-src 'unsafe-inline' {SWAGGER_UI}/; style-src 'unsafe-inline' {SWAGGER_UI}/; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


@router.get(
    "/v1/docs",
    summary="Swagger UI",
    tags=["platform"],
    responses={200: {"description": "The Swagger UI page", "content": {"text/html": {"schema": {"type": "string"}}}}},
)
def get_docs() -> Response[str]:
    return Response(
        status_code=200,
        content_type="text/html; charset=utf-8",
        body=PAGE,
        headers={"Content-Security-Policy": CSP, "Cache-Control": "public, max-age=300", "X-Frame-Options": "DENY"},
    )


handler = make_handler(router, validation=False)
