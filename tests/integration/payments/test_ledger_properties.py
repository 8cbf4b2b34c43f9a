"""Property tests of the money: random stories of one paid job, checked after every step.

A hypothesis state machine drives the real services (on moto in-process, providers faked behind
their ports) through what the world can do to a job's money: signed webhooks delivered late, out
of order, twice, or two at once; tampered amounts; checkouts that expire; completion; transfers
that are taken, refused, lost, parked on an OTP, fail or are reversed; retries; cancels whose refund
is confirmed, refused or lost. After every step:

* the job's ledger sums to zero and each account holds only what it can (no double credit:
  one charge, one refund, one net payout at most; escrow never negative);
* balances agree with the job's status (funded → all in escrow, paid_out → all with the worker
  less the fee, refunded → all back at zero);
* a payment's status, and a job's, only ever move forward;
* every delivery that had an effect left its dedupe record, and a repeat has no effect.

``MAX_EXAMPLES`` stories (500 in CI; ``KHAYA_LEDGER_EXAMPLES`` overrides it) of up to
``STEPS`` steps. ``test_ledger_properties_catch.py`` runs the same machine against deliberately
broken code and expects it to fail.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from khaya import db
from khaya.errors import AppError, Conflict
from khaya.ids import new_id
from khaya.payments import checkout, dedupe, keys, ledger, payouts, refunds, webhooks
from khaya.payments.providers import Charge
from tests.support.payments import (
    FakeProviders,
    paystack_charge,
    paystack_webhook,
    rejected,
    stripe_session,
    stripe_webhook,
    unavailable,
)

MAX_EXAMPLES = int(os.environ.get("KHAYA_LEDGER_EXAMPLES", "500"))
STEPS = 14
PAYMENT_ORDER = {"pending": 0, "failed": 1, "succeeded": 1, "flagged": 2, "refunded": 2}
JOB_ORDER = {"assigned": 0, "funded": 1, "completed": 2, "paid_out": 3, "cancelled": 3}

Delivery = tuple[str, bytes, dict[str, str]]


def reaches(before: str, after: str) -> bool:
    """``after`` is ``before`` or a state ``before`` can move forward to."""
    seen, todo = {before}, [before]
    while todo:
        for nxt in checkout.FORWARD[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return after in seen


def captured_effect(deliver: Callable[[], Any]) -> tuple[Callable[[], Any], list[Any]]:
    """The (effect, dedupe keys) a delivery would run, read from the real webhook code."""
    found: list[tuple[Callable[[], Any], list[Any]]] = []
    with mock.patch.object(dedupe, "run", lambda build, seen_keys, **kw: found.append((build, seen_keys)) or "x"):
        deliver()
    return found[0] if found else (lambda: ("ignored", []), [])


def fresh_table() -> None:
    """An empty table (the template's keys and indexes) for each story. moto copies the whole
    table, stream records included, on every transaction: a table that kept growing over
    hundreds of stories would make each step slower, and no story reads the stream (the stream
    consumer's work, ``start_payout``, is one of the rules)."""
    from khaya.aws import client
    from khaya.config import settings
    from local.cfn import table_create_kwargs

    ddb, name = client("dynamodb"), settings().table_name
    ddb.delete_table(TableName=name)
    definition = table_create_kwargs(table_name=name)
    definition.pop("StreamSpecification", None)
    ddb.create_table(**definition)


class MoneyStory(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        fresh_table()
        self.fakes = FakeProviders.install()
        self.outbox: list[Delivery] = []
        self.seen_payment: dict[str, str] = {}
        self.seen_job = "assigned"
        self.reversals_allowed = 0
        self.has_account = False

    # ------------------------------------------------------------ the story's start
    @initialize(
        provider=st.sampled_from(["paystack", "stripe"]),
        amount=st.integers(min_value=1, max_value=5_000_000),
        done_before=st.integers(min_value=0, max_value=3),
        has_account=st.booleans(),
        checkout_can_fail=st.booleans(),
        start=st.sampled_from(["assigned", "funded", "funded", "completed", "paying_out", "paying_out"]),
    )
    def a_client_pays_for_an_assigned_job(
        self, provider: str, amount: int, done_before: int, has_account: bool, checkout_can_fail: bool, start: str
    ) -> None:
        from khaya.market import bids, jobs

        self.client, self.worker, self.amount = new_id(), new_id(), amount
        job = jobs.create_job(
            self.client,
            {"title": "Fix the geyser", "description": "No hot water", "category": "plumbing", "city": "Durban"},
        )
        bid = bids.create_bid(
            self.worker, job.id, {"amount": {"amount": amount, "currency": "ZAR"}, "message": "m", "etaDays": 1}
        )
        bids.accept_bid(self.client, bid.id)
        self.job_id, self.bid_id = job.id, bid.id
        self.fee = ledger.platform_fee(amount, done_before)
        if done_before:
            db.put({**keys.pay_stats(self.worker).item(), "completedJobs": done_before})
        if has_account:
            self._account()
        self.checkout_can_fail = checkout_can_fail
        self.payment = checkout.start_payment(self.client, self.job_id, provider).model_dump(by_alias=True)
        if start != "assigned":  # some stories start further on, so a bounded number of steps goes deeper
            self.the_provider_confirms_the_charge(None)
            assert self._deliver(self.outbox[-1]) == "applied"
        if start in ("completed", "paying_out"):
            payouts.complete_job(self.client, self.job_id)
        if start == "paying_out":
            self._account()
            payouts.start_payout(self.job_id)

    def _account(self) -> None:
        self.has_account = True
        db.put(
            {
                **keys.payout_account(self.worker).item(),
                "provider": "paystack",
                "recipientCode": "RCP_story",
                "accountName": "W",
            }
        )

    # ------------------------------------------------------------ the provider speaks
    @rule(tamper=st.sampled_from([None, None, None, None, "amount", "currency"]))
    def the_provider_confirms_the_charge(self, tamper: str | None) -> None:
        p = self.payment
        over: dict[str, Any] = {}
        if p["provider"] == "paystack":
            if tamper == "amount":
                over["amount"] = self.amount + 1
            elif tamper == "currency":
                over["currency"] = "NGN"
            self.outbox.append(
                ("paystack", *paystack_webhook("charge.success", paystack_charge(p, self.bid_id, **over)))
            )
        else:
            if tamper == "amount":
                over["amount_total"] = self.amount + 1
            elif tamper == "currency":
                over["currency"] = "ngn"
            session = stripe_session(p, self.bid_id, **over)
            self.outbox.append(("stripe", *stripe_webhook("checkout.session.completed", session)))

    @precondition(lambda self: self.checkout_can_fail and self.payment["provider"] == "stripe")
    @rule()
    def the_checkout_expires(self) -> None:
        session = stripe_session(self.payment, self.bid_id, payment_status="unpaid", status="expired")
        self.outbox.append(("stripe", *stripe_webhook("checkout.session.expired", session)))

    @precondition(lambda self: self.checkout_can_fail)
    @rule()
    def the_reconciler_reads_a_failed_charge(self) -> None:
        ref = self.payment["reference"]
        checkout.apply_charge(ref, Charge(reference=ref, state="failed", amount=None, currency=None), [])

    @precondition(lambda self: self.checkout_can_fail)
    @rule()
    def the_client_checks_out_again(self) -> None:
        with contextlib.suppress(Conflict):  # only after a failed attempt, on a job still assigned
            again = checkout.start_payment(self.client, self.job_id, self.payment["provider"])
            self.payment = again.model_dump(by_alias=True)

    @precondition(lambda self: self.fakes.paystack.called("transfer"))
    @rule(kind=st.sampled_from(["transfer.success", "transfer.failed", "transfer.reversed"]))
    def the_provider_reports_a_transfer(self, kind: str) -> None:
        sent = self.fakes.paystack.called("transfer")[-1]
        ref = sent["reference"]
        data = {"reference": ref, "transfer_code": "TRF_" + ref[-28:], "amount": sent["amount"]}
        self.outbox.append(("paystack", *paystack_webhook(kind, data)))

    @precondition(lambda self: self.fakes.of(self.payment["provider"]).called("refund"))
    @rule(kind=st.sampled_from(["refund.processed", "refund.failed"]))
    def the_provider_reports_a_refund(self, kind: str) -> None:
        p = self.payment
        if p["provider"] == "paystack":
            data = {
                "id": 77,
                "status": kind.split(".")[1],
                "transaction_reference": p["reference"],
                "amount": str(self.amount),
                "currency": "ZAR",
            }
            self.outbox.append(("paystack", *paystack_webhook(kind, data)))
        else:
            refund = {
                "id": "re_story",
                "object": "refund",
                "amount": self.amount,
                "currency": "zar",
                "metadata": {"reference": p["reference"]},
                "status": "succeeded" if kind == "refund.processed" else "failed",
            }
            self.outbox.append(("stripe", *stripe_webhook("refund.updated", refund)))

    # ------------------------------------------------------------ deliveries
    def _deliver(self, delivery: Delivery) -> str:
        provider, body, headers = delivery
        if provider == "paystack":
            return webhooks.handle_paystack(body, headers["x-paystack-signature"])
        return webhooks.handle_stripe(body, headers["stripe-signature"])

    @precondition(lambda self: self.outbox)
    @rule(data=st.data())
    def a_webhook_arrives(self, data: st.DataObject) -> None:
        delivery = data.draw(st.sampled_from(self.outbox))  # any sent event, in any order, any number of times
        _, seen_keys = captured_effect(lambda: self._deliver(delivery))
        outcome = self._deliver(delivery)
        assert outcome in ("applied", "duplicate", "ignored", "flagged")
        if outcome in ("applied", "flagged"):
            assert dedupe.seen(seen_keys), "an effect without its dedupe record"
            before = ledger.entries(self.job_id)
            assert self._deliver(delivery) == "duplicate"
            assert ledger.entries(self.job_id) == before

    @precondition(lambda self: self.outbox)
    @rule(data=st.data())
    def one_webhook_arrives_twice_at_once(self, data: st.DataObject) -> None:
        """Both deliveries read the state before either writes: only one may have an effect."""
        delivery = data.draw(st.sampled_from(self.outbox))
        build, seen_keys = captured_effect(lambda: self._deliver(delivery))
        first, second = build(), build()
        landed = 0
        for _, actions in (first, second):
            if not actions:
                continue
            try:
                db.transact([*dedupe.record_actions(seen_keys, "race"), *actions])
                landed += 1
            except Conflict:
                pass
        assert landed <= 1, "two concurrent deliveries of one event both had an effect"

    # ------------------------------------------------------------ people and the stream
    @precondition(lambda self: self.seen_job in ("funded", "completed"))
    @rule()
    def the_client_confirms_the_work(self) -> None:
        with contextlib.suppress(Conflict):  # not funded (yet, or any more), or a refund is under way
            payouts.complete_job(self.client, self.job_id)

    @precondition(lambda self: self.seen_job in ("completed", "paid_out"))
    @rule(answer=st.sampled_from(["pending", "success", "otp", "refused", "lost"]))
    def the_stream_starts_the_payout(self, answer: str) -> None:
        fake = self.fakes.paystack
        fake.fail.pop("transfer", None)
        if answer == "refused":
            fake.fail["transfer"] = rejected()
        elif answer == "lost":
            fake.fail["transfer"] = unavailable(ambiguous=True)
        else:
            fake.transfer_state = answer
        payouts.start_payout(self.job_id)

    @precondition(lambda self: self.seen_job in ("completed", "paid_out"))
    @rule()
    def a_retry_falls_due(self) -> None:
        payouts.retry_due(self.job_id)

    @precondition(lambda self: self.seen_job in ("completed", "paid_out"))
    @rule()
    def the_operator_retries(self) -> None:
        payouts.retry_now(self.job_id)

    @precondition(lambda self: not self.has_account)
    @rule()
    def the_worker_adds_a_payout_account(self) -> None:
        self._account()
        payouts.resume_waiting(self.worker)

    @precondition(lambda self: self.checkout_can_fail or self.seen_job != "assigned")
    @rule(answer=st.sampled_from(["pending", "succeeded", "refused", "lost"]))
    def the_client_cancels(self, answer: str) -> None:
        from khaya.market import jobs

        fake = self.fakes.of(self.payment["provider"])
        fake.fail.pop("refund", None)
        if answer == "refused":
            fake.fail["refund"] = rejected()
        elif answer == "lost":
            fake.fail["refund"] = unavailable(ambiguous=True)
        else:
            fake.refund_state = answer
        try:
            try:
                jobs.cancel_job(self.client, self.job_id)
            except jobs.RefundRequired:
                refunds.cancel_funded_job(self.client, self.job_id)
        except AppError as exc:
            assert exc.status in (409, 502, 503), exc

    # ------------------------------------------------------------ after every step
    @invariant()
    def the_money_adds_up(self) -> None:
        if not hasattr(self, "job_id"):
            return
        from khaya.market import keys as market_keys

        entries = ledger.entries(self.job_id)
        bal = ledger.balances(self.job_id, entries)
        kinds = [e["kind"] for e in entries]
        net = self.amount - self.fee
        assert sum(bal.values()) == 0
        assert kinds.count("charge") <= 1 and kinds.count("refund") <= 1 and kinds.count("fee") <= 1
        assert kinds.count("payout") - kinds.count("reversal") in (0, 1)
        assert bal["client"] in (0, -self.amount)
        assert 0 <= bal["escrow"] <= self.amount
        assert bal["worker"] in (0, net)
        assert bal["platform"] in (0, self.fee)

        job = db.get(*market_keys.job(self.job_id), consistent=True, projection=["status"]) or {}
        status = str(job["status"])
        if status == "funded":
            assert bal == {"client": -self.amount, "escrow": self.amount, "worker": 0, "platform": 0}
        if status == "completed":
            assert bal["client"] == -self.amount and bal["platform"] == self.fee
            assert bal["escrow"] + bal["worker"] == net
        if status == "paid_out":
            assert bal == {"client": -self.amount, "escrow": 0, "worker": net, "platform": self.fee}
        if status == "cancelled":
            assert bal == {"client": 0, "escrow": 0, "worker": 0, "platform": 0}

        # statuses only move forward (paid_out → completed only when the money came back)
        if status == "completed" and self.seen_job == "paid_out":
            assert kinds.count("reversal") > self.reversals_allowed
            self.reversals_allowed = kinds.count("reversal")
        else:
            assert JOB_ORDER[status] >= JOB_ORDER[self.seen_job], (self.seen_job, status)
        self.seen_job = status
        self.seen_payment.setdefault(self.payment["reference"], "pending")
        for ref in self.seen_payment:
            key = keys.payment_by_reference(ref)
            assert key is not None
            item = db.get(*key, consistent=True, projection=["status", "flagReason"]) or {}
            now = str(item["status"])
            assert reaches(self.seen_payment.get(ref, "pending"), now), (self.seen_payment.get(ref), now)
            self.seen_payment[ref] = now
            if now in ("succeeded", "refunded"):
                assert kinds.count("charge") == 1
            if now == "refunded":
                assert kinds.count("refund") == 1
            if now == "flagged":
                assert "flagReason" in item

    def teardown(self) -> None:
        FakeProviders.uninstall()


STORY_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def test_the_money_of_a_job_always_adds_up(story_env: None) -> None:
    run_state_machine_as_test(MoneyStory, settings=STORY_SETTINGS)
