"""Money in the demo data set: payout accounts, payments in every state, payouts.

``local.seed`` gives each accepted job a *fate* and calls ``pay`` for it once the bid is
accepted; the same service calls a request makes (``checkout.start_payment``,
``payouts.complete_job``, ``refunds.cancel_funded_job``, ``accounts.put_payout_account``), with
the provider's side played by the local payment simulator:

* ``assigned``: the bid accepted, nothing paid yet;
* ``pending``: a Paystack checkout started and never finished (pay it at its
  ``authorizationUrl`` once the stage serves);
* ``failed``: a Stripe checkout the payer abandoned (``checkout.session.expired``);
* ``flagged``: a Paystack charge whose amount is not what was asked: nothing credited;
* ``funded``: paid (``charge.success``), the money held;
* ``refunded``: paid, then cancelled: refunded and the job ``cancelled``;
* ``paid_out``: paid, completed, the transfer to the worker succeeded;
* ``payout_failed``: paid, completed, the transfer failed: the money is held again (the
  payout waits for its retry: ``POST /_dev/reconcile``);
* ``payout_waiting``: paid and completed by a worker with no payout account yet: the payout
  waits for one.

While the seed runs the stage does not serve yet, so ``simulator()`` serves the simulator on
the stage's own port (where the adapters' ``PAYSTACK_API_URL``/``STRIPE_API_URL`` already
point, and where the checkout URLs it hands out are served once the stage is up), with the
webhook routes answered in this process by the webhook functions' own code: checkouts are
paid by ``POST /_dev/pay/{reference}`` and transfers and refunds settle by themselves a
second later, each through a signed webhook, as under ``make run``. The stream consumers
start after the seed, so ``pay`` sends a completed job's transfer itself (what
``StartPayoutsFunction`` does) and ``settle`` waits for the webhooks still due.
"""

from __future__ import annotations

import logging
import os
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager, redirect_stdout
from typing import Any
from urllib.parse import urlsplit

from local import payment_simulator

FATES = (
    "funded",
    "paid_out",
    "pending",
    "payout_waiting",
    "refunded",
    "failed",
    "flagged",
    "payout_failed",
    "assigned",
    "paid_out",
    "funded",
    "paid_out",
)
# Fates whose worker is paid out (or will be, once the demo completes a funded job).
NEEDS_ACCOUNT = frozenset({"funded", "paid_out", "payout_failed"})
# One bank (or mobile-money provider) per currency that the simulator resolves: its first.
BANK_CODES = {currency: banks[0]["code"] for currency, banks in payment_simulator.BANKS.items()}
SETTLE_SECONDS = 60.0


def needs_account(what: str) -> bool | None:
    """Whether the winner of a job with this fate must have a payout account (``None``: either)."""
    return True if what in NEEDS_ACCOUNT else False if what == "payout_waiting" else None


class Fates:
    """``FATES`` in turn, so every ``len(FATES)`` accepted jobs hold each of them; a fate a job's
    country has no worker for (one with, or without, a payout account) waits for the next job."""

    def __init__(self) -> None:
        self.turn = 0
        self.waiting: list[str] = []

    def next(self, accounts: set[bool]) -> str:
        """The next fate for a job whose country's workers have these ``has_account`` values."""

        def fits(what: str) -> bool:
            return needs_account(what) is None or needs_account(what) in accounts

        for i, what in enumerate(self.waiting):
            if fits(what):
                return self.waiting.pop(i)
        while True:
            what = FATES[self.turn % len(FATES)]
            self.turn += 1
            if fits(what):
                return what
            self.waiting.append(what)


