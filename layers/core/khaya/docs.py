"""The Swagger UI page of ``GET /v1/docs``: one self-contained page, built from Powertools' assets.

Powertools ships Swagger UI (``swagger-ui-bundle.min.js``, ``swagger-ui.min.css``) for its own
``enable_swagger()``. The page inlines both, so it loads with no network beyond this API (it
works offline, and no third-party script runs on our origin), and then fetches
``openapi.json`` beside it. Its Content-Security-Policy allows exactly the page's own inline
script and style (by SHA-256), images from data: URIs (Swagger UI's icons) and requests to
this origin ("Try it out" and the document): nothing else.

The page depends only on the installed Powertools files, not on the routes, so it is a constant:
``page()`` builds it once per container without importing pydantic or the resolver, and a
build step can write ``page_bytes()`` out ahead of time.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path

# Swagger UI's own start-up, with its call-home to validator.swagger.io turned off.
INIT_SCRIPT = (
    'window.ui = SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true, '
    'validatorUrl: null, presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"});'
)

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Khaya API</title>
<link rel="icon" href="data:,">
<style>{css}</style>
</head>
<body>
<div id="swagger-ui"></div>
<script>{js}</script>
<script>{init}</script>
</body>
</html>
"""


def assets_dir() -> Path:
    """Where Powertools keeps its Swagger UI files (found without importing Powertools)."""
    spec = importlib.util.find_spec("aws_lambda_powertools")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("aws_lambda_powertools is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "event_handler" / "openapi" / "swagger_ui"


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


@lru_cache(maxsize=1)
def page() -> tuple[str, str]:
    """The HTML page and the Content-Security-Policy that lets exactly it run."""
    folder = assets_dir()
    js = (folder / "swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    css = (folder / "swagger-ui.min.css").read_text(encoding="utf-8")
    if "</script" in js.lower() or "</style" in css.lower():
        raise RuntimeError("Swagger UI assets cannot be inlined as they are")
    html = _TEMPLATE.format(css=css, js=js, init=INIT_SCRIPT)
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_sha256(js)} {_sha256(INIT_SCRIPT)}",
            f"style-src {_sha256(css)}",
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    return html, csp


@lru_cache(maxsize=2)
def page_bytes(gzipped: bool = False) -> bytes:
    raw = page()[0].encode("utf-8")
    return gzip.compress(raw, compresslevel=6, mtime=0) if gzipped else raw
