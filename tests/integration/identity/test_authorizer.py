"""The Lambda authorizer: only valid, current tokens of active users get through."""

import json
import secrets
import time

import jwt
import pytest

from khaya.identity.jwt_keys import new_key_pair
from local.cfn import functions
from local.events import LambdaContext, authorizer_event
from local.loader import load_handler
from tests.support.identity import signup_and_login_in_process, token_claims


def _authorize(token: str | None, scheme: str = "Bearer"):
    fn = next(f for f in functions() if f.logical_id == "AuthorizeFunction")
    headers = {"authorization": f"{scheme} {token}"} if token is not None else {}
    event = authorizer_event("GET", "/v1/me", "/v1/me", headers, "198.51.100.7")
    return load_handler(fn)(event, LambdaContext("AuthorizeFunction"))


def _allowed(answer) -> bool:
    return answer["isAuthorized"] is True and "userId" in answer["context"] and "refused" not in answer["context"]


def _refused(answer, reason: str | None = None) -> bool:
    # A refusal is passed on to the route's function, which answers the API's 401 (or 503)
    refused = answer["isAuthorized"] is True and answer["context"].get("refused")
    return bool(refused) and "userId" not in answer["context"] and reason in (None, refused)


def _private_key():
    from khaya.config import settings
    from khaya.secrets import get_secret

    doc = json.loads(get_secret(settings().require("JWT_PRIVATE_KEY_SECRET_NAME")))
    return doc["kid"], doc["privateKey"]


def _claims(user, **over):
    return token_claims(user, **over)


def test_a_valid_token_passes_with_user_id_and_role(aws, call_route):
    user = signup_and_login_in_process(call_route, "worker")
    res = _authorize(user["tokens"]["accessToken"])
    assert res == {"isAuthorized": True, "context": {"userId": user["user"]["userId"], "role": "worker"}}


