"""template.yaml keeps the payment functions' promises: least privilege, the right layers, the
reconciliation schedule, the payout stream, public webhooks and nothing else public."""

from __future__ import annotations

from local.cfn import functions, load_template

TEMPLATE = load_template()
FNS = {f.logical_id: f for f in functions()}
PAYMENT_FUNCTIONS = {
    "CreatePaymentFunction",
    "GetPaymentFunction",
    "PaystackWebhookFunction",
    "StripeWebhookFunction",
    "CompleteJobFunction",
    "PutPayoutAccountFunction",
    "GetPayoutAccountFunction",
    "ListBanksFunction",
    "ListMyTransactionsFunction",
    "StartPayoutsFunction",
    "ReconcilePaymentsFunction",
}
# Functions whose code calls a provider: they need requests (the payments layer) and the secrets.
PROVIDER_CALLERS = {
    "CreatePaymentFunction",
    "CancelJobFunction",
    "PutPayoutAccountFunction",
    "ListBanksFunction",
    "StartPayoutsFunction",
    "ReconcilePaymentsFunction",
}


def secrets_of(fn):
    found = set()
    for policy in fn.properties.get("Policies") or []:
        for st in policy.get("Statement", []):
            if "secretsmanager:GetSecretValue" in st["Action"]:
                res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
                found |= {r["Ref"] for r in res}
    return found


def test_every_payment_function_is_in_the_template():
    assert set(FNS) >= PAYMENT_FUNCTIONS


def test_only_the_provider_callers_carry_the_payments_layer():
    with_layer = {lid for lid, fn in FNS.items() if "PaymentsLayer" in fn.layers}
    assert with_layer == PROVIDER_CALLERS


def test_each_webhook_reads_only_its_own_providers_secret_and_is_public():
    assert secrets_of(FNS["PaystackWebhookFunction"]) == {"PaystackSecret"}
    assert secrets_of(FNS["StripeWebhookFunction"]) == {"StripeSecret"}
    for lid in ("PaystackWebhookFunction", "StripeWebhookFunction"):
        assert [r.public for r in FNS[lid].routes] == [True]
    public = {r.path for lid in PAYMENT_FUNCTIONS for r in FNS[lid].routes if r.public}
    assert public == {"/v1/webhooks/paystack", "/v1/webhooks/stripe"}


def test_functions_that_never_call_a_provider_read_no_provider_secret():
    for lid in ("GetPaymentFunction", "CompleteJobFunction", "GetPayoutAccountFunction", "ListMyTransactionsFunction"):
        assert not secrets_of(FNS[lid]) & {"PaystackSecret", "StripeSecret"}, lid


def test_test_and_live_keys_follow_the_stage():
    for lid in ("PaystackWebhookFunction", "StripeWebhookFunction", "ReconcilePaymentsFunction"):
        assert FNS[lid].environment["PAYMENTS_LIVE"] == {"Fn::If": ["IsProd", "true", "false"]}
    assert TEMPLATE["Conditions"]["IsProd"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}


def test_reconciliation_runs_every_five_minutes_and_payouts_start_from_the_routers_queue():
    events = FNS["ReconcilePaymentsFunction"].properties["Events"]
    assert [e["Type"] for e in events.values()] == ["Schedule"]
    assert [e["Properties"]["Schedule"] for e in events.values()] == ["rate(5 minutes)"]
    # A payout change reaches StartPayouts through the stream router, not as a third stream reader
    from khaya.streams.registry import CONSUMERS

    (consumer,) = [c for c in CONSUMERS if c.queue_url_setting == "START_PAYOUTS_QUEUE_URL"]
    assert consumer.patterns == ({"eventName": ["INSERT", "MODIFY"], "dynamodb": {"Keys": {"sk": {"S": ["PAYOUT"]}}}},)
    (event,) = FNS["StartPayoutsFunction"].properties["Events"].values()
    assert event["Type"] == "SQS" and event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["StartPayoutsQueue", "Arn"]}
    queue = TEMPLATE["Resources"]["StartPayoutsQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["StartPayoutsFailureQueue", "Arn"]}


def test_no_provider_sdk_is_shipped_or_imported_by_the_layer():
    import re
    from pathlib import Path

    from local.cfn import ROOT

    shipped = {
        re.split(r"[<>=\[ ;]", line.strip())[0].lower()
        for d in ("core", "payments")
        for line in (ROOT / "layers" / d / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert "requests" in shipped and not shipped & {"stripe", "paystack", "pypaystack"}
    sdk = re.compile(r"^\s*(import|from)\s+(stripe|paystack)\b", re.M)
    offenders = [p.name for p in Path(ROOT, "layers", "core", "khaya").rglob("*.py") if sdk.search(p.read_text())]
    assert offenders == []
