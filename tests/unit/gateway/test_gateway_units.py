"""Routing, result mapping and template resolution of the local gateway."""

from __future__ import annotations

import base64

from local.cfn import functions, load_template
from local.gateway import RouteTable, authorizer_function, from_lambda, function_environment
from local.intrinsics import Resolver


def _fn(logical_id: str, *routes: tuple[str, str]) -> dict:
    events = {
        f"E{i}": {"Type": "HttpApi", "Properties": {"Method": m, "Path": p, "Auth": {"Authorizer": "NONE"}}}
        for i, (m, p) in enumerate(routes)
    }
    return {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "x.handler", "Events": events}}


def test_static_paths_win_over_parameterised_ones_and_default_takes_the_rest() -> None:
    doc = {
        "Resources": {
            "ById": _fn("ById", ("GET", "/v1/jobs/{id}")),
            "Search": _fn("Search", ("GET", "/v1/jobs/search")),
            "Default": _fn("Default", ("ANY", "$default")),
        }
    }
    table = RouteTable(functions(doc))
    assert table.match("GET", "/v1/jobs/search").fn.logical_id == "Search"
    assert table.match("GET", "/v1/jobs/42").fn.logical_id == "ById"
    assert table.match("POST", "/v1/jobs/42").fn.logical_id == "Default"
    assert table.match("GET", "/v1/other").fn.logical_id == "Default"
    assert table.allowed_methods("/v1/jobs/42") == ["GET"]


def test_a_result_without_status_code_is_200_json_like_http_api() -> None:
    reply = from_lambda({"hello": "world"})
    assert reply.status == 200 and reply.body == b'{"hello": "world"}'
    assert ("Content-Type", "application/json") in reply.headers


def test_cookies_multi_value_headers_and_base64_bodies_are_mapped_back() -> None:
    reply = from_lambda(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "image/png"},
            "multiValueHeaders": {"Vary": ["Origin", "Accept"]},
            "cookies": ["a=1; HttpOnly", "b=2"],
            "body": base64.b64encode(b"\x89PNG").decode(),
            "isBase64Encoded": True,
        }
    )
    assert reply.status == 201 and reply.body == b"\x89PNG"
    assert [v for k, v in reply.headers if k == "Set-Cookie"] == ["a=1; HttpOnly", "b=2"]
    assert [v for k, v in reply.headers if k == "Vary"] == ["Origin", "Accept"]


def test_the_templates_environment_resolves_to_local_names() -> None:
    doc = load_template()
    env = {k: Resolver(doc).resolve(v) for k, v in functions(doc)[0].environment.items()}
    assert env["STAGE"] == "local"
    assert env["TABLE_NAME"] == "khaya-local"
    assert env["CURSOR_SECRET_NAME"] == "khaya/local/cursor-key"
    assert env["APP_VERSION"] == doc["Parameters"]["AppVersion"]["Default"]


def test_the_authorizer_is_the_http_apis_default_one() -> None:
    assert authorizer_function(load_template()) == "AuthorizeFunction"


def test_an_environment_value_that_cannot_resolve_locally_is_left_out_not_fatal() -> None:
    doc = {
        "Parameters": {"Stage": {"Default": "dev"}},
        "Resources": {
            "F": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Handler": "x.handler",
                    "Environment": {"Variables": {"STAGE": {"Ref": "Stage"}, "OTHER": {"Ref": "NoSuchThing"}}},
                },
            }
        },
    }
    env = function_environment(functions(doc), Resolver(doc))
    assert env == {"F": {"STAGE": "local"}}


def test_each_function_gets_only_the_variables_its_own_template_entry_sets() -> None:
    # Given the template, where only some functions name the media bucket or the signing key
    doc = load_template()
    env = function_environment(functions(doc), Resolver(doc))
    # Then a function sees its own entry's variables and the Globals, never another's
    assert env["GetWorkerFunction"]["MEDIA_BUCKET"] == "khaya-local-media-123456789012"
    assert "JWT_PRIVATE_KEY_SECRET_NAME" not in env["GetWorkerFunction"]
    assert env["VerifyOtpFunction"]["JWT_PRIVATE_KEY_SECRET_NAME"] == "khaya/local/jwt-private-key"
    assert "MEDIA_BUCKET" not in env["VerifyOtpFunction"] and "MEDIA_BUCKET" not in env["GetHealthFunction"]
    assert all(e["TABLE_NAME"] == "khaya-local" for e in env.values())


def test_make_run_on_a_port_in_use_says_which_port_and_how_to_pick_another_before_seeding(capsys) -> None:
    import socket

    from local.gateway import main

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        assert main(["--port", str(port), "--seed-jobs", "60"]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port} (Address already in use); try PORT=<another> make run" in err
    assert "Traceback" not in err
