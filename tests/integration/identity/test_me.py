"""GET/PATCH/DELETE /v1/me and GET /v1/me/export."""

import pytest

from khaya import db
from khaya.identity import keys
from tests.integration.identity.helpers import table_items
from tests.support import table_keys
from tests.support.identity import random_phone, signup_and_login_in_process


@pytest.fixture
def two_users(aws, call_route):
    return signup_and_login_in_process(call_route, "client", name="Alice A"), signup_and_login_in_process(
        call_route, "worker", name="Bob B"
    )


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/v1/me"), ("PATCH", "/v1/me"), ("DELETE", "/v1/me"), ("GET", "/v1/me/export")]
)
def test_without_a_caller_every_me_route_is_401(aws, call_route, method, path):
    res = call_route(method, path, body={} if method == "PATCH" else None)
    assert res.status == 401
    assert res.json["error"]["code"] == "unauthorized"


def test_each_user_sees_only_their_own_profile(two_users, call_route):
    alice, bob = two_users
    a = call_route("GET", "/v1/me", caller=alice["caller"])
    b = call_route("GET", "/v1/me", caller=bob["caller"])
    assert a.json["name"] == "Alice A" and a.json["phone"] == alice["phone"]
    assert b.json["name"] == "Bob B" and "Alice" not in b.text and alice["phone"] not in b.text
    assert "passwordHash" not in a.text and "tokenVersion" not in a.text


def test_patch_changes_only_the_callers_profile(two_users, call_route):
    alice, bob = two_users
    res = call_route(
        "PATCH",
        "/v1/me",
        body={"name": "Alice Z", "email": "alice@example.com", "city": "Durban"},
        caller=alice["caller"],
    )
    assert res.status == 200, res
    assert (res.json["name"], res.json["email"], res.json["city"]) == ("Alice Z", "alice@example.com", "Durban")
    assert call_route("GET", "/v1/me", caller=bob["caller"]).json["name"] == "Bob B"
    # null clears an optional field
    res = call_route("PATCH", "/v1/me", body={"email": None}, caller=alice["caller"])
    assert res.status == 200 and res.json.get("email") is None


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email"},
        {"name": ""},
        {"name": None},
        {"role": "admin"},
        {"phone": "+27821234567"},
        {"status": "active"},
        {"avatarKey": "users/SOMEONE-ELSE/pic.jpg"},
    ],
)
def test_bad_patches_are_400_and_change_nothing(two_users, call_route, body):
    alice, _ = two_users
    before = table_items()
    res = call_route("PATCH", "/v1/me", body=body, caller=alice["caller"])
    assert res.status == 400, res
    assert table_items() == before


@pytest.mark.parametrize("tail", ["../{other}/a.png", "x/../../{other}/a.png", "a.png/../../{other}/b.png", "a.exe"])
def test_an_avatar_key_that_is_not_exactly_an_own_image_is_a_400(two_users, call_route, tail):
    alice, bob = two_users
    # When Alice names a key that starts with her prefix but leads elsewhere (or is not an image)
    key = f"users/{alice['user']['userId']}/" + tail.format(other=bob["user"]["userId"])
    res = call_route("PATCH", "/v1/me", body={"avatarKey": key}, caller=alice["caller"])
    # Then it is refused, and her profile shows no such avatar
    assert res.status == 400 and res.json["error"]["details"][0]["field"] == "avatarKey", res
    assert call_route("GET", "/v1/me", caller=alice["caller"]).json.get("avatarKey") is None


def test_an_avatar_key_must_be_under_the_callers_prefix(two_users, call_route):
    alice, _ = two_users
    key = f"users/{alice['user']['userId']}/avatar.jpg"
    res = call_route("PATCH", "/v1/me", body={"avatarKey": key}, caller=alice["caller"])
    assert res.status == 200 and res.json["avatarKey"] == key


def test_delete_erases_personal_data_keeps_the_ledger_and_frees_the_number(two_users, call_route):
    alice, bob = two_users
    uid = alice["user"]["userId"]
    # Given a ledger entry that names Alice
    db.put(
        {
            **table_keys.ledger_entry("JOB1", "TXN1").item(),
            **table_keys.user_ledger_index(uid, "TXN1").item(),
            "amount": -500,
            "currency": "ZAR",
            "userId": uid,
        }
    )
    # When Alice erases her account
    res = call_route("DELETE", "/v1/me", caller=alice["caller"])
    assert res.status == 204 and res.text == "", res
    # Then her name, phone and email are gone from every item (the local outbox simulator aside)
    dump = str([i for i in table_items() if not i["pk"]["S"].startswith("OUTBOX#")])
    assert alice["phone"] not in dump and "Alice A" not in dump
    profile = db.get(*keys.user(uid))
    assert profile["status"] == "deleted" and profile["name"] == "Deleted user" and "phone" not in profile
    # And the anonymised ledger entry is still there
    assert db.get(*table_keys.ledger_entry("JOB1", "TXN1"))["amount"] == -500
    # And her sessions are over, her profile is gone, Bob is untouched
    assert call_route("POST", "/v1/auth/refresh", body={"refreshToken": alice["tokens"]["refreshToken"]}).status == 401
    assert call_route("GET", "/v1/me", caller=alice["caller"]).status == 404
    assert call_route("GET", "/v1/me", caller=bob["caller"]).status == 200
    # And the number can sign up again
    again = call_route("POST", "/v1/auth/signup", body={"phone": alice["phone"], "name": "New Alice", "role": "client"})
    assert again.status == 201 and again.json["userId"] != uid


def test_export_holds_the_callers_data_and_no_secrets(two_users, call_route):
    alice, bob = two_users
    uid = alice["user"]["userId"]
    db.put(
        {
            **table_keys.ledger_entry("JOB9", "TXN9").item(),
            **table_keys.user_ledger_index(uid, "TXN9").item(),
            "amount": 1000,
            "currency": "ZAR",
        }
    )
    res = call_route("GET", "/v1/me/export", caller=alice["caller"])
    assert res.status == 200, res
    data = res.json
    assert data["profile"]["userId"] == uid and data["profile"]["phone"] == alice["phone"]
    assert len(data["sessions"]) == 1 and data["sessions"][0]["status"] == "active"
    assert any(r.get("amount") == 1000 for r in data["related"])
    for secret in (
        "passwordHash",
        "codeHash",
        "current",
        alice["tokens"]["refreshToken"],
        bob["phone"],
        bob["user"]["userId"],
    ):
        assert secret not in res.text


def test_create_admin_command_makes_an_active_admin(aws, capsys):
    from khaya.identity.cli import main
    from tests.integration.identity.helpers import user_by_phone

    phone = random_phone()
    assert main(["create-admin", "--phone", "0" + phone[3:], "--name", "Thandi Admin"]) == 0
    out = capsys.readouterr().out
    user = user_by_phone(phone)
    assert user["role"] == "admin" and user["status"] == "active" and user["userId"] in out
    # The same number again is refused
    assert main(["create-admin", "--phone", phone, "--name", "Again"]) == 1


def test_an_admin_logs_in_with_a_code(aws, call_route, sender):
    from tests.support.identity import make_admin

    admin = make_admin()
    assert call_route("POST", "/v1/auth/otp", body={"phone": admin["phone"], "purpose": "login"}).status == 202
    res = call_route(
        "POST",
        "/v1/auth/verify",
        body={"phone": admin["phone"], "code": sender.last_code(admin["phone"]), "purpose": "login"},
    )
    assert res.status == 200 and res.json["user"]["role"] == "admin"