def test_access_tokens_live_at_most_15_minutes(aws, call_route):
    user = signup_and_login_in_process(call_route, "client")
    claims = jwt.decode(user["tokens"]["accessToken"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] <= 900
    assert jwt.get_unverified_header(user["tokens"]["accessToken"])["alg"] == "ES256"
    assert {"iss", "aud", "sub", "role", "jti", "exp", "tv", "sid"} <= set(claims)


def _public_keys() -> dict[str, str]:
    from khaya.config import settings
    from khaya.secrets import get_secret

    return json.loads(get_secret(settings().require("JWT_PUBLIC_KEYS_SECRET_NAME")))["keys"]


def test_issued_tokens_verify_under_an_independent_jwt_library(aws, call_route):
    # Given tokens from sign-in and from a refresh (the layer signs them itself, with cryptography)
    user = signup_and_login_in_process(call_route, "worker")
    fresh = call_route("POST", "/v1/auth/refresh", body={"refreshToken": user["tokens"]["refreshToken"]}).json
    for token in (user["tokens"]["accessToken"], fresh["accessToken"]):
        header = jwt.get_unverified_header(token)
        assert header == {"alg": "ES256", "kid": header["kid"], "typ": "JWT"}
        # Then pyjwt verifies the signature with the published key, and reads the same claims
        claims = jwt.decode(
            token,
            _public_keys()[header["kid"]],
            algorithms=["ES256"],
            audience="khaya-api",
            issuer="khaya-local",
            options={"require": ["exp", "iat", "sub", "jti"]},
        )
        assert claims["sub"] == user["user"]["userId"] and claims["role"] == "worker"
        assert len(jwt.utils.base64url_decode(token.rsplit(".", 1)[1])) == 64  # R||S, not DER
        # And a token differing in one signature byte is refused by pyjwt and by the authorizer
        head, body, sig = token.split(".")
        raw = bytearray(jwt.utils.base64url_decode(sig))
        raw[10] ^= 1
        bad = f"{head}.{body}.{jwt.utils.base64url_encode(bytes(raw)).decode()}"
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(bad, _public_keys()[header["kid"]], algorithms=["ES256"], audience="khaya-api")
        assert _refused(_authorize(bad), "invalid_token")


def _signing_secret(sm) -> tuple[str, dict]:
    from khaya.config import settings

    name = settings().require("JWT_PRIVATE_KEY_SECRET_NAME")
    return name, json.loads(sm.get_secret_value(SecretId=name)["SecretString"])


def test_a_signing_secret_written_before_the_scalar_was_added_still_signs(aws, call_route):
    from khaya.aws import client
    from khaya.secrets import reset_secrets

    user = signup_and_login_in_process(call_route, "client")
    # Given the signing secret as it was first written: the PEM only, no "d"
    sm = client("secretsmanager")
    name, doc = _signing_secret(sm)
    assert set(doc) == {"kid", "alg", "privateKey", "d", "pemSha256"}
    sm.put_secret_value(SecretId=name, SecretString=json.dumps({k: doc[k] for k in ("kid", "alg", "privateKey")}))
    reset_secrets()
    # Then a refresh signs with the PEM's key: pyjwt verifies it with the published key
    fresh = call_route("POST", "/v1/auth/refresh", body={"refreshToken": user["tokens"]["refreshToken"]})
    assert fresh.status == 200, fresh
    token = fresh.json["accessToken"]
    pem = _public_keys()[jwt.get_unverified_header(token)["kid"]]
    assert jwt.decode(token, pem, algorithms=["ES256"], audience="khaya-api")["sub"] == user["user"]["userId"]


def test_a_signing_pem_replaced_by_hand_signs_with_the_new_key_not_the_old_scalar(aws, call_route):
    from khaya.aws import client
    from khaya.secrets import reset_secrets

    user = signup_and_login_in_process(call_route, "client")
    # Given an operator replaced the PEM and the kid by hand, leaving the old key's scalar
    sm = client("secretsmanager")
    name, doc = _signing_secret(sm)
    kid, pem, public_pem = new_key_pair()
    sm.put_secret_value(SecretId=name, SecretString=json.dumps({**doc, "kid": kid, "privateKey": pem}))
    reset_secrets()
    # Then tokens are signed with the new PEM's key, under its kid
    fresh = call_route("POST", "/v1/auth/refresh", body={"refreshToken": user["tokens"]["refreshToken"]})
    assert fresh.status == 200, fresh
    token = fresh.json["accessToken"]
    assert jwt.get_unverified_header(token)["kid"] == kid
    assert jwt.decode(token, public_pem, algorithms=["ES256"], audience="khaya-api")["sub"] == user["user"]["userId"]


def _unknown_key_type_pem() -> str:
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    der = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    der = der.replace(bytes.fromhex("06032b6570"), bytes.fromhex("06032b657f"))  # OID 1.3.101.127: no such key type
    return "-----BEGIN PRIVATE KEY-----\n" + base64.encodebytes(der).decode() + "-----END PRIVATE KEY-----\n"


@pytest.mark.parametrize("kind", ["SECP384R1 PEM", "ed25519 PEM", "unknown key type PEM", "48-byte d", "zero d"])
def test_a_signing_key_that_is_not_p256_is_503_and_uses_nothing_up(aws, call_route, kind):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    from khaya.aws import client
    from khaya.secrets import reset_secrets

    user = signup_and_login_in_process(call_route, "client")
    # Given an operator put a key of another algorithm in the signing secret
    key = ed25519.Ed25519PrivateKey.generate() if kind.startswith("ed") else ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    sm = client("secretsmanager")
    name, good = _signing_secret(sm)
    bad = {"kid": "other", "privateKey": pem}
    if kind == "unknown key type PEM":
        bad = {"kid": "other", "privateKey": _unknown_key_type_pem()}
    elif kind == "48-byte d":
        bad = {**good, "d": jwt.utils.base64url_encode(b"\x01" * 48).decode()}
    elif kind == "zero d":  # 32 bytes, but not a valid P-256 private scalar
        bad = {**good, "d": jwt.utils.base64url_encode(bytes(32)).decode()}
    sm.put_secret_value(SecretId=name, SecretString=json.dumps(bad))
    good = json.dumps(good)
    reset_secrets()
    # Then a refresh is a 503 that names the key, not a token no verifier accepts
    res = call_route("POST", "/v1/auth/refresh", body={"refreshToken": user["tokens"]["refreshToken"]})
    assert res.status == 503 and res.json["error"]["code"] == "signing_key_unavailable", res
    # And with the key back, the same refresh token still works
    sm.put_secret_value(SecretId=name, SecretString=good)
    reset_secrets()
    again = call_route("POST", "/v1/auth/refresh", body={"refreshToken": user["tokens"]["refreshToken"]})
    assert again.status == 200, again


@pytest.mark.parametrize("route", ["refresh", "verify"])
def test_the_key_checked_before_a_token_or_code_is_spent_is_the_key_that_signs(
    aws, call_route, sender, monkeypatch, route
):
    import khaya.secrets
    from khaya.config import settings
    from khaya.errors import ServiceUnavailable

    user = signup_and_login_in_process(call_route, "client")
    if route == "refresh":
        path, body = "/v1/auth/refresh", {"refreshToken": user["tokens"]["refreshToken"]}
    else:
        assert call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"}).status == 202
        path, body = (
            "/v1/auth/verify",
            {"phone": user["phone"], "code": sender.last_code(user["phone"]), "purpose": "login"},
        )
    # Given the signing secret can be read once, and then not (its cache ran out as the extension went down)
    name, real, reads = settings().require("JWT_PRIVATE_KEY_SECRET_NAME"), khaya.secrets.get_secret, []

    def once(secret: str, **kwargs):
        if secret == name:
            reads.append(secret)
            if len(reads) > 1:
                raise ServiceUnavailable("Secrets are unavailable.", code="secrets_unavailable")
        return real(secret, **kwargs)

    monkeypatch.setattr(khaya.secrets, "get_secret", once)
    # When the refresh token or code is presented
    res = call_route("POST", path, body=body)
    # Then the read that allowed spending it also signs: tokens come back, nothing is spent for nothing
    assert res.status == 200, res
    assert reads == [name]
    claims = jwt.decode(res.json["accessToken"], options={"verify_signature": False})
    assert claims["sub"] == user["user"]["userId"]


def _forge(kind: str, user) -> str:
    kid, pem = _private_key()
    if kind == "alg_none":
        return jwt.encode(_claims(user), key=None, algorithm="none", headers={"kid": kid})
    if kind == "wrong_key":
        _, other_pem, _ = new_key_pair()
        return jwt.encode(_claims(user), other_pem, algorithm="ES256", headers={"kid": kid})
    if kind == "expired":
        return jwt.encode(_claims(user, exp=int(time.time()) - 60), pem, algorithm="ES256", headers={"kid": kid})
    if kind == "wrong_aud":
        return jwt.encode(_claims(user, aud="someone-else"), pem, algorithm="ES256", headers={"kid": kid})
    if kind == "wrong_iss":
        return jwt.encode(_claims(user, iss="evil"), pem, algorithm="ES256", headers={"kid": kid})
    if kind == "no_jti":
        return jwt.encode(_claims(user, jti=None), pem, algorithm="ES256", headers={"kid": kid})
    if kind == "admin_role":
        return jwt.encode(_claims(user, role="admin"), pem, algorithm="ES256", headers={"kid": kid})
    if kind == "hs256_with_public_key":
        from khaya.config import settings
        from khaya.secrets import get_secret

        public = json.loads(get_secret(settings().require("JWT_PUBLIC_KEYS_SECRET_NAME")))["keys"][kid]
        import base64
        import hashlib
        import hmac

        def b64(b: bytes) -> str:
            return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

        head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
        body = b64(json.dumps(_claims(user)).encode())
        sig = hmac.new(public.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{b64(sig)}"
    if kind == "future_iat":
        return jwt.encode(_claims(user, iat=int(time.time()) + 3600), pem, algorithm="ES256", headers={"kid": kid})
    if kind == "future_nbf":
        return jwt.encode(_claims(user, nbf=int(time.time()) + 3600), pem, algorithm="ES256", headers={"kid": kid})
    if kind == "no_session":
        return jwt.encode(_claims(user, sid=None), pem, algorithm="ES256", headers={"kid": kid})
    if kind == "unknown_session":
        return jwt.encode(_claims(user, sid="f" * 32), pem, algorithm="ES256", headers={"kid": kid})
    if kind == "tv_not_int":
        return jwt.encode(_claims(user, tv=True), pem, algorithm="ES256", headers={"kid": kid})
    if kind == "unknown_kid":
        return jwt.encode(_claims(user), pem, algorithm="ES256", headers={"kid": "not-a-kid"})
    if kind == "crit_header":
        return jwt.encode(_claims(user), pem, algorithm="ES256", headers={"kid": kid, "crit": ["exp"]})
    if kind == "extra_segment":
        return jwt.encode(_claims(user), pem, algorithm="ES256", headers={"kid": kid}) + ".e30"
    if kind == "der_signature":
        import base64

        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        token = jwt.encode(_claims(user), pem, algorithm="ES256", headers={"kid": kid})
        head, body, _ = token.split(".")
        der = load_pem_private_key(pem.encode(), None).sign(f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
        return f"{head}.{body}." + base64.urlsafe_b64encode(der).rstrip(b"=").decode()
    if kind == "tampered_payload":
        token = user["tokens"]["accessToken"]
        head, _body, sig = token.split(".")
        import base64

        body = base64.urlsafe_b64encode(json.dumps(_claims(user, role="admin")).encode()).rstrip(b"=").decode()
        return f"{head}.{body}.{sig}"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "alg_none",
        "wrong_key",
        "expired",
        "wrong_aud",
        "wrong_iss",
        "no_jti",
        "admin_role",
        "hs256_with_public_key",
        "tampered_payload",
        "future_iat",
        "future_nbf",
        "tv_not_int",
        "no_session",
        "unknown_session",
        "unknown_kid",
        "crit_header",
        "extra_segment",
        "der_signature",
    ],
)
def test_tampered_tokens_are_denied(aws, call_route, kind):
    user = signup_and_login_in_process(call_route, "client")
    assert _refused(_authorize(_forge(kind, user)))


def test_an_audience_list_holding_ours_passes(aws, call_route):
    user = signup_and_login_in_process(call_route, "client")
    kid, pem = _private_key()
    token = jwt.encode(_claims(user, aud=["other", "khaya-api"]), pem, algorithm="ES256", headers={"kid": kid})
    assert _allowed(_authorize(token))


@pytest.mark.parametrize("header", [None, "", "garbage", "a.b.c", "e30.e30.!!!!", "x" * 5000])
def test_missing_or_garbage_tokens_are_denied(aws, header):
    assert _refused(_authorize(header))


def test_basic_scheme_is_denied(aws, call_route):
    user = signup_and_login_in_process(call_route, "client")
    assert _refused(_authorize(user["tokens"]["accessToken"], scheme="Basic"))


def test_suspension_and_erasure_stop_tokens(aws, call_route):
    from khaya.identity import authorizer
    from khaya.identity.accounts import suspend_user
    from khaya.identity.me import erase_account

    a = signup_and_login_in_process(call_route, "client")
    b = signup_and_login_in_process(call_route, "worker")
    assert _allowed(_authorize(a["tokens"]["accessToken"]))
    # When one user is suspended and another erases their account
    suspend_user(a["user"]["userId"])
    erase_account(b["user"]["userId"])
    authorizer.reset_cache()  # the in-memory cache lives at most AUTHORIZER_USER_CACHE_SECONDS
    # Then neither token passes
    assert _refused(_authorize(a["tokens"]["accessToken"]), "user_not_active")
    assert _refused(_authorize(b["tokens"]["accessToken"]), "user_not_active")


def test_a_token_naming_a_user_the_table_does_not_hold_is_refused(aws, call_route):
    from khaya.ids import new_id

    user = signup_and_login_in_process(call_route, "client")
    kid, pem = _private_key()
    token = jwt.encode(_claims(user, sub=new_id()), pem, algorithm="ES256", headers={"kid": kid})
    assert _refused(_authorize(token), "unknown_user")


@pytest.fixture
def no_cache(monkeypatch):
    """The local stage's setting: nothing cached in front of the user and session state."""
    from khaya.config import reset_settings

    monkeypatch.setenv("AUTHORIZER_USER_CACHE_SECONDS", "0")
    reset_settings()


def test_logout_stops_the_sessions_access_token_and_no_other(aws, call_route, no_cache):
    from tests.support.identity import latest_code

    user = signup_and_login_in_process(call_route, "client")
    # Given a second session of the same user (another device)
    call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"})
    second = call_route(
        "POST", "/v1/auth/verify", body={"phone": user["phone"], "code": latest_code(user["phone"]), "purpose": "login"}
    ).json
    assert _allowed(_authorize(user["tokens"]["accessToken"]))
    # When the first session logs out
    res = call_route("POST", "/v1/auth/logout", body={"refreshToken": user["tokens"]["refreshToken"]})
    assert res.status == 204
    # Then its access token is denied at once, while the other session's still passes
    assert _refused(_authorize(user["tokens"]["accessToken"]), "session_ended")
    assert _allowed(_authorize(second["accessToken"]))


def test_a_reused_refresh_token_stops_the_familys_access_tokens(aws, call_route, no_cache):
    user = signup_and_login_in_process(call_route, "client")
    first = user["tokens"]["refreshToken"]
    newest = call_route("POST", "/v1/auth/refresh", body={"refreshToken": first}).json
    assert _allowed(_authorize(newest["accessToken"]))
    # When the used refresh token is presented again (a stolen copy)
    assert call_route("POST", "/v1/auth/refresh", body={"refreshToken": first}).status == 401
    # Then every access token of that family stops, the newest too
    assert _refused(_authorize(newest["accessToken"]))
    assert _refused(_authorize(user["tokens"]["accessToken"]))


def test_a_revocation_shows_within_the_cache_window(aws, call_route, monkeypatch):
    from khaya.config import reset_settings
    from khaya.identity import authorizer

    monkeypatch.setenv("AUTHORIZER_USER_CACHE_SECONDS", "15")
    reset_settings()
    user = signup_and_login_in_process(call_route, "client")
    assert _allowed(_authorize(user["tokens"]["accessToken"]))
    call_route("POST", "/v1/auth/logout", body={"refreshToken": user["tokens"]["refreshToken"]})
    # Within the window the cached answer may stand; once it has passed, the logout shows
    real = time.monotonic
    monkeypatch.setattr(authorizer.time, "monotonic", lambda: real() + 16)
    assert _refused(_authorize(user["tokens"]["accessToken"]))


def test_the_user_cache_expires(aws, call_route, monkeypatch):
    from khaya.identity import authorizer
    from khaya.identity.accounts import suspend_user

    user = signup_and_login_in_process(call_route, "client")
    assert _allowed(_authorize(user["tokens"]["accessToken"]))
    suspend_user(user["user"]["userId"])
    real = time.monotonic
    monkeypatch.setattr(authorizer.time, "monotonic", lambda: real() + 16)
    assert _refused(_authorize(user["tokens"]["accessToken"]))


def test_by_default_a_revocation_shows_within_15_seconds(aws, call_route, monkeypatch):
    from khaya.identity import authorizer
    from khaya.identity.accounts import suspend_user

    clock = [1000.0]
    monkeypatch.setattr(authorizer.time, "monotonic", lambda: clock[0])
    user = signup_and_login_in_process(call_route, "client")
    # Given a token the authorizer passed (with no cache setting: its default)
    assert _allowed(_authorize(user["tokens"]["accessToken"]))
    # When the account is suspended, and just over 15 s pass
    suspend_user(user["user"]["userId"])
    clock[0] += 15.001
    # Then the token is denied
    assert _refused(_authorize(user["tokens"]["accessToken"]), "user_not_active")


def test_a_rotated_key_is_picked_up_and_old_tokens_stay_valid(aws, call_route):
    from khaya.identity.cli import rotate_jwt_key

    user = signup_and_login_in_process(call_route, "client")
    old_token = user["tokens"]["accessToken"]
    assert _allowed(_authorize(old_token))
    # When the operator rotates the key
    new_kid = rotate_jwt_key()
    from khaya.secrets import reset_secrets

    reset_secrets()  # the issuing functions' secret cache has expired
    fresh = call_route("POST", "/v1/auth/refresh", body={"refreshToken": user["tokens"]["refreshToken"]}).json
    # Then new tokens carry the new key id, and both old and new tokens pass
    assert jwt.get_unverified_header(fresh["accessToken"])["kid"] == new_kid
    assert _allowed(_authorize(fresh["accessToken"]))
    assert _allowed(_authorize(old_token))


def test_before_the_operator_sets_the_keys_tokens_are_refused_and_sign_in_is_503(aws, call_route):
    from khaya.aws import client
    from khaya.config import settings
    from khaya.secrets import reset_secrets

    user = signup_and_login_in_process(call_route, "client")
    # Given the stack's placeholder values in both key secrets (CloudFormation made random strings)
    sm = client("secretsmanager")
    for name in ("JWT_PRIVATE_KEY_SECRET_NAME", "JWT_PUBLIC_KEYS_SECRET_NAME"):
        sm.put_secret_value(SecretId=settings().require(name), SecretString="Xq3placeholder")
    reset_secrets()
    # Then tokens are refused (not a crash: no key verifies them), and issuing answers 503
    answer = _authorize(user["tokens"]["accessToken"])
    assert _refused(answer, "invalid_token")
    assert call_route("GET", "/v1/me", caller=answer["context"]).status == 401
    res = call_route("POST", "/v1/auth/refresh", body={"refreshToken": user["tokens"]["refreshToken"]})
    assert res.status == 503 and res.json["error"]["code"] == "signing_key_unavailable"
    # (a token that would not be rotated anyway is refused as it is: no key is needed to say so)
    unknown = call_route("POST", "/v1/auth/refresh", body={"refreshToken": secrets.token_urlsafe(32)})
    assert unknown.status == 401, unknown
    # And nothing was used up: once the operator rotates the key, the same refresh token works
    from khaya.identity.cli import rotate_jwt_key

    rotate_jwt_key()
    reset_secrets()
    again = call_route("POST", "/v1/auth/refresh", body={"refreshToken": user["tokens"]["refreshToken"]})
    assert again.status == 200, again


@pytest.fixture
def table(no_cache):
    """The authorizer's own DynamoDB client, to make DynamoDB answer what a test needs."""
    from khaya.aws import client

    return client("dynamodb")


def test_a_table_outage_denies_instead_of_failing(aws, call_route, table):
    from botocore.exceptions import EndpointConnectionError

    user = signup_and_login_in_process(call_route, "client")
    calls = []

    def unreachable(**_):
        calls.append(1)
        raise EndpointConnectionError(endpoint_url="https://dynamodb.af-south-1.amazonaws.com")

    # Given DynamoDB cannot be reached at all
    table.meta.events.register("before-send.dynamodb.BatchGetItem", unreachable)
    try:
        # Then the token is denied (a clean deny, never an error the gateway would show as a 500)
        assert _refused(_authorize(user["tokens"]["accessToken"]), "user_lookup_failed")
    finally:
        table.meta.events.unregister("before-send.dynamodb.BatchGetItem", unreachable)
    assert calls  # the authorizer did ask DynamoDB
    # And once DynamoDB answers again, the same token passes
    assert _allowed(_authorize(user["tokens"]["accessToken"]))


@pytest.mark.parametrize("code", ["InternalServerError", "ProvisionedThroughputExceededException"])
def test_a_dynamodb_error_denies(aws, call_route, table, code):
    from botocore.stub import Stubber

    user = signup_and_login_in_process(call_route, "client")
    with Stubber(table) as stub:
        stub.add_client_error("batch_get_item", service_error_code=code, http_status_code=500)
        assert _refused(_authorize(user["tokens"]["accessToken"]), "user_lookup_failed")
        stub.assert_no_pending_responses()


def _unprocessed(table_name: str, keys: list) -> dict:
    return {"Responses": {table_name: []}, "UnprocessedKeys": {table_name: {"Keys": keys}}}


def _answer(user) -> tuple[str, dict]:
    """What DynamoDB answers the authorizer for ``user``: its profile and its live session."""
    from khaya import db
    from khaya.config import settings
    from khaya.identity import keys

    sid = jwt.decode(user["tokens"]["accessToken"], options={"verify_signature": False})["sid"]
    profile = db.get(*keys.user(user["user"]["userId"]))
    name = settings().table_name
    items = [
        {
            "sk": {"S": "PROFILE"},
            "status": {"S": profile["status"]},
            "role": {"S": profile["role"]},
            "tokenVersion": {"N": "0"},
        },
        {"sk": {"S": f"RTF#{sid}"}, "status": {"S": "active"}},
    ]
    pk = {"S": f"USER#{user['user']['userId']}"}
    return name, {"keys": [{"pk": pk, "sk": {"S": "PROFILE"}}, {"pk": pk, "sk": {"S": f"RTF#{sid}"}}], "items": items}


@pytest.mark.parametrize("responses", ["empty list", "no table", "none"])
def test_keys_dynamodb_leaves_unprocessed_are_asked_again(aws, call_route, table, responses):
    from botocore.stub import Stubber

    user = signup_and_login_in_process(call_route, "client")
    name, answer = _answer(user)
    first = _unprocessed(name, answer["keys"])
    if responses == "no table":
        first["Responses"] = {}
    elif responses == "none":
        del first["Responses"]
    with Stubber(table) as stub:
        # Given DynamoDB, throttled, answers the first read with both keys unprocessed (and its
        # Responses in any of the shapes it may take when it found nothing), then both items
        stub.add_response("batch_get_item", first)
        stub.add_response("batch_get_item", {"Responses": {name: answer["items"]}})
        # Then the token passes on the second read
        assert _allowed(_authorize(user["tokens"]["accessToken"]))
        stub.assert_no_pending_responses()


def test_a_read_that_stays_unprocessed_denies_after_three_tries(aws, call_route, table):
    from botocore.stub import Stubber

    user = signup_and_login_in_process(call_route, "client")
    name, answer = _answer(user)
    with Stubber(table) as stub:
        for _ in range(3):
            stub.add_response("batch_get_item", _unprocessed(name, answer["keys"]))
        stub.add_response("batch_get_item", {"Responses": {name: answer["items"]}})  # a 4th read would answer
        # Then it fails closed after three reads, without a fourth (a throttled table is not asked forever)
        assert _refused(_authorize(user["tokens"]["accessToken"]), "user_lookup_failed")
        with pytest.raises(AssertionError):
            stub.assert_no_pending_responses()  # the fourth answer was never asked for


def test_an_access_token_from_before_a_password_reset_is_denied(aws, call_route, sender, no_cache):
    user = signup_and_login_in_process(call_route, "client", password="a long enough password")
    assert _allowed(_authorize(user["tokens"]["accessToken"]))
    # When the password is reset with a code
    assert call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "reset"}).status == 202
    body = {"phone": user["phone"], "code": sender.last_code(user["phone"]), "newPassword": "a brand new password"}
    assert call_route("POST", "/v1/auth/password/reset", body=body).status == 204
    # Then the access token from before is denied, and one from a new sign-in passes
    assert _refused(_authorize(user["tokens"]["accessToken"]), "token_revoked")
    login = {"phone": user["phone"], "password": "a brand new password"}
    fresh = call_route("POST", "/v1/auth/login", body=login).json
    assert _allowed(_authorize(fresh["accessToken"]))


