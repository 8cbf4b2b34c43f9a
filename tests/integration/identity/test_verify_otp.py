"""POST /v1/auth/verify: 6-digit codes, 5 attempts, single use, 5 minutes, safe under concurrency."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from khaya import db
from khaya.identity import keys
from local.cfn import functions
from local.events import LambdaContext, http_event
from local.loader import load_handler
from tests.integration.identity.helpers import otp_item
from tests.support.identity import FakeSender, random_phone, signup_and_login_in_process


def _wrong(code: str, n: int = 1) -> str:
    return f"{(int(code) + n) % 10**6:06d}"


def _verify(call_route, phone, code, purpose="login"):
    return call_route("POST", "/v1/auth/verify", body={"phone": phone, "code": code, "purpose": purpose})


def _login_code(call_route, sender, user):
    assert call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"}).status == 202
    return sender.last_code(user["phone"])


def test_a_right_code_gives_tokens_and_works_once(aws, call_route, sender):
    user = signup_and_login_in_process(call_route, "worker")
    code = _login_code(call_route, sender, user)
    # When the right login code is sent
    res = _verify(call_route, user["phone"], code)
    # Then tokens come back for that user
    assert res.status == 200, res
    assert res.json["user"]["userId"] == user["user"]["userId"]
    assert res.json["expiresIn"] <= 900 and res.json["refreshToken"] and res.json["accessToken"]
    assert "passwordHash" not in res.json["user"]
    # And the same code a second time is refused, in the one answer every bad code gets
    again = _verify(call_route, user["phone"], code)
    assert again.status == 400 and again.json["error"]["code"] == "invalid_code"
    assert again.json["error"]["message"] == "The code is wrong or has expired."
    # And nothing of the code is left: neither it nor the record of the message that carried it
    from khaya.identity.otp import message_ref

    assert sender.sent[-1]["channel"] == "whatsapp"
    assert otp_item(user["phone"], "login") is None
    assert db.get(*message_ref(sender.sent[-1]["sid"]), consistent=True) is None


def test_the_sixth_guess_fails_even_with_the_right_code(aws, call_route, sender):
    user = signup_and_login_in_process(call_route, "client")
    code = _login_code(call_route, sender, user)
    # Given five wrong guesses
    for n in range(1, 6):
        res = _verify(call_route, user["phone"], _wrong(code, n))
        assert res.status == 400 and res.json["error"]["code"] == "invalid_code"
    # When the right code comes sixth
    res = _verify(call_route, user["phone"], code)
    # Then it is refused: the code is dead
    assert res.status == 400
    assert res.json["error"]["code"] == "invalid_code"


def test_a_right_code_on_the_fifth_try_still_works(aws, call_route, sender):
    user = signup_and_login_in_process(call_route, "client")
    code = _login_code(call_route, sender, user)
    for n in range(1, 5):
        assert _verify(call_route, user["phone"], _wrong(code, n)).status == 400
    assert _verify(call_route, user["phone"], code).status == 200


def test_an_expired_code_is_refused_even_before_dynamodb_deletes_it(aws, call_route, sender):
    user = signup_and_login_in_process(call_route, "client")
    code = _login_code(call_route, sender, user)
    # Given the code's 5 minutes are over (the item still exists: TTL deletes late)
    db.update(*keys.otp(user["phone"], "login"), set={"expiresAt": int(time.time()) - 1})
    # When it is sent
    res = _verify(call_route, user["phone"], code)
    # Then it is refused
    assert res.status == 400 and res.json["error"]["code"] == "invalid_code"


def test_a_code_is_bound_to_its_purpose_and_phone(aws, call_route, sender):
    user = signup_and_login_in_process(call_route, "client")
    assert call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "reset"}).status == 202
    reset_code = sender.last_code(user["phone"])
    # A reset code cannot log in
    assert _verify(call_route, user["phone"], reset_code, "login").status == 400
    # And no code works for a number that was never sent one
    assert _verify(call_route, random_phone(), reset_code, "login").status == 400


def test_the_code_is_stored_only_as_a_keyed_hash(aws, call_route, sender):
    user = signup_and_login_in_process(call_route, "client")
    code = _login_code(call_route, sender, user)
    item = otp_item(user["phone"], "login")
    assert code not in str(item)
    assert len(item["codeHash"]) == 64
    # The code lives 5 minutes from its send (which follows the request, by a moment or more)
    assert item["expiresAt"] - item["sentAt"] >= 300 and item["expiresAt"] <= int(time.time()) + 300
    assert item["ttl"] >= item["expiresAt"]


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "12 456", ""])
def test_a_malformed_code_is_400_and_spends_no_attempt(aws, call_route, sender, code):
    user = signup_and_login_in_process(call_route, "client")
    _login_code(call_route, sender, user)
    res = _verify(call_route, user["phone"], code)
    assert res.status == 400 and res.json["error"]["code"] == "validation_error"
    assert otp_item(user["phone"], "login")["attempts"] == 0


@pytest.mark.dynamodb_local
def test_20_concurrent_wrong_guesses_never_get_more_than_5_attempts(dynamodb_local):
    from khaya.identity import accounts
    from khaya.messaging import use_sender

    # Given a user with a fresh login code, against DynamoDB Local (real concurrent HTTP calls)
    fake = FakeSender()
    use_sender(fake)
    phone = random_phone()
    accounts.create_user(phone, "Zanele", "client", status="active")
    accounts.request_otp(phone, "login", source_ip="198.51.100.1")
    code = fake.last_code(phone)
    fn = next(f for f in functions() if f.logical_id == "VerifyOtpFunction")

    def guess(i: int) -> int:
        handler = load_handler(fn, instance=100 + i)  # one "container" per concurrent request
        event = http_event(
            "POST",
            "/v1/auth/verify",
            body={"phone": phone, "code": _wrong(code, i + 1), "purpose": "login"},
        )
        return int(handler(event, LambdaContext("VerifyOtpFunction"))["statusCode"])

    # When 20 wrong guesses arrive at the same time
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(guess, range(20)))
    # Then all fail, and the code counted exactly 5 attempts
    assert statuses == [400] * 20
    assert otp_item(phone, "login")["attempts"] == 5
    # And the right code is now refused too
    res = load_handler(fn, instance=99)(
        http_event("POST", "/v1/auth/verify", body={"phone": phone, "code": code, "purpose": "login"}),
        LambdaContext("VerifyOtpFunction"),
    )
    assert res["statusCode"] == 400


@pytest.mark.parametrize("check", ["check_send_allowed", "check_phone_allowed"])
def test_an_unknown_purpose_is_a_programming_error_that_spends_nothing(aws, check):
    from khaya.identity import otp
    from tests.integration.identity.helpers import table_items

    with pytest.raises(ValueError, match=r"^unknown purpose$"):
        getattr(otp, check)(random_phone(), "payment", source_ip="198.51.100.1")
    assert table_items() == []
