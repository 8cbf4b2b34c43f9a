"""The OpenAPI document is the deployed route set, and it is current."""

import json
import re
import typing
from typing import Any

from pydantic import BaseModel

from khaya.routes import OPENAPI_PATH
from local.cfn import functions
from local.loader import load_module
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


def _response(response: dict[str, Any]) -> dict[str, Any]:
    ref = response.get("$ref")
    return DOC["components"]["responses"][ref.rsplit("/", 1)[-1]] if ref else response


ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
GATEWAY_REF = {"$ref": "#/components/schemas/GatewayError"}
EITHER_CONTENT = {"application/json": {"schema": {"oneOf": [ENVELOPE_REF, GATEWAY_REF]}}}
# Statuses API Gateway itself may answer before or instead of a function, in its own body.
GATEWAY_STATUSES = {"401", "429", "4XX", "5XX"}


def test_every_operation_documents_the_error_envelope_and_the_gateways_own_answers():
    for ops in DOC["paths"].values():
        for op in ops.values():
            for status in ("4XX", "5XX"):
                assert _response(op["responses"][status])["content"] == EITHER_CONTENT


def test_a_protected_operation_documents_both_401_bodies_and_a_public_one_only_its_own():
    gateway = DOC["components"]["schemas"]["GatewayError"]
    assert gateway["required"] == ["message"] and gateway["additionalProperties"] is False
    for method, path, op in operations():
        public = op.get("security") == []
        if public:  # API Gateway never answers 401 for it; the route itself may (a bad webhook signature)
            assert _response(op["responses"].get("401", {"content": ENVELOPE_CONTENT}))["content"] == ENVELOPE_CONTENT
        else:
            assert _response(op["responses"]["401"])["content"] == EITHER_CONTENT, (method, path)


# ---------------------------------------------------------------- every response, every operation
ENVELOPE_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, ops in DOC["paths"].items() for m, op in ops.items() if m in METHODS]


def _return_model(method: str, path: str) -> Any:
    """The return annotation of the function serving ``method path`` (``tuple[X, int]`` → X)."""
    for fn in functions():
        if not any((r.method, r.path) == (method, path) for r in fn.routes):
            continue
        router = load_module(fn).router
        for key, func in router._routes.items():
            rule, methods = key[0], key[1]
            if re.sub(r"<(\w+)>", r"{\1}", rule) == path and method in methods:
                annotation = typing.get_type_hints(func, include_extras=False).get("return")
                if typing.get_origin(annotation) is tuple:
                    annotation = typing.get_args(annotation)[0]
                return annotation
    raise AssertionError(f"no function serves {method} {path}")


def _wire_fields(model: Any) -> set[str] | None:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return set(model.model_json_schema(by_alias=True, mode="serialization")["properties"])
    if typing.is_typeddict(model):
        return set(model.__annotations__)
    return None


def _component(schema: dict[str, Any]) -> dict[str, Any]:
    return DOC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]


def test_every_operation_documents_its_success_with_its_model_and_every_error_with_the_envelope():
    problems = []
    for method, path, op in operations():
        where = f"{method} {path}"
        responses = op["responses"]
        successes = [s for s in responses if s.startswith("2")]
        if not successes:
            problems.append(f"{where}: no 2xx")
        for status, ref_or_response in responses.items():
            response = _response(ref_or_response)
            if status.startswith(("4", "5")):
                allowed = (ENVELOPE_CONTENT, EITHER_CONTENT) if status in GATEWAY_STATUSES else (ENVELOPE_CONTENT,)
                if response.get("content") not in allowed:
                    problems.append(f"{where}: {status} is not the error envelope")
            elif status == "204":
                if "content" in response:
                    problems.append(f"{where}: 204 documents content")
            elif status.startswith("2"):
                media = response.get("content") or {}
                schema = next(iter(media.values()), {}).get("schema", {})
                if len(media) != 1 or not schema or schema.get("type") == "null":
                    problems.append(f"{where}: {status} documents no body")
                elif "$ref" in schema:
                    if schema["$ref"].endswith("/ErrorEnvelope"):
                        problems.append(f"{where}: {status} is documented as an error")
                    expected = _wire_fields(_return_model(method, path))
                    if expected is not None and set(_component(schema).get("properties", {})) != expected:
                        problems.append(f"{where}: {status} is not the route's return model")
            else:
                problems.append(f"{where}: unexpected status {status}")
    assert problems == []


def test_the_issue_example_reads_as_a_job_on_200_and_an_envelope_on_404():
    # Given the document / Then a generated client reads GET /v1/jobs/{id} right
    responses = DOC["paths"]["/v1/jobs/{id}"]["get"]["responses"]
    assert responses["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Job"}
    assert responses["404"]["content"] == ENVELOPE_CONTENT


