"""Sign-in races on DynamoDB Local, played in their losing order (``tests.support.interleave``):
one request stopped between its read and its write while another runs whole. Each proves what
a write's condition decides; without the condition the test fails every time."""

from __future__ import annotations

import pytest

from khaya import errors
from khaya.identity import accounts, otp, tokens
from tests.support.identity import FakeSender, random_phone
from tests.support.interleave import Hold
from tests.support.invoke import invoke

pytestmark = pytest.mark.dynamodb_local
IP = "198.51.100.1"


@pytest.fixture
def fake(dynamodb_local: str) -> FakeSender:
    from khaya.messaging import use_sender

    sender = FakeSender()
    use_sender(sender)
    return sender


def _member(fake: FakeSender) -> tuple[str, str]:
    """An active account and a live login code for it → (phone, code)."""
    phone = random_phone()
    accounts.create_user(phone, "Zanele", "client", status="active")
    accounts.request_otp(phone, "login", source_ip=IP)
    return phone, fake.last_code(phone)


def test_one_code_verified_twice_at_once_signs_in_once(fake):
    phone, code = _member(fake)
    # Given a verification that has spent its attempt and matched the code, not yet used it up
    with Hold(otp, "_hash") as held:
        first = held.start(accounts.verify, phone, code, "login")
        # When the same code is verified again meanwhile / Then that one signs in
        status, body = invoke("POST", "/v1/auth/verify", None, {"phone": phone, "code": code, "purpose": "login"})
        assert status == 200, body
    # And the first is refused: a code makes one session, never two
    with pytest.raises(errors.BadRequest) as refused:
        first.result()
    assert refused.value.code == "invalid_code"


def _session(phone: str) -> dict:
    user = accounts._user_by_phone(phone)
    assert user is not None
    from khaya.identity.jwt_keys import require_signing_key

    return tokens.start_session(user, require_signing_key())


def test_one_refresh_token_used_twice_at_once_ends_the_session(fake):
    phone, _ = _member(fake)
    pair = _session(phone)
    # Given a refresh that has checked the token and its session, not yet rotated them
    with Hold(tokens, "_refresh_ttl") as held:
        first = held.start(tokens.refresh, pair["refreshToken"])
        # When the same token is presented again meanwhile / Then that one rotates
        status, rotated = invoke("POST", "/v1/auth/refresh", None, {"refreshToken": pair["refreshToken"]})
        assert status == 200, rotated
    # And the first is a 401: two uses of one token are a reuse, never a second live token
    with pytest.raises(errors.Unauthorized):
        first.result()
    # And the reuse ended the session: the token the winner got no longer refreshes either
    assert invoke("POST", "/v1/auth/refresh", None, {"refreshToken": rotated["refreshToken"]})[0] == 401
    # And the session's record says why
    assert _family_of(pair)["revokedReason"] == "reuse"


def _family_of(pair: dict) -> dict:
    """The session record (refresh family) of the session ``pair`` belongs to."""
    import jwt

    from khaya import db
    from khaya.identity import keys

    claims = jwt.decode(pair["accessToken"], options={"verify_signature": False})
    family = db.get(*keys.refresh_family(str(claims["sub"]), str(claims["sid"])), consistent=True)
    assert family is not None
    return family


def test_a_refresh_racing_the_logout_of_its_session_is_a_401(fake):
    phone, _ = _member(fake)
    pair = _session(phone)
    # Given a refresh that has checked its session while it was live
    with Hold(tokens, "_refresh_ttl") as held:
        refreshing = held.start(tokens.refresh, pair["refreshToken"])
        # When the session logs out before the refresh is written
        assert invoke("POST", "/v1/auth/logout", None, {"refreshToken": pair["refreshToken"]})[0] == 204
    # Then the refresh is refused: nothing outlives a logout
    with pytest.raises(errors.Unauthorized):
        refreshing.result()


def test_two_code_requests_at_once_pass_the_60_second_gate_once(fake):
    phone = random_phone()
    accounts.create_user(phone, "Thabo", "client", status="active")
    # Given a code request that has passed the gate and the hourly limits
    with Hold(otp, "check_send_allowed") as held:
        first = held.start(accounts.request_otp, phone, "login", source_ip=IP)
        # When another request for the same number comes meanwhile / Then it is accepted
        status, body = invoke("POST", "/v1/auth/otp", None, {"phone": phone, "purpose": "login"}, source_ip=IP)
        assert status == 202, body
    # And the first is a 429: one code per 60 s, however the requests interleave
    with pytest.raises(errors.RateLimited) as refused:
        first.result()
    assert refused.value.code == "resend_too_soon" and int(refused.value.headers["Retry-After"]) == 60
