"""POST /v1/webhooks/twilio/status: signed callbacks only; an undelivered WhatsApp code goes by SMS."""

import base64
import json
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from tests.integration.identity.helpers import otp_item, table_items
from tests.support.identity import random_phone, send_queued_codes, signup_and_login_in_process

URL = "https://api.khaya.test/v1/webhooks/twilio/status"


def _auth_token() -> str:
    from khaya.config import settings
    from khaya.secrets import get_secret

    return json.loads(get_secret(settings().require("TWILIO_SECRET_NAME")))["authToken"]


def _post(call_route, params, signature):
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["x-twilio-signature"] = signature
    return call_route("POST", "/v1/webhooks/twilio/status", body=urlencode(params).encode(), headers=headers)


def _signed(params, url=URL):
    return RequestValidator(_auth_token()).compute_signature(url, params)


def _whatsapp_login_code(call_route, sender):
    user = signup_and_login_in_process(call_route, "client")
    call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"})
    send_queued_codes()
    sid = sender.sent[-1]["sid"]
    assert sender.sent[-1]["channel"] == "whatsapp"
    return user, sid, sender.last_code(user["phone"])


def test_the_form_body_arrives_base64_encoded(aws, call_route):
    from local.events import http_event

    event = http_event(
        "POST", "/v1/webhooks/twilio/status", body=b"a=1", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"a=1"


def test_a_forged_callback_is_401_and_writes_nothing(aws, call_route, sender):
    _user, sid, _ = _whatsapp_login_code(call_route, sender)
    before = table_items()
    params = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "63003"}
    for signature in (
        None,
        "",
        "bm90IGEgc2lnbmF0dXJl",
        _signed(params, url="https://evil.test/hook"),
        _signed({**params, "ErrorCode": "1"}),
    ):
        res = _post(call_route, params, signature)
        assert res.status == 401, res
        assert res.json["error"]["code"] == "bad_signature"
    assert table_items() == before
    assert len(sender.sent) == 2  # nothing resent


def test_an_undelivered_whatsapp_code_is_replaced_by_an_sms_code(aws, call_route, sender):
    user, sid, old_code = _whatsapp_login_code(call_route, sender)
    params = {
        "MessageSid": sid,
        "MessageStatus": "undelivered",
        "ErrorCode": "63024",
        "AccountSid": "AC1",
        "To": f"whatsapp:{user['phone']}",
    }
    # When Twilio reports the WhatsApp message undelivered (signed as Twilio signs)
    res = _post(call_route, params, _signed(params))
    # Then the callback is accepted and a new code goes out by SMS
    assert res.status == 204, res
    assert sender.sent[-1]["channel"] == "sms" and sender.sent[-1]["to"] == user["phone"]
    new_code = sender.last_code(user["phone"])
    # And the old WhatsApp code no longer works, the SMS one does (when they differ)
    if new_code != old_code:
        bad = call_route("POST", "/v1/auth/verify", body={"phone": user["phone"], "code": old_code, "purpose": "login"})
        assert bad.status == 400
    ok = call_route("POST", "/v1/auth/verify", body={"phone": user["phone"], "code": new_code, "purpose": "login"})
    assert ok.status == 200, ok


def test_a_repeated_callback_sends_one_sms_only(aws, call_route, sender):
    _user, sid, _ = _whatsapp_login_code(call_route, sender)
    for status in ("failed", "undelivered", "undelivered"):
        params = {"MessageSid": sid, "MessageStatus": status}
        assert _post(call_route, params, _signed(params)).status == 204
    assert [m["channel"] for m in sender.sent[-2:]] == ["whatsapp", "sms"]


def test_delivered_and_used_codes_send_nothing(aws, call_route, sender):
    user, sid, code = _whatsapp_login_code(call_route, sender)
    delivered = {"MessageSid": sid, "MessageStatus": "delivered"}
    assert _post(call_route, delivered, _signed(delivered)).status == 204
    assert (
        call_route("POST", "/v1/auth/verify", body={"phone": user["phone"], "code": code, "purpose": "login"}).status
        == 200
    )
    late = {"MessageSid": sid, "MessageStatus": "undelivered"}
    assert _post(call_route, late, _signed(late)).status == 204
    assert sender.sent[-1]["channel"] == "whatsapp"
    assert otp_item(user["phone"], "login") is None


