"""The local gateway over HTTP: health, garbage in, auth, concurrency, logs and shutdown."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RunningGateway, start_gateway
from tests.e2e.stand_ins import write_template

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("standin")
    with start_gateway(folder, write_template(folder)) as gw:
        yield gw.url, folder


@pytest.fixture(scope="module")
def stand_in_url(stand_in: tuple[str, Path]) -> str:
    return stand_in[0]


def assert_envelope(resp: requests.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error", "requestId"}
    assert body["requestId"] and resp.headers["X-Request-Id"]
    if code:
        assert body["error"]["code"] == code
    assert "Traceback" not in resp.text
    return body


def test_health_answers_200_with_a_request_id_and_local_cors(gateway: RunningGateway) -> None:
    # Given the gateway serving template.yaml, When a client checks health
    resp = requests.get(f"{gateway.url}/v1/health", timeout=5)
    # Then it is up, in the local stage, traceable and callable from a browser
    assert resp.status_code == 200
    assert resp.json()["status"] == "ok" and resp.json()["stage"] == "local"
    assert resp.headers["X-Request-Id"]
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert gateway.ready_after_s < 60


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_on_health_are_405_envelopes(base_url: str, method: str) -> None:
    resp = requests.request(method, f"{base_url}/v1/health", data=b"{", timeout=5)
    assert_envelope(resp, 405, "method_not_allowed")


@pytest.mark.parametrize("method", ["GET", "POST", "BREW"])
def test_unknown_paths_are_404_envelopes(base_url: str, method: str) -> None:
    resp = requests.request(method, f"{base_url}/v1/nope/../nothing-here", data=b"\xff\xfe{", timeout=5)
    assert_envelope(resp, 404)


def test_a_weird_method_on_a_known_path_is_a_405_envelope(base_url: str) -> None:
    resp = requests.request("BREW", f"{base_url}/v1/health", timeout=5)
    assert_envelope(resp, 405, "method_not_allowed")


def test_preflight_is_answered_for_browsers(base_url: str) -> None:
    resp = requests.options(
        f"{base_url}/v1/jobs",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
        timeout=5,
    )
    assert resp.status_code == 204
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in resp.headers["Access-Control-Allow-Methods"]
    assert "authorization" in resp.headers["Access-Control-Allow-Headers"]


def test_a_body_over_10_mb_is_the_gateways_own_413(base_url: str) -> None:
    # API Gateway refuses it before any function runs, in its own body
    resp = requests.post(
        f"{base_url}/v1/health",
        data=b"x" * (10 * 1024 * 1024 + 1),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert resp.status_code == 413 and resp.json() == {"message": "Request Entity Too Large"}


def test_a_malformed_request_line_is_a_400_envelope(base_url: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        chunks = []
        while chunk := s.recv(65536):  # the gateway closes the connection after this answer
            chunks.append(chunk)
        raw = b"".join(chunks).decode("latin-1")
    assert raw.startswith("HTTP/1.1 400")
    assert '"code":"bad_request"' in raw and "<html" not in raw.lower()


def test_a_dev_route_lists_the_served_routes(base_url: str) -> None:
    routes = requests.get(f"{base_url}/_dev/routes", timeout=5).json()["routes"]
    assert {"method": "GET", "path": "/v1/health", "function": "GetHealthFunction", "public": True} in routes


# ---------------------------------------------------------------- bodies, on a stand-in JSON route
def test_a_valid_json_body_reaches_the_function(stand_in_url: str) -> None:
    resp = requests.post(f"{stand_in_url}/v1/echo", json={"text": "sawubona"}, timeout=5)
    assert resp.status_code == 200 and resp.json() == {"text": "sawubona"}


def test_malformed_json_is_a_400_envelope(stand_in_url: str) -> None:
    resp = requests.post(f"{stand_in_url}/v1/echo", data=b"{", headers={"Content-Type": "application/json"}, timeout=5)
    assert_envelope(resp, 400, "malformed_json")


def test_the_wrong_content_type_is_a_415_envelope(stand_in_url: str) -> None:
    resp = requests.post(f"{stand_in_url}/v1/echo", data=b"text=hi", headers={"Content-Type": "text/plain"}, timeout=5)
    assert_envelope(resp, 415, "unsupported_media_type")


def test_non_utf8_bytes_sent_as_json_are_a_400_envelope(stand_in_url: str) -> None:
    resp = requests.post(
        f"{stand_in_url}/v1/echo", data=b'{"text":"\xff\xfe"}', headers={"Content-Type": "application/json"}, timeout=5
    )
    assert_envelope(resp, 400)


def test_a_body_over_the_functions_cap_is_a_413_envelope(stand_in_url: str) -> None:
    resp = requests.post(f"{stand_in_url}/v1/echo", json={"text": "x" * 300_000}, timeout=10)
    assert_envelope(resp, 413, "payload_too_large")


def test_path_parameters_reach_the_function(stand_in_url: str) -> None:
    resp = requests.get(f"{stand_in_url}/v1/things/t-42", timeout=5)
    assert resp.status_code == 200 and resp.json() == {"thingId": "t-42"}


def test_a_write_reaches_the_stream_consumer(stand_in: tuple[str, Path]) -> None:
    # Given the gateway running a consumer of the table's stream
    url, folder = stand_in
    # When a route writes an item
    assert requests.put(f"{url}/v1/things/t-7", timeout=5).status_code == 200
    # Then the consumer is invoked with that change shortly after
    seen = folder / "standins" / "consume.py.seen"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (seen.exists() and "INSERT THING#t-7" in seen.read_text()):
        time.sleep(0.1)
    assert "INSERT THING#t-7" in seen.read_text()


# ---------------------------------------------------------------- the authorizer
def test_a_protected_route_without_a_token_is_the_gateways_own_401(stand_in_url: str) -> None:
    # As HTTP API answers without calling the authorizer: its own body, no function ran
    resp = requests.get(f"{stand_in_url}/v1/private", timeout=5)
    assert resp.status_code == 401 and resp.json() == {"message": "Unauthorized"}
    assert "X-Request-Id" not in resp.headers and resp.headers["apigw-requestid"]


def test_a_refusal_passed_on_by_the_authorizer_is_the_functions_401_envelope(stand_in_url: str) -> None:
    resp = requests.get(f"{stand_in_url}/v1/private", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert_envelope(resp, 401, "unauthorized")


@pytest.mark.parametrize(
    ("token", "status", "message"),
    [("Bearer no", 403, "Forbidden"), ("Bearer boom", 500, "Internal Server Error")],
)
def test_a_denying_or_failing_authorizer_is_the_gateways_own_answer(
    stand_in_url: str, token: str, status: int, message: str
) -> None:
    resp = requests.get(f"{stand_in_url}/v1/private", headers={"Authorization": token}, timeout=5)
    assert resp.status_code == status and resp.json() == {"message": message}


def test_the_authorizer_context_is_the_callers_identity(stand_in_url: str) -> None:
    resp = requests.get(f"{stand_in_url}/v1/private", headers={"Authorization": "Bearer good"}, timeout=5)
    assert resp.status_code == 200
    assert resp.json() == {"userId": "u-1", "role": "client"}


def test_concurrent_requests_to_one_function_run_in_separate_containers(stand_in_url: str) -> None:
    # Given a function that takes 1 s, When 4 requests arrive at once
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: requests.get(f"{stand_in_url}/v1/slow", timeout=10), range(4)))
    # Then they all succeed, served by more than one container (process)
    assert all(a.status_code == 200 for a in answers)
    assert len({a.json()["container"] for a in answers}) > 1


def test_a_function_sees_only_the_variables_of_its_own_template_entry(stand_in_url: str) -> None:
    # Given a function whose template entry sets STANDIN_ONLY, beside functions that set others
    names = set(requests.get(f"{stand_in_url}/v1/env", timeout=10).json()["names"])
    # Then it sees its own variables, the Globals' and what Lambda itself sets
    assert {"STANDIN_ONLY", "TABLE_NAME", "CURSOR_SECRET_NAME", "STAGE", "AWS_LAMBDA_FUNCTION_NAME"} <= names
    # And nothing another function's entry sets, nor the gateway's own environment
    others = {"JWT_PUBLIC_KEYS_SECRET_NAME", "JWT_PRIVATE_KEY_SECRET_NAME", "MEDIA_BUCKET", "OTP_PEPPER_SECRET_NAME"}
    assert not names & (others | {"PYTHONPATH", "VIRTUAL_ENV", "PYTEST_CURRENT_TEST"})


# ---------------------------------------------------------------- process: logs and shutdown
def test_sigint_stops_cleanly_and_logs_never_carry_tokens(tmp_path: Any) -> None:
    with start_gateway(tmp_path, write_template(tmp_path)) as gw:
        secret_header = {"Authorization": "Bearer hdr-secret"}
        requests.get(f"{gw.url}/v1/private?token=query-secret", headers=secret_header, timeout=5)
        requests.post(f"{gw.url}/v1/echo", json={"text": "body-secret"}, timeout=5)
        code = gw.stop(signal.SIGINT)
        log = gw.log()
    assert code == 0
    assert f"Khaya local API on {gw.url}" in log
    assert "GET /v1/private 401" in log and "POST /v1/echo 200" in log
    for secret in ("query-secret", "hdr-secret", "body-secret"):
        assert secret not in log
