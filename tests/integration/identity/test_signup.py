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


ATTACKER_PASSWORD = "the attacker's password"


def _after_resend_gate(phone: str, purpose: str = "signup") -> None:
    """Move the phone's last code request 61 s into the past (the resend gate)."""
    import time

    from khaya import db
    from khaya.identity import keys

    db.update(*keys.otp(phone, purpose), set={"sentAt": int(time.time()) - 61})


def _login(call_route, phone, password):
    return call_route("POST", "/v1/auth/login", body={"phone": phone, "password": password})


def test_a_signup_with_someone_elses_phone_is_replaced_when_the_owner_signs_up(aws, call_route, sender):
    phone = random_phone()
    referrer = signup_and_login_in_process(call_route, "worker")
    # Given an attacker who signed up with the victim's phone, its own password and a referral code
    squat = call_route(
        "POST",
        "/v1/auth/signup",
        body={
            "phone": phone,
            "name": "Attacker",
            "role": "client",
            "password": ATTACKER_PASSWORD,
            "referralCode": referrer["user"]["referralCode"],
        },
    )
    assert squat.status == 201, squat
    squat_code = user_by_phone(phone)["referralCode"]
    # When the phone's owner signs up (after the resend gate) and verifies the code it received
    _after_resend_gate(phone)
    owner = call_route("POST", "/v1/auth/signup", body={"phone": phone, "name": "Owner", "role": "worker"})
    assert owner.status == 201, owner
    verify = {"phone": phone, "code": sender.last_code(phone), "purpose": "signup", "signupId": owner.json["userId"]}
    verified = call_route("POST", "/v1/auth/verify", body=verify)
    assert verified.status == 200, verified
    # Then the account is the owner's: its name and role, nothing of the attacker's signup
    me = call_route("GET", "/v1/me", caller={"userId": verified.json["user"]["userId"], "role": "worker"})
    assert (me.json["name"], me.json["role"], me.json["userId"]) == ("Owner", "worker", owner.json["userId"])
    assert "referredBy" not in user_by_phone(phone)
    # And the attacker's password does not open it
    assert _login(call_route, phone, ATTACKER_PASSWORD).status == 401
    # And the attacker's referral code is gone with its signup
    other = call_route(
        "POST",
        "/v1/auth/signup",
        body={"phone": random_phone(), "name": "N", "role": "client", "referralCode": squat_code},
    )
    assert other.status == 400 and other.json["error"]["details"][0]["field"] == "referralCode"


def test_a_code_asked_through_otp_activates_the_signup_without_its_password(aws, call_route, sender):
    phone = random_phone()
    # Given an attacker's signup with the victim's phone and the attacker's password
    body = {"phone": phone, "name": "Attacker", "role": "client", "password": ATTACKER_PASSWORD}
    assert call_route("POST", "/v1/auth/signup", body=body).status == 201
    # When the owner asks for a signup code later and verifies it
    _after_resend_gate(phone)
    assert call_route("POST", "/v1/auth/otp", body={"phone": phone, "purpose": "signup"}).status == 202
    code = sender.last_code(phone)
    verified = call_route("POST", "/v1/auth/verify", body={"phone": phone, "code": code, "purpose": "signup"})
    # Then the owner is signed in, and the attacker's password does not open the account
    assert verified.status == 200, verified
    assert _login(call_route, phone, ATTACKER_PASSWORD).status == 401


def test_a_password_given_at_signup_works_when_that_signups_code_is_verified(aws, call_route, sender):
    phone = random_phone()
    body = {"phone": phone, "name": "Naledi", "role": "client", "password": "naledi's own password"}
    signed_up = call_route("POST", "/v1/auth/signup", body=body)
    assert signed_up.status == 201
    code, signup_id = sender.last_code(phone), signed_up.json["userId"]
    verify = {"phone": phone, "code": code, "purpose": "signup", "signupId": signup_id}
    assert call_route("POST", "/v1/auth/verify", body=verify).status == 200
    assert _login(call_route, phone, "naledi's own password").status == 200


