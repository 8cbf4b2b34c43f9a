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
