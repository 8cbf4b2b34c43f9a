"""POST /v1/auth/otp: resend gate, send limits, enumeration, WhatsApp → SMS fallback, 503."""

import time

import pytest

from khaya import db
from khaya.identity import keys
from tests.integration.identity.helpers import otp_item
from tests.support.identity import random_phone, signup_and_login_in_process


def _age_code(phone: str, purpose: str, seconds: int = 61) -> None:
    db.update(*keys.otp(phone, purpose), set={"sentAt": int(time.time()) - seconds})


def test_a_resend_within_60_seconds_is_a_429_with_retry_after(aws, call_route, sender):
    user = signup_and_login_in_process(call_route, "client")
    # Given a login code just sent
    first = call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"})
    assert first.status == 202, first
    # When another is asked for at once
    again = call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"})
    # Then 429 says how long to wait, and no second message went out
    assert again.status == 429
    assert again.json["error"]["code"] == "resend_too_soon"
    assert 1 <= int(again.headers["retry-after"]) <= 60
    assert len([m for m in sender.sent if m["to"] == user["phone"]]) == 2  # signup + one login code
    # And after 60 s a resend works and replaces the code
    _age_code(user["phone"], "login")
    assert call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"}).status == 202


def test_per_phone_hourly_limit(aws, call_route, sender, monkeypatch):
    from khaya.config import reset_settings

    monkeypatch.setenv("OTP_SENDS_PER_PHONE_PER_HOUR", "3")
    reset_settings()
    user = signup_and_login_in_process(call_route, "client")  # 1 send
    for _ in range(2):
        _age_code(user["phone"], "login")
        assert call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"}).status == 202
    _age_code(user["phone"], "login")
    # When the 4th code in the hour is asked for
    res = call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"})
    # Then 429 with the time to the end of the window
    assert res.status == 429
    assert 1 <= int(res.headers["retry-after"]) <= 3600


def test_per_ip_hourly_limit(aws, call_route, sender, monkeypatch):
    from khaya.config import reset_settings

    monkeypatch.setenv("OTP_SENDS_PER_IP_PER_HOUR", "2")
    reset_settings()
    ip = "203.0.113.9"
    # Given two codes asked from one address for two numbers
    for _ in range(2):
        res = call_route("POST", "/v1/auth/otp", body={"phone": random_phone(), "purpose": "login"}, source_ip=ip)
        assert res.status == 202
    # When a third number is tried from the same address
    res = call_route("POST", "/v1/auth/otp", body={"phone": random_phone(), "purpose": "login"}, source_ip=ip)
    # Then it is refused, while another address still gets through
    assert res.status == 429 and int(res.headers["retry-after"]) >= 1
    other = call_route(
        "POST", "/v1/auth/otp", body={"phone": random_phone(), "purpose": "login"}, source_ip="203.0.113.10"
    )
    assert other.status == 202


@pytest.mark.parametrize("purpose", ["login", "reset"])
def test_known_and_unknown_phones_get_the_same_answer(aws, call_route, sender, purpose):
    known = signup_and_login_in_process(call_route, "client")
    sender.sent.clear()
    # When a code is asked for a registered and for an unregistered number
    a = call_route("POST", "/v1/auth/otp", body={"phone": known["phone"], "purpose": purpose})
    b = call_route("POST", "/v1/auth/otp", body={"phone": random_phone(), "purpose": purpose})
    # Then status and body are identical
    assert (
        (a.status, a.json) == (b.status, b.json) == (202, {"channel": "whatsapp", "expiresIn": 300, "resendAfter": 60})
    )
    # And the resend gate answers the same too
    a2 = call_route("POST", "/v1/auth/otp", body={"phone": known["phone"], "purpose": purpose})
    b2 = call_route("POST", "/v1/auth/otp", body={"phone": random_phone(), "purpose": purpose})
    b3_phone = random_phone()
    call_route("POST", "/v1/auth/otp", body={"phone": b3_phone, "purpose": purpose})
    b3 = call_route("POST", "/v1/auth/otp", body={"phone": b3_phone, "purpose": purpose})
    assert (a2.status, a2.json["error"]["code"]) == (b3.status, b3.json["error"]["code"]) == (429, "resend_too_soon")
    assert b2.status == 202
    # But only the account holder actually received a code
    assert {m["to"] for m in sender.sent} == {known["phone"]}


@pytest.mark.parametrize("error", ["63003", "63016", "63024", "unreachable"])
def test_whatsapp_failure_sends_the_code_by_sms(aws, call_route, sender, error):
    # Given WhatsApp refuses the number (or Twilio's WhatsApp send cannot connect)
    sender.whatsapp_error = error
    phone = random_phone()
    # When someone signs up
    res = call_route("POST", "/v1/auth/signup", body={"phone": phone, "name": "Lindiwe", "role": "client"})
    # Then the code arrives by SMS, and it works
    assert res.status == 201, res
    assert res.json["otp"]["channel"] == "sms"
    assert sender.attempts == ["whatsapp", "sms"]
    assert [m["channel"] for m in sender.sent] == ["sms"]
    code = sender.last_code()
    assert code in sender.sent[0]["text"]
    ok = call_route("POST", "/v1/auth/verify", body={"phone": phone, "code": code, "purpose": "signup"})
    assert ok.status == 200, ok


def test_both_channels_failing_is_a_503_and_leaves_no_usable_code(aws, call_route, sender):
    user = signup_and_login_in_process(call_route, "client")
    sender.whatsapp_error, sender.sms_error = "63003", "unreachable"
    # When a login code cannot go out on any channel
    res = call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"})
    # Then 503, and no code is stored that anybody could guess
    assert res.status == 503, res
    assert res.json["error"]["code"] == "delivery_unavailable"
    assert "retry-after" in res.headers
    assert otp_item(user["phone"], "login") is None
    # And once Twilio is back the person can ask again straight away
    sender.whatsapp_error = sender.sms_error = None
    assert call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"}).status == 202


def test_signup_with_both_channels_down_is_503_and_can_simply_be_retried(aws, call_route, sender):
    sender.whatsapp_error, sender.sms_error = "unreachable", "unreachable"
    phone = random_phone()
    res = call_route("POST", "/v1/auth/signup", body={"phone": phone, "name": "Ayanda", "role": "client"})
    assert res.status == 503
    assert otp_item(phone, "signup") is None
    # Then, with Twilio back, the same signup goes through (the number was not left taken)
    sender.whatsapp_error = sender.sms_error = None
    res = call_route("POST", "/v1/auth/signup", body={"phone": phone, "name": "Ayanda", "role": "client"})
    assert res.status == 201, res


def test_bad_purpose_or_phone_is_400_and_sends_nothing(aws, call_route, sender):
    assert call_route("POST", "/v1/auth/otp", body={"phone": random_phone(), "purpose": "admin"}).status == 400
    assert call_route("POST", "/v1/auth/otp", body={"phone": "0861234567", "purpose": "login"}).status == 400
    assert sender.sent == []
