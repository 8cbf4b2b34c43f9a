"""POST /v1/auth/otp: resend gate, send limits, enumeration (answer and work), WhatsApp → SMS
fallback, delivery failures."""

import time

import pytest

from khaya import db
from khaya.identity import keys
from tests.integration.identity.helpers import otp_item
from tests.support.ddb_calls import count_calls
from tests.support.identity import random_phone, send_queued_codes, signup_and_login_in_process


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
    send_queued_codes()
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


def test_one_address_asking_a_numbers_codes_cannot_keep_its_owner_from_getting_one(aws, call_route, sender):
    # Given an account, and someone who knows its number asking for its codes from one address,
    # for every purpose, until it is turned away (no authentication is needed to ask)
    user = signup_and_login_in_process(call_route, "client")
    attacker = "203.0.113.66"
    answers = []
    for n in range(9):
        purpose = ("login", "reset", "signup")[n % 3]
        if otp_item(user["phone"], purpose):
            _age_code(user["phone"], purpose)
        body = {"phone": user["phone"], "purpose": purpose}
        answers.append(call_route("POST", "/v1/auth/otp", body=body, source_ip=attacker).status)
    assert answers[-1] == 429  # its own share is spent
    # When the owner asks for a login code from its own network
    _age_code(user["phone"], "login")
    body = {"phone": user["phone"], "purpose": "login"}
    res = call_route("POST", "/v1/auth/otp", body=body, source_ip="198.51.100.20")
    # Then it gets one, and it signs in with it
    assert res.status == 202, res
    code = sender.last_code(user["phone"])
    ok = call_route("POST", "/v1/auth/verify", body={"phone": user["phone"], "code": code, "purpose": "login"})
    assert ok.status == 200, ok


def test_many_addresses_together_reach_the_phones_ceiling(aws, call_route, sender, monkeypatch):
    from khaya.config import reset_settings

    monkeypatch.setenv("OTP_SENDS_PER_PHONE_PER_HOUR", "4")
    reset_settings()
    user = signup_and_login_in_process(call_route, "client")  # the signup's send counts
    # Given 3 more codes asked from 3 addresses (each well under its own share)
    for n in range(3):
        if otp_item(user["phone"], "login"):
            _age_code(user["phone"], "login")
        body = {"phone": user["phone"], "purpose": "login"}
        assert call_route("POST", "/v1/auth/otp", body=body, source_ip=f"203.0.113.{n}").status == 202
    # When a fifth comes from yet another address
    _age_code(user["phone"], "login")
    res = call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"}, source_ip="1.2.3.4")
    # Then the phone's ceiling refuses it, with the time to the end of the window
    assert res.status == 429
    assert res.json["error"]["code"] == "rate_limited" and 1 <= int(res.headers["retry-after"]) <= 3600


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
    # But only the account holder actually received a code, once the queued sends went out
    assert sender.sent == []
    send_queued_codes()
    assert {m["to"] for m in sender.sent} == {known["phone"]}


@pytest.mark.parametrize("purpose", ["login", "reset", "signup"])
def test_the_request_does_the_same_work_for_known_and_unknown_phones(aws, call_route, sender, purpose):
    known = signup_and_login_in_process(call_route, "client")
    pending = random_phone()
    assert call_route("POST", "/v1/auth/signup", body={"phone": pending, "name": "P", "role": "client"}).status == 201
    call_route("POST", "/v1/auth/otp", body={"phone": random_phone(), "purpose": purpose})  # warm caches
    # Given a number that gets a code for this purpose and one that does not
    holder = pending if purpose == "signup" else known["phone"]
    if purpose == "signup":
        db.update(*keys.otp(pending, "signup"), set={"sentAt": int(time.time()) - 61})
    before = len(sender.sent)
    work = {}
    for name, phone in (("holder", holder), ("stranger", random_phone())):
        # When each asks for a code
        with count_calls() as calls:
            res = call_route("POST", "/v1/auth/otp", body={"phone": phone, "purpose": purpose})
        assert res.status == 202, res
        work[name] = (res.json, list(calls.ops))
    # Then the answer and the DynamoDB work of the request are the same (so is its time), and
    # nothing went out during the request
    assert work["holder"] == work["stranger"]
    assert len(sender.sent) == before
    # And the code reaches only the number that should get one, right after
    send_queued_codes()
    assert [m["to"] for m in sender.sent[before:]] == [holder]


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


def test_a_code_no_channel_takes_leaves_no_usable_code_and_can_be_asked_again_at_once(aws, call_route, sender):
    user = signup_and_login_in_process(call_route, "client")
    sender.whatsapp_error, sender.sms_error = "63003", "unreachable"
    # When a login code is asked for and cannot go out on any channel
    res = call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"})
    assert res.status == 202, res
    send_queued_codes()
    assert sender.attempts[-2:] == ["whatsapp", "sms"]
    # Then no code is stored that anybody could guess
    assert otp_item(user["phone"], "login") is None
    # And once Twilio is back the person can ask again straight away (no 60 s wait) and gets one
    sender.whatsapp_error = sender.sms_error = None
    assert call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"}).status == 202
    code = sender.last_code(user["phone"])
    ok = call_route("POST", "/v1/auth/verify", body={"phone": user["phone"], "code": code, "purpose": "login"})
    assert ok.status == 200, ok


def test_a_queued_code_is_sent_once_even_when_the_stream_delivers_it_twice(aws, call_route, sender):
    from tests.support.market_stream import StreamPump

    user = signup_and_login_in_process(call_route, "client")
    pump = StreamPump("SendOtpFunction")
    pump.records()  # start after the signup
    assert call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"}).status == 202
    records = pump.records()
    before = len(sender.sent)
    # When the same stream records arrive twice (a retried batch)
    assert pump.send(records) == {"batchItemFailures": []}
    assert pump.send(records) == {"batchItemFailures": []}
    # Then one message went out, and its code works
    assert len(sender.sent) == before + 1
    code = sender.sent[-1]["variables"]["1"]
    ok = call_route("POST", "/v1/auth/verify", body={"phone": user["phone"], "code": code, "purpose": "login"})
    assert ok.status == 200, ok


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
