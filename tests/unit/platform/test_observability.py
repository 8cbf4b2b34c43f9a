"""Logs never carry a full phone number or a token, even when code slips."""

from khaya.observability import logger, mask_phone
from tests.support.logs import captured_logs


def test_phone_numbers_and_tokens_in_a_log_message_are_masked():
    jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    with captured_logs() as logs:
        logger.info(f"sending to +27821234567 with {jwt} and refresh {'a' * 43}")
    line = logs.getvalue()
    assert "+27821234567" not in line and "821234567" not in line
    assert jwt not in line and "a" * 43 not in line
    assert mask_phone("+27821234567") in line


def test_masked_phone_keeps_only_country_code_and_last_two_digits():
    assert mask_phone("+27821234567") == "+27*******67"


def test_a_business_metric_is_one_valid_emf_line_with_its_dimensions(capsys):
    import json

    from khaya.observability import metric

    # When two events are recorded
    metric("OtpSent", channel="whatsapp")
    metric("Login", result="failed")
    # Then CloudWatch gets one self-contained EMF record per event, nothing shared between them
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2
    first, second = lines
    spec = first["_aws"]["CloudWatchMetrics"][0]
    assert spec["Namespace"] == "Khaya"
    assert spec["Metrics"] == [{"Name": "OtpSent", "Unit": "Count"}]
    assert spec["Dimensions"] == [["service", "channel"]]
    assert first["OtpSent"] == 1 and first["channel"] == "whatsapp" and first["service"] == "khaya"
    assert "channel" not in second and second["result"] == "failed"