@contextmanager
def simulator() -> Iterator[str]:
    """The local payment simulator where the adapters look for it; its base URL. The services'
    log lines and metrics are kept off the console meanwhile (errors still show)."""
    from khaya.config import settings

    target = urlsplit(str(settings().get("PAYSTACK_API_URL") or ""))
    if target.hostname not in ("127.0.0.1", "localhost") or not target.port:
        raise RuntimeError("seeding payments: PAYSTACK_API_URL must be the local payment simulator's")
    try:
        server, base = payment_simulator.serve(target.port, webhooks=_webhook)
    except OSError as exc:
        raise RuntimeError(f"seeding payments: cannot listen on port {target.port} ({exc.strerror})") from None
    from khaya.observability import logger

    level = logger.log_level
    logger.setLevel(logging.ERROR)
    try:
        with open(os.devnull, "w") as devnull, redirect_stdout(devnull):
            yield base
    finally:
        logger.setLevel(level)
        server.shutdown()
        server.server_close()


def _webhook(provider: str, event: dict[str, Any]) -> dict[str, Any]:
    from khaya.payments import webhooks

    return webhooks.serve(provider, event, None)


def _post(base: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    import requests

    resp = requests.post(base + path, json=body, timeout=30)
    if resp.status_code != 200:
        raise RuntimeError(f"seeding payments: {path} answered {resp.status_code}: {resp.text[:200]}")
    answer: dict[str, Any] = resp.json()
    return answer


def payout_account(worker_id: str, currency: str) -> None:
    """A Paystack payout account in the worker's currency (its number made from its id, never its phone)."""
    from khaya.payments import accounts

    account = {
        "provider": "paystack",
        "bank_code": BANK_CODES[currency],
        "account_number": f"4{zlib.crc32(worker_id.encode()) % 10**9:09d}",
        "currency": currency,
    }
    accounts.put_payout_account(worker_id, account)


def pay(base: str, what: str, client_id: str, job_id: str) -> None:
    """Take the accepted job ``job_id`` as far as its fate ``what`` (see the module's list)."""
    from khaya.payments import checkout, keys, payouts, refunds

    if what == "assigned":
        return
    payment = checkout.start_payment(client_id, job_id, "stripe" if what == "failed" else "paystack")
    if what == "pending":
        return
    paid: dict[str, Any] = {"outcome": "failed" if what == "failed" else "success"}
    if what == "flagged":
        paid["amount"] = payment.amount.amount + 100  # not what was asked
    _post(base, f"/_dev/pay/{payment.reference}", paid)
    if what in ("failed", "flagged", "funded"):
        return
    if what == "refunded":
        refunds.cancel_funded_job(client_id, job_id)  # confirmed by the simulator's webhook
        return
    payouts.complete_job(client_id, job_id)
    if what == "payout_failed":
        _post(base, f"/_dev/transfers/{keys.transfer_reference(job_id, 1)}", {"outcome": "failed"})
    payouts.start_payout(job_id)  # StartPayoutsFunction's work; the transfer settles by webhook


def settle(job_ids: list[str], executor: Executor, timeout: float = SETTLE_SECONDS) -> Counter[str]:
    """Wait until no refund or transfer of these jobs is still on its way (the simulator's
    webhooks come a second after the call); then what the jobs, payments and payouts are."""
    from khaya.market import jobs

    deadline = time.monotonic() + timeout
    moving = list(job_ids)
    while moving and time.monotonic() < deadline:
        time.sleep(0.25)
        moving = [
            str(j["id"])
            for j in executor.map(jobs.load, moving)
            if j.get("refundStatus") == "pending" or j.get("payoutStatus") in ("pending", "in_flight")
        ]
    counts: Counter[str] = Counter()
    for states in executor.map(_states, job_ids):
        counts.update(states)
    return counts


def _states(job_id: str) -> list[str]:
    from khaya.market import jobs
    from khaya.payments import checkout, payouts

    states = [f"jobs {jobs.load(job_id)['status']}"]
    payment = checkout.current_payment(job_id)
    if payment is not None:
        states.append(f"payments {payment['status']}")
    payout = payouts.load_payout(job_id)
    if payout is not None:
        states.append(f"payouts {PAYOUT_WORDS.get(str(payout['status']), payout['status'])}")
    return states


PAYOUT_WORDS = {
    "succeeded": "paid",
    "waiting_account": "waiting for an account",
    "retry_wait": "held after a failed transfer",
}