def test_sms_fallback_failing_leaves_no_usable_code(aws, call_route, sender):
    user, sid, _code = _whatsapp_login_code(call_route, sender)
    sender.sms_error = "unreachable"
    params = {"MessageSid": sid, "MessageStatus": "undelivered"}
    assert _post(call_route, params, _signed(params)).status == 204
    assert otp_item(user["phone"], "login") is None


def test_unknown_message_sids_are_ignored(aws, call_route, sender):
    params = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "undelivered", "To": random_phone()}
    assert _post(call_route, params, _signed(params)).status == 204
    assert sender.sent == []


def test_a_json_body_is_415(aws, call_route):
    res = call_route("POST", "/v1/webhooks/twilio/status", body={"MessageSid": "SM1", "MessageStatus": "failed"})
    assert res.status == 415
    assert table_items() == []


def test_a_late_callback_for_an_earlier_codes_message_leaves_the_current_code_alone(aws, call_route, sender):
    import time

    from khaya import db
    from khaya.identity import keys

    user, first_sid, _ = _whatsapp_login_code(call_route, sender)
    # Given the person asked again once the 60 s had passed, and got a second WhatsApp code
    db.update(*keys.otp(user["phone"], "login"), set={"sentAt": int(time.time()) - 61})
    assert call_route("POST", "/v1/auth/otp", body={"phone": user["phone"], "purpose": "login"}).status == 202
    current = sender.last_code(user["phone"])
    assert sender.sent[-1]["sid"] != first_sid
    sent = len(sender.sent)
    # When Twilio reports the first message undelivered, late
    params = {"MessageSid": first_sid, "MessageStatus": "undelivered", "ErrorCode": "63016"}
    assert _post(call_route, params, _signed(params)).status == 204
    # Then nothing is resent, and the code the person holds still signs in
    assert len(sender.sent) == sent
    ok = call_route("POST", "/v1/auth/verify", body={"phone": user["phone"], "code": current, "purpose": "login"})
    assert ok.status == 200, ok


def _undelivered(call_route, sid):
    params = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "63024"}
    assert _post(call_route, params, _signed(params)).status == 204


def test_every_code_message_asks_twilio_to_report_its_delivery(aws, call_route, sender):
    _user, sid, _ = _whatsapp_login_code(call_route, sender)
    # The WhatsApp code names the status webhook: without it an undelivered code is never replaced
    assert sender.sent[-1]["statusCallback"] == URL
    _undelivered(call_route, sid)
    assert sender.sent[-1]["channel"] == "sms" and sender.sent[-1]["statusCallback"] == URL


def test_the_sms_code_lives_five_minutes_from_the_fallback_and_the_delivery_record_goes(aws, call_route, sender):
    import time

    from khaya import db
    from khaya.identity import keys
    from khaya.identity.otp import message_ref

    user, sid, _ = _whatsapp_login_code(call_route, sender)
    # Given the WhatsApp code has only 20 s left when Twilio reports it undelivered
    now = int(time.time())
    db.update(*keys.otp(user["phone"], "login"), set={"expiresAt": now + 20, "ttl": now + 80})
    before = int(time.time())
    _undelivered(call_route, sid)
    after = int(time.time())
    item = otp_item(user["phone"], "login")
    # Then the SMS code has its own 5 minutes (and DynamoDB's clean-up a minute after them)
    assert before + 300 <= int(item["expiresAt"]) <= after + 300
    assert int(item["ttl"]) == int(item["expiresAt"]) + 60
    # And the item names the SMS now, so a later callback about the WhatsApp message does nothing
    assert item["channel"] == "sms" and item["messageSid"] == sender.sent[-1]["sid"]
    assert db.get(*message_ref(sid), consistent=True) is None


@pytest.mark.parametrize("state", ["expired", "exhausted"])
def test_an_expired_or_exhausted_code_is_not_replaced(aws, call_route, sender, state):
    import time

    from khaya import db
    from khaya.identity import keys

    user, sid, code = _whatsapp_login_code(call_route, sender)
    if state == "expired":
        db.update(*keys.otp(user["phone"], "login"), set={"expiresAt": int(time.time()) - 1})
    else:
        for n in range(1, 6):
            wrong = f"{(int(code) + n) % 10**6:06d}"
            body = {"phone": user["phone"], "code": wrong, "purpose": "login"}
            assert call_route("POST", "/v1/auth/verify", body=body).status == 400
    sent = len(sender.sent)
    _undelivered(call_route, sid)
    # A dead code gets no fresh SMS code: the person asks again, through the gate and the limits
    assert len(sender.sent) == sent


