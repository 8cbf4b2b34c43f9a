"""POST /v1/auth/login and /v1/auth/password/reset."""

import pytest

from tests.integration.identity.helpers import table_items, user_by_phone
from tests.support.identity import random_phone, signup_and_login_in_process

PASSWORD = "a long enough password"


def _login(call_route, phone, password):
    return call_route("POST", "/v1/auth/login", body={"phone": phone, "password": password})


def test_login_with_the_right_password_gives_tokens(aws, call_route):
    user = signup_and_login_in_process(call_route, "worker", password=PASSWORD)
    res = _login(call_route, "0" + user["phone"][3:], PASSWORD)  # local form works too
    assert res.status == 200, res
    assert res.json["user"]["userId"] == user["user"]["userId"]
    assert res.json["user"]["role"] == "worker"


def test_wrong_password_and_unknown_phone_get_the_same_401(aws, call_route):
    user = signup_and_login_in_process(call_route, "client", password=PASSWORD)
    no_password = signup_and_login_in_process(call_route, "client")
    wrong = _login(call_route, user["phone"], "not the password")
    unknown = _login(call_route, random_phone(), PASSWORD)
    passwordless = _login(call_route, no_password["phone"], PASSWORD)
    for res in (wrong, unknown, passwordless):
        assert res.status == 401
        assert res.json["error"] == {"code": "invalid_credentials", "message": "The phone number or password is wrong."}


def test_ten_failures_in_15_minutes_lock_the_phone_with_retry_after(aws, call_route):
    user = signup_and_login_in_process(call_route, "client", password=PASSWORD)
    # Given 10 failed logins
    for _ in range(10):
        assert _login(call_route, user["phone"], "wrong password!").status == 401
    # When the right password comes next
    res = _login(call_route, user["phone"], PASSWORD)
    # Then it is refused with 429 and a Retry-After within the 15-minute window
    assert res.status == 429
    assert 1 <= int(res.headers["retry-after"]) <= 900
    # And another phone is not affected
    other = signup_and_login_in_process(call_route, "client", password=PASSWORD)
    assert _login(call_route, other["phone"], PASSWORD).status == 200


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere(aws, call_route):
    user = signup_and_login_in_process(call_route, "client", password=PASSWORD)
    attacker = "203.0.113.66"
    # Given someone who knows the number tried 10 wrong passwords from its address
    for i in range(10):
        res = call_route(
            "POST", "/v1/auth/login", body={"phone": user["phone"], "password": f"guess {i:02d}!!"}, source_ip=attacker
        )
        assert res.status == 401, res
    # Then that address is turned away, even with the right password
    assert (
        call_route(
            "POST", "/v1/auth/login", body={"phone": user["phone"], "password": PASSWORD}, source_ip=attacker
        ).status
        == 429
    )
    # But the owner, signing in from its own network, gets in
    mine = call_route(
        "POST", "/v1/auth/login", body={"phone": user["phone"], "password": PASSWORD}, source_ip="198.51.100.20"
    )
    assert mine.status == 200, mine


def test_failures_from_many_addresses_reach_the_phones_ceiling(aws, call_route, monkeypatch):
    from khaya.config import reset_settings

    monkeypatch.setenv("LOGIN_FAILURES_PER_PHONE", "6")
    reset_settings()
    user = signup_and_login_in_process(call_route, "client", password=PASSWORD)
    # Given 6 wrong passwords, 2 from each of 3 addresses (each under its own share of 10)
    for n in range(6):
        body = {"phone": user["phone"], "password": "not the password"}
        assert call_route("POST", "/v1/auth/login", body=body, source_ip=f"203.0.113.{n // 2}").status == 401
    # When the right password comes from a fourth address
    res = call_route("POST", "/v1/auth/login", body={"phone": user["phone"], "password": PASSWORD}, source_ip="1.2.3.4")
    # Then the phone's ceiling turns it away until the window ends
    assert res.status == 429
    assert 1 <= int(res.headers["retry-after"]) <= 900


def test_an_unverified_signup_cannot_log_in_with_its_password(aws, call_route):
    phone = random_phone()
    body = {"phone": phone, "name": "P", "role": "client", "password": PASSWORD}
    assert call_route("POST", "/v1/auth/signup", body=body).status == 201
    res = _login(call_route, phone, PASSWORD)
    assert res.status == 401


