"""POST /v1/auth/refresh and /v1/auth/logout: rotation within a family, reuse detection."""

from khaya import db
from khaya.identity import keys
from tests.support.identity import signup_and_login_in_process


def _refresh(call_route, token):
    return call_route("POST", "/v1/auth/refresh", body={"refreshToken": token})


def test_refresh_returns_a_new_pair_and_uses_up_the_old_token(aws, call_route):
    user = signup_and_login_in_process(call_route, "client")
    res = _refresh(call_route, user["tokens"]["refreshToken"])
    assert res.status == 200, res
    assert res.json["refreshToken"] != user["tokens"]["refreshToken"]
    assert res.json["accessToken"] != user["tokens"]["accessToken"]
    assert res.json["user"]["userId"] == user["user"]["userId"]
    # The new one rotates again
    assert _refresh(call_route, res.json["refreshToken"]).status == 200


def test_reusing_a_rotated_token_revokes_the_family_newest_token_included(aws, call_route):
    user = signup_and_login_in_process(call_route, "client")
    first = user["tokens"]["refreshToken"]
    newest = _refresh(call_route, first).json["refreshToken"]
    # When the rotated-out token is presented again (a stolen copy)
    reuse = _refresh(call_route, first)
    # Then 401, and the newest token of that family is dead too
    assert reuse.status == 401 and reuse.json["error"]["code"] == "invalid_refresh_token"
    assert _refresh(call_route, newest).status == 401


def test_reuse_in_one_family_leaves_other_sessions_alone(aws, call_route, sender):
    user = signup_and_login_in_process(call_route, "client")
    call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"})
    other = call_route(
        "POST",
        "/v1/auth/verify",
        body={"phone": user["phone"], "code": sender.last_code(user["phone"]), "purpose": "login"},
    ).json
    first = user["tokens"]["refreshToken"]
    _refresh(call_route, first)
    _refresh(call_route, first)
    assert _refresh(call_route, other["refreshToken"]).status == 200


def test_logout_revokes_the_family(aws, call_route):
    user = signup_and_login_in_process(call_route, "client")
    token = _refresh(call_route, user["tokens"]["refreshToken"]).json["refreshToken"]
    res = call_route("POST", "/v1/auth/logout", body={"refreshToken": token})
    assert res.status == 204 and res.text == ""
    assert _refresh(call_route, token).status == 401
    # Logging out with an unknown token says the same
    assert call_route("POST", "/v1/auth/logout", body={"refreshToken": "x" * 43}).status == 204


def test_refresh_tokens_are_stored_hashed(aws, call_route):
    user = signup_and_login_in_process(call_route, "client")
    token = user["tokens"]["refreshToken"]
    import hashlib

    assert db.get(*keys.refresh_token(token)) is None
    stored = db.get(*keys.refresh_token(hashlib.sha256(token.encode()).hexdigest()))
    assert stored is not None and token not in str(stored)
    assert len(token) >= 43  # 256 bits, base64url


def test_garbage_unknown_and_expired_tokens_are_401(aws, call_route):
    user = signup_and_login_in_process(call_route, "client")
    assert _refresh(call_route, "not-a-real-token-but-long-enough").status == 401
    import hashlib

    h = hashlib.sha256(user["tokens"]["refreshToken"].encode()).hexdigest()
    db.update(*keys.refresh_token(h), set={"expiresAt": 1})
    assert _refresh(call_route, user["tokens"]["refreshToken"]).status == 401
    assert _refresh(call_route, "short").status == 400


def test_a_suspended_user_cannot_refresh(aws, call_route):
    from khaya.identity.accounts import suspend_user, unsuspend_user

    user = signup_and_login_in_process(call_route, "worker")
    suspend_user(user["user"]["userId"])
    assert _refresh(call_route, user["tokens"]["refreshToken"]).status == 401
    # Unsuspending does not bring old sessions back: the person signs in again
    unsuspend_user(user["user"]["userId"])
    assert _refresh(call_route, user["tokens"]["refreshToken"]).status == 401


def test_bad_logout_and_refresh_bodies_are_400(aws, call_route):
    from tests.integration.identity.helpers import table_items

    for path in ("/v1/auth/logout", "/v1/auth/refresh"):
        for body in ({}, {"refreshToken": ""}, {"refreshToken": "x" * 201}, {"refreshToken": 12345678901234567890123}):
            res = call_route("POST", path, body=body)
            assert res.status == 400, (path, body, res)
    assert table_items() == []
