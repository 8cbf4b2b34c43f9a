"""Provider contract tests: every request is intercepted at the ``requests`` transport (no socket)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from khaya.payments import http_client


@pytest.fixture
def intercepted(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    """A transport that answers only what a test registers and fails on anything else; retries do
    not wait."""
    monkeypatch.setattr(http_client.time, "sleep", lambda s: None)
    http_client.reset()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps
    http_client.reset()
