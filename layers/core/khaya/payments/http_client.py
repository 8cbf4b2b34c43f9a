"""One small HTTP client for the payment providers: plain ``requests``, timeouts, careful retries.

* Every call has a connect and a read timeout; ``requests`` is imported on the first call, so a
  route that never talks to a provider never pays for it on a cold start.
* Retries (up to ``RETRIES`` more, jittered backoff) only for calls that are safe to repeat:
  reads, and writes the provider deduplicates (a Stripe ``Idempotency-Key``, a Paystack transfer
  ``reference``). A write without that is sent once: when its answer is lost we cannot know
  whether it happened, so the caller gets ``ProviderUnavailable(ambiguous=True)`` and must find
  out (re-read from the provider) before trying again.
* Answers become plain dicts; failures become ``ProviderRejected`` (the provider said no: 4xx)
  or ``ProviderUnavailable`` (down, slow, 5xx, 429). Neither carries a secret: the
  ``Authorization`` header is never logged or kept.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import Any

from khaya.errors import ServiceUnavailable, UpstreamError
from khaya.observability import logger

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 10.0
RETRIES = 2
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

_session: Any = None


class ProviderRejected(UpstreamError):
    """The provider refused the request (a 4xx): repeating it unchanged will not help."""

    code = "provider_rejected"
    default_message = "The payment provider refused the request."

    def __init__(self, provider: str, status: int, body: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.provider = provider
        self.http_status = status
        self.body = dict(body or {})

    @property
    def provider_message(self) -> str:
        err = self.body.get("error")
        if isinstance(err, dict):
            return str(err.get("message") or err.get("code") or "")
        return str(self.body.get("message") or "")


class ProviderUnavailable(ServiceUnavailable):
    """No usable answer (connection, timeout, 5xx, 429). ``ambiguous``: a write may have happened."""

    code = "provider_unavailable"
    default_message = "The payment provider is unavailable; try again shortly."

    def __init__(self, provider: str, *, ambiguous: bool) -> None:
        super().__init__(retry_after=5)
        self.provider = provider
        self.ambiguous = ambiguous


def _requests() -> Any:
    global _session
    if _session is None:
        import requests

        _session = requests.Session()
    return _session


def call(
    provider: str,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    json: Any = None,
    data: Any = None,
    params: Mapping[str, Any] | None = None,
    repeatable: bool,
    read_timeout: float = READ_TIMEOUT,
) -> dict[str, Any]:
    """Send one request (retried only if ``repeatable``); the JSON answer of a 2xx."""
    import requests

    session = _requests()
    attempts = 1 + (RETRIES if repeatable else 0)
    for attempt in range(attempts):
        last = attempt == attempts - 1
        try:
            resp = session.request(
                method,
                url,
                headers=dict(headers),
                json=json,
                data=data,
                params=params,
                timeout=(CONNECT_TIMEOUT, read_timeout),
            )
        except requests.ConnectionError as exc:
            # Only a connection that was never made is sure not to have delivered the request.
            sent = not isinstance(exc, requests.ConnectTimeout)
            logger.warning("provider unreachable", extra={"provider": provider, "attempt": attempt + 1})
            if last:
                raise ProviderUnavailable(provider, ambiguous=sent and method != "GET") from None
        except requests.Timeout:
            logger.warning("provider timed out", extra={"provider": provider, "attempt": attempt + 1})
            if last:
                raise ProviderUnavailable(provider, ambiguous=method != "GET") from None
        else:
            body = _body(resp)
            if 200 <= resp.status_code < 300:
                return body
            logger.warning(
                "provider answered an error",
                extra={"provider": provider, "status": resp.status_code, "attempt": attempt + 1},
            )
            if resp.status_code not in _RETRY_STATUSES:
                raise ProviderRejected(provider, resp.status_code, body)
            if last:
                raise ProviderUnavailable(provider, ambiguous=resp.status_code >= 500 and method != "GET")
        time.sleep(random.uniform(0.05, 0.25 * 2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def _body(resp: Any) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"data": body}


def reset() -> None:
    """Forget the pooled session (tests switch transports)."""
    global _session
    _session = None
