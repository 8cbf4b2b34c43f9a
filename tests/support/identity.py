"""Identity helpers for every test suite: sign a user up and in, fake message senders.

Over HTTP (e2e, against the local gateway)::

    from tests.support.identity import signup_and_login
    alice = signup_and_login(base_url, "client")
    requests.get(f"{base_url}/v1/me", headers=alice["headers"])

In process (moto, through the ``call_route`` fixture)::

    from tests.support.identity import signup_and_login_in_process
    bob = signup_and_login_in_process(call_route, "worker")
    call_route("GET", "/v1/me", caller=bob["caller"])

Both return ``{"tokens": {...accessToken, refreshToken...}, "user": {...}, "phone": e164,
"headers": {"Authorization": "Bearer ..."}, "caller": {"userId", "role"}}``.
An admin cannot sign up: ``make_admin(phone, name)`` uses the CLI's service on the current table.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from typing import Any

_CODE = re.compile(r"\b(\d{6})\b")


def random_phone() -> str:
    """A fresh, valid South African mobile number in E.164 (+27 82 xxx xxxx)."""
    return "+2782" + "".join(str(secrets.randbelow(10)) for _ in range(7))


def code_from_text(text: str) -> str:
    found = _CODE.search(text)
    assert found, "no 6-digit code in the message"
    return found.group(1)


def _bundle(tokens: dict[str, Any], phone: str) -> dict[str, Any]:
    user = tokens["user"]
    return {
        "tokens": tokens,
        "user": user,
        "phone": phone,
        "headers": {"Authorization": f"Bearer {tokens['accessToken']}"},
        "caller": {"userId": user["userId"], "role": user["role"]},
    }


# ---------------------------------------------------------------- over HTTP


def latest_message_http(base_url: str, phone: str) -> dict[str, Any] | None:
    """The newest message in the local outbox for ``phone``, or ``None``."""
    import requests

    resp = requests.get(f"{base_url}/_dev/outbox", params={"to": phone}, timeout=10)
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    return dict(items[0]) if items else None


def next_message_http(base_url: str, phone: str, after: dict[str, Any] | None, timeout: float = 15) -> dict[str, Any]:
    """Wait for a message to ``phone`` newer than ``after`` (codes asked through
    ``POST /v1/auth/otp`` are sent a moment later, from the table's stream)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        newest = latest_message_http(base_url, phone)
        if newest is not None and (after is None or newest["sid"] != after["sid"]):
            return newest
        assert time.monotonic() < deadline, f"no new message for {phone[:4]}... within {timeout}s"
        time.sleep(0.1)


def message_code(message: dict[str, Any]) -> str:
    """The code a WhatsApp template or SMS message carries."""
    if message.get("variables"):
        return str(message["variables"]["1"])
    return code_from_text(str(message["text"]))


def latest_code_http(base_url: str, phone: str) -> str:
    newest = latest_message_http(base_url, phone)
    assert newest, f"no message in the outbox for {phone[:4]}..."
    return code_from_text(newest["text"])


def signup_and_login(
    base_url: str,
    role: str = "client",
    phone: str | None = None,
    *,
    name: str = "Test User",
    password: str | None = None,
) -> dict[str, Any]:
    """Sign up over HTTP, read the code from ``/_dev/outbox``, verify it naming the signup (as an
    app does, with the ``userId`` the signup answered) → tokens and user."""
    import requests

    phone = phone or random_phone()
    body: dict[str, Any] = {"phone": phone, "name": name, "role": role}
    if password:
        body["password"] = password
    resp = requests.post(f"{base_url}/v1/auth/signup", json=body, timeout=30)
    assert resp.status_code == 201, resp.text
    verify = {"phone": phone, "code": latest_code_http(base_url, phone), "purpose": "signup"}
    resp = requests.post(f"{base_url}/v1/auth/verify", json={**verify, "signupId": resp.json()["userId"]}, timeout=30)
    assert resp.status_code == 200, resp.text
    return _bundle(resp.json(), phone)


# ---------------------------------------------------------------- in process (moto)


def latest_message(phone: str) -> dict[str, Any]:
    """The newest message the outbox sender wrote for ``phone`` (needs MESSAGING_BACKEND=outbox)."""
    from khaya.messaging.outbox import list_messages

    items = list_messages(phone, limit=1)
    assert items, "no message in the outbox"
    return items[0]


_pumps: dict[str, Any] = {}


def send_queued_codes() -> int:
    """Hand the codes ``POST /v1/auth/otp`` queued to ``SendOtpFunction``, as the table's stream
    does a moment later on AWS and in ``make run``. → how many stream records it was given."""
    from khaya.aws import client
    from khaya.config import settings
    from tests.support.market_stream import StreamPump

    arn = client("dynamodb").describe_table(TableName=settings().table_name)["Table"]["LatestStreamArn"]
    pump = _pumps.get(arn)
    if pump is None:  # one per table (per test): it remembers where it got to
        _pumps.clear()
        pump = _pumps[arn] = StreamPump("SendOtpFunction")
    return len(pump.deliver())


def latest_code(phone: str) -> str:
    """The newest code sent to ``phone`` (queued sends go out first): from the installed
    ``FakeSender`` if any, else the outbox."""
    from khaya.messaging import sender

    send_queued_codes()
    current = sender()
    if isinstance(current, FakeSender):
        return current.last_code(phone)
    return code_from_text(str(latest_message(phone)["text"]))


def signup_and_login_in_process(
    call_route: Callable[..., Any],
    role: str = "client",
    phone: str | None = None,
    *,
    name: str = "Test User",
    password: str | None = None,
    source_ip: str = "198.51.100.7",
) -> dict[str, Any]:
    phone = phone or random_phone()
    body: dict[str, Any] = {"phone": phone, "name": name, "role": role}
    if password:
        body["password"] = password
    res = call_route("POST", "/v1/auth/signup", body=body, source_ip=source_ip)
    assert res.status == 201, res
    verify = {"phone": phone, "code": latest_code(phone), "purpose": "signup", "signupId": res.json["userId"]}
    res = call_route("POST", "/v1/auth/verify", body=verify)
    assert res.status == 200, res
    return _bundle(res.json, phone)


def make_admin(phone: str | None = None, name: str = "Admin") -> dict[str, Any]:
    """An active admin on the current table (as ``python -m khaya.identity.cli create-admin`` makes)."""
    from khaya.identity.cli import create_admin

    return create_admin(phone or random_phone(), name)


# ---------------------------------------------------------------- fake providers


class FakeSender:
    """A ``MessageSender`` that records messages and fails on demand.

    ``whatsapp_error`` / ``sms_error``: a Twilio error code ("63003", "63016", "63024"...) or
    ``"unreachable"`` (raised as ``ConnectionError`` inside, like Twilio being down).
    """

    def __init__(self, *, whatsapp_error: str | None = None, sms_error: str | None = None) -> None:
        self.whatsapp_error = whatsapp_error
        self.sms_error = sms_error
        self.sent: list[dict[str, Any]] = []
        self.attempts: list[str] = []

    def _fail(self, channel: str, error: str) -> None:
        from khaya.messaging import DeliveryFailed

        if error == "unreachable":
            try:
                raise ConnectionError("connection refused")
            except ConnectionError:
                raise DeliveryFailed(channel, "unreachable") from None
        raise DeliveryFailed(channel, error)

    def send_whatsapp_template(
        self, to: str, content_sid: str, variables: Mapping[str, str], *, status_callback: str | None = None
    ) -> str:
        self.attempts.append("whatsapp")
        if self.whatsapp_error:
            self._fail("whatsapp", self.whatsapp_error)
        sid = "SM" + secrets.token_hex(16)
        message = {"channel": "whatsapp", "to": to, "variables": dict(variables), "sid": sid}
        self.sent.append({**message, "statusCallback": status_callback})
        return sid

    def send_sms(self, to: str, body: str, *, status_callback: str | None = None) -> str:
        self.attempts.append("sms")
        if self.sms_error:
            self._fail("sms", self.sms_error)
        sid = "SM" + secrets.token_hex(16)
        self.sent.append({"channel": "sms", "to": to, "text": body, "sid": sid, "statusCallback": status_callback})
        return sid

    def last_code(self, phone: str | None = None) -> str:
        """The newest code this sender delivered (after the queued sends went out)."""
        send_queued_codes()
        mine = [m for m in self.sent if phone is None or m["to"] == phone]
        assert mine, "no message sent"
        last = mine[-1]
        return str(last["variables"]["1"]) if last["channel"] == "whatsapp" else code_from_text(last["text"])


def token_claims(user: dict[str, Any], **over: Any) -> dict[str, Any]:
    """The claims of a valid local access token for ``user`` (as from signup_and_login);
    ``over`` replaces claims, and a ``None`` value drops one (to forge tokens in tests)."""
    import time
    import uuid

    import jwt

    issued = jwt.decode(user["tokens"]["accessToken"], options={"verify_signature": False})
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "khaya-local",
        "aud": "khaya-api",
        "sub": user["user"]["userId"],
        "role": user["user"]["role"],
        "tv": 0,
        "sid": issued["sid"],  # the user's session (refresh-token family)
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 600,
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}
