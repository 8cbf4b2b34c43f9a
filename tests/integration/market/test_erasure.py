"""DELETE /v1/me ends everything live the user owned in the marketplace: pending bids withdrawn,
open and assigned jobs cancelled, the worker profile, portfolio images and uploads deleted; a
job with money held refuses the erasure; a retry after a failure finishes the job."""

from __future__ import annotations

import pytest

from tests.integration.market.conftest import bid_body, job_body, profile_body
from tests.support.identity import signup_and_login_in_process

PROFILE = profile_body(bio="Licensed plumber, 12 years, lives on Smith Street.")


@pytest.fixture
def people(aws, call_route):
    return {
        "client": signup_and_login_in_process(call_route, "client", name="Lerato Client"),
        "worker": signup_and_login_in_process(call_route, "worker", name="Sipho Worker"),
        "other": signup_and_login_in_process(call_route, "worker", name="Other Worker"),
    }


def _as(person):
    return person["caller"]


def _post_job(call_route, client):
    res = call_route("POST", "/v1/jobs", body=job_body(), caller=_as(client))
    assert res.status == 201, res
    return res.json


def _bid(call_route, job_id, worker, amount=75000, **fields):
    return call_route("POST", f"/v1/jobs/{job_id}/bids", body=bid_body(amount, **fields), caller=_as(worker))


def _erase(call_route, person):
    return call_route("DELETE", "/v1/me", caller=_as(person))


def _media_keys(prefix: str) -> list[str]:
    from khaya.aws import client
    from khaya.config import settings

    found = client("s3").list_objects_v2(Bucket=settings().require("MEDIA_BUCKET"), Prefix=prefix)
    return [o["Key"] for o in found.get("Contents", [])]


def _upload(key: str) -> None:
    from khaya.aws import client
    from khaya.config import settings

    client("s3").put_object(Bucket=settings().require("MEDIA_BUCKET"), Key=key, Body=b"\xff\xd8 image")


def test_an_erased_workers_pending_bid_can_no_longer_be_accepted(people, call_route):
    client, worker = people["client"], people["worker"]
    job = _post_job(call_route, client)
    bid = _bid(call_route, job["id"], worker).json
    # When the worker erases its account
    assert _erase(call_route, worker).status == 204
    # Then its bid is withdrawn: the client cannot accept it, and sees it withdrawn
    res = call_route("POST", f"/v1/bids/{bid['id']}/accept", caller=_as(client))
    assert res.status == 409, res
    seen = call_route("GET", f"/v1/bids/{bid['id']}", caller=_as(client)).json
    assert seen["status"] == "withdrawn"
    # And the job is still open for others
    assert _bid(call_route, job["id"], people["other"]).status == 201


def test_an_erased_clients_open_and_assigned_jobs_are_cancelled(people, call_route):
    client, worker, other = people["client"], people["worker"], people["other"]
    open_job = _post_job(call_route, client)
    assigned_job = _post_job(call_route, client)
    bid = _bid(call_route, assigned_job["id"], worker).json
    assert call_route("POST", f"/v1/bids/{bid['id']}/accept", caller=_as(client)).status == 200
    # When the client erases its account
    assert _erase(call_route, client).status == 204
    # Then neither job takes bids or waits for a payer any more
    for job in (open_job, assigned_job):
        seen = call_route("GET", f"/v1/jobs/{job['id']}", caller=_as(worker)).json
        assert seen["status"] == "cancelled", seen
    res = _bid(call_route, open_job["id"], other)
    assert res.status == 409 and res.json["error"]["code"] == "job_not_open"
    open_list = call_route("GET", "/v1/jobs", caller=_as(other), query="status=open").json["items"]
    assert open_job["id"] not in [j["id"] for j in open_list]


def test_a_job_assigned_to_an_erased_worker_is_cancelled(people, call_route):
    client, worker = people["client"], people["worker"]
    job = _post_job(call_route, client)
    bid = _bid(call_route, job["id"], worker).json
    assert call_route("POST", f"/v1/bids/{bid['id']}/accept", caller=_as(client)).status == 200
    from tests.support.market_stream import StreamPump

    pump = StreamPump()
    pump.deliver()
    assert _erase(call_route, worker).status == 204
    seen = call_route("GET", f"/v1/jobs/{job['id']}", caller=_as(client)).json
    assert seen["status"] == "cancelled"
    # And the client is told why, in its notifications
    pump.deliver()
    notes = call_route("GET", "/v1/me/notifications", caller=_as(client)).json["items"]
    told = next(n for n in notes if n["data"].get("jobId") == job["id"])
    assert told["kind"] == "job_cancelled" and "closed their account" in told["body"]