def test_an_access_token_from_before_a_suspension_stays_denied_once_unsuspended(aws, call_route, no_cache):
    from khaya.identity.accounts import suspend_user, unsuspend_user

    user = signup_and_login_in_process(call_route, "worker")
    # When the account is suspended and then unsuspended
    suspend_user(user["user"]["userId"])
    unsuspend_user(user["user"]["userId"])
    # Then the token from before the suspension still does not pass
    assert _refused(_authorize(user["tokens"]["accessToken"]), "token_revoked")


# ---------------------------------------------------------------- a refusal reaches the client as the API's answer
PROTECTED = sorted(
    {(r.method, r.path) for fn in functions() for r in fn.routes if not r.public and r.path != "$default"}
)


def _table_items() -> list[dict]:
    from khaya.aws import client
    from khaya.config import settings

    return client("dynamodb").scan(TableName=settings().table_name)["Items"]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_protected_route_answers_a_refused_token_with_the_401_envelope_and_does_nothing(
    aws, call_route, method, path
):
    # Given what the authorizer passes on for a revoked token (HTTP API itself could only say a bare 403)
    before = _table_items()
    concrete = path.replace("{id}", "01JB0000000000000000000000").replace("{itemId}", "01JB0000000000000000000001")
    body = {} if method in ("POST", "PUT", "PATCH") else None
    # When the route's function is invoked with it
    res = call_route(method, concrete, body=body, caller={"refused": "token_revoked"})
    # Then the client reads a 401 in the envelope it can act on (refresh, or sign in again)
    assert res.status == 401, (method, path, res)
    assert res.json["error"]["code"] == "unauthorized" and res.headers["x-request-id"]
    # And no route code ran: nothing was written
    assert _table_items() == before


