"""Conversations: one per (job, worker), participants only, messages newest first, attachments."""

from __future__ import annotations

import base64
import json

from tests.integration.market.conftest import CLIENT, CLIENT2, WORKER, WORKER2


def start(market, job_id, who=WORKER, worker_id=None):
    body = {"jobId": job_id} | ({"workerId": worker_id} if worker_id else {})
    return market.call("POST", "/v1/conversations", body=body, caller=who)


def test_a_conversation_is_created_once_per_job_and_worker(market):
    job = market.post_job()
    market.placed(job["id"], WORKER)
    # The bidder opens it; the owner asking for the same pair gets the same one
    first = start(market, job["id"])
    again = start(market, job["id"], CLIENT, WORKER["userId"])
    assert first.status == 201 and again.status == 200 and again.json["id"] == first.json["id"]
    assert first.json["clientId"] == CLIENT["userId"] and first.json["workerId"] == WORKER["userId"]
    assert [c["id"] for c in market.call("GET", "/v1/conversations", caller=CLIENT).json["items"]] == [first.json["id"]]


def test_only_the_owner_and_a_bidder_can_start_one(market):
    job = market.post_job()
    market.placed(job["id"], WORKER)
    assert start(market, job["id"], WORKER2).status == 404  # no bid from this worker
    assert start(market, job["id"], CLIENT2, WORKER["userId"]).status == 403  # not the owner
    assert start(market, job["id"], WORKER2, WORKER["userId"]).status == 403  # someone else's
    assert start(market, job["id"], CLIENT).status == 400  # the owner must name the bidder
    assert start(market, "NOPE").status == 404
    assert market.call("GET", "/v1/conversations", caller=WORKER2).json["items"] == []


def test_messages_newest_first_with_cursors_and_participants_only(market):
    job = market.post_job()
    market.placed(job["id"], WORKER)
    conv = start(market, job["id"]).json
    path = f"/v1/conversations/{conv['id']}/messages"
    for i, who in enumerate([WORKER, CLIENT, WORKER]):
        assert market.call("POST", path, body={"text": f"message {i}"}, caller=who).status == 201
    page = market.call("GET", path, caller=CLIENT, query="limit=2").json
    more = market.call("GET", path, caller=WORKER, query=f"limit=2&cursor={page['nextCursor']}").json
    assert [m["text"] for m in page["items"] + more["items"]] == ["message 2", "message 1", "message 0"]
    # Outsiders: 404 and nothing about the conversation
    for outsider in (CLIENT2, WORKER2):
        for method, body in (("GET", None), ("POST", {"text": "hi"})):
            res = market.call(method, path, body=body, caller=outsider)
            assert res.status == 404 and "message 0" not in res.text and conv["jobTitle"] not in res.text
    # The cursor is bound to this conversation's list
    assert market.call("GET", "/v1/conversations", caller=CLIENT, query=f"cursor={page['nextCursor']}").status == 400


def test_a_message_is_at_most_4000_characters(market):
    job = market.post_job()
    market.placed(job["id"], WORKER)
    conv = start(market, job["id"]).json
    path = f"/v1/conversations/{conv['id']}/messages"
    assert market.call("POST", path, body={"text": "x" * 4001}, caller=WORKER).status == 400
    assert market.call("POST", path, body={"text": ""}, caller=WORKER).status == 400
    assert market.call("POST", path, body={"text": "x" * 4000}, caller=WORKER).status == 201
    assert len(market.call("GET", path, caller=WORKER).json["items"]) == 1


def test_the_list_is_ordered_by_last_activity(market):
    one, two = market.post_job(), market.post_job()
    market.placed(one["id"], WORKER)
    market.placed(two["id"], WORKER)
    c1 = start(market, one["id"]).json
    c2 = start(market, two["id"]).json
    ids = lambda who: [c["id"] for c in market.call("GET", "/v1/conversations", caller=who).json["items"]]  # noqa: E731
    assert ids(CLIENT) == [c2["id"], c1["id"]]
    market.call("POST", f"/v1/conversations/{c1['id']}/messages", body={"text": "bump"}, caller=CLIENT)
    assert ids(CLIENT) == [c1["id"], c2["id"]] and ids(WORKER) == [c1["id"], c2["id"]]
    listed = market.call("GET", "/v1/conversations", caller=WORKER).json["items"][0]
    assert listed["lastMessagePreview"] == "bump"


def test_attachments_are_presigned_images_or_pdf_up_to_10_mb_and_bound_to_the_conversation(market):
    job = market.post_job()
    market.placed(job["id"], WORKER)
    conv = start(market, job["id"]).json
    res = market.call(
        "POST", f"/v1/conversations/{conv['id']}/attachments", body={"contentType": "application/pdf"}, caller=CLIENT
    )
    assert res.status == 201
    conditions = json.loads(base64.b64decode(res.json["upload"]["fields"]["policy"]))["conditions"]
    assert {"Content-Type": "application/pdf"} in conditions
    assert ["content-length-range", 1, 10 * 1024 * 1024] in conditions
    key = res.json["attachmentKey"]
    path = f"/v1/conversations/{conv['id']}/messages"
    sent = market.call("POST", path, body={"text": "the quote", "attachmentKey": key}, caller=CLIENT)
    assert sent.status == 201
    assert market.call("GET", path, caller=WORKER).json["items"][0]["attachmentUrl"].startswith("http")
    # A key from elsewhere is refused; other types and outsiders too
    bad = market.call("POST", path, body={"text": "x", "attachmentKey": "portfolio/x/y.png"}, caller=CLIENT)
    assert bad.status == 400
    # And so is one that starts with this conversation's prefix but leads elsewhere, or is not one it made
    for tail in ("../../portfolio/x.jpg", f"{key.rsplit('/', 1)[1]}/../../../portfolio/x.jpg", "x.png", key[-8:]):
        sneaky = f"attachments/{conv['id']}/{tail}"
        res = market.call("POST", path, body={"text": "x", "attachmentKey": sneaky}, caller=CLIENT)
        assert res.status == 400 and res.json["error"]["details"][0]["field"] == "attachmentKey", (tail, res)
    assert [m.get("attachmentKey") for m in market.call("GET", path, caller=WORKER).json["items"]] == [key]
    att = f"/v1/conversations/{conv['id']}/attachments"
    assert market.call("POST", att, body={"contentType": "text/html"}, caller=CLIENT).status == 400
    assert market.call("POST", att, body={"contentType": "image/png"}, caller=CLIENT2).status == 404
