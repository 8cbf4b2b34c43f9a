"""The public platform routes: OpenAPI, docs, and what an unknown route answers."""

import base64
import gzip
import hashlib
import json
import re


def test_openapi_route_serves_a_valid_openapi_3_document(call_route):
    res = call_route("GET", "/v1/openapi.json")
    assert res.status == 200
    assert res.headers["content-type"].startswith("application/json")
    assert res.json["openapi"].startswith("3.")
    assert "/v1/health" in res.json["paths"]


def test_docs_route_serves_swagger_ui_pointing_at_the_document(call_route):
    res = call_route("GET", "/v1/docs")
    assert res.status == 200
    assert res.headers["content-type"].startswith("text/html")
    assert "SwaggerUIBundle" in res.text and 'url: "openapi.json"' in res.text
    assert "frame-ancestors 'none'" in res.headers["content-security-policy"]


def _directives(csp: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in csp.split(";") if part.strip())}


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_docs_page_loads_nothing_from_elsewhere_and_its_csp_allows_exactly_its_own_code(call_route):
    # Given the docs page as served
    res = call_route("GET", "/v1/docs")
    page = res.text
    # Then it references no other host (it works offline, no third-party script runs)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"<(?:script|link)[^>]*\b(?:src|href)=(?!\"data:)", page, re.IGNORECASE)
    # And its policy runs exactly its inline scripts and style, by hash, and talks only to this API
    csp = _directives(res.headers["content-security-policy"])
    scripts = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    styles = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    assert len(scripts) == 2 and len(styles) == 1
    assert sorted(csp["script-src"]) == sorted(_sha256(s) for s in scripts)
    assert csp["style-src"] == [_sha256(styles[0])]
    assert csp["default-src"] == ["'none'"] and csp["connect-src"] == ["'self'"]
    assert not any("unsafe" in v or "http" in v or "*" in v for values in csp.values() for v in values)


def test_docs_page_is_gzipped_for_clients_that_accept_it(call_route):
    plain = call_route("GET", "/v1/docs")
    # When a browser asks for gzip / Then it gets the same page in a quarter of the bytes
    zipped = call_route("GET", "/v1/docs", headers={"accept-encoding": "gzip, deflate, br"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.raw["isBase64Encoded"] is True
    raw = base64.b64decode(zipped.raw["body"])
    assert gzip.decompress(raw).decode() == plain.text
    assert len(raw) < len(plain.text.encode()) / 3
    assert "Accept-Encoding" in zipped.headers["vary"]


def test_wrong_method_on_a_known_path_is_405_with_allow(call_route):
    res = call_route("POST", "/v1/health", body="{", headers={"content-type": "application/json"})
    assert res.status == 405
    assert res.json["error"]["code"] == "method_not_allowed"
    assert res.headers["allow"] == "GET"
    assert res.json["requestId"] == res.headers["x-request-id"]


def test_unknown_path_is_404_in_the_envelope(call_route):
    res = call_route("GET", "/v1/../../etc/passwd")
    assert res.status == 404
    assert json.loads(res.text) == {
        "error": {"code": "route_not_found", "message": "No route matches this path."},
        "requestId": res.headers["x-request-id"],
    }
