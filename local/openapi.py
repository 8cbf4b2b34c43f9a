"""Generate the OpenAPI document from the function modules.

Every function with an HTTP route in template.yaml exposes ``router`` (or its handler has
``.router``); their routes are gathered into one Powertools resolver, whose generated
schema is completed with what the code cannot say by itself: which routes are public,
the bearer scheme, and the error envelope on every operation. The result is written to
``layers/core/khaya/openapi.json`` (shipped in the layer, served at /v1/openapi.json).

    python -m local.openapi --write     # regenerate
    python -m local.openapi --check     # exit 1 if the committed document is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from local.cfn import functions, load_template
from local.loader import ensure_paths, load_module

ENVELOPE = {
    "type": "object",
    "required": ["error", "requestId"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "examples": ["validation_error"]},
                "message": {"type": "string"},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"field": {"type": "string"}, "issue": {"type": "string"}},
                    },
                },
            },
        },
        "requestId": {"type": ["string", "null"]},
    },
}


# API Gateway's own answers, which HTTP API does not let us reshape: no Authorization header
# (401 Unauthorized), stage throttling (429 Too Many Requests), a function that failed or timed
# out (500 Internal Server Error, 503 Service Unavailable), a body over 10 MB (413).
GATEWAY_ERROR = {
    "type": "object",
    "required": ["message"],
    "additionalProperties": False,
    "properties": {"message": {"type": "string", "examples": ["Unauthorized", "Too Many Requests"]}},
    "description": "An answer of API Gateway itself (no function ran): it has no error code and no requestId.",
}
_EITHER = {"oneOf": [{"$ref": "#/components/schemas/ErrorEnvelope"}, {"$ref": "#/components/schemas/GatewayError"}]}
EITHER = {"application/json": {"schema": _EITHER}}
# Shared responses, referenced by every operation (components.responses).
RESPONSES = {
    "Unauthorized": {
        "description": 'No `Authorization` header: API Gateway\'s own `{"message": "Unauthorized"}`. An '
        "invalid, expired or revoked token: the error envelope (`unauthorized`). Either way: refresh, or sign in.",
        "content": EITHER,
    },
    "ClientError": {
        "description": "Client error, in the error envelope (429 from stage throttling and 413 over 10 MB are "
        "API Gateway's own `GatewayError`)",
        "content": EITHER,
    },
    "ServerError": {
        "description": "Server or upstream error, in the error envelope (a function that failed or timed out "
        "is API Gateway's own `GatewayError`)",
        "content": EITHER,
    },
}


def build() -> dict[str, Any]:
    ensure_paths()
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from khaya import __version__

    app = APIGatewayHttpResolver(enable_validation=True)
    public: set[tuple[str, str]] = set()
    for fn in sorted(functions(), key=lambda f: f.logical_id):
        routes = [r for r in fn.routes if r.path != "$default"]
        if not routes:
            continue
        module = load_module(fn)
        router = getattr(module, "router", None) or getattr(getattr(module, "handler", None), "router", None)
        if router is None:
            raise SystemExit(f"{fn.module_path}: no `router` to document")
        app.include_router(router)
        public |= {(r.method.lower(), r.path) for r in routes if r.public}

    version = str(load_template()["Parameters"]["AppVersion"]["Default"]) or __version__
    schema = json.loads(
        app.get_openapi_json_schema(
            title="Khaya API",
            version=version,
            summary="Local-services marketplace: jobs, bids, escrowed payments, phone sign-in.",
            description=(
                "The HTTP contract of the Khaya backend. Money is `{amount: int minor units, currency}`; "
                "errors use the envelope in `components.schemas.ErrorEnvelope`; every answer of a function "
                "carries `X-Request-Id`. API Gateway's own answers (`components.schemas.GatewayError`: no "
                "`Authorization` header, stage throttling, a function that failed) carry `apigw-requestid`."
            ),
            security_schemes={"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            security=[{"bearer": []}],
        )
    )
    schema.setdefault("components", {}).setdefault("schemas", {})["ErrorEnvelope"] = ENVELOPE
    schema["components"]["schemas"]["GatewayError"] = GATEWAY_ERROR
    schema["components"]["responses"] = RESPONSES
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            if not isinstance(op, dict):
                continue
            responses = op.setdefault("responses", {})
            # Powertools documents its own 422 validation body; ours is a 400 in the envelope.
            if "HTTPValidationError" in json.dumps(responses.get("422", {})):
                del responses["422"]
            for response in responses.values():
                if response.get("content") == {}:  # a 204 (khaya.http.Router): no content at all
                    del response["content"]
            if "429" in responses:  # ours, or the stage's throttling
                responses["429"]["content"] = EITHER
            responses["4XX"] = {"$ref": "#/components/responses/ClientError"}
            responses["5XX"] = {"$ref": "#/components/responses/ServerError"}
            if (method, path) in public:
                op["security"] = []
            else:
                responses["401"] = {"$ref": "#/components/responses/Unauthorized"}
    _prune_unreferenced(schema)
    return schema


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def _prune_unreferenced(schema: dict[str, Any]) -> None:
    """Drop component schemas nothing points at (Powertools' own 422 bodies, once removed)."""
    comps = schema["components"]["schemas"]
    while True:
        used = _refs(schema.get("paths", {})) | _refs(comps)
        unused = [name for name in comps if name not in used and name not in ("ErrorEnvelope", "GatewayError")]
        if not unused:
            return
        for name in unused:
            del comps[name]


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    from khaya.routes import OPENAPI_PATH

    text = render(build())
    if args.write:
        OPENAPI_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {OPENAPI_PATH}")
        return 0
    if args.check:
        current = OPENAPI_PATH.read_text(encoding="utf-8") if OPENAPI_PATH.exists() else ""
        if current != text:
            print("openapi.json is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
