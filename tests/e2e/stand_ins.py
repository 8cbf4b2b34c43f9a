"""A throwaway template for gateway tests: template.yaml plus stand-in functions.

The stand-in authorizer accepts ``Bearer good`` (a client), raises on ``Bearer boom``, answers
``isAuthorized: false`` on ``Bearer no``, and passes a refusal on to the function for anything
else, as the product's authorizer does; ``/v1/echo`` takes a JSON body; ``/v1/private`` is protected and
returns its caller; ``/v1/env`` lists the variable names it sees; ``/v1/slow`` sleeps, to
show concurrent requests get separate containers (processes); ``PUT /v1/things/{id}`` writes
an item, which the stand-in stream consumer records in ``standins/consume.py.seen``.
"""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path
from typing import Any

import yaml

from local.cfn import load_template

AUTHORIZER = """
def handler(event, context):
    token = (event.get("headers") or {}).get("authorization", "")
    if token == "Bearer boom":
        raise RuntimeError("authorizer crashed")
    if token == "Bearer good":
        return {"isAuthorized": True, "context": {"userId": "u-1", "role": "client"}}
    if token == "Bearer no":
        return {"isAuthorized": False}
    return {"isAuthorized": True, "context": {"refused": "invalid_token"}}
"""

ROUTES = """
import os
import time

from pydantic import BaseModel

from khaya.http import Router, caller, make_handler

router = Router()


class EchoIn(BaseModel):
    text: str


@router.post("/v1/echo")
def echo(body: EchoIn) -> dict:
    return {"text": body.text}


@router.get("/v1/private")
def private() -> dict:
    who = caller()
    return {"userId": who.user_id, "role": who.role}


@router.get("/v1/things/<thing_id>")
def thing(thing_id: str) -> dict:
    return {"thingId": thing_id}


@router.put("/v1/things/<thing_id>")
def put_thing(thing_id: str) -> dict:
    from khaya.aws import client
    from khaya.config import settings

    item = {"pk": {"S": f"THING#{thing_id}"}, "sk": {"S": "A"}}
    client("dynamodb").put_item(TableName=settings().table_name, Item=item)
    return {"thingId": thing_id}


@router.get("/v1/env")
def env() -> dict:
    return {"names": sorted(os.environ)}


@router.get("/v1/slow")
def slow() -> dict:
    time.sleep(1)
    return {"container": os.getpid()}


handler = make_handler(router)
"""


CONSUMER = """
def handler(event, context):
    with open(__file__ + ".seen", "a", encoding="utf-8") as fh:
        for record in event["Records"]:
            fh.write(record["eventName"] + " " + record["dynamodb"]["Keys"]["pk"]["S"] + "\\n")
    return {"batchItemFailures": []}
"""


def _event(method: str, path: str, public: bool) -> dict[str, Any]:
    props: dict[str, Any] = {"ApiId": {"Ref": "HttpApi"}, "Method": method, "Path": path}
    if public:
        props["Auth"] = {"Authorizer": "NONE"}
    return {"Type": "HttpApi", "Properties": props}


def write_template(folder: Path) -> Path:
    code = folder / "standins"
    code.mkdir(parents=True, exist_ok=True)
    (code / "authorize.py").write_text(textwrap.dedent(AUTHORIZER), encoding="utf-8")
    (code / "routes.py").write_text(textwrap.dedent(ROUTES), encoding="utf-8")
    (code / "consume.py").write_text(textwrap.dedent(CONSUMER), encoding="utf-8")
    doc = copy.deepcopy(load_template())
    res = doc["Resources"]
    res["AuthorizeFunction"]["Properties"].update(CodeUri=str(code), Handler="authorize.handler")
    res["StandInRoutesFunction"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": str(code),
            "Handler": "routes.handler",
            "Environment": {"Variables": {"STANDIN_ONLY": "routes"}},
            "Events": {
                "Echo": _event("POST", "/v1/echo", public=True),
                "Private": _event("GET", "/v1/private", public=False),
                "Slow": _event("GET", "/v1/slow", public=True),
                "Env": _event("GET", "/v1/env", public=True),
                "Thing": _event("GET", "/v1/things/{thing_id}", public=True),
                "PutThing": _event("PUT", "/v1/things/{thing_id}", public=True),
            },
        },
    }
    res["StandInConsumerFunction"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": str(code),
            "Handler": "consume.handler",
            "Events": {
                "Stream": {
                    "Type": "DynamoDB",
                    "Properties": {
                        "Stream": {"Fn::GetAtt": ["Table", "StreamArn"]},
                        "StartingPosition": "LATEST",
                        "BatchSize": 10,
                        "FunctionResponseTypes": ["ReportBatchItemFailures"],
                    },
                }
            },
        },
    }
    path = folder / "template.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path
