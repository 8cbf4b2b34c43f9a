"""GET /v1/me/transactions: a user's ledger entries, newest first, each naming its job and
payment, in pages that follow one another without repeats."""

from __future__ import annotations

from tests.integration.payments.conftest import CLIENT, WORKER


def test_each_entry_names_its_job_and_reference_and_pages_follow_one_another(flow):
    # Given a client who paid for three jobs (three charges)
    paid = []
    for amount in (50000, 60000, 70000):
        job, _, payment = flow.funded_job(amount=amount, worker={**WORKER})
        paid.append((job["id"], payment["reference"], amount))
    # When it reads its transactions one at a time
    seen, cursor = [], None
    for _ in range(4):
        query = "limit=1" + (f"&cursor={cursor}" if cursor else "")
        res = flow.call("GET", "/v1/me/transactions", query=query, caller=CLIENT)
        assert res.status == 200, res
        assert len(res.json["items"]) <= 1
        seen += res.json["items"]
        cursor = res.json["nextCursor"]
        if not cursor:
            break
    # Then it sees each charge once, newest first, with the job and the payment it belongs to
    assert [(t["jobId"], t["reference"], t["amount"]["amount"]) for t in seen] == list(reversed(paid))
    assert {t["type"] for t in seen} == {"charge"}


def test_a_jobs_ledger_is_read_whole_past_one_page(flow):
    from khaya import db
    from khaya.payments import ledger

    # Given a job whose ledger holds more entries than one page of the table's answer (100):
    # 60 failed payouts, each put back in escrow, after its charge
    job, _, _ = flow.funded_job(amount=10000)
    stored = {**job, "clientId": CLIENT["userId"], "workerId": WORKER["userId"]}
    for i in range(60):
        for kind in ("payout", "reversal"):
            db.transact([ledger.entry_action(stored, kind, 10000, "ZAR", reference=f"t-{i}", cause="test")])
    # When the job's entries are read / Then all 121 come back, and they still sum to the charge held
    found = ledger.entries(job["id"])
    assert len(found) == 121 and len({e["id"] for e in found}) == 121
    assert [e["kind"] for e in found[:3]] == ["charge", "payout", "reversal"]  # oldest first
    assert flow.balances(job["id"]) == {"client": -10000, "escrow": 10000, "worker": 0, "platform": 0}


def test_a_users_data_export_holds_each_of_its_ledger_entries_whole(flow, call_route):
    from tests.support.identity import signup_and_login_in_process
    from tests.support.payments import paystack_webhook

    client = signup_and_login_in_process(call_route, "client", name="Lerato Client")["caller"]
    worker = signup_and_login_in_process(call_route, "worker", name="Sipho Worker")["caller"]
    # Given a worker paid in full for its first job, and the client who paid for it
    flow.payout_account(worker)
    job, payment, reference = flow.payout_sent(client=client, worker=worker, amount=30000)
    body, headers = paystack_webhook("transfer.success", {"reference": reference, "transfer_code": "TRF_1"})
    assert flow.webhook("paystack", body, headers).json["outcome"] == "applied"
    # When each exports what is held about it
    exported = {}
    for who in (client, worker):
        res = flow.call("GET", "/v1/me/export", caller=who)
        assert res.status == 200, res
        exported[who["userId"]] = [r for r in res.json["related"] if r.get("type") == "ledgerEntry"]
    # Then each sees its own entries whole (who, what, why and how much), and only those
    parties = {"clientId": client["userId"], "workerId": worker["userId"], "jobId": job["id"]}
    money = {"amount": 30000, "currency": "ZAR"}
    fields = (*parties, "userId", "kind", "amount", "reference", "cause", "postings")
    (charge,) = exported[client["userId"]]
    assert {k: charge[k] for k in fields} == {
        **parties,
        "userId": client["userId"],
        "kind": "charge",
        "amount": money,
        "reference": payment["reference"],
        "cause": "charge",
        "postings": [{"account": "client", "amount": -30000}, {"account": "escrow", "amount": 30000}],
    }
    (payout,) = exported[worker["userId"]]
    assert {k: payout[k] for k in fields} == {
        **parties,
        "userId": worker["userId"],
        "kind": "payout",
        "amount": money,
        "reference": reference,
        "cause": "transfer:pending",
        "postings": [{"account": "escrow", "amount": -30000}, {"account": "worker", "amount": 30000}],
    }
