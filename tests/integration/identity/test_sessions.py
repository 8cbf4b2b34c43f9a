"""Sessions as their owner sees them (the export) and as the table keeps them: how long a
refresh token lives, when its records go, what a refresh or a logout changes."""

from __future__ import annotations

import hashlib
import re
import time

import pytest

from khaya import db
from khaya.identity import keys
from tests.support.identity import signup_and_login_in_process

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DAY = 86400


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _sid(user) -> str:
    import jwt

    return str(jwt.decode(user["tokens"]["accessToken"], options={"verify_signature": False})["sid"])


def _family(user) -> dict:
    return db.get(*keys.refresh_family(user["user"]["userId"], _sid(user)), consistent=True)


def _sessions(call_route, user) -> list[dict]:
    res = call_route("GET", "/v1/me/export", caller=user["caller"])
    assert res.status == 200, res
    return list(res.json["sessions"])


def _refresh(call_route, token):
    return call_route("POST", "/v1/auth/refresh", body={"refreshToken": token})


def _close(stamp: str, to: float) -> bool:
    from datetime import datetime

    return abs(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z").timestamp() - to) < 60


def test_the_export_lists_each_session_with_its_id_status_and_times_in_utc(aws, call_route):
    user = signup_and_login_in_process(call_route, "client")
    # Given a second sign-in of the same person, which then logs out
    from tests.support.identity import latest_code

    call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"})
    body = {"phone": user["phone"], "code": latest_code(user["phone"]), "purpose": "login"}
    other = call_route("POST", "/v1/auth/verify", body=body).json
    assert call_route("POST", "/v1/auth/logout", body={"refreshToken": other["refreshToken"]}).status == 204
    # When the person exports their data
    sessions = {s["familyId"]: s for s in _sessions(call_route, user)}
    # Then both sessions are there, by id, one active and one revoked, with UTC times of now
    assert sessions[_sid(user)]["status"] == "active"
    import jwt

    other_sid = jwt.decode(other["accessToken"], options={"verify_signature": False})["sid"]
    assert sessions[other_sid]["status"] == "revoked"
    for session in sessions.values():
        assert set(session) == {"familyId", "status", "createdAt", "lastUsedAt"}
        for stamp in (session["createdAt"], session["lastUsedAt"]):
            assert ISO_UTC.match(stamp) and _close(stamp, time.time()), stamp


def test_a_refresh_marks_when_the_session_was_last_used(aws, call_route):
    user = signup_and_login_in_process(call_route, "client")
    # Given a session last used yesterday
    family = _family(user)
    db.update(*keys.refresh_family(user["user"]["userId"], _sid(user)), set={"lastUsedAt": "2026-01-01T00:00:00Z"})
    # When it refreshes
    assert _refresh(call_route, user["tokens"]["refreshToken"]).status == 200
    # Then the export shows it used now, and created when it was
    (session,) = _sessions(call_route, user)
    assert _close(session["lastUsedAt"], time.time()) and session["createdAt"] == family["createdAt"]


@pytest.mark.parametrize(("setting", "days"), [(None, 30), ("7", 7)])
def test_a_refresh_token_lives_the_configured_days_and_its_records_go_a_day_later(
    aws, call_route, monkeypatch, setting, days
):
    from khaya.config import reset_settings

    if setting:
        monkeypatch.setenv("REFRESH_TOKEN_TTL_DAYS", setting)
        reset_settings()
    user = signup_and_login_in_process(call_route, "client")
    now = time.time()
    # Then the token and its session expire in that many days, and the table drops both a day after
    token = db.get(*keys.refresh_token(_hash(user["tokens"]["refreshToken"])), consistent=True)
    family = _family(user)
    for item in (token, family):
        assert abs(item["expiresAt"] - (now + days * DAY)) < 10, item
        assert item["ttl"] == item["expiresAt"] + DAY
    # And a refresh starts the same span again, for the new token and the session
    db.update(*keys.refresh_family(user["user"]["userId"], _sid(user)), set={"expiresAt": 1, "ttl": 1})
    rotated = _refresh(call_route, user["tokens"]["refreshToken"]).json
    token = db.get(*keys.refresh_token(_hash(rotated["refreshToken"])), consistent=True)
    family = _family(user)
    for item in (token, family):
        assert abs(item["expiresAt"] - (now + days * DAY)) < 10, item
        assert item["ttl"] == item["expiresAt"] + DAY
    # And the used token is kept (to spot a reuse) as used
    old = db.get(*keys.refresh_token(_hash(user["tokens"]["refreshToken"])), consistent=True)
    assert old["status"] == "used" and abs(old["usedAt"] - now) < 30


def test_a_refresh_token_is_dead_from_the_second_it_expires(aws, call_route, monkeypatch):
    from khaya.identity import tokens

    user = signup_and_login_in_process(call_route, "client")
    token = user["tokens"]["refreshToken"]
    expires = db.get(*keys.refresh_token(_hash(token)), consistent=True)["expiresAt"]
    # At the second it expires, it is refused
    monkeypatch.setattr(tokens.time, "time", lambda: float(expires))
    res = _refresh(call_route, token)
    assert res.status == 401
    # A second before, it still works
    monkeypatch.setattr(tokens.time, "time", lambda: float(expires - 1))
    assert _refresh(call_route, token).status == 200


def test_a_bad_refresh_token_gets_the_documented_error(aws, call_route):
    res = _refresh(call_route, "not-a-real-token-but-long-enough")
    assert res.status == 401
    assert res.json["error"] == {"code": "invalid_refresh_token", "message": "The refresh token is invalid or expired."}


def test_refresh_tokens_are_256_random_bits_every_time(aws, call_route):
    user = signup_and_login_in_process(call_route, "client")
    rotated = _refresh(call_route, user["tokens"]["refreshToken"]).json["refreshToken"]
    for token in (user["tokens"]["refreshToken"], rotated):
        assert len(token) == 43 and re.fullmatch(r"[A-Za-z0-9_-]{43}", token)


def test_a_new_sign_in_after_a_password_reset_refreshes(aws, call_route, sender):
    user = signup_and_login_in_process(call_route, "client", password="a long enough password")
    call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "reset"})
    body = {"phone": user["phone"], "code": sender.last_code(user["phone"]), "newPassword": "a brand new password"}
    assert call_route("POST", "/v1/auth/password/reset", body=body).status == 204
    # When the person signs in again (the reset ended the old sessions)
    fresh = call_route("POST", "/v1/auth/login", body={"phone": user["phone"], "password": "a brand new password"})
    # Then the new session refreshes, and keeps refreshing
    first = _refresh(call_route, fresh.json["refreshToken"])
    assert first.status == 200, first
    assert _refresh(call_route, first.json["refreshToken"]).status == 200


