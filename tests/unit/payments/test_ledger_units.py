"""The fee arithmetic, ledger entries and payment keys, without a table."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khaya.payments import keys, ledger

JOB = {"id": "01JD0Z7A1B2C3D4E5F6G7H8J9K", "clientId": "C1", "workerId": "W1"}


@pytest.mark.parametrize(
    ("amount", "fee"),
    [(10, 1), (9, 0), (30, 2), (12310, 616), (10010, 501), (75000, 3750), (1, 0), (0, 0), (19, 1), (11, 1)],
)
def test_the_fee_is_5_percent_rounded_half_up_from_the_third_completed_job(amount, fee):
    assert ledger.platform_fee(amount, completed_before=2) == fee
    assert ledger.platform_fee(amount, completed_before=40) == fee


@pytest.mark.parametrize("done", [0, 1])
def test_the_fee_is_waived_on_a_workers_first_two_completed_jobs(done):
    assert ledger.platform_fee(75000, completed_before=done) == 0


@given(st.integers(min_value=0, max_value=10**12))
def test_the_fee_is_exactly_half_up_of_a_twentieth(amount):
    exact = Fraction(amount * 5, 100)
    fee = ledger.platform_fee(amount, completed_before=2)
    assert fee == int(exact + Fraction(1, 2))  # floor(x + 1/2): half-up for non-negative x
    assert 0 <= fee <= amount


@pytest.mark.parametrize("amount", [-1, 1.5, True, "100"])
def test_the_fee_refuses_anything_but_a_whole_non_negative_amount(amount):
    with pytest.raises(ValueError):
        ledger.platform_fee(amount, completed_before=2)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "source", "target", "party"),
    [
        ("charge", "client", "escrow", "C1"),
        ("fee", "escrow", "platform", "W1"),
        ("payout", "escrow", "worker", "W1"),
        ("reversal", "worker", "escrow", "W1"),
        ("refund", "escrow", "client", "C1"),
    ],
)
def test_an_entry_moves_one_positive_amount_between_two_accounts_and_shows_in_its_partys_list(
    kind, source, target, party
):
    item = ledger.entry_action(JOB, kind, 1234, "ZAR", reference="r", cause="c").params["Item"]
    assert item["postings"] == {
        "L": [
            {"M": {"account": {"S": source}, "amount": {"N": "-1234"}}},
            {"M": {"account": {"S": target}, "amount": {"N": "1234"}}},
        ]
    }
    assert item["gsi1pk"] == {"S": f"USER#{party}"} and item["kind"] == {"S": kind}
    assert item["pk"] == {"S": f"JOB#{JOB['id']}"} and item["sk"]["S"].startswith("TXN#")


def test_the_smallest_fee_one_minor_unit_is_booked():
    # 5 % of 10 to 29 minor units rounds half-up to 1: the fee entry of such a job moves that one unit
    fee = ledger.platform_fee(19, completed_before=2)
    item = ledger.entry_action(JOB, "fee", fee, "ZAR", reference="r", cause="fee").params["Item"]
    assert item["amount"] == {"M": {"amount": {"N": "1"}, "currency": {"S": "ZAR"}}}


@pytest.mark.parametrize(("kind", "amount"), [("charge", 0), ("charge", -5), ("payout", 1.0), ("bonus", 10)])
def test_an_entry_of_nothing_or_of_an_unknown_kind_is_refused(kind, amount):
    with pytest.raises(ValueError):
        ledger.entry_action(JOB, kind, amount, "ZAR", reference="r", cause="c")  # type: ignore[arg-type]


def test_balances_add_up_the_postings_of_every_entry():
    items = [
        {"postings": [{"account": "client", "amount": -100}, {"account": "escrow", "amount": 100}]},
        {"postings": [{"account": "escrow", "amount": -5}, {"account": "platform", "amount": 5}]},
    ]
    assert ledger.balances("J", items) == {"client": -100, "escrow": 95, "worker": 0, "platform": 5}


def test_payment_and_transfer_references_are_their_keys():
    job = JOB["id"]
    assert keys.parse_reference(keys.payment_reference(job, 7)) == (job, 7)
    ref = keys.transfer_reference(job, 3)
    assert ref == ref.lower() and 16 <= len(ref) <= 50  # Paystack: lowercase, 16-50 characters
    assert keys.parse_transfer_reference(ref) == (job, 3)


@pytest.mark.parametrize(
    "value", ["", "kh-", "kh-short-01", f"kh-{JOB['id']}-1", f"KH-{JOB['id']}-01", "T685312322670591"]
)
def test_references_that_are_not_ours_are_recognised(value):
    assert keys.parse_reference(value) is None
    assert keys.payment_by_reference(value) is None
    assert keys.parse_transfer_reference(value) is None


def test_a_provider_key_with_a_separator_stays_one_key_part():
    assert keys.event_seen("paystack", "transfer.success#TRF_1").pk == "EVT#paystack#transfer.success%23TRF_1"
