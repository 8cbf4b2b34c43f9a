"""Every 204 of the API carries no bytes, read off the raw socket of a kept-alive connection.

A 204 has no body by definition (RFC 9110 §15.3.5), so a client reads the next response right
after its headers: a stray ``null`` would be taken for the start of the next response. The
204 routes come from the OpenAPI document; each needs a recipe that reaches its 204, and a
204 route without one fails the test.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests

from khaya.routes import OPENAPI_PATH
from local.cfn import TEMPLATE
from tests.e2e.conftest import RunningGateway, start_gateway
from tests.support.identity import latest_message_http, message_code, next_message_http, random_phone, signup_and_login

pytestmark = pytest.mark.e2e

Request = tuple[str, str, dict[str, str], bytes]


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    """The gateway on template.yaml; its Twilio callback URL is the local one API.md publishes."""
    folder = tmp_path_factory.mktemp("no-content")
    with start_gateway(folder, TEMPLATE) as running:
        yield running


def _json(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Request:
    data = json.dumps(body).encode() if body is not None else b""
    hdrs = {**(headers or {}), **({"Content-Type": "application/json"} if body is not None else {})}
    return method, path, hdrs, data


def _wait_for(fetch: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = fetch()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


# ------------------------------------------------------------------ one recipe per 204 route
def logout(gw: RunningGateway) -> Request:
    user = signup_and_login(gw.url)
    return _json("POST", "/v1/auth/logout", {"refreshToken": user["tokens"]["refreshToken"]})


def reset_password(gw: RunningGateway) -> Request:
    user = signup_and_login(gw.url)
    before = latest_message_http(gw.url, user["phone"])
    sent = requests.post(f"{gw.url}/v1/auth/otp", json={"phone": user["phone"], "purpose": "reset"}, timeout=30)
    assert sent.status_code == 202, sent.text
    code = message_code(next_message_http(gw.url, user["phone"], before))
    body = {"phone": user["phone"], "code": code, "newPassword": "a brand new passphrase"}
    return _json("POST", "/v1/auth/password/reset", body)


def delete_me(gw: RunningGateway) -> Request:
    return _json("DELETE", "/v1/me", headers=signup_and_login(gw.url)["headers"])


def read_all_notifications(gw: RunningGateway) -> Request:
    return _json("POST", "/v1/me/notifications/read-all", headers=signup_and_login(gw.url)["headers"])


def read_notification(gw: RunningGateway) -> Request:
    client, worker = signup_and_login(gw.url, "client"), signup_and_login(gw.url, "worker")
    job = {"title": "Fix a leaking tap", "description": "Kitchen tap drips.", "category": "plumbing", "city": "Durban"}
    posted = requests.post(f"{gw.url}/v1/jobs", json=job, headers=client["headers"], timeout=30)
    assert posted.status_code == 201, posted.text
    bid = {"amount": {"amount": 45000, "currency": "ZAR"}, "message": "Today", "etaDays": 1}
    placed = requests.post(
        f"{gw.url}/v1/jobs/{posted.json()['id']}/bids", json=bid, headers=worker["headers"], timeout=30
    )
    assert placed.status_code == 201, placed.text
    mine = f"{gw.url}/v1/me/notifications"
    items = _wait_for(lambda: requests.get(mine, headers=client["headers"], timeout=30).json()["items"])
    assert items, "the bid never produced a notification"
    return _json("POST", f"/v1/me/notifications/{items[0]['id']}/read", headers=client["headers"])


def delete_portfolio_item(gw: RunningGateway) -> Request:
    worker = signup_and_login(gw.url, "worker")
    made = requests.post(
        f"{gw.url}/v1/me/portfolio", json={"contentType": "image/png"}, headers=worker["headers"], timeout=30
    )
    assert made.status_code == 201, made.text
    return _json("DELETE", f"/v1/me/portfolio/{made.json()['itemId']}", headers=worker["headers"])


def twilio_status(gw: RunningGateway) -> Request:
    import boto3
    from twilio.request_validator import RequestValidator

    moto = re.search(r"moto on (http://127\.0\.0\.1:\d+)", gw.log())
    assert moto, "the gateway did not print its moto endpoint"
    sm = boto3.client("secretsmanager", endpoint_url=moto.group(1), region_name="af-south-1")
    token = json.loads(sm.get_secret_value(SecretId="khaya/local/twilio")["SecretString"])["authToken"]
    params = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered", "To": random_phone()}
    signature = RequestValidator(token).compute_signature(f"{gw.url}/v1/webhooks/twilio/status", params)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    return "POST", "/v1/webhooks/twilio/status", headers, urlencode(params).encode()


RECIPES: dict[tuple[str, str], Callable[[RunningGateway], Request]] = {
    ("POST", "/v1/auth/logout"): logout,
    ("POST", "/v1/auth/password/reset"): reset_password,
    ("DELETE", "/v1/me"): delete_me,
    ("POST", "/v1/me/notifications/read-all"): read_all_notifications,
    ("POST", "/v1/me/notifications/{id}/read"): read_notification,
    ("DELETE", "/v1/me/portfolio/{itemId}"): delete_portfolio_item,
    ("POST", "/v1/webhooks/twilio/status"): twilio_status,
}


def routes_answering_204() -> set[tuple[str, str]]:
    doc = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    return {(m.upper(), p) for p, ops in doc["paths"].items() for m, op in ops.items() if "204" in op["responses"]}


# ------------------------------------------------------------------ the raw connection
class Connection:
    """One kept-alive HTTP/1.1 connection, read byte by byte as a client would."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.netloc
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
        self.buffer = b""

    def send(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> None:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        assert chunk, "the server closed the connection"
        self.buffer += chunk

    def head(self) -> tuple[int, dict[str, str], bytes]:
        """The next response's status and headers; what follows them stays in the buffer."""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        raw, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *lines = raw.decode("latin-1").split("\r\n")
        assert re.match(r"HTTP/1\.1 \d{3} ", status_line), f"not a status line: {raw[:80]!r}"
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
        return int(status_line.split()[1]), headers, raw

    def body(self, length: int) -> bytes:
        while len(self.buffer) < length:
            self._fill()
        out, self.buffer = self.buffer[:length], self.buffer[length:]
        return out

    def close(self) -> None:
        self.sock.close()


def test_every_204_route_has_a_recipe():
    # Given the OpenAPI document / Then each route documented as 204 is exercised below
    assert routes_answering_204() == set(RECIPES)


def test_no_204_carries_a_byte_on_a_kept_alive_connection(gw):
    # Given one recipe per 204 route of the document, prepared over separate connections
    prepared = {route: RECIPES[route](gw) for route in sorted(routes_answering_204())}
    conn = Connection(gw.url)
    try:
        for (method, path), (verb, target, headers, body) in prepared.items():
            # When the 204 request and then a health check go down the same connection
            conn.send(verb, target, headers, body)
            status, head, raw = conn.head()
            assert status == 204, f"{method} {path}: {raw!r} {conn.buffer[:200]!r}"
            # Then the 204 declares no body
            assert "content-length" not in head and "content-type" not in head, f"{method} {path}: {raw!r}"
            conn.send("GET", "/v1/health", {})
            # And the very next bytes on the wire are the health check's answer, whole
            health, health_head, health_raw = conn.head()
            assert health == 200, f"after {method} {path} the next response read was {health_raw[:60]!r}"
            answer = json.loads(conn.body(int(health_head["content-length"])))
            assert answer["status"] == "ok"
        assert conn.buffer == b""
    finally:
        conn.close()
