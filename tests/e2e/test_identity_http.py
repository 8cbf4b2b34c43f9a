"""Identity over HTTP against the local gateway (``make run``): the acceptance path and the
authorizer in front of protected routes."""

from __future__ import annotations

import json
import re

import jwt
import pytest
import requests

from tests.support.identity import latest_code_http, random_phone, signup_and_login, token_claims

pytestmark = pytest.mark.e2e


def test_signup_code_from_outbox_verify_then_me(base_url):
    phone = random_phone()
    # Given a signup over HTTP
    res = requests.post(
        f"{base_url}/v1/auth/signup",
        json={"phone": "0" + phone[3:], "name": "Palesa Mokoena", "role": "client", "password": "a long password"},
        timeout=30,
    )
    assert res.status_code == 201, res.text
    assert res.json()["otp"]["channel"] == "whatsapp"
    assert res.headers["X-Request-Id"]
    # When the code is read from the local outbox and verified
    outbox = requests.get(f"{base_url}/_dev/outbox", params={"to": phone}, timeout=10).json()["items"]
    assert outbox[0]["channel"] == "whatsapp" and outbox[0]["to"] == phone
    code = latest_code_http(base_url, phone)
    verify = {"phone": phone, "code": code, "purpose": "signup", "signupId": res.json()["userId"]}
    tokens = requests.post(f"{base_url}/v1/auth/verify", json=verify, timeout=30)
    assert tokens.status_code == 200, tokens.text
    # Then GET /v1/me works with the access token
    me = requests.get(
        f"{base_url}/v1/me", headers={"Authorization": f"Bearer {tokens.json()['accessToken']}"}, timeout=10
    )
    assert me.status_code == 200, me.text
    assert me.json()["phone"] == phone and me.json()["name"] == "Palesa Mokoena" and me.json()["status"] == "active"
    # And without a token it is 401
    assert requests.get(f"{base_url}/v1/me", timeout=10).status_code == 401


def test_the_outbox_wants_a_number(base_url):
    assert requests.get(f"{base_url}/_dev/outbox", timeout=10).status_code == 400


def _moto_endpoint(gateway) -> str:
    found = re.search(r"moto on (http://127\.0\.0\.1:\d+)", gateway.log())
    assert found, "the gateway did not print its moto endpoint"
    return found.group(1)


def _signing_key(gateway) -> tuple[str, str]:
    import boto3

    sm = boto3.client(
        "secretsmanager",
        endpoint_url=_moto_endpoint(gateway),
        region_name="af-south-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    doc = json.loads(sm.get_secret_value(SecretId="khaya/local/jwt-private-key")["SecretString"])
    return doc["kid"], doc["privateKey"]


def _forged(kind: str, user: dict, gateway) -> str:
    from khaya.identity.jwt_keys import new_key_pair

    kid, pem = _signing_key(gateway)
    claims = token_claims(user)
    now = claims["iat"]
    if kind == "control":
        return jwt.encode(claims, pem, algorithm="ES256", headers={"kid": kid})
    if kind == "alg_none":
        return jwt.encode(claims, None, algorithm="none", headers={"kid": kid})
    if kind == "wrong_key":
        return jwt.encode(claims, new_key_pair()[1], algorithm="ES256", headers={"kid": kid})
    if kind == "expired":
        return jwt.encode({**claims, "iat": now - 1200, "exp": now - 300}, pem, algorithm="ES256", headers={"kid": kid})
    if kind == "wrong_aud":
        return jwt.encode({**claims, "aud": "another-api"}, pem, algorithm="ES256", headers={"kid": kid})
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["alg_none", "wrong_key", "expired", "wrong_aud"])
def test_tampered_tokens_are_401(base_url, gateway, kind):
    user = signup_and_login(base_url, "worker")
    # A token signed the same way with correct claims passes (so the forgeries below fail for their flaw)
    control = _forged("control", user, gateway)
    assert (
        requests.get(f"{base_url}/v1/me", headers={"Authorization": f"Bearer {control}"}, timeout=10).status_code == 200
    )
    res = requests.get(
        f"{base_url}/v1/me", headers={"Authorization": f"Bearer {_forged(kind, user, gateway)}"}, timeout=10
    )
    assert res.status_code == 401, res.text
    assert user["phone"] not in res.text


def test_reusing_a_rotated_refresh_token_kills_the_family_over_http(base_url):
    user = signup_and_login(base_url, "client")
    first = user["tokens"]["refreshToken"]
    newest = requests.post(f"{base_url}/v1/auth/refresh", json={"refreshToken": first}, timeout=10)
    assert newest.status_code == 200
    assert requests.post(f"{base_url}/v1/auth/refresh", json={"refreshToken": first}, timeout=10).status_code == 401
    again = requests.post(
        f"{base_url}/v1/auth/refresh", json={"refreshToken": newest.json()["refreshToken"]}, timeout=10
    )
    assert again.status_code == 401


def test_logout_stops_the_access_token_at_once_locally(base_url):
    user = signup_and_login(base_url, "client")
    me = f"{base_url}/v1/me"
    assert requests.get(me, headers=user["headers"], timeout=10).status_code == 200
    # When the session logs out
    res = requests.post(f"{base_url}/v1/auth/logout", json={"refreshToken": user["tokens"]["refreshToken"]}, timeout=10)
    assert res.status_code == 204
    # Then its access token no longer opens anything (locally nothing is cached in front)
    assert requests.get(me, headers=user["headers"], timeout=10).status_code == 401


def test_otp_answers_the_same_for_known_and_unknown_phones(base_url):
    known = signup_and_login(base_url, "client")
    for purpose in ("login", "reset"):
        a = requests.post(f"{base_url}/v1/auth/otp", json={"phone": known["phone"], "purpose": purpose}, timeout=10)
        b = requests.post(f"{base_url}/v1/auth/otp", json={"phone": random_phone(), "purpose": purpose}, timeout=10)
        assert (a.status_code, a.json()) == (b.status_code, b.json())
        assert a.status_code == 202


def test_another_users_token_never_shows_my_data(base_url):
    alice = signup_and_login(base_url, "client", name="Alice Khumalo")
    bob = signup_and_login(base_url, "worker", name="Bob Nkosi")
    res = requests.get(f"{base_url}/v1/me/export", headers=bob["headers"], timeout=10)
    assert res.status_code == 200
    assert alice["phone"] not in res.text and "Alice" not in res.text and alice["user"]["userId"] not in res.text
