"""The OpenAPI document is the deployed route set, and it is current."""

import json

from khaya.routes import OPENAPI_PATH
from local.cfn import functions
from local.openapi import build, render

DOC = json.loads(OPENAPI_PATH.read_text())
METHODS = {"get", "put", "post", "delete", "patch"}


def template_routes() -> set[tuple[str, str]]:
    return {(r.method, r.path) for fn in functions() for r in fn.routes if r.path != "$default"}


def document_routes() -> set[tuple[str, str]]:
    return {(m.upper(), p) for p, ops in DOC["paths"].items() for m in ops if m in METHODS}


def test_route_set_of_template_equals_path_set_of_document():
    # Given template.yaml and the served OpenAPI document / Then they name the same routes
    assert template_routes() == document_routes()


def test_document_is_regenerated_from_the_code():
    # Given the function modules as they are / When the document is generated again
    # Then it is byte-for-byte the one shipped in the layer (run `make openapi` if not)
    assert render(build()) == OPENAPI_PATH.read_text()


def test_public_routes_need_no_token_and_the_rest_need_a_bearer_token():
    public = {(r.method, r.path) for fn in functions() for r in fn.routes if r.public and r.path != "$default"}
    for path, ops in DOC["paths"].items():
        for method, op in ops.items():
            if method not in METHODS:
                continue
            if (method.upper(), path) in public:
                assert op["security"] == [], (method, path)
            else:
                assert op.get("security", DOC["security"]) == [{"bearer": []}], (method, path)


def test_every_operation_documents_the_error_envelope():
    for ops in DOC["paths"].values():
        for op in ops.values():
            ref = op["responses"]["4XX"]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/ErrorEnvelope"
