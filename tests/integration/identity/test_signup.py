"""POST /v1/auth/signup: a pending account, a code on WhatsApp, uniqueness and input checks."""

import pytest

from tests.integration.identity.helpers import table_items, user_by_phone
from tests.support.identity import random_phone, signup_and_login_in_process


def test_signup_sends_a_code_on_whatsapp_and_creates_a_pending_account(aws, call_route, sender):
    # Given a new phone number in local form
    # When someone signs up as a worker
    res = call_route("POST", "/v1/auth/signup", body={"phone": "082 555 0101", "name": "Sipho", "role": "worker"})
    # Then they get 201 with their id and how the code travels
    assert res.status == 201, res
    assert res.json["otp"] == {"channel": "whatsapp", "expiresIn": 300, "resendAfter": 60}
    # And the code went by WhatsApp to the E.164 number, with the configured template
    assert [m["channel"] for m in sender.sent] == ["whatsapp"]
    assert sender.sent[0]["to"] == "+27825550101"
    assert len(sender.last_code()) == 6
    user = user_by_phone("+27825550101")
    assert user["userId"] == res.json["userId"] and user["status"] == "pending"
    assert user["referralCode"]


def test_a_taken_phone_is_a_409(aws, call_route):
    # Given an account on a number
    someone = signup_and_login_in_process(call_route, "client")
    # When another signup uses the same number (in another form)
    local = "0" + someone["phone"][3:]
    res = call_route("POST", "/v1/auth/signup", body={"phone": local, "name": "Other", "role": "worker"})
    # Then it is refused
    assert res.status == 409
    assert res.json["error"]["code"] == "phone_taken"


def test_a_pending_signup_holds_the_number_but_a_lapsed_one_does_not(aws, call_route, monkeypatch):
    from khaya.config import reset_settings

    phone = random_phone()
    # Given a signup that was never verified and whose pending time has passed
    monkeypatch.setenv("SIGNUP_PENDING_SECONDS", "-1")
    reset_settings()
    first = call_route("POST", "/v1/auth/signup", body={"phone": phone, "name": "Squatter", "role": "client"})
    assert first.status == 201
    monkeypatch.setenv("SIGNUP_PENDING_SECONDS", "3600")
    reset_settings()
    # When the real owner signs up (after the resend gate)
    import time

    from khaya import db
    from khaya.identity import keys

    db.update(*keys.otp(phone, "signup"), set={"sentAt": int(time.time()) - 61})
    second = call_route("POST", "/v1/auth/signup", body={"phone": phone, "name": "Owner", "role": "client"})
    # Then the number is theirs, and a third signup while theirs is pending is refused
    assert second.status == 201, second
    assert user_by_phone(phone)["name"] == "Owner"
    db.update(*keys.otp(phone, "signup"), set={"sentAt": int(time.time()) - 61})
    third = call_route("POST", "/v1/auth/signup", body={"phone": phone, "name": "Squatter", "role": "client"})
    assert third.status == 409


def test_the_referral_code_is_stored_on_the_new_user(aws, call_route):
    # Given a user with a referral code
    referrer = signup_and_login_in_process(call_route, "worker")
    code = referrer["user"]["referralCode"]
    # When a new user signs up with it (any case)
    phone = random_phone()
    res = call_route(
        "POST",
        "/v1/auth/signup",
        body={"phone": phone, "name": "New", "role": "client", "referralCode": code.lower()},
    )
    # Then the new account remembers who referred it
    assert res.status == 201, res
    user = user_by_phone(phone)
    assert user["referredBy"] == referrer["user"]["userId"]
    assert user["referredByCode"] == code
    assert user["referralCode"] != code


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "0211234567", "name": "A", "role": "client"}, "phone"),  # landline
        ({"phone": "0800123456", "name": "A", "role": "client"}, "phone"),  # toll-free
        ({"phone": "+14155550123", "name": "A", "role": "client"}, "phone"),
        ({"phone": "0825550101", "name": "A", "role": "admin"}, "role"),
        ({"phone": "0825550101", "name": "", "role": "client"}, "name"),
        ({"phone": "0825550101", "name": "A", "role": "client", "password": "short"}, "password"),
        ({"phone": "0825550101", "name": "A", "role": "client", "referralCode": "NOPE1234"}, "referralCode"),
        ({"phone": "0825550101", "name": "A", "role": "client", "isAdmin": True}, "isAdmin"),
        ({"name": "A", "role": "client"}, "phone"),
    ],
)
def test_bad_input_is_a_400_and_writes_nothing(aws, call_route, sender, body, field):
    before = table_items()
    # When the signup body is wrong
    res = call_route("POST", "/v1/auth/signup", body=body)
    # Then a 400 names the field, nothing is stored and no message goes out
    assert res.status == 400, res
    assert field in {d["field"] for d in res.json["error"].get("details", [])} or field in res.json["error"]["message"]
    assert table_items() == before
    assert sender.sent == []


def test_malformed_json_and_wrong_media_type(aws, call_route):
    res = call_route("POST", "/v1/auth/signup", body="{not json", headers={"content-type": "application/json"})
    assert res.status == 400
    res = call_route("POST", "/v1/auth/signup", body="phone=1", headers={"content-type": "text/plain"})
    assert res.status == 415
    assert table_items() == []