def test_204s_are_documented_without_a_body():
    no_content = {(m, p) for m, p, op in operations() if "204" in op["responses"]}
    assert {("POST", "/v1/auth/logout"), ("DELETE", "/v1/me"), ("POST", "/v1/me/notifications/read-all")} <= no_content
    for method, path, op in operations():
        if (method, path) in no_content:
            assert "content" not in op["responses"]["204"], (method, path)


# ---------------------------------------------------------------- rules a client must know
def _request_schema(name: str) -> dict[str, Any]:
    return DOC["components"]["schemas"][name]


def _branch(prop: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of an optional property."""
    for option in prop.get("anyOf", [prop]):
        if option.get("type") != "null":
            return {**{k: v for k, v in prop.items() if k != "anyOf"}, **option}
    raise AssertionError(prop)


def test_passwords_are_documented_as_10_to_128_characters():
    for model, field in (("SignupIn", "password"), ("ResetIn", "newPassword")):
        prop = _branch(_request_schema(model)["properties"][field])
        assert (prop["minLength"], prop["maxLength"]) == (10, 128), model


def test_every_phone_field_carries_its_pattern_and_description():
    accepted = ["082 123 4567", "0821234567", "+27 82 123 4567", "+27-82-123-4567", "(082) 123.4567", "+254712345678"]
    phones = [
        (name, _branch(schema["properties"]["phone"]))
        for name, schema in DOC["components"]["schemas"].items()
        if schema.get("additionalProperties") is False and "phone" in schema.get("properties", {})
    ]
    assert {name for name, _ in phones} >= {"SignupIn", "OtpRequestIn", "VerifyIn", "LoginIn", "ResetIn"}
    for name, prop in phones:
        assert "E.164" in prop["description"] and "local form" in prop["description"], name
        # The pattern never refuses a number the API accepts, and refuses what cannot be one
        assert all(re.fullmatch(prop["pattern"], raw) for raw in accepted), name
        assert not re.fullmatch(prop["pattern"], "call me maybe"), name


def test_due_dates_are_documented_as_today_or_later():
    for model in ("JobIn", "JobPatch"):
        prop = _branch(_request_schema(model)["properties"]["dueDate"])
        assert prop["format"] == "date" and "today or later" in prop["description"], model


def test_money_in_the_document_carries_the_rules_of_the_model():
    # Given the Money model (its amount bounds are the API's rule) / Then the document says the same
    from khaya.money import Money

    model = Money.model_json_schema()["properties"]["amount"]
    for name in ("Money-Input", "Money-Output"):
        documented = DOC["components"]["schemas"][name]["properties"]["amount"]
        for rule in ("minimum", "exclusiveMinimum", "maximum", "type"):
            assert documented.get(rule) == model.get(rule), (name, rule)


def _schemas_under(node: Any, seen: set[str]) -> set[str]:
    """The component schemas ``node`` refers to, directly or through others."""
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                _schemas_under(DOC["components"]["schemas"][name], seen)
        for value in node.values():
            _schemas_under(value, seen)
    elif isinstance(node, list):
        for value in node:
            _schemas_under(value, seen)
    return seen


def test_every_schema_a_success_answers_with_is_open_to_fields_added_later():
    # Given every schema a 2xx response refers to (Money inside a job included)
    answered: set[str] = set()
    for _, _, op in operations():
        for status, response in op["responses"].items():
            if status.startswith("2"):
                _schemas_under(response.get("content", {}), answered)
    # Then none refuses unknown fields, so a generated client tolerates a field added later
    closed = sorted(n for n in answered if DOC["components"]["schemas"][n].get("additionalProperties") is False)
    assert closed == []
    assert "Money-Output" in answered
    # While request bodies stay closed (an unknown field is a 400)
    assert DOC["components"]["schemas"]["Money-Input"]["additionalProperties"] is False


def test_a_jobs_ai_suggestion_is_documented_with_the_suggestions_shape():
    # Given the job schema / Then aiSuggestion is a price range, a timeline, a rationale and a source
    options = DOC["paths"]["/v1/jobs/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    prop = _component(options)["properties"]["aiSuggestion"]
    ref = next(o["$ref"] for o in prop["anyOf"] if "$ref" in o)
    shown = DOC["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"priceRange", "timelineDays", "rationale", "source", "generatedAt"} <= set(shown["properties"])
    assert shown["properties"]["priceRange"] == {"$ref": "#/components/schemas/PriceRange"}
