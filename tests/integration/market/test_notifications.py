"""Notifications from the table's stream, the bid-accepted text message, and the inbox routes."""

from __future__ import annotations

import pytest

from tests.integration.market.conftest import CLIENT, CLIENT2, WORKER, WORKER2, WORKER3
from tests.support.market_stream import StreamPump

WORKER_PHONE = "+27821234567"


@pytest.fixture
def texts():
    """A fake text-message sender standing in for identity's WhatsApp/SMS layer."""
    from khaya.market import notifications

    sent: list[tuple[str, str]] = []
    state = {"fail": 0}

    def send(phone: str, text: str, variables: dict[str, str]) -> str:
        if state["fail"]:
            state["fail"] -= 1
            raise RuntimeError("provider down")
        sent.append((phone, text))
        return "whatsapp"

    notifications.use_text_sender(send)
    yield sent, state
    notifications.use_text_sender(None)


@pytest.fixture
def pump(market):
    from khaya import db
    from khaya.identity import keys

    # The accepted worker has a user record (identity writes it) with a phone number.
    db.put({**keys.user(WORKER["userId"]).item(), "userId": WORKER["userId"], "role": "worker", "phone": WORKER_PHONE})
    return StreamPump()


def kinds(market, who, query=""):
    res = market.call("GET", "/v1/me/notifications", caller=who, query=query)
    assert res.status == 200, res
    return [n["kind"] for n in res.json["items"]]


def test_bids_and_an_accept_notify_the_right_people_and_text_the_winner_once(market, pump, texts):
    sent, _ = texts
    # Given a job with two bids, one accepted
    job = market.post_job()
    chosen = market.placed(job["id"], WORKER)
    market.placed(job["id"], WORKER2)
    market.call("POST", f"/v1/bids/{chosen['id']}/accept", caller=CLIENT)
    # When the stream is consumed
    pump.deliver()
    # Then the client heard of two bids, the winner of its win, the other of its loss
    assert kinds(market, CLIENT) == ["bid_received", "bid_received"]
    assert kinds(market, WORKER) == ["bid_accepted"]
    assert kinds(market, WORKER2) == ["bid_rejected"]
    # And the winner got one text message naming the job, on its phone
    assert len(sent) == 1 and sent[0][0] == WORKER_PHONE and job["title"] in sent[0][1]


def test_a_redelivered_batch_creates_no_duplicate_and_sends_no_second_text(market, pump, texts):
    sent, _ = texts
    job = market.post_job()
    chosen = market.placed(job["id"], WORKER)
    market.call("POST", f"/v1/bids/{chosen['id']}/accept", caller=CLIENT)
    records = pump.records()
    # When the same batch arrives twice (Lambda retries, or a redelivery)
    assert pump.send(records) == {"batchItemFailures": []}
    assert pump.send(records) == {"batchItemFailures": []}
    # Then each notification exists once and the text went out once
    assert kinds(market, WORKER) == ["bid_accepted"]
    assert kinds(market, CLIENT) == ["bid_received"]
    assert len(sent) == 1


def test_a_failing_record_is_reported_and_its_retry_completes_the_work_once(market, pump, texts):
    sent, state = texts
    job = market.post_job()
    chosen = market.placed(job["id"], WORKER)
    market.call("POST", f"/v1/bids/{chosen['id']}/accept", caller=CLIENT)
    records = pump.records()
    # Given the text provider fails once
    state["fail"] = 1
    # When the batch is consumed
    result = pump.send(records)
    # Then the failed message (and those after it in the job's group) are reported by message id
    failed = [f["itemIdentifier"] for f in result["batchItemFailures"]]
    ids = [m["messageId"] for m in pump.messages]
    assert failed and failed == ids[ids.index(failed[0]) :]
    # When SQS delivers them again / Then the text goes out once, the notification exists once
    retry = pump.routed(records)[ids.index(failed[0]) :]
    assert pump.send(retry) == {"batchItemFailures": []}
    assert len(sent) == 1
    assert kinds(market, WORKER) == ["bid_accepted"]


def test_cancelling_tells_every_bidder_and_the_assigned_worker(market, pump, texts):
    # Given one open job with two bids, and one assigned job
    open_job = market.post_job()
    market.placed(open_job["id"], WORKER2)
    market.placed(open_job["id"], WORKER3)
    assigned = market.post_job(CLIENT2)
    won = market.placed(assigned["id"], WORKER)
    market.call("POST", f"/v1/bids/{won['id']}/accept", caller=CLIENT2)
    pump.deliver()
    # When both are cancelled
    for job, who in ((open_job, CLIENT), (assigned, CLIENT2)):
        assert market.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=who).status == 200
    pump.deliver()
    # Then the bidders and the assigned worker each hear "job cancelled"
    assert kinds(market, WORKER2)[0] == "job_cancelled"
    assert kinds(market, WORKER3)[0] == "job_cancelled"
    assert kinds(market, WORKER)[0] == "job_cancelled"