def test_logging_out_with_a_token_whose_session_record_is_gone_changes_nothing(aws, call_route):
    user = signup_and_login_in_process(call_route, "client")
    key = keys.refresh_family(user["user"]["userId"], _sid(user))
    # Given the table's TTL already removed the session's record (it runs late, and unevenly)
    db.delete(*key)
    # When the old token logs out / Then 204, and the session record does not come back
    assert call_route("POST", "/v1/auth/logout", body={"refreshToken": user["tokens"]["refreshToken"]}).status == 204
    assert db.get(*key, consistent=True) is None


def test_the_table_records_why_and_when_a_session_ended(aws, call_route):
    # Given a session whose used refresh token is presented again (a stolen copy)
    stolen = signup_and_login_in_process(call_route, "client")
    first = stolen["tokens"]["refreshToken"]
    assert _refresh(call_route, first).status == 200
    assert _refresh(call_route, first).status == 401
    # Then its record says it ended for a reuse, and when
    family = _family(stolen)
    assert (family["status"], family["revokedReason"]) == ("revoked", "reuse")
    assert ISO_UTC.match(family["revokedAt"]) and _close(family["revokedAt"], time.time())
    # Given a session that logged out, whose token is then presented again
    ended = signup_and_login_in_process(call_route, "client")
    assert call_route("POST", "/v1/auth/logout", body={"refreshToken": ended["tokens"]["refreshToken"]}).status == 204
    assert _refresh(call_route, ended["tokens"]["refreshToken"]).status == 401
    # Then it stays recorded as a logout (a token of an ended session is refused, not a reuse)
    family = _family(ended)
    assert (family["status"], family["revokedReason"]) == ("revoked", "logout")