def test_the_worker_profile_portfolio_images_and_uploads_are_deleted(people, call_route):
    from khaya import db
    from khaya.identity import keys

    worker = people["worker"]
    uid = worker["user"]["userId"]
    assert call_route("PUT", "/v1/me/worker-profile", body=PROFILE, caller=_as(worker)).status == 200
    item = call_route("POST", "/v1/me/portfolio", body={"contentType": "image/jpeg"}, caller=_as(worker)).json
    _upload(item["key"])  # the worker's presigned upload
    _upload(f"users/{uid}/avatar.png")
    _upload(f"portfolio/{people['other']['user']['userId']}/keep.jpg")
    # When the worker erases its account
    assert _erase(call_route, worker).status == 204
    # Then the public profile is gone, and nothing of it (the bio) stays in the table
    assert call_route("GET", f"/v1/workers/{uid}", caller=_as(people["client"])).status == 404
    own = db.query(keys.user_pk(uid), limit=100, scope="test").items
    assert "Smith Street" not in str(own)
    assert not [i for i in own if str(i["sk"]).startswith(("WORKER", "PORTFOLIO#"))]
    # And its images and uploads are deleted from the bucket, another worker's are not
    assert _media_keys(f"portfolio/{uid}/") == [] and _media_keys(f"users/{uid}/") == []
    assert _media_keys("portfolio/") == [f"portfolio/{people['other']['user']['userId']}/keep.jpg"]


@pytest.mark.parametrize("who", ["client", "worker"])
def test_a_job_with_money_held_refuses_the_erasure_and_changes_nothing(people, call_route, who):
    from khaya import db
    from khaya.market import keys

    client, worker = people["client"], people["worker"]
    funded = _post_job(call_route, client)
    bid = _bid(call_route, funded["id"], worker).json
    assert call_route("POST", f"/v1/bids/{bid['id']}/accept", caller=_as(client)).status == 200
    db.update(*keys.job(funded["id"]), set={"status": "funded"})  # paid: the platform holds the money
    open_job = _post_job(call_route, client)
    pending = _bid(call_route, open_job["id"], worker).json
    # When either party to the funded job asks to be erased
    res = _erase(call_route, people[who])
    # Then 409 until it is settled, and nothing was ended
    assert res.status == 409, res
    assert res.json["error"]["code"] == "money_held"
    assert call_route("GET", "/v1/me", caller=_as(people[who])).status == 200
    assert call_route("GET", f"/v1/jobs/{open_job['id']}", caller=_as(client)).json["status"] == "open"
    assert call_route("GET", f"/v1/bids/{pending['id']}", caller=_as(worker)).json["status"] == "pending"


def test_a_retry_after_a_failure_half_way_finishes_the_erasure(people, call_route, monkeypatch):
    from khaya import media

    client, worker = people["client"], people["worker"]
    job = _post_job(call_route, client)
    bid = _bid(call_route, job["id"], worker).json
    assert call_route("PUT", "/v1/me/worker-profile", body=PROFILE, caller=_as(worker)).status == 200
    item = call_route("POST", "/v1/me/portfolio", body={"contentType": "image/png"}, caller=_as(worker)).json
    _upload(item["key"])
    # Given the storage fails once in the middle of the erasure
    real = media.delete_prefix
    calls = {"n": 0}

    def flaky(prefix: str) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("S3 unreachable")
        return real(prefix)

    monkeypatch.setattr(media, "delete_prefix", flaky)
    first = _erase(call_route, worker)
    assert first.status >= 500
    # Then the account is not half-erased: it is whole and can retry; nothing it owned is live
    assert call_route("GET", "/v1/me", caller=_as(worker)).status == 200
    assert call_route("GET", f"/v1/bids/{bid['id']}", caller=_as(client)).json["status"] == "withdrawn"
    # When it retries, the erasure completes
    assert _erase(call_route, worker).status == 204
    assert call_route("GET", "/v1/me", caller=_as(worker)).status == 404
    assert _media_keys(f"portfolio/{worker['user']['userId']}/") == []
    assert call_route("GET", f"/v1/workers/{worker['user']['userId']}", caller=_as(client)).status == 404


SECRET = "gate code 4455"  # what the client wrote, that nobody should read after its erasure


def _conversation_with_the_client_talking(call_route, client, worker):
    """A job with the client's address, the worker's bid and a conversation in which the client
    shared a gate code and a photo; the stream has made its notifications; a summary is cached."""
    from tests.support.market_stream import StreamPump

    job = _post_job_with(call_route, client, title="Paint my house at 5 Oak St", description=f"Alice, {SECRET}")
    bid = _bid(call_route, job["id"], worker).json
    conv = call_route("POST", "/v1/conversations", body={"jobId": job["id"]}, caller=_as(worker)).json
    upload = call_route(
        "POST", f"/v1/conversations/{conv['id']}/attachments", body={"contentType": "image/png"}, caller=_as(client)
    ).json
    _upload(upload["attachmentKey"])
    body = {"text": f"Alice here: my {SECRET}, 5 Oak St", "attachmentKey": upload["attachmentKey"]}
    sent = call_route("POST", f"/v1/conversations/{conv['id']}/messages", body=body, caller=_as(client))
    assert sent.status == 201, sent
    reply = {"text": "Thanks, see you Monday"}
    assert call_route("POST", f"/v1/conversations/{conv['id']}/messages", body=reply, caller=_as(worker)).status == 201
    StreamPump().deliver()
    summary = call_route("POST", f"/v1/conversations/{conv['id']}/summary", caller=_as(worker))
    assert summary.status == 200 and SECRET in summary.json["summary"], summary
    return job, bid, conv, upload["attachmentKey"]


