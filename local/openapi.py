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


def build() -> dict[str, Any]:
    ensure_paths()
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from khaya import __version__
    from khaya.http import ERROR_CONTENT

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
                "errors use the envelope in `components.schemas.ErrorEnvelope`; every response carries "
                "`X-Request-Id`."
            ),
            security_schemes={"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            security=[{"bearer": []}],
        )
    )
    schema.setdefault("components", {}).setdefault("schemas", {})["ErrorEnvelope"] = ENVELOPE
    error_ref = {"content": ERROR_CONTENT}
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
            responses["4XX"] = {"description": "Client error, in the error envelope", **error_ref}
            responses["5XX"] = {"description": "Server or upstream error, in the error envelope", **error_ref}
            if (method, path) in public:
                op["security"] = []
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
        unused = [name for name in comps if name not in used and name != "ErrorEnvelope"]
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
