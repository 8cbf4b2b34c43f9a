"""The ledger audit after ``make load`` (``bench.load.audit.judge``): what it calls a problem."""

from __future__ import annotations

from typing import Any

from bench.load.audit import judge

JOB = {"id": "J1", "status": "paid_out", "acceptedAmount": {"amount": 100_000, "currency": "ZAR"}}


def entry(kind: str, amount: int, currency: str = "ZAR") -> dict[str, Any]:
    return {"type": kind, "amount": {"amount": amount, "currency": currency}, "jobId": "J1"}


def test_a_job_charged_once_and_paid_out_less_its_fee_has_no_problem() -> None:
    assert judge(JOB, [entry("charge", 100_000)], [entry("fee", 5_000), entry("payout", 95_000)]) == []


def test_a_second_charge_for_one_payment_is_a_problem() -> None:
    problems = judge(JOB, [entry("charge", 100_000), entry("charge", 100_000)], [entry("payout", 100_000)])
    assert problems and "2 charges" in problems[0]


def test_money_left_in_escrow_after_the_payout_is_a_problem() -> None:
    problems = judge(JOB, [entry("charge", 100_000)], [entry("payout", 90_000)])
    assert problems == ["J1: paid out with 10000 still in escrow, 1 payouts"]


def test_a_failed_transfer_reversed_and_paid_again_balances() -> None:
    worker = [entry("payout", 100_000), entry("reversal", 100_000), entry("payout", 100_000)]
    assert judge(JOB, [entry("charge", 100_000)], worker) == []


def test_a_funded_job_with_a_payout_or_a_job_paid_for_yet_still_assigned_is_a_problem() -> None:
    funded = {**JOB, "status": "funded"}
    assert judge(funded, [entry("charge", 100_000)], []) == []
    assert judge(funded, [entry("charge", 100_000)], [entry("payout", 100_000)]) == [
        "J1: funded with a payout standing"
    ]
    assert judge({**JOB, "status": "assigned"}, [], []) == ["J1: paid for, yet assigned"]


def test_a_charge_of_another_amount_or_currency_is_a_problem() -> None:
    assert judge({**JOB, "status": "funded"}, [entry("charge", 99_000)], []) == ["J1: charged 99000, accepted 100000"]
    assert judge({**JOB, "status": "funded"}, [entry("charge", 100_000, "NGN")], [])[0].startswith("J1: an entry")


def test_a_completed_job_whose_transfer_is_on_its_way_holds_one_payout_and_an_empty_escrow() -> None:
    on_its_way = {**JOB, "status": "completed", "payoutStatus": "in_flight"}
    assert judge(on_its_way, [entry("charge", 100_000)], [entry("fee", 5_000), entry("payout", 95_000)]) == []
    assert judge(on_its_way, [entry("charge", 100_000)], [entry("fee", 5_000)]) == [
        "J1: completed, its transfer on its way, with 95000 still in escrow, 0 payouts"
    ]
    waiting = {**JOB, "status": "completed", "payoutStatus": "pending"}
    assert judge(waiting, [entry("charge", 100_000)], [entry("payout", 100_000)]) == [
        "J1: completed with a payout standing"
    ]


def test_a_cancelled_job_must_have_given_its_whole_charge_back() -> None:
    cancelled = {**JOB, "status": "cancelled"}
    assert judge(cancelled, [entry("charge", 100_000), entry("refund", 100_000)], []) == []
    assert judge(cancelled, [entry("charge", 100_000)], []) == ["J1: cancelled with 100000 still in escrow"]


def test_the_load_run_fails_when_the_audit_wrote_nothing_and_reports_a_run_that_paid_no_job(
    tmp_path: Any, capsys: Any
) -> None:
    import json

    from bench.load.run import print_audit

    audit_file = tmp_path / "audit.json"
    assert print_audit(audit_file) == 1
    assert "no result" in capsys.readouterr().out
    audit_file.write_text(json.dumps({"jobs": 0, "states": {}, "problems": []}))
    assert print_audit(audit_file) == 0
    assert "no job was paid during the run" in capsys.readouterr().out
    audit_file.write_text(json.dumps({"jobs": 2, "states": {"paid_out": 2}, "problems": ["J1: 2 charges"]}))
    assert print_audit(audit_file) == 1
    assert "PROBLEMS" in capsys.readouterr().out
