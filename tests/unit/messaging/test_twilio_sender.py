"""The Twilio adapter against Twilio's own client, with a fake transport (no socket)."""

import json
from urllib.parse import parse_qs

import pytest
import requests
from twilio.http import HttpClient
from twilio.http.response import Response

from khaya.messaging import DeliveryFailed, notify, use_sender
from khaya.messaging.twilio_sender import TwilioSender


class FakeTwilioTransport(HttpClient):
    """Answers Twilio's Messages API like Twilio does: 201 with a message, or an error body."""

    def __init__(self, *, whatsapp: object = None, sms: object = None) -> None:
        import logging

        super().__init__(logging.getLogger("fake-twilio"), is_async=False)
        self.outcomes = {"whatsapp": whatsapp, "sms": sms}
        self.requests: list[dict] = []

    def request(
        self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False
    ):
        form = (
            {k: v[0] for k, v in parse_qs(data if isinstance(data, str) else "").items()}
            if isinstance(data, str)
            else dict(data or {})
        )
        channel = "whatsapp" if str(form.get("To", "")).startswith("whatsapp:") else "sms"
        self.requests.append({"url": url, "form": form, "channel": channel})
        outcome = self.outcomes[channel]
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, int):
            body = {"code": outcome, "message": "refused", "more_info": "", "status": 400}
            return Response(400, json.dumps(body))
        return Response(201, json.dumps({"sid": "SM" + "a" * 32, "status": "queued", "error_code": None}))


def _sender(transport):
    return TwilioSender(
        "AC" + "0" * 32, "token", whatsapp_from="+27600000000", sms_from="+27600000001", http_client=transport
    )


def test_whatsapp_goes_as_the_approved_template_with_the_code_variable():
    transport = FakeTwilioTransport()
    sid = _sender(transport).send_whatsapp_template(
        "+27821234567", "HXabc", {"1": "123456"}, status_callback="https://x/cb"
    )
    assert sid.startswith("SM")
    form = transport.requests[0]["form"]
    assert form["To"] == "whatsapp:+27821234567" and form["From"] == "whatsapp:+27600000000"
    assert form["ContentSid"] == "HXabc" and json.loads(form["ContentVariables"]) == {"1": "123456"}
    assert form["StatusCallback"] == "https://x/cb" and "Body" not in form


@pytest.mark.parametrize("code", [63003, 63016, 63024])
def test_twilio_error_codes_become_delivery_failures(code):
    with pytest.raises(DeliveryFailed) as err:
        _sender(FakeTwilioTransport(whatsapp=code)).send_whatsapp_template("+27821234567", "HXabc", {"1": "1"})
    assert (err.value.channel, err.value.code) == ("whatsapp", str(code))


def test_twilio_unreachable_is_a_delivery_failure():
    transport = FakeTwilioTransport(whatsapp=requests.ConnectionError("refused"))
    with pytest.raises(DeliveryFailed) as err:
        _sender(transport).send_whatsapp_template("+27821234567", "HXabc", {"1": "1"})
    assert err.value.code == "unreachable"


def test_notify_falls_back_to_sms_through_the_real_adapter():
    transport = FakeTwilioTransport(whatsapp=63016)
    use_sender(_sender(transport))
    try:
        sent = notify("+27821234567", text="Your bid was accepted", whatsapp_template="HXbid", variables={"1": "Gate"})
    finally:
        use_sender(None)
    assert (sent.channel, sent.fallback_reason) == ("sms", "63016")
    assert transport.requests[-1]["form"]["Body"] == "Your bid was accepted"
    assert transport.requests[-1]["form"]["To"] == "+27821234567"


def test_both_channels_down_raise():
    use_sender(_sender(FakeTwilioTransport(whatsapp=63003, sms=requests.Timeout("slow"))))
    try:
        with pytest.raises(DeliveryFailed) as err:
            notify("+27821234567", text="hi", whatsapp_template="HXbid")
    finally:
        use_sender(None)
    assert err.value.channel == "sms"
