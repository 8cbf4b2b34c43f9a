"""The resolver factory strips the body of every 204, whatever the route returned."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from khaya.http import Router, json_response, make_handler
from local.events import LambdaContext, http_event

router = Router()


@router.post("/v1/things/<thing_id>/touch", responses={204: {"description": "Touched"}})
def touch(thing_id: str) -> None:
    return json_response(204, None)  # type: ignore[return-value]


@router.delete("/v1/things/<thing_id>")
def forget(thing_id: str) -> Response[str]:
    return Response(204, content_type="text/plain", body="gone", headers={"Content-Length": "4"})


handler = make_handler(router)


def test_a_204_answer_has_no_body_and_no_content_headers():
    for method, path in (("POST", "/v1/things/t1/touch"), ("DELETE", "/v1/things/t1")):
        # Given a route that answers 204 with something in the body / When it is called
        result = handler(http_event(method, path), LambdaContext())
        # Then API Gateway receives an empty body and no header that announces one
        assert result["statusCode"] == 204
        assert result["body"] == "" and result["isBase64Encoded"] is False
        names = {name.lower() for name in result["headers"]}
        assert not names & {"content-type", "content-length", "content-encoding"}, result["headers"]
        assert result["headers"]["X-Request-Id"]
