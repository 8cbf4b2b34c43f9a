"""khaya.http.Router documents every route right by construction, whatever it lists."""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from pydantic import BaseModel

from khaya.http import ERROR_CONTENT, Router, no_content

router = Router()


class ThingOut(BaseModel):
    thing_id: str
    size: int


@router.get("/v1/things/<thing_id>", responses={404: {"description": "No such thing"}})
def get_thing(thing_id: str) -> ThingOut:
    return ThingOut(thing_id=thing_id, size=1)


@router.post(
    "/v1/things",
    responses={
        201: {"description": "Made"},
        409: {"description": "Taken", "content": {"application/json": {"model": ThingOut}}},  # type: ignore[dict-item]
    },
)
def make_thing() -> tuple[ThingOut, int]:
    return ThingOut(thing_id="t", size=1), 201


@router.delete("/v1/things/<thing_id>", responses={204: {"description": "Gone"}})
def drop_thing(thing_id: str):
    return no_content()


def document() -> dict:
    app = APIGatewayHttpResolver(enable_validation=True)
    app.include_router(router)
    return json.loads(app.get_openapi_json_schema())


def test_a_route_listing_only_errors_still_documents_its_success_model():
    responses = document()["paths"]["/v1/things/{thing_id}"]["get"]["responses"]
    assert responses["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ThingOut"}
    assert responses["404"]["content"] == ERROR_CONTENT


def test_an_error_documented_with_a_model_becomes_the_envelope():
    responses = document()["paths"]["/v1/things"]["post"]["responses"]
    assert responses["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ThingOut"}
    assert responses["409"]["content"] == ERROR_CONTENT
    assert "200" not in responses


def test_a_204_documents_no_media_type():
    responses = document()["paths"]["/v1/things/{thing_id}"]["delete"]["responses"]
    assert not responses["204"].get("content")
