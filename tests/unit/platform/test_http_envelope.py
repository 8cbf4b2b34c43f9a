"""The resolver factory: whatever goes wrong, the client gets the API.md error envelope."""

from typing import Annotated

import pytest
from aws_lambda_powertools.event_handler.openapi.params import Body
from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from khaya import errors
from khaya.http import Router, caller, make_handler, require_role
from local.events import LambdaContext, http_event


class PetIn(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    age: int = Field(ge=0)


router = Router()


@router.post("/v1/pets")
def create_pet(pet: Annotated[PetIn, Body()]) -> dict[str, object]:
    if pet.name == "boom":
        raise RuntimeError("secret internal detail /var/task/x.py")
    if pet.name == "taken":
        raise errors.Conflict("That name is taken.", code="name_taken")
    if pet.name == "throttle":
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"}}, "PutItem")
    return {"name": pet.name}


@router.get("/v1/pets/mine")
def my_pets() -> dict[str, object]:
    who = caller()
    return {"owner": who.user_id}


@router.get("/v1/pets/admin")
def admin_pets() -> dict[str, object]:
    require_role("admin")
    return {"ok": True}


handler = make_handler(router)


def call(method, path, *, body=None, headers=None, caller_ctx=None):
    from tests.conftest import Result

    event = http_event(method, path, body=body, headers=headers, authorizer=caller_ctx, request_id="req-123")
    return Result(handler(event, LambdaContext()))


def assert_envelope(res, status, code):
    assert res.status == status, res
    assert res.json["error"]["code"] == code
    assert res.json["requestId"] == "req-123"
    assert res.headers["x-request-id"] == "req-123"
    assert "Traceback" not in res.text and ".py" not in res.text


def test_valid_request_succeeds_with_request_id():
    res = call("POST", "/v1/pets", body={"name": "Rex", "age": 3})
    assert res.status == 200 and res.json == {"name": "Rex"}
    assert res.headers["x-request-id"] == "req-123"


@pytest.mark.parametrize("raw", ["{", "not json", '{"name": "Rex", "age": 3', "[1,2"])
def test_malformed_json_is_400(raw):
    res = call("POST", "/v1/pets", body=raw, headers={"content-type": "application/json"})
    assert_envelope(res, 400, "malformed_json")


def test_invalid_fields_are_400_with_details_per_field():
    res = call("POST", "/v1/pets", body={"name": "", "age": -1})
    assert_envelope(res, 400, "validation_error")
    fields = {d["field"] for d in res.json["error"]["details"]}
    assert fields == {"name", "age"}


def test_missing_body_is_400():
    res = call("POST", "/v1/pets", headers={"content-type": "application/json"})
    assert_envelope(res, 400, "validation_error")


def test_wrong_content_type_is_415():
    res = call("POST", "/v1/pets", body="name=Rex", headers={"content-type": "application/x-www-form-urlencoded"})
    assert_envelope(res, 415, "unsupported_media_type")


def test_oversize_body_is_413():
    res = call("POST", "/v1/pets", body={"name": "x" * 300_000, "age": 1})
    assert_envelope(res, 413, "payload_too_large")


def test_unexpected_exception_is_500_without_details():
    from tests.support.logs import captured_logs

    with captured_logs() as logs:
        res = call("POST", "/v1/pets", body={"name": "boom", "age": 1})
    assert_envelope(res, 500, "internal_error")
    assert "secret internal detail" not in res.text
    # ... but it is in the log for the on-call engineer, with the request id
    out = logs.getvalue()
    assert "secret internal detail" in out and '"correlation_id":"req-123"' in out


def test_app_errors_keep_their_status_and_code():
    assert_envelope(call("POST", "/v1/pets", body={"name": "taken", "age": 1}), 409, "name_taken")


def test_dynamodb_throttling_is_503_with_retry_after():
    res = call("POST", "/v1/pets", body={"name": "throttle", "age": 1})
    assert_envelope(res, 503, "service_unavailable")
    assert res.headers["retry-after"] == "1"


def test_caller_comes_from_the_authorizer_context():
    res = call("GET", "/v1/pets/mine", caller_ctx={"userId": "u-42", "role": "client"})
    assert res.status == 200 and res.json == {"owner": "u-42"}


def test_route_reached_without_identity_is_401():
    assert_envelope(call("GET", "/v1/pets/mine"), 401, "unauthorized")


def test_wrong_role_is_403():
    res = call("GET", "/v1/pets/admin", caller_ctx={"userId": "u-42", "role": "worker"})
    assert_envelope(res, 403, "wrong_role")


def test_unknown_path_inside_a_function_is_404_envelope():
    assert_envelope(call("GET", "/v1/elsewhere"), 404, "route_not_found")


def test_base64_json_body_is_accepted():
    import base64

    event = http_event("POST", "/v1/pets", body='{"name":"Rex","age":2}', headers={"content-type": "application/json"})
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True
    from tests.conftest import Result

    res = Result(handler(event, LambdaContext()))
    assert res.status == 200 and res.json == {"name": "Rex"}