def test_bids_beyond_the_accept_transaction_are_rejected_from_the_stream(market, pump, texts, monkeypatch):
    from khaya.market import jobs

    # Given the accept transaction may close only 1 other bid, and a job with 4 bids
    monkeypatch.setattr(jobs, "IN_TX_BID_CLOSES", 1)
    job = market.post_job()
    workers = [WORKER, WORKER2, WORKER3, {"userId": "01WORKERDDDDDDDDDDDDDDDDDD", "role": "worker"}]
    placed = [market.placed(job["id"], w) for w in workers]
    # When one is accepted
    assert market.call("POST", f"/v1/bids/{placed[0]['id']}/accept", caller=CLIENT).status == 200
    still = [b for b in placed[1:] if market.bid_of(b["id"])["status"] == "pending"]
    assert len(still) == 2  # the transaction closed one
    # And the stream is consumed / Then every other bid is rejected and its bidder told
    pump.deliver()
    assert [market.bid_of(b["id"])["status"] for b in placed] == ["accepted", "rejected", "rejected", "rejected"]
    for w in workers[1:]:
        assert kinds(market, w) == ["bid_rejected"]


def test_more_bids_than_one_page_beyond_the_accept_are_all_rejected_from_the_stream(market, pump, texts, monkeypatch):
    from khaya.market import jobs

    # Given the accept transaction may close only 1 other bid, and a job with 28 bids
    monkeypatch.setattr(jobs, "IN_TX_BID_CLOSES", 1)
    job = market.post_job()
    workers = [{"userId": f"01WORKER{i:018d}", "role": "worker"} for i in range(28)]
    placed = [market.placed(job["id"], w) for w in workers]
    # When one is accepted (26 stay pending, more than the consumer reads in one page)
    assert market.call("POST", f"/v1/bids/{placed[0]['id']}/accept", caller=CLIENT).status == 200
    pump.deliver()
    # Then every other bid is rejected
    statuses = [market.bid_of(b["id"])["status"] for b in placed]
    assert statuses == ["accepted"] + ["rejected"] * 27


def test_read_all_marks_more_than_a_page_of_notifications_read(market):
    from khaya.market.notifications import notify

    # Given 120 unread notifications (more than one page of the unread index)
    for i in range(120):
        notify(
            CLIENT["userId"], "bid_received", title="New bid", body="b", data={}, source=f"s{i}", at_ms=1_700_000 + i
        )
    # When the client marks all read
    assert market.call("POST", "/v1/me/notifications/read-all", caller=CLIENT).status == 204
    # Then none is left unread
    assert kinds(market, CLIENT, "unread=true") == []


def test_unread_filter_read_one_and_read_all(market, pump, texts):
    jobs = [market.post_job()["id"] for _ in range(3)]
    for j in jobs:
        market.placed(j, WORKER)
    pump.deliver()
    items = market.call("GET", "/v1/me/notifications", caller=CLIENT).json["items"]
    assert len(items) == 3
    # Reading one takes it out of the unread list only
    assert market.call("POST", f"/v1/me/notifications/{items[0]['id']}/read", caller=CLIENT).status == 204
    assert len(kinds(market, CLIENT, "unread=true")) == 2
    listed = market.call("GET", "/v1/me/notifications", caller=CLIENT).json["items"]
    assert [n["read"] for n in listed] == [True, False, False]
    # Someone else cannot mark mine: 404, and it stays unread
    res = market.call("POST", f"/v1/me/notifications/{items[1]['id']}/read", caller=CLIENT2)
    assert res.status == 404
    assert len(kinds(market, CLIENT, "unread=true")) == 2
    # Read all empties the unread list
    assert market.call("POST", "/v1/me/notifications/read-all", caller=CLIENT).status == 204
    assert kinds(market, CLIENT, "unread=true") == []
    assert len(kinds(market, CLIENT)) == 3


def test_notifications_carry_a_90_day_ttl_and_older_ones_are_not_listed(market, pump, texts):
    import time

    from khaya import db
    from khaya.market import keys, notifications

    market.placed(market.post_job()["id"], WORKER)
    pump.deliver()
    item = db.query(keys.user_pk(CLIENT["userId"]), sk_prefix="NOTIF#", scope="t").items[0]
    assert abs(item["ttl"] - (time.time() + 90 * 86400)) < 120
    # Given a notification from 91 days ago that TTL has not deleted yet
    old_ms = int((time.time() - 91 * 86400) * 1000)
    notifications.notify(
        CLIENT["userId"], "bid_received", title="t", body="b", data={}, source="old-event", at_ms=old_ms
    )
    # Then it is not listed
    assert len(kinds(market, CLIENT)) == 1
    assert len(kinds(market, CLIENT, "unread=true")) == 1


def test_a_message_notifies_the_other_participant(market, pump, texts):
    job = market.post_job()
    market.placed(job["id"], WORKER)
    conv = market.call("POST", "/v1/conversations", body={"jobId": job["id"]}, caller=WORKER).json
    market.call("POST", f"/v1/conversations/{conv['id']}/messages", body={"text": "Hello!"}, caller=WORKER)
    pump.deliver()
    assert "message_received" in kinds(market, CLIENT)
    assert "message_received" not in kinds(market, WORKER)