def test_a_newer_signup_by_someone_else_never_activates_when_the_owner_verifies(aws, call_route, sender):
    phone = random_phone()
    # Given the phone's owner signed up (no password), and a minute later an attacker who knows the
    # number signed up again with its own name, role and password (the owner's signup is replaced,
    # and the new code goes to the owner's phone)
    owner = call_route("POST", "/v1/auth/signup", body={"phone": phone, "name": "Owner", "role": "worker"})
    assert owner.status == 201, owner
    _after_resend_gate(phone)
    body = {"phone": phone, "name": "Owner", "role": "client", "password": ATTACKER_PASSWORD}
    assert call_route("POST", "/v1/auth/signup", body=body).status == 201
    # When the owner's app verifies the newest code, naming the signup it made
    newest = {"phone": phone, "code": sender.last_code(phone), "purpose": "signup", "signupId": owner.json["userId"]}
    verified = call_route("POST", "/v1/auth/verify", body=newest)
    # Then it is told its signup was replaced, and the attacker's signup is not activated
    assert verified.status == 409, verified
    assert verified.json["error"]["code"] == "signup_replaced"
    assert _login(call_route, phone, ATTACKER_PASSWORD).status == 401
    # And when the owner signs up again and verifies, the account is the owner's, closed to the attacker
    again = call_route("POST", "/v1/auth/signup", body={"phone": phone, "name": "Owner", "role": "worker"})
    assert again.status == 201, again
    mine = {"phone": phone, "code": sender.last_code(phone), "purpose": "signup", "signupId": again.json["userId"]}
    verified = call_route("POST", "/v1/auth/verify", body=mine)
    assert verified.status == 200, verified
    assert (verified.json["user"]["role"], verified.json["user"]["userId"]) == ("worker", again.json["userId"])
    assert _login(call_route, phone, ATTACKER_PASSWORD).status == 401


def test_a_verify_that_names_no_signup_activates_the_account_without_its_password(aws, call_route, sender):
    phone = random_phone()
    # Given a signup with a password (perhaps not the phone owner's)
    body = {"phone": phone, "name": "Someone", "role": "client", "password": ATTACKER_PASSWORD}
    assert call_route("POST", "/v1/auth/signup", body=body).status == 201
    # When its code is verified without naming the signup
    code = sender.last_code(phone)
    verified = call_route("POST", "/v1/auth/verify", body={"phone": phone, "code": code, "purpose": "signup"})
    # Then the verifier is signed in, and the password chosen at signup opens nothing
    assert verified.status == 200, verified
    assert _login(call_route, phone, ATTACKER_PASSWORD).status == 401


def test_refused_signups_spend_nothing_of_the_owners_send_budget(aws, call_route, sender):
    # Given an active account
    owner = signup_and_login_in_process(call_route, "client")
    # When someone tries to sign up with its number five times (no authentication needed)
    for _ in range(5):
        res = call_route("POST", "/v1/auth/signup", body={"phone": owner["phone"], "name": "X", "role": "client"})
        assert res.status == 409, res
    # Then the owner can still ask for a login code, and gets it
    res = call_route("POST", "/v1/auth/otp", body={"phone": owner["phone"], "purpose": "login"})
    assert res.status == 202, res
    code = sender.last_code(owner["phone"])
    ok = call_route("POST", "/v1/auth/verify", body={"phone": owner["phone"], "code": code, "purpose": "login"})
    assert ok.status == 200, ok


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


@pytest.mark.parametrize(
    ("limit", "value"), [("OTP_SENDS_PER_PHONE_PER_IP_PER_HOUR", "1"), ("OTP_SENDS_PER_PHONE_PER_HOUR", "2")]
)
def test_a_signup_that_loses_its_number_to_another_gives_back_the_sends_it_took(
    aws, call_route, sender, monkeypatch, limit, value
):
    from khaya.config import reset_settings
    from khaya.identity import otp

    monkeypatch.setenv(limit, value)
    reset_settings()
    phone = random_phone()
    check_phone_allowed = otp.check_phone_allowed
    raced: list[int] = []

    def another_signup_wins_meanwhile(*args, **kwargs):
        check_phone_allowed(*args, **kwargs)
        if not raced:
            raced.append(1)
            other = call_route(
                "POST", "/v1/auth/signup", body={"phone": phone, "name": "B", "role": "client"}, source_ip="203.0.113.9"
            )
            assert other.status == 201, other

    monkeypatch.setattr(otp, "check_phone_allowed", another_signup_wins_meanwhile)
    # When a signup from one address checks the number free, then another address claims it first
    res = call_route("POST", "/v1/auth/signup", body={"phone": phone, "name": "A", "role": "client"})
    assert res.status == 409 and res.json["error"]["code"] == "phone_taken", res
    assert [m["channel"] for m in sender.sent] == ["whatsapp"]  # only the winner's code went out
    # Then what it took of the number's hourly sends is back: this address may still ask for a code
    again = call_route("POST", "/v1/auth/otp", body={"phone": phone, "purpose": "login"})
    assert again.status == 202, again
    # And only that one: the limit holds again after it
    import time

    from khaya import db
    from khaya.identity import keys

    db.update(*keys.otp(phone, "login"), set={"sentAt": int(time.time()) - 61})
    assert call_route("POST", "/v1/auth/otp", body={"phone": phone, "purpose": "login"}).status == 429