def test_a_token_refused_because_the_table_is_down_is_a_503_to_retry(aws, call_route):
    res = call_route("GET", "/v1/me", caller={"refused": "user_lookup_failed"})
    # Not sooner than API Gateway keeps the authorizer's answer for that token
    from local.cfn import load_template

    cached = load_template()["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]["KhayaAuthorizer"]
    assert res.status == 503 and res.headers["retry-after"] == str(cached["Identity"]["ReauthorizeEvery"])
    assert res.json["error"]["code"] == "service_unavailable"


def test_what_the_authorizer_passes_on_for_an_expired_token_is_a_401_from_the_route(aws, call_route):
    user = signup_and_login_in_process(call_route, "client")
    private_kid, private_pem = _private_key()
    expired = jwt.encode(
        _claims(user, exp=int(time.time()) - 5), private_pem, algorithm="ES256", headers={"kid": private_kid}
    )
    answer = _authorize(expired)
    assert _refused(answer, "invalid_token")
    res = call_route("GET", "/v1/me", caller=answer["context"])
    assert res.status == 401 and res.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    "where",
    ["headers only", "identity source only", "identity source, other headers", "two spaces after Bearer"],
)
def test_the_token_is_found_in_the_headers_or_the_identity_source(aws, call_route, where):
    user = signup_and_login_in_process(call_route, "client")
    token = user["tokens"]["accessToken"]
    event = authorizer_event("GET", "/v1/me", "/v1/me", {"authorization": f"Bearer {token}"}, "198.51.100.7")
    if where == "headers only":
        del event["identitySource"]
    elif where == "identity source only":
        del event["headers"]
    elif where == "identity source, other headers":
        event["headers"] = {"user-agent": "khaya-app/1.0"}
    else:  # RFC 6750: one or more spaces
        event = authorizer_event("GET", "/v1/me", "/v1/me", {"authorization": f"Bearer  {token}"}, "198.51.100.7")
    fn = next(f for f in functions() if f.logical_id == "AuthorizeFunction")
    assert _allowed(load_handler(fn)(event, LambdaContext("AuthorizeFunction")))