@pytest.mark.parametrize("status", ["queued", "sent", "delivered", "read", ""])
def test_only_an_undelivered_or_failed_status_replaces_a_code(aws, call_route, sender, status):
    from khaya.identity.otp import handle_delivery_status

    user, sid, _code = _whatsapp_login_code(call_route, sender)
    before = otp_item(user["phone"], "login")
    handle_delivery_status(sid, status, None)
    handle_delivery_status("", "undelivered", "63024")
    assert len(sender.sent) == 2 and otp_item(user["phone"], "login") == before
    # While "failed" (Twilio could not send it at all) replaces the code as "undelivered" does
    handle_delivery_status(sid, "failed", "63016")
    assert len(sender.sent) == 3 and sender.sent[-1]["channel"] == "sms"
    assert otp_item(user["phone"], "login")["codeHash"] != before["codeHash"]


def _newer_code_meanwhile(phone):
    """What a newer code's send leaves on the item (another request won while this send ran)."""
    from khaya import db
    from khaya.identity import keys

    db.update(*keys.otp(phone, "login"), set={"codeHash": "f" * 64, "messageSid": "SMnewer", "channel": "sms"})


def test_a_failed_sms_fallback_leaves_a_newer_code_alone(aws, call_route, sender):
    user, sid, _ = _whatsapp_login_code(call_route, sender)
    send_sms = sender.send_sms

    def newer_then_fail(to, body, *, status_callback=None):
        _newer_code_meanwhile(user["phone"])
        sender.sms_error = "unreachable"
        return send_sms(to, body, status_callback=status_callback)

    sender.send_sms = newer_then_fail
    _undelivered(call_route, sid)
    item = otp_item(user["phone"], "login")
    assert item is not None and item["codeHash"] == "f" * 64 and item["messageSid"] == "SMnewer"


def test_a_sent_sms_fallback_does_not_rename_a_newer_codes_message(aws, call_route, sender):
    user, sid, _ = _whatsapp_login_code(call_route, sender)
    send_sms = sender.send_sms

    def newer_then_send(to, body, *, status_callback=None):
        _newer_code_meanwhile(user["phone"])
        return send_sms(to, body, status_callback=status_callback)

    sender.send_sms = newer_then_send
    _undelivered(call_route, sid)
    assert otp_item(user["phone"], "login")["messageSid"] == "SMnewer"


def test_two_callbacks_for_one_message_racing_send_one_sms(aws, call_route, sender, monkeypatch):
    import threading

    from khaya.identity import otp

    user, sid, _ = _whatsapp_login_code(call_route, sender)
    # Twilio reports "failed" then "undelivered" for one message, and the two callbacks overlap:
    # the second has read the message's record before the first deletes it, and tries to replace
    # the code while the first one's SMS is on its way
    second_read_it, first_sending, second_done = threading.Event(), threading.Event(), threading.Event()
    new_code = otp._new_code

    def paced_new_code():
        if threading.current_thread().name == "second":
            second_read_it.set()
            first_sending.wait(10)
        return new_code()

    monkeypatch.setattr(otp, "_new_code", paced_new_code)
    send_sms = sender.send_sms

    def first_sends(to, body, *, status_callback=None):
        if threading.current_thread().name != "second":
            first_sending.set()
            second_done.wait(10)
        return send_sms(to, body, status_callback=status_callback)

    sender.send_sms = first_sends

    def second():
        try:
            otp.handle_delivery_status(sid, "undelivered", "63024")
        finally:
            second_done.set()

    racer = threading.Thread(target=second, name="second")
    racer.start()
    assert second_read_it.wait(10)
    otp.handle_delivery_status(sid, "failed", "63016")
    racer.join(10)
    assert first_sending.is_set() and second_done.is_set()
    # Then one SMS code went out, and it is the one the item holds
    assert [m["channel"] for m in sender.sent] == ["whatsapp", "whatsapp", "sms"]
    assert otp_item(user["phone"], "login")["messageSid"] == sender.sent[-1]["sid"]
