"""One-time codes over HTTP against the local gateway: queued sends arrive, the answer and its
timing do not tell registered numbers apart, and a signed Twilio status callback falls back
to SMS with the local stage's published Twilio settings."""

from __future__ import annotations

import base64
import hashlib
import hmac
import statistics
import time

import pytest
import requests

from tests.support.identity import (
    latest_message_http,
    message_code,
    next_message_http,
    random_phone,
    signup_and_login,
)

pytestmark = pytest.mark.e2e

LOCAL_TWILIO_AUTH_TOKEN = "khaya_local_twilio_token"  # API.md, "Local stage only"
STREAM_SETTLE_S = 0.7  # the local stream poller looks every 0.5 s


def _twilio_signature(url: str, params: dict[str, str], token: str = LOCAL_TWILIO_AUTH_TOKEN) -> str:
    """As Twilio signs: base64(HMAC-SHA1(auth token, URL + each name and value, sorted by name))."""
    payload = url + "".join(k + v for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def _login_code_message(base_url: str, phone: str) -> dict:
    before = latest_message_http(base_url, phone)
    res = requests.post(f"{base_url}/v1/auth/otp", json={"phone": phone, "purpose": "login"}, timeout=10)
    assert res.status_code == 202, res.text
    return next_message_http(base_url, phone, after=before)


def _verify(base_url: str, phone: str, code: str) -> requests.Response:
    return requests.post(
        f"{base_url}/v1/auth/verify", json={"phone": phone, "code": code, "purpose": "login"}, timeout=10
    )


def test_a_login_code_asked_over_http_arrives_and_signs_in(base_url):
    user = signup_and_login(base_url, "client")
    # When a login code is asked for
    message = _login_code_message(base_url, user["phone"])
    # Then it arrives by WhatsApp a moment later, and it signs the user in
    assert message["channel"] == "whatsapp"
    ok = _verify(base_url, user["phone"], message_code(message))
    assert ok.status_code == 200, ok.text
    assert ok.json()["user"]["userId"] == user["user"]["userId"]


def test_the_time_of_a_code_request_does_not_tell_registered_numbers(base_url):
    rounds = 20
    known = [signup_and_login(base_url, "client")["phone"] for _ in range(rounds)]
    unknown = [random_phone() for _ in range(rounds)]
    took: dict[str, list[float]] = {"known": [], "unknown": []}
    answers = set()

    def ask(http: requests.Session, kind: str, phone: str) -> None:
        before = latest_message_http(base_url, phone)  # both kinds: the same steps around the timed call
        started = time.perf_counter()
        res = http.post(f"{base_url}/v1/auth/otp", json={"phone": phone, "purpose": "login"}, timeout=10)
        took[kind].append((time.perf_counter() - started) * 1000)
        assert res.status_code == 202, res.text
        answers.add(res.text)
        # Let the queued send finish before the next request is timed: it runs later, in another
        # function (on AWS) or on the gateway's stream thread (locally), and must not slow either kind.
        if kind == "known":
            next_message_http(base_url, phone, after=before)
        time.sleep(STREAM_SETTLE_S)

    with requests.Session() as http:
        ask(http, "unknown", random_phone())  # warm the function
        took["unknown"].clear()
        # When codes are asked for registered and unregistered numbers, interleaved (ABBA, so a
        # slow moment of the machine hits both kinds alike)
        for i in range(rounds):
            pair = [("known", known[i]), ("unknown", unknown[i])]
            for kind, phone in pair if i % 2 == 0 else pair[::-1]:
                ask(http, kind, phone)
    # Then the answers are identical and the median times within 15 ms of each other
    assert len(answers) == 1
    k, u = statistics.median(took["known"]), statistics.median(took["unknown"])
    assert abs(k - u) < 15, f"median known {k:.1f} ms vs unknown {u:.1f} ms"


def test_a_signed_twilio_callback_sends_an_undelivered_code_by_sms(base_url):
    user = signup_and_login(base_url, "client")
    whatsapp = _login_code_message(base_url, user["phone"])
    assert whatsapp["channel"] == "whatsapp"
    url = f"{base_url}/v1/webhooks/twilio/status"
    params = {"MessageSid": whatsapp["sid"], "MessageStatus": "undelivered", "ErrorCode": "63016"}
    form = {"content-type": "application/x-www-form-urlencoded"}
    # A callback signed with another token is refused
    forged = requests.post(
        url, data=params, headers={**form, "X-Twilio-Signature": _twilio_signature(url, params, "not-it")}, timeout=10
    )
    assert forged.status_code == 401, forged.text
    # When Twilio (a curl signed with the local auth token) reports the WhatsApp code undelivered
    res = requests.post(
        url, data=params, headers={**form, "X-Twilio-Signature": _twilio_signature(url, params)}, timeout=10
    )
    # Then it is accepted, a new code goes by SMS, and that one signs in while the WhatsApp one does not
    assert res.status_code == 204, res.text
    sms = latest_message_http(base_url, user["phone"])
    assert sms is not None and sms["channel"] == "sms" and sms["sid"] != whatsapp["sid"]
    if message_code(sms) != message_code(whatsapp):
        assert _verify(base_url, user["phone"], message_code(whatsapp)).status_code == 400
    assert _verify(base_url, user["phone"], message_code(sms)).status_code == 200
