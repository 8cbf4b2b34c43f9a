"""template.yaml and the repository keep identity's security promises."""

import json
import re
from pathlib import Path

from local.cfn import ROOT, functions, load_template

IDENTITY = {
    "SignupFunction": ("POST", "/v1/auth/signup", True),
    "RequestOtpFunction": ("POST", "/v1/auth/otp", True),
    "VerifyOtpFunction": ("POST", "/v1/auth/verify", True),
    "LoginFunction": ("POST", "/v1/auth/login", True),
    "RefreshTokenFunction": ("POST", "/v1/auth/refresh", True),
    "LogoutFunction": ("POST", "/v1/auth/logout", True),
    "ResetPasswordFunction": ("POST", "/v1/auth/password/reset", True),
    "TwilioStatusFunction": ("POST", "/v1/webhooks/twilio/status", True),
    "GetMeFunction": ("GET", "/v1/me", False),
    "UpdateMeFunction": ("PATCH", "/v1/me", False),
    "DeleteMeFunction": ("DELETE", "/v1/me", False),
    "ExportMeFunction": ("GET", "/v1/me/export", False),
}


def _by_id():
    return {f.logical_id: f for f in functions()}


def _secret_refs(fn) -> set[str]:
    text = json.dumps(fn.properties.get("Policies", []))
    return set(re.findall(r'"Ref": "(\w+Secret)"', text))


def test_no_dev_route_exists_in_the_template():
    # The local outbox (/_dev/outbox) and other dev tools are served by the local gateway only
    paths = [r.path for f in functions() for r in f.routes]
    assert not [p for p in paths if p.startswith("/_dev")]
    assert "/_dev" not in (ROOT / "template.yaml").read_text()


def test_every_identity_route_has_its_function_event_and_auth_mode():
    fns = _by_id()
    for lid, (method, path, public) in IDENTITY.items():
        fn = fns[lid]
        assert [(r.method, r.path, r.public) for r in fn.routes] == [(method, path, public)], lid
        assert fn.module_path.exists(), lid
        event = json.loads((ROOT / "events" / fn.domain / f"{fn.name}.json").read_text())
        assert event["routeKey"] == f"{method} {path}", lid
        assert ("authorizer" in event["requestContext"]) is (not public), lid


def test_only_token_issuing_functions_can_read_the_private_key():
    readers = {f.logical_id for f in functions() if "JwtPrivateKeySecret" in _secret_refs(f)}
    assert readers == {"VerifyOtpFunction", "LoginFunction", "RefreshTokenFunction"}
    assert _secret_refs(_by_id()["AuthorizeFunction"]) == {"JwtPublicKeysSecret"}


def test_the_twilio_layer_is_attached_only_where_messages_are_sent():
    with_twilio = {f.logical_id for f in functions() if "TwilioLayer" in f.layers}
    assert with_twilio == {"SignupFunction", "SendOtpFunction", "TwilioStatusFunction", "NotifyFunction"}
    assert "twilio" not in (ROOT / "layers/core/requirements.txt").read_text()
    assert "twilio" in (ROOT / "layers/twilio/requirements.txt").read_text()


def test_table_permissions_are_least_privilege():
    fns = _by_id()
    for lid in [*IDENTITY, "AuthorizeFunction"]:
        text = json.dumps(fns[lid].properties.get("Policies", []))
        assert "dynamodb:Scan" not in text and '"dynamodb:*"' not in text, lid
    assert _table_actions("GetMeFunction") == (["dynamodb:GetItem"], [["USER#*"]])
    assert _table_actions("AuthorizeFunction") == (["dynamodb:BatchGetItem"], [["USER#*"]])
    # And a sign-in function can reach identity items only: never a job, a conversation or money
    for lid in set(IDENTITY) - {"DeleteMeFunction"}:  # erasure reaches all the user owns
        _, leading = _table_actions(lid)
        assert leading and all(set(keys) <= IDENTITY_PARTITIONS for keys in leading), lid


IDENTITY_PARTITIONS = {"USER#*", "PHONE#*", "OTP#*", "RT#*", "RL#*", "TWMSG#*", "REFCODE#*"}


def _table_actions(lid: str) -> tuple[list[str], list[list[str]]]:
    """A function's DynamoDB actions, and the leading keys each of their statements is held to."""
    actions: list[str] = []
    leading: list[list[str]] = []
    for policy in _by_id()[lid].properties.get("Policies", []):
        for st in policy.get("Statement", []) if isinstance(policy, dict) else []:
            mine = [a for a in st.get("Action", []) if a.startswith("dynamodb:")]
            if mine:
                actions += mine
                leading.append(st.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys"))
    return actions, leading


def test_secrets_exist_and_match_the_local_names():
    from local.resources import SECRETS

    res = load_template()["Resources"]
    for logical, env in [
        ("OtpPepperSecret", "OTP_PEPPER_SECRET_NAME"),
        ("JwtPrivateKeySecret", "JWT_PRIVATE_KEY_SECRET_NAME"),
        ("JwtPublicKeysSecret", "JWT_PUBLIC_KEYS_SECRET_NAME"),
        ("TwilioSecret", "TWILIO_SECRET_NAME"),
    ]:
        assert res[logical]["Type"] == "AWS::SecretsManager::Secret"
        name = res[logical]["Properties"]["Name"]["Fn::Sub"].replace("${Stage}", "local")
        assert SECRETS[env][0] == name


def test_messaging_backend_is_never_chosen_by_the_template_or_a_stage_check():
    assert "MESSAGING_BACKEND" not in (ROOT / "template.yaml").read_text()
    for path in [
        *Path(ROOT / "layers/core/khaya/messaging").glob("*.py"),
        *Path(ROOT / "layers/core/khaya/identity").glob("*.py"),
    ]:
        assert "is_local" not in path.read_text() and '"local"' not in path.read_text(), path


def test_function_modules_import_no_sdk():
    for lid in [*IDENTITY, "AuthorizeFunction"]:
        source = _by_id()[lid].module_path.read_text()
        assert not re.search(r"^\s*(import|from)\s+(boto3|botocore|twilio|requests)\b", source, re.M), lid
