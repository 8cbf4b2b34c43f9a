"""Every payment route refuses a call that did not come through the authorizer (the webhooks,
which are public, answer a missing signature with a 401 of their own)."""

from __future__ import annotations

import pytest

from local.cfn import functions
from local.events import LambdaContext, http_event
from local.loader import load_handler

OURS = {"PaystackWebhookFunction", "StripeWebhookFunction", "CompleteJobFunction"}
ROUTES = [(fn, r) for fn in functions() if fn.domain == "payments" or fn.logical_id in OURS for r in fn.routes]
BODIES = {"POST": {"provider": "paystack"}, "PUT": {"provider": "stripe", "accountId": "acct_1Nv0FGQ9RKHgCVdK"}}


@pytest.mark.parametrize(("fn", "route"), ROUTES, ids=[f"{r.method} {r.path}" for _, r in ROUTES])
def test_a_payment_route_without_a_caller_is_401_and_shows_nothing(aws, fn, route):
    path = route.path.replace("{id}", "01JD0Z7A1B2C3D4E5F6G7H8J9K").replace("{reference}", "kh-x")
    body = BODIES.get(route.method)
    event = http_event(route.method, path, route_path=route.path, body=body)
    res = load_handler(fn)(event, LambdaContext(fn.logical_id))
    assert res["statusCode"] == 401, res
    assert '"error"' in res["body"] and "items" not in res["body"]


def test_every_payment_route_is_covered():
    paths = {r.path for _, r in ROUTES}
    assert {
        "/v1/jobs/{id}/payment",
        "/v1/payments/{reference}",
        "/v1/webhooks/paystack",
        "/v1/webhooks/stripe",
        "/v1/jobs/{id}/complete",
        "/v1/me/payout-account",
        "/v1/banks",
        "/v1/me/transactions",
    } <= paths