def test_reset_sets_the_new_password_and_ends_every_session(aws, call_route, sender):
    user = signup_and_login_in_process(call_route, "client", password=PASSWORD)
    # Given a reset code
    assert call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "reset"}).status == 202
    code = sender.last_code(user["phone"])
    # When the password is reset with it
    res = call_route(
        "POST",
        "/v1/auth/password/reset",
        body={"phone": user["phone"], "code": code, "newPassword": "a brand new password"},
    )
    # Then 204, the old password fails and the new one works
    assert res.status == 204 and res.text == "", res
    assert _login(call_route, user["phone"], PASSWORD).status == 401
    assert _login(call_route, user["phone"], "a brand new password").status == 200
    # And the session from before the reset can no longer refresh
    old = call_route("POST", "/v1/auth/refresh", body={"refreshToken": user["tokens"]["refreshToken"]})
    assert old.status == 401


def test_reset_with_a_wrong_code_or_short_password_changes_nothing(aws, call_route, sender):
    user = signup_and_login_in_process(call_route, "client", password=PASSWORD)
    before = user_by_phone(user["phone"])["passwordHash"]
    call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "reset"})
    code = sender.last_code(user["phone"])
    short = call_route(
        "POST", "/v1/auth/password/reset", body={"phone": user["phone"], "code": code, "newPassword": "short"}
    )
    assert short.status == 400 and short.json["error"]["details"][0]["field"] == "newPassword"
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    res = call_route(
        "POST", "/v1/auth/password/reset", body={"phone": user["phone"], "code": wrong, "newPassword": "x" * 20}
    )
    assert res.status == 400 and res.json["error"]["code"] == "invalid_code"
    assert user_by_phone(user["phone"])["passwordHash"] == before
    assert _login(call_route, user["phone"], PASSWORD).status == 200


def test_reset_for_an_unknown_phone_answers_like_a_wrong_code(aws, call_route):
    phone = random_phone()
    assert call_route("POST", "/v1/auth/otp", body={"phone": phone, "purpose": "reset"}).status == 202
    res = call_route(
        "POST", "/v1/auth/password/reset", body={"phone": phone, "code": "123456", "newPassword": "x" * 20}
    )
    assert res.status == 400 and res.json["error"]["code"] == "invalid_code"


@pytest.mark.parametrize(
    "body",
    [
        {"phone": "0861234567", "password": PASSWORD},
        {"phone": "0821234567"},
        {"phone": "0821234567", "password": ""},
        {"phone": "0821234567", "password": "x" * 129},
        {"phone": "0821234567", "password": PASSWORD, "role": "admin"},
    ],
)
def test_bad_login_bodies_are_400_and_count_nothing(aws, call_route, body):
    before = table_items()
    res = call_route("POST", "/v1/auth/login", body=body)
    assert res.status == 400, res
    assert table_items() == before


@pytest.mark.dynamodb_local
def test_20_concurrent_wrong_passwords_get_at_most_10_checks(dynamodb_local):
    from concurrent.futures import ThreadPoolExecutor

    from khaya.identity import accounts
    from local.cfn import functions
    from local.events import LambdaContext, http_event
    from local.loader import load_handler

    # Given an account with a password, against DynamoDB Local
    phone = random_phone()
    accounts.create_user(phone, "Mpho", "client", status="active", password=PASSWORD)
    fn = next(f for f in functions() if f.logical_id == "LoginFunction")

    def attempt(i: int) -> int:
        event = http_event("POST", "/v1/auth/login", body={"phone": phone, "password": f"wrong password {i}"})
        return int(load_handler(fn, instance=200 + i)(event, LambdaContext("LoginFunction"))["statusCode"])

    # When 20 wrong passwords arrive at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(attempt, range(20)))
    # Then no more than 10 were checked; the others were turned away with 429
    assert statuses.count(401) == 10 and statuses.count(429) == 10


def test_good_logins_never_count_toward_the_lockout(aws, call_route):
    user = signup_and_login_in_process(call_route, "client", password=PASSWORD)
    # Given nine failed logins in the window
    for _ in range(9):
        assert _login(call_route, user["phone"], "wrong password!").status == 401
    # When the owner logs in successfully, again and again
    for _ in range(5):
        assert _login(call_route, user["phone"], PASSWORD).status == 200
    # Then only the failures count: one more failure is still answered, the next is locked out
    assert _login(call_route, user["phone"], "wrong password!").status == 401
    assert _login(call_route, user["phone"], PASSWORD).status == 429
