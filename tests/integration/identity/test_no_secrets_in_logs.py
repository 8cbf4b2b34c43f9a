"""No log line of a full signup → verify → login → refresh → reset flow holds a code, a token,
a password or a full phone number (stdout, stderr and the logging module are all captured)."""

import logging

from local.cfn import functions
from local.events import LambdaContext, authorizer_event
from local.loader import load_handler
from tests.support.identity import random_phone


def test_a_full_flow_logs_no_secret(aws, call_route, sender, capfd, caplog):
    caplog.set_level(logging.INFO)  # every logger at the level the functions run with
    phone = random_phone()
    password, new_password = "first secret password", "second secret password"
    secrets: list[str] = [phone, phone[1:], password, new_password]

    # signup → verify
    res = call_route(
        "POST", "/v1/auth/signup", body={"phone": phone, "name": "Nomsa", "role": "client", "password": password}
    )
    assert res.status == 201
    code = sender.last_code(phone)
    secrets.append(code)
    verify = {"phone": phone, "code": code, "purpose": "signup", "signupId": res.json["userId"]}
    tokens = call_route("POST", "/v1/auth/verify", body=verify).json
    secrets += [tokens["accessToken"], tokens["refreshToken"]]
    # a wrong password, then login → refresh → the authorizer
    assert call_route("POST", "/v1/auth/login", body={"phone": phone, "password": "wrong password!!"}).status == 401
    login = call_route("POST", "/v1/auth/login", body={"phone": phone, "password": password}).json
    refreshed = call_route("POST", "/v1/auth/refresh", body={"refreshToken": login["refreshToken"]}).json
    secrets += [login["accessToken"], login["refreshToken"], refreshed["accessToken"], refreshed["refreshToken"]]
    fn = next(f for f in functions() if f.logical_id == "AuthorizeFunction")
    event = authorizer_event(
        "GET", "/v1/me", "/v1/me", {"authorization": f"Bearer {refreshed['accessToken']}"}, "1.2.3.4"
    )
    assert "userId" in load_handler(fn)(event, LambdaContext("AuthorizeFunction"))["context"]
    # reuse detection, then reset by code, with a WhatsApp failure on the way (SMS text holds the code)
    assert call_route("POST", "/v1/auth/refresh", body={"refreshToken": login["refreshToken"]}).status == 401
    sender.whatsapp_error = "63016"
    assert call_route("POST", "/v1/auth/otp", body={"phone": phone, "purpose": "reset"}).status == 202
    reset_code = sender.last_code(phone)
    secrets.append(reset_code)
    wrong = f"{(int(reset_code) + 1) % 10**6:06d}"
    assert call_route("POST", "/v1/auth/verify", body={"phone": phone, "code": wrong, "purpose": "login"}).status == 400
    res = call_route(
        "POST", "/v1/auth/password/reset", body={"phone": phone, "code": reset_code, "newPassword": new_password}
    )
    assert res.status == 204
    call_route("POST", "/v1/auth/logout", body={"refreshToken": refreshed["refreshToken"]})

    out, err = capfd.readouterr()
    lines = (out + err).splitlines() + [r.getMessage() + " " + str(r.__dict__) for r in caplog.records]
    assert len(lines) > 20  # the flow did log
    for line in lines:
        for secret in secrets:
            assert secret not in line, f"a secret leaked into a log line: {line[:80]}..."
