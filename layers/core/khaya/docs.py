"""The Swagger UI page of ``GET /v1/docs``: one self-contained page, built from Powertools' assets.

Powertools ships Swagger UI (``swagger-ui-bundle.min.js``, ``swagger-ui.min.css``) for its own
``enable_swagger()``. The page inlines both, so it loads with no network beyond this API (it
works offline, and no third-party script runs on our origin), and then fetches
``openapi.json`` beside it. Its Content-Security-Policy allows exactly the page's own inline
script and style (by SHA-256), images from data: URIs (Swagger UI's icons) and requests to
this origin ("Try it out" and the document): nothing else.

The page depends only on the Powertools files in the layer, not on the routes, so it is a
constant, built when the layer is built: ``make build`` runs ``write_built(layer)``, which
writes the page, its gzipped bytes and its policy into ``khaya/_built/`` inside the built
layer (from that layer's own Powertools assets). The function then only reads bytes. Where
those files are absent (the source tree: tests, ``make run``) ``page()`` builds the same
page once per process from the installed Powertools.
"""

from __future__ import annotations

import os
from functools import lru_cache

BUILT_DIR = os.path.join(os.path.dirname(__file__), "_built")
_FILES = {"html": "docs.html", "gzip": "docs.html.gz", "csp": "docs.csp"}

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


def assets_dir() -> str:
    """Where the installed Powertools keeps its Swagger UI files (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("aws_lambda_powertools")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("aws_lambda_powertools is not installed")
    return os.path.join(next(iter(spec.submodule_search_locations)), "event_handler", "openapi", "swagger_ui")


def _sha256(text: str) -> str:
    import base64
    import hashlib

    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def render(assets: str) -> tuple[str, str]:
    """The HTML page made of the Swagger UI files in ``assets``, and the Content-Security-Policy
    that lets exactly it run."""

    def read(name: str) -> str:
        with open(os.path.join(assets, name), encoding="utf-8") as fh:
            return fh.read()

    js, css = read("swagger-ui-bundle.min.js"), read("swagger-ui.min.css")
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


def gzip_bytes(html: str) -> bytes:
    import gzip

    return gzip.compress(html.encode("utf-8"), compresslevel=9, mtime=0)


def _read_built(kind: str) -> bytes | None:
    try:
        with open(os.path.join(BUILT_DIR, _FILES[kind]), "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


@lru_cache(maxsize=1)
def page() -> tuple[str, str]:
    """The HTML page and the Content-Security-Policy that lets exactly it run."""
    html, csp = _read_built("html"), _read_built("csp")
    if html is not None and csp is not None:
        return html.decode("utf-8"), csp.decode("ascii")
    return render(assets_dir())


@lru_cache(maxsize=2)
def page_bytes(gzipped: bool = False) -> bytes:
    if gzipped:
        return _read_built("gzip") or gzip_bytes(page()[0])
    return page()[0].encode("utf-8")


def write_built(layer_dir: str) -> list[str]:
    """Write the page, its gzipped bytes and its policy into ``<layer_dir>/khaya/_built/``, made
    from the Powertools assets of that same layer (what the function will ship with)."""
    assets = os.path.join(layer_dir, "aws_lambda_powertools", "event_handler", "openapi", "swagger_ui")
    html, csp = render(assets)
    out_dir = os.path.join(layer_dir, "khaya", "_built")
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for kind, data in (("html", html.encode("utf-8")), ("gzip", gzip_bytes(html)), ("csp", csp.encode("ascii"))):
        path = os.path.join(out_dir, _FILES[kind])
        with open(path, "wb") as fh:
            fh.write(data)
        written.append(path)
    return written