def test_a_denial_is_one_log_line_with_its_reason_and_request_id_and_nothing_of_the_token(aws, capsys):
    token = "e30.e30.c2lnbmF0dXJl"
    event = authorizer_event("GET", "/v1/me", "/v1/me", {"authorization": f"Bearer {token}"}, "198.51.100.7")
    fn = next(f for f in functions() if f.logical_id == "AuthorizeFunction")
    capsys.readouterr()
    assert _refused(load_handler(fn)(event, LambdaContext("AuthorizeFunction")), "invalid_token")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"decision"' in line]
    assert lines == [
        {
            "level": "INFO",
            "message": "authorizer",
            "decision": "deny",
            "reason": "invalid_token",
            "correlation_id": event["requestContext"]["requestId"],
        }
    ]


def test_within_the_cache_window_a_repeat_reads_nothing_and_at_its_end_reads_again(aws, call_route, monkeypatch):
    from khaya.config import reset_settings
    from khaya.identity import authorizer
    from tests.support.ddb_calls import count_calls

    monkeypatch.setenv("AUTHORIZER_USER_CACHE_SECONDS", "1")
    reset_settings()
    user = signup_and_login_in_process(call_route, "client")
    token = user["tokens"]["accessToken"]
    clock = [1000.0]
    monkeypatch.setattr(authorizer.time, "monotonic", lambda: clock[0])
    with count_calls() as calls:
        assert _allowed(_authorize(token))
        assert calls.ops == ["BatchGetItem"]
        clock[0] = 1000.999
        assert _allowed(_authorize(token))
        assert calls.ops == ["BatchGetItem"]  # answered from the cache
        clock[0] = 1001.0  # the window is over at exactly one second
        assert _allowed(_authorize(token))
        assert calls.ops == ["BatchGetItem", "BatchGetItem"]


@pytest.mark.parametrize(("length", "reason"), [(4096, "invalid_token"), (4097, "no_bearer_token")])
def test_a_token_longer_than_4096_characters_is_not_even_parsed(aws, length, reason):
    assert _refused(_authorize("e30." * (length // 4) + "x" * (length % 4)), reason)


def test_when_the_public_keys_cannot_be_read_a_token_is_refused_as_a_503_to_retry(aws, call_route):
    from khaya.aws import client
    from khaya.config import settings
    from khaya.secrets import reset_secrets

    user = signup_and_login_in_process(call_route, "client")
    # Given the public keys' secret is gone (Secrets Manager cannot give it)
    name = settings().require("JWT_PUBLIC_KEYS_SECRET_NAME")
    client("secretsmanager").delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    reset_secrets()
    # Then a valid token is refused for that reason, and the route answers 503, not 401
    answer = _authorize(user["tokens"]["accessToken"])
    assert _refused(answer, "keys_unavailable")
    res = call_route("GET", "/v1/me", caller=answer["context"])
    assert res.status == 503, res
