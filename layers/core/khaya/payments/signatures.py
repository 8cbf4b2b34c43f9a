"""Webhook signatures, checked on the raw bytes of the body, in constant time.

* Paystack: ``x-paystack-signature`` = hex HMAC-SHA512 of the body keyed with the secret key.
* Stripe: ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]``; expected = hex HMAC-SHA256 of
  ``"{t}." + body`` keyed with the endpoint's signing secret. Any ``v1`` may match (two during a
  secret roll), any of our secrets may have made it (current and previous), and ``t`` must be
  within ``TOLERANCE_SECONDS`` of now, both ways.

The body is never parsed or re-serialised before this check: key order and spacing would change
and so would the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable

TOLERANCE_SECONDS = 300


def paystack_signature(body: bytes, secret_key: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), body, hashlib.sha512).hexdigest()


def paystack_valid(body: bytes, signature: str | None, secret_keys: Iterable[str]) -> bool:
    if not signature:
        return False
    given = signature.strip().lower().encode("ascii", "replace")
    ok = False
    for key in secret_keys:
        if key:
            # No early exit: every key is tried, so timing says nothing about which one matched.
            ok |= hmac.compare_digest(paystack_signature(body, key).encode("ascii"), given)
    return ok


def stripe_signature(body: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def stripe_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send (tests and the local simulator)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={stripe_signature(body, secret, t)}"


def _parse_stripe(header: str) -> tuple[int | None, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return None, []
        elif key == "v1" and value:
            signatures.append(value.strip())
    return timestamp, signatures


def stripe_valid(
    body: bytes,
    header: str | None,
    secrets: Iterable[str],
    *,
    now: int | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    if not header:
        return False
    timestamp, given = _parse_stripe(header)
    if timestamp is None or not given:
        return False
    current = int(time.time()) if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    ok = False
    for secret in secrets:
        if not secret:
            continue
        expected = stripe_signature(body, secret, timestamp).encode("ascii")
        for candidate in given:
            ok |= hmac.compare_digest(expected, candidate.encode("ascii", "replace"))
    return ok
