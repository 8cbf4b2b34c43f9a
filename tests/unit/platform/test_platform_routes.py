"""The public platform routes: OpenAPI, docs, and what an unknown route answers."""

import json


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