def _post_job_with(call_route, client, **text):
    res = call_route("POST", "/v1/jobs", body=job_body(**text), caller=_as(client))
    assert res.status == 201, res
    return res.json


def test_what_an_erased_client_wrote_is_gone_from_what_others_read(people, call_route):
    from tests.support.market_stream import StreamPump

    client, worker = people["client"], people["worker"]
    job, _bid_placed, conv, attachment = _conversation_with_the_client_talking(call_route, client, worker)
    # When the client erases its account
    assert _erase(call_route, client).status == 204
    StreamPump().deliver()
    # Then the job keeps its id, status and money, but not its words, wherever the worker looks
    seen = call_route("GET", f"/v1/jobs/{job['id']}", caller=_as(worker)).json
    assert (seen["id"], seen["status"], seen["budget"]) == (job["id"], "cancelled", job["budget"])
    listed = call_route("GET", "/v1/jobs", query="status=cancelled&category=plumbing", caller=_as(worker)).json
    mine = call_route("GET", "/v1/me/bids", caller=_as(worker)).json
    convs = call_route("GET", "/v1/conversations", caller=_as(worker)).json
    messages = call_route("GET", f"/v1/conversations/{conv['id']}/messages", caller=_as(worker)).json
    summary = call_route("POST", f"/v1/conversations/{conv['id']}/summary", caller=_as(worker)).json
    notes = call_route("GET", "/v1/me/notifications", caller=_as(worker)).json
    for shown in (seen, listed, mine, convs, messages, summary, notes):
        assert SECRET not in str(shown) and "Oak St" not in str(shown), shown
    assert [i["title"] for i in listed["items"] if i["id"] == job["id"]] == ["Removed job"]
    # And the client's message is still there for the worker, reworded, without its photo
    theirs = [m for m in messages["items"] if m["senderId"] == client["user"]["userId"]]
    assert [(m["text"], m.get("attachmentKey")) for m in theirs] == [
        ("Removed: its author closed their account.", None)
    ]
    assert [m["text"] for m in messages["items"] if m["senderId"] == worker["user"]["userId"]] == [
        "Thanks, see you Monday"
    ]
    assert _media_keys(attachment) == []
    # And the conversation is closed: nothing more can be sent or uploaded into it
    res = call_route(
        "POST", f"/v1/conversations/{conv['id']}/messages", body={"text": "still there?"}, caller=_as(worker)
    )
    assert res.status == 409 and res.json["error"]["code"] == "conversation_closed", res
    res = call_route(
        "POST", f"/v1/conversations/{conv['id']}/attachments", body={"contentType": "image/png"}, caller=_as(worker)
    )
    assert res.status == 409, res
    assert [c["closedAt"] is not None for c in convs["items"] if c["id"] == conv["id"]] == [True]


def test_an_erased_workers_bid_message_and_messages_are_gone(people, call_route):
    client, worker = people["client"], people["worker"]
    job = _post_job(call_route, client)
    bid = _bid(call_route, job["id"], worker, message=f"Call me, {SECRET}").json
    conv = call_route("POST", "/v1/conversations", body={"jobId": job["id"]}, caller=_as(worker)).json
    body = {"text": f"My {SECRET}"}
    assert call_route("POST", f"/v1/conversations/{conv['id']}/messages", body=body, caller=_as(worker)).status == 201
    # When the worker erases its account
    assert _erase(call_route, worker).status == 204
    # Then the client reads neither its bid message nor its messages, and can no longer write to it
    seen = call_route("GET", f"/v1/bids/{bid['id']}", caller=_as(client)).json
    listed = call_route("GET", f"/v1/jobs/{job['id']}/bids", caller=_as(client)).json
    messages = call_route("GET", f"/v1/conversations/{conv['id']}/messages", caller=_as(client)).json
    for shown in (seen, listed, messages):
        assert SECRET not in str(shown), shown
    res = call_route("POST", f"/v1/conversations/{conv['id']}/messages", body={"text": "hello?"}, caller=_as(client))
    assert res.status == 409 and res.json["error"]["code"] == "conversation_closed", res
    # And the client's own job keeps its words
    assert call_route("GET", f"/v1/jobs/{job['id']}", caller=_as(client)).json["title"] == job["title"]
