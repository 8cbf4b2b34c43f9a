"""Webhook signatures: Paystack's HMAC-SHA512 and Stripe's t=/v1= scheme, checked against the
official ``stripe`` package as an oracle (a dev-only dependency: the layer never imports it)."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khaya.payments.signatures import (
    TOLERANCE_SECONDS,
    paystack_signature,
    paystack_valid,
    stripe_header,
    stripe_signature,
    stripe_valid,
)

BODY = b'{"event":"charge.success","data":{"reference":"kh-1","amount":75000}}'


# ---------------------------------------------------------------- Paystack


def test_paystack_signature_is_the_hex_hmac_sha512_of_the_raw_body_keyed_with_the_secret_key():
    expected = hmac.new(b"sk_test_khaya_local", BODY, hashlib.sha512).hexdigest()
    assert paystack_signature(BODY, "sk_test_khaya_local") == expected
    assert paystack_valid(BODY, expected, ["sk_test_khaya_local"])


@pytest.mark.parametrize(
    "signature",
    [None, "", "0" * 128, paystack_signature(BODY, "sk_test_other"), paystack_signature(BODY + b" ", "sk_test_k")],
)
def test_paystack_refuses_a_missing_or_wrong_signature(signature):
    assert not paystack_valid(BODY, signature, ["sk_test_k"])


def test_paystack_accepts_the_previous_key_while_a_rotation_settles():
    old = paystack_signature(BODY, "sk_live_old")
    assert paystack_valid(BODY, old, ["sk_live_new", "sk_live_old"])
    assert not paystack_valid(BODY, old, ["sk_live_new", ""])


def test_paystack_accepts_the_new_key_while_the_previous_one_is_still_configured():
    assert paystack_valid(BODY, paystack_signature(BODY, "sk_live_new"), ["sk_live_new", "sk_live_old"])


@pytest.mark.parametrize("signature", ["é" * 128, paystack_signature(BODY, "sk_test_k")[:-1] + "é"])
def test_paystack_refuses_a_signature_with_characters_outside_ascii_without_an_error(signature):
    assert paystack_valid(BODY, signature, ["sk_test_k"]) is False


# ---------------------------------------------------------------- Stripe


def test_stripe_signature_is_hmac_sha256_of_t_dot_body():
    t = 1_700_000_000
    expected = hmac.new(b"whsec_x", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert stripe_signature(BODY, "whsec_x", t) == expected
    assert stripe_header(BODY, "whsec_x", t) == f"t={t},v1={expected}"


def test_a_header_made_now_carries_the_current_time():
    before = int(time.time())
    header = stripe_header(BODY, "whsec_x")
    t = int(header.split(",")[0].removeprefix("t="))
    assert before <= t <= int(time.time())
    assert stripe_valid(BODY, header, ["whsec_x"])


@pytest.mark.parametrize("skew", [-TOLERANCE_SECONDS, 0, TOLERANCE_SECONDS])
def test_stripe_accepts_timestamps_within_five_minutes_either_way(skew):
    now = 1_700_000_000
    assert stripe_valid(BODY, stripe_header(BODY, "whsec_x", now + skew), ["whsec_x"], now=now)


@pytest.mark.parametrize("skew", [-TOLERANCE_SECONDS - 1, TOLERANCE_SECONDS + 1, -86400])
def test_stripe_refuses_timestamps_outside_five_minutes_either_way(skew):
    now = 1_700_000_000
    assert not stripe_valid(BODY, stripe_header(BODY, "whsec_x", now + skew), ["whsec_x"], now=now)


@pytest.mark.parametrize(
    "header",
    [None, "", "t=abc,v1=00", "v1=00", "t=1700000000", "t=1700000000,v0=" + "0" * 64, "garbage"],
)
def test_stripe_refuses_malformed_headers(header):
    assert not stripe_valid(BODY, header, ["whsec_x"], now=1_700_000_000)


def test_stripe_accepts_any_matching_v1_and_any_configured_secret():
    t = 1_700_000_000
    good_old = stripe_signature(BODY, "whsec_old", t)
    header = f"t={t},v1={'a' * 64},v1={good_old},v0={'b' * 64}"
    assert stripe_valid(BODY, header, ["whsec_new", "whsec_old"], now=t)
    assert not stripe_valid(BODY, header, ["whsec_new"], now=t)


def test_stripe_trusts_v1_alone_not_a_valid_hmac_under_another_scheme():
    t = 1_700_000_000
    signature = stripe_signature(BODY, "whsec_x", t)
    assert not stripe_valid(BODY, f"t={t},v0={signature}", ["whsec_x"], now=t)
    assert not stripe_valid(BODY, f"t={t},v1=,x1={signature}", ["whsec_x"], now=t)


def test_stripe_refuses_a_header_with_a_malformed_timestamp_even_beside_a_good_one():
    t = 1_700_000_000
    good = f"t={t},v1={stripe_signature(BODY, 'whsec_x', t)}"
    assert stripe_valid(BODY, good, ["whsec_x"], now=t)
    assert not stripe_valid(BODY, f"t={t}=0,{good}", ["whsec_x"], now=t)


def test_stripe_reads_past_an_empty_item_in_the_header():
    t = 1_700_000_000
    header = f",t={t},,v1={stripe_signature(BODY, 'whsec_x', t)},"
    assert stripe_valid(BODY, header, ["whsec_x"], now=t)


def test_stripe_tries_every_secret_past_an_empty_one():
    t = 1_700_000_000
    assert stripe_valid(BODY, stripe_header(BODY, "whsec_x", t), ["", "whsec_x"], now=t)


@pytest.mark.parametrize("candidate", ["é" * 64, "0" * 63 + "é"])
def test_stripe_refuses_a_signature_with_characters_outside_ascii_without_an_error(candidate):
    t = 1_700_000_000
    assert stripe_valid(BODY, f"t={t},v1={candidate}", ["whsec_x"], now=t) is False


# ---------------------------------------------------------------- the official library as an oracle


def _stripe_accepts(body: bytes, header: str, secret: str) -> bool:
    import stripe

    try:
        return bool(stripe.WebhookSignature.verify_header(body, header, secret, tolerance=TOLERANCE_SECONDS))
    except stripe.SignatureVerificationError:
        return False


SECRETS = st.sampled_from(["whsec_khaya_local", "whsec_other", "whsec_3a9f2"])
# Away from the tolerance edge, so the second that passes between the two checks cannot split them.
SKEWS = st.integers(min_value=-3 * TOLERANCE_SECONDS, max_value=TOLERANCE_SECONDS - 5).filter(
    lambda s: abs(abs(s) - TOLERANCE_SECONDS) > 5
)


@st.composite
def signed(draw):  # type: ignore[no-untyped-def]
    body = draw(st.text(max_size=300)).encode("utf-8")
    signer, checker = draw(SECRETS), draw(SECRETS)
    t = int(time.time()) + draw(SKEWS)
    good = stripe_signature(body, signer, t)
    extras = draw(st.lists(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64), max_size=2))
    parts = [f"v1={x}" for x in extras]
    parts.insert(draw(st.integers(0, len(parts))), f"v1={good}")
    if draw(st.booleans()):
        parts.append("v0=" + "0" * 64)
    if draw(st.booleans()):  # tamper: a changed body, or a flipped signature
        if draw(st.booleans()):
            body = body + b" "
        else:
            parts = [p.replace(good, good[:-1] + ("0" if good[-1] != "0" else "1")) for p in parts]
    return body, "t=" + str(t) + "," + ",".join(parts), checker


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(signed())
def test_stripe_verification_agrees_with_the_official_library(case):
    body, header, secret = case
    assert stripe_valid(body, header, [secret]) == _stripe_accepts(body, header, secret)


def test_a_timestamp_from_the_future_is_refused_where_the_library_would_accept_it():
    # Deliberately stricter than the library: the tolerance applies both ways.
    t = int(time.time()) + 3600
    header = stripe_header(BODY, "whsec_x", t)
    assert _stripe_accepts(BODY, header, "whsec_x") is True
    assert stripe_valid(BODY, header, ["whsec_x"]) is False
