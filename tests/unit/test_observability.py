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
