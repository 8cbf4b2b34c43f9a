"""The constant routes answer from what the build wrote, and the build writes what they would make.

``GET /v1/docs`` is a constant page: ``make build`` writes it, gzipped and with its policy, into
the built layer (``local/build_constants.py`` → ``khaya.docs.write_built``), and the function
only reads those bytes. Without them (the source tree) it makes the same page itself.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest

from khaya import docs
from local.cfn import ROOT


@pytest.fixture
def built_layer(tmp_path, monkeypatch):
    """A built layer's python/ folder with this Powertools in it, and khaya.docs reading from it."""
    layer = tmp_path / "python"
    (layer / "khaya").mkdir(parents=True)
    assets_root = docs.assets_dir().rsplit("/event_handler/", 1)[0]
    (layer / "aws_lambda_powertools").symlink_to(assets_root)
    monkeypatch.setattr(docs, "BUILT_DIR", str(layer / "khaya" / "_built"))
    docs.page.cache_clear()
    docs.page_bytes.cache_clear()
    yield layer
    docs.page.cache_clear()
    docs.page_bytes.cache_clear()


def test_the_build_writes_the_page_the_function_would_make(built_layer):
    # When the build step runs on a layer
    out = subprocess.run(
        [sys.executable, "-m", "local.build_constants", str(built_layer)], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    built = built_layer / "khaya" / "_built"
    # Then it wrote the very page, policy and gzipped bytes made at request time from the same assets
    html, csp = docs.render(docs.assets_dir())
    assert (built / "docs.html").read_text(encoding="utf-8") == html
    assert (built / "docs.csp").read_text(encoding="ascii") == csp
    assert gzip.decompress((built / "docs.html.gz").read_bytes()).decode("utf-8") == html


def test_the_docs_route_serves_the_built_bytes(built_layer, call_route):
    # Given a built layer whose page carries a mark only the build step put there
    docs.write_built(str(built_layer))
    page = built_layer / "khaya" / "_built" / "docs.html"
    page.write_text(page.read_text(encoding="utf-8") + "<!-- built -->", encoding="utf-8")
    # When a browser asks for the docs
    res = call_route("GET", "/v1/docs")
    # Then it gets the built page as it is, with the built policy
    assert res.status == 200 and res.text.endswith("<!-- built -->")
    assert res.headers["content-security-policy"] == (built_layer / "khaya" / "_built" / "docs.csp").read_text()


def test_the_openapi_route_serves_the_documents_bytes(call_route):
    res = call_route("GET", "/v1/openapi.json")
    assert res.status == 200
    assert res.text == (ROOT / "layers" / "core" / "khaya" / "openapi.json").read_text(encoding="utf-8")
    assert json.loads(res.text)["paths"]
    assert res.headers["x-request-id"] and res.headers["cache-control"] == "public, max-age=300"
