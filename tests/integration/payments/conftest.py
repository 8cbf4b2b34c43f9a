"""Payment test world: the marketplace on moto in-process, fake providers behind the ports, and
shortcuts for the steps every payment test takes (an assigned job, a checkout, a signed webhook,
a completion, the payout stream)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.integration.market.conftest import ADMIN, CLIENT, CLIENT2, WORKER, WORKER2, Market, bid_body, job_body
from tests.support.dynamodb_local import dynamodb_engine, dynamodb_local  # noqa: F401  (fixtures: the race tests' engine)
from tests.support.market_stream import StreamPump
from tests.support.payments import FakeProviders, paystack_charge, paystack_webhook, stripe_session, stripe_webhook

__all__ = ["ADMIN", "CLIENT", "CLIENT2", "WORKER", "WORKER2", "Flow"]


class Flow:
    """A job's way through payment, as the routes take it."""

    def __init__(self, call_route: Callable[..., Any], fakes: FakeProviders) -> None:
        self.call = call_route
        self.fakes = fakes
        self.market = Market(call_route)
        self._payouts: StreamPump | None = None

    # ------------------------------------------------------------ marketplace
    def assigned_job(
        self, client: dict[str, str] = CLIENT, worker: dict[str, str] = WORKER, amount: int = 75000, **job: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        posted = self.call("POST", "/v1/jobs", body=job_body(**job), caller=client)
        assert posted.status == 201, posted
        bid = self.call("POST", f"/v1/jobs/{posted.json['id']}/bids", body=bid_body(amount), caller=worker)
        assert bid.status == 201, bid
        accepted = self.call("POST", f"/v1/bids/{bid.json['id']}/accept", caller=client)
        assert accepted.status == 200, accepted
        return self.job(posted.json["id"], client), bid.json

    def job(self, job_id: str, who: dict[str, str] = CLIENT) -> dict[str, Any]:
        res = self.call("GET", f"/v1/jobs/{job_id}", caller=who)
        assert res.status == 200, res
        return dict(res.json)

    # ------------------------------------------------------------ payment
    def checkout(self, job_id: str, provider: str = "paystack", who: dict[str, str] = CLIENT) -> Any:
        return self.call("POST", f"/v1/jobs/{job_id}/payment", body={"provider": provider}, caller=who)

    def paid(self, job_id: str, provider: str = "paystack", who: dict[str, str] = CLIENT) -> dict[str, Any]:
        res = self.checkout(job_id, provider, who)
        assert res.status == 201, res
        return dict(res.json)

    def webhook(self, provider: str, body: bytes, headers: dict[str, str]) -> Any:
        return self.call("POST", f"/v1/webhooks/{provider}", body=body, headers=headers)

    def confirm(self, payment: dict[str, Any], bid: dict[str, Any], **over: Any) -> Any:
        """The provider's signed word that ``payment`` was paid (``over`` tampers with it)."""
        if payment["provider"] == "paystack":
            body, headers = paystack_webhook("charge.success", paystack_charge(payment, bid["id"], **over))
        else:
            body, headers = stripe_webhook("checkout.session.completed", stripe_session(payment, bid["id"], **over))
        return self.webhook(payment["provider"], body, headers)

    def funded_job(
        self,
        provider: str = "paystack",
        client: dict[str, str] = CLIENT,
        worker: dict[str, str] = WORKER,
        amount: int = 75000,
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        job, bid = self.assigned_job(client, worker, amount)
        payment = self.paid(job["id"], provider, client)
        res = self.confirm(payment, bid)
        assert res.status == 200 and res.json["outcome"] == "applied", res
        return self.job(job["id"], client), bid, payment

    def payment(self, reference: str, who: dict[str, str] = CLIENT) -> Any:
        return self.call("GET", f"/v1/payments/{reference}", caller=who)

    # ------------------------------------------------------------ payout
    def payout_account(self, worker: dict[str, str] = WORKER, number: str = "4071234567") -> Any:
        body = {"provider": "paystack", "bankCode": "632005", "accountNumber": number}
        res = self.call("PUT", "/v1/me/payout-account", body=body, caller=worker)
        assert res.status == 200, res
        return res.json

    def complete(self, job_id: str, who: dict[str, str] = CLIENT) -> Any:
        return self.call("POST", f"/v1/jobs/{job_id}/complete", caller=who)

    def payout_sent(
        self,
        rail: str = "paystack",
        client: dict[str, str] = CLIENT,
        worker: dict[str, str] = WORKER,
        amount: int = 75000,
    ) -> tuple[dict[str, Any], dict[str, Any], str]:
        """A funded job, completed, its payout sent by the stream → (job, payment, transfer reference)."""
        job, _, payment = self.funded_job(client=client, worker=worker, amount=amount)
        res = self.complete(job["id"], client)
        assert res.status == 200, res
        self.run_payouts()
        return job, payment, self.fakes.of(rail).called("transfer")[-1]["reference"]

    def run_payouts(self) -> list[dict[str, Any]]:
        """Deliver the table's new stream records to StartPayoutsFunction, until quiet."""
        if self._payouts is None:
            self._payouts = StreamPump("StartPayoutsFunction")
        return self._payouts.deliver(rounds=8)

    # ------------------------------------------------------------ money
    def ledger(self, job_id: str) -> list[dict[str, Any]]:
        from khaya.payments import ledger

        return ledger.entries(job_id)

    def balances(self, job_id: str) -> dict[str, int]:
        from khaya.payments import ledger

        return ledger.balances(job_id)

    def transactions(self, who: dict[str, str]) -> list[dict[str, Any]]:
        res = self.call("GET", "/v1/me/transactions", caller=who)
        assert res.status == 200, res
        return list(res.json["items"])


@pytest.fixture
def fakes(fake_providers: FakeProviders) -> FakeProviders:
    return fake_providers


@pytest.fixture
def flow(aws: None, call_route: Callable[..., Any], fakes: FakeProviders) -> Flow:
    return Flow(call_route, fakes)


@pytest.fixture(scope="module")
def story_table() -> Iterator[None]:
    """One moto for every story of a property-test module (each story makes its own table)."""
    from tests.support.aws import TEST_ENV, mocked_aws

    with pytest.MonkeyPatch.context() as env:
        for key, value in TEST_ENV.items():
            env.setenv(key, value)
        with mocked_aws():
            yield


@pytest.fixture
def story_env(story_table: None) -> None:
    from tests.support.aws import reset_caches

    reset_caches()  # the per-test environment was just reset: clients are made again inside moto
