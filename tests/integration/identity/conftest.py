"""Fixtures for the identity tests: cheap password hashing, a fake message sender, clean caches."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.dynamodb_local import dynamodb_engine, dynamodb_local  # noqa: F401  (fixtures)
from tests.support.identity import FakeSender


@pytest.fixture(autouse=True)
def _identity_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from khaya.config import reset_settings
    from khaya.identity import authorizer, jwt_keys
    from khaya.messaging import use_sender

    # scrypt at N=2^12 instead of 2^17: same code path, test-speed cost (the default is tested apart).
    monkeypatch.setenv("PASSWORD_SCRYPT_LOG2_N", "12")
    monkeypatch.setenv("TWILIO_OTP_CONTENT_SID", "HXtesttemplate")
    monkeypatch.setenv("TWILIO_STATUS_CALLBACK_URL", "https://api.khaya.test/v1/webhooks/twilio/status")
    reset_settings()
    authorizer.reset_cache()
    jwt_keys.reset_key_cache()
    use_sender(None)
    yield
    use_sender(None)
    authorizer.reset_cache()
    jwt_keys.reset_key_cache()


@pytest.fixture
def sender() -> Iterator[FakeSender]:
    """A fake Twilio in place of the outbox; set ``whatsapp_error``/``sms_error`` to make it fail."""
    from khaya.messaging import use_sender

    fake = FakeSender()
    use_sender(fake)
    yield fake
    use_sender(None)
