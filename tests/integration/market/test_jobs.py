"""Jobs: post, read, edit, cancel, list by filters, mine — as a client and a worker notice them."""

from __future__ import annotations

import pytest

from khaya.ids import now_iso
from tests.integration.market.conftest import CLIENT, CLIENT2, WORKER, WORKER2, job_body


def test_a_client_posts_a_job_and_any_user_reads_it_with_its_city_normalised(market):
    # Given a client / When it posts a job in "  Cápe   Town "
    job = market.post_job(city="  Cápe   Town ")
    # Then the job is open, owned by the client, with a filterable city and the money as sent
    assert job["status"] == "open" and job["clientId"] == CLIENT["userId"]
    assert job["city"] == "cape-town" and job["cityName"] == "Cápe Town"
    assert job["budget"] == {"amount": 80000, "currency": "ZAR"}
    # And a worker reads the same job
    assert market.job(job["id"], WORKER)["title"] == job["title"]


@pytest.mark.parametrize(
    "bad",
    [
        {"category": "astrology"},
        {"city": "   "},
        {"title": "ab"},
        {"budget": {"amount": 10.5, "currency": "ZAR"}},
        {"budget": {"amount": 100, "currency": "EUR"}},
        {"dueDate": "2001-01-01"},
        {"surprise": True},
    ],
)
def test_bad_job_input_is_a_400_and_nothing_is_written(market, bad):
    # When a client posts a job with one bad field
    res = market.call("POST", "/v1/jobs", body=job_body(**bad), caller=CLIENT)
    # Then it is a validation error naming the field, and no job appears anywhere
    assert res.status == 400 and res.json["error"]["code"] == "validation_error"
    assert market.ids("/v1/me/jobs", CLIENT) == []
    assert market.ids("/v1/jobs", WORKER) == []


def test_a_worker_cannot_post_a_job(market):
    res = market.call("POST", "/v1/jobs", body=job_body(), caller=WORKER)
    assert res.status == 403 and res.json["error"]["code"] == "wrong_role"
    assert market.ids("/v1/jobs", WORKER) == []


def test_a_free_client_gets_422_over_three_open_jobs_and_a_slot_back_when_one_is_cancelled(market):
    # Given a free client with three open jobs
    first = market.post_job()
    market.post_job()
    market.post_job()
    # When it posts a fourth / Then 422 plan_limit_reached and nothing is written
    res = market.call("POST", "/v1/jobs", body=job_body(), caller=CLIENT)
    assert res.status == 422 and res.json["error"]["code"] == "plan_limit_reached"
    assert len(market.ids("/v1/me/jobs", CLIENT)) == 3
    # When one is cancelled / Then it can post again
    assert market.call("POST", f"/v1/jobs/{first['id']}/cancel", caller=CLIENT).status == 200
    market.post_job()
    # And the limit is per client: another client is unaffected
    market.post_job(CLIENT2)


def test_lists_filter_by_category_city_and_status_newest_first(market):
    # Given jobs in several categories and cities, from two clients
    a = market.post_job(category="plumbing", city="Cape Town")
    b = market.post_job(category="electrical", city="cape  town")
    c = market.post_job(category="plumbing", city="Durban")
    d = market.post_job(CLIENT2, category="plumbing", city="CAPE TOWN")
    # Then each filter combination lists exactly its jobs, newest first
    assert market.ids("/v1/jobs", WORKER, "category=plumbing&city=Cape%20Town") == [d["id"], a["id"]]
    assert market.ids("/v1/jobs", WORKER, "category=plumbing") == [d["id"], c["id"], a["id"]]
    assert market.ids("/v1/jobs", WORKER, "city=cape-town") == [d["id"], b["id"], a["id"]]
    assert market.ids("/v1/jobs", WORKER) == [d["id"], c["id"], b["id"], a["id"]]
    # When one is cancelled / Then it leaves the open lists and shows under status=cancelled
    market.call("POST", f"/v1/jobs/{a['id']}/cancel", caller=CLIENT)
    assert market.ids("/v1/jobs", WORKER, "category=plumbing&city=Cape%20Town") == [d["id"]]
    assert market.ids("/v1/jobs", WORKER, "status=cancelled&city=cape%20town") == [a["id"]]
    # And a client's own list holds only its jobs
    assert market.ids("/v1/me/jobs", CLIENT2) == [d["id"]]


def test_lists_page_with_signed_cursors_and_refuse_forged_or_foreign_ones(market):
    # Given three open jobs
    jobs = [market.post_job(CLIENT if i < 2 else CLIENT2)["id"] for i in range(3)]
    # When a worker pages through them two at a time
    first = market.call("GET", "/v1/jobs", caller=WORKER, query="limit=2").json
    second = market.call("GET", "/v1/jobs", caller=WORKER, query=f"limit=2&cursor={first['nextCursor']}").json
    # Then it sees each job once, newest first, and the last page has no cursor
    assert [j["id"] for j in first["items"] + second["items"]] == jobs[::-1]
    assert second["nextCursor"] is None
    # And a tampered cursor, or one from another list, is a 400 without data
    forged = first["nextCursor"][:-2] + ("AA" if not first["nextCursor"].endswith("AA") else "BB")
    for bad in (forged, "garbage"):
        res = market.call("GET", "/v1/jobs", caller=WORKER, query=f"cursor={bad}")
        assert res.status == 400 and res.json["error"]["code"] == "invalid_cursor" and "items" not in res.json
    res = market.call("GET", "/v1/jobs", caller=WORKER, query=f"category=plumbing&cursor={first['nextCursor']}")
    assert res.status == 400
    # And the limit is 1..100
    assert market.call("GET", "/v1/jobs", caller=WORKER, query="limit=101").status == 400


def test_the_owner_edits_an_open_job_and_a_city_change_moves_it_between_lists(market):
    job = market.post_job(city="Cape Town")
    # When the owner moves it to Durban and clears the budget
    res = market.call("PATCH", f"/v1/jobs/{job['id']}", body={"city": "Durban", "budget": None}, caller=CLIENT)
    # Then the job shows the change with a new version, and lists follow
    assert res.status == 200 and res.json["city"] == "durban" and res.json["budget"] is None
    assert res.json["version"] == job["version"] + 1
    assert market.ids("/v1/jobs", WORKER, "city=durban") == [job["id"]]
    assert market.ids("/v1/jobs", WORKER, "city=cape%20town") == []


def test_only_the_owner_edits_and_only_while_open(market):
    job = market.post_job()
    # Another client → 403 and the job is unchanged
    res = market.call("PATCH", f"/v1/jobs/{job['id']}", body={"title": "Mine now"}, caller=CLIENT2)
    assert res.status == 403 and job["id"] not in res.text
    assert res.json["error"]["code"] == "not_job_owner"
    assert res.json["error"]["message"] == "Only the client who posted this job can change it."
    assert market.job(job["id"])["title"] == job["title"]
    # An empty patch is a 400
    assert market.call("PATCH", f"/v1/jobs/{job['id']}", body={}, caller=CLIENT).status == 400
    # Once cancelled, an edit is a 409 and changes nothing
    market.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=CLIENT)
    res = market.call("PATCH", f"/v1/jobs/{job['id']}", body={"title": "Too late"}, caller=CLIENT)
    assert res.status == 409 and res.json["error"]["code"] == "job_not_open"
    assert res.json["error"]["message"] == "The job is cancelled, not open."
    assert market.job(job["id"])["title"] == job["title"]


def test_a_cancel_closes_the_pending_bids_saying_why(market):
    from tests.integration.market.conftest import WORKER3

    job = market.post_job()
    bids = [market.placed(job["id"], who) for who in (WORKER, WORKER2, WORKER3)]
    assert market.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=CLIENT).status == 200
    for bid, who in zip(bids, (WORKER, WORKER2, WORKER3), strict=True):
        seen = market.bid_of(bid["id"], who)
        assert (seen["status"], seen["closedReason"]) == ("rejected", "job_cancelled")


def test_a_second_cancel_is_a_409_with_no_second_effect(market):
    # Given a free client with three jobs, one cancelled
    jobs = [market.post_job() for _ in range(3)]
    assert market.call("POST", f"/v1/jobs/{jobs[0]['id']}/cancel", caller=CLIENT).status == 200
    # When it cancels the same job again
    res = market.call("POST", f"/v1/jobs/{jobs[0]['id']}/cancel", caller=CLIENT)
    # Then 409, and the open-job count was freed only once: one more job fits, not two
    assert res.status == 409 and res.json["error"]["code"] == "job_not_open"
    market.post_job()
    assert market.call("POST", "/v1/jobs", body=job_body(), caller=CLIENT).status == 422


def test_a_transition_from_a_stale_read_is_a_409_and_changes_nothing(market):
    from khaya import db
    from khaya.errors import Conflict
    from khaya.market import jobs

    # Given a job read at version 1, then edited (version 2) by its owner
    job = market.post_job()
    stale = jobs.load(job["id"])
    market.call("PATCH", f"/v1/jobs/{job['id']}", body={"title": "Fix the tap properly"}, caller=CLIENT)
    # When a transition built from the stale read runs
    _, actions = jobs.transition(stale, "cancelled")
    with pytest.raises(Conflict) as refused:
        db.transact(actions)
    assert refused.value.code == "job_changed"
    assert refused.value.message == "The job changed since it was read; reload it and try again."
    # Then the job is still open, edited, and still listed
    now = market.job(job["id"])
    assert now["status"] == "open" and now["title"] == "Fix the tap properly"
    assert market.ids("/v1/jobs", WORKER) == [job["id"]]


def test_a_funded_job_cannot_be_cancelled_without_a_refund(market):
    from khaya import db
    from khaya.market import keys

    job = market.post_job()
    db.update(*keys.job(job["id"]), set={"status": "funded"})
    res = market.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=CLIENT)
    assert res.status == 409 and res.json["error"]["code"] == "refund_required"
    assert market.job(job["id"])["status"] == "funded"


def test_an_unknown_job_is_a_404(market):
    for method, path in (("GET", "/v1/jobs/NOPE"), ("POST", "/v1/jobs/NOPE/cancel")):
        res = market.call(method, path, caller=CLIENT)
        assert res.status == 404 and res.json["error"]["code"] == "job_not_found"
        assert res.json["error"]["message"] == "No job with this id."


WINNER_FIELDS = ("workerId", "acceptedAmount", "acceptedBidId")


def test_who_won_and_at_what_price_is_shown_only_to_the_owner_the_winner_and_admins(market):
    from tests.integration.market.conftest import ADMIN, CLIENT2, WORKER2

    job = market.post_job()
    winning = market.placed(job["id"], WORKER, 70000)
    market.placed(job["id"], WORKER2, 65000)
    assert market.call("POST", f"/v1/bids/{winning['id']}/accept", caller=CLIENT).status == 200
    # The owner, the winning worker and an admin see who won and at what price
    for who in (CLIENT, WORKER, ADMIN):
        seen = market.job(job["id"], who)
        assert (seen["workerId"], seen["acceptedAmount"]["amount"], seen["acceptedBidId"]) == (
            WORKER["userId"],
            70000,
            winning["id"],
        ), who
    # Anyone else (the losing bidder, another client) sees an assigned job, not who won it or for how much
    for who in (WORKER2, CLIENT2):
        seen = market.job(job["id"], who)
        assert seen["status"] == "assigned"
        assert [seen.get(f) for f in WINNER_FIELDS] == [None, None, None], who
        listed = market.call("GET", "/v1/jobs", caller=who, query="status=assigned")
        assert listed.status == 200 and [j["id"] for j in listed.json["items"]] == [job["id"]]
        assert [j.get(f) for j in listed.json["items"] for f in WINNER_FIELDS] == [None, None, None]
        assert winning["id"] not in listed.text and WORKER["userId"] not in listed.text
    # And the losing bidder finds no trace of the winning bid
    assert market.call("GET", f"/v1/bids/{winning['id']}", caller=WORKER2).status == 404
    assert [b["id"] for b in market.call("GET", f"/v1/jobs/{job['id']}/bids", caller=WORKER2).json["items"]] == [
        f"{job['id']}.{WORKER2['userId']}"
    ]


def test_an_edit_changes_the_fields_sent_and_only_those_everywhere_the_job_shows(market):
    job = market.post_job(city="Cape Town")
    changes = {
        "title": "Replace the geyser valve",
        "description": "The pressure valve on the geyser leaks.",
        "category": "electrical",
        "city": "  Port   Elizabeth ",
        "budget": {"amount": 95000, "currency": "ZAR"},
        "dueDate": "2099-03-01",
    }
    # When the owner changes every field at once
    res = market.call("PATCH", f"/v1/jobs/{job['id']}", body=changes, caller=CLIENT)
    assert res.status == 200, res
    # Then the answer, the job's page and the lists all show the new values
    expected = {**changes, "city": "port-elizabeth", "cityName": "Port Elizabeth"}
    detail = market.job(job["id"])
    for shown in (res.json, detail):
        assert {k: shown[k] for k in expected} == expected
        assert shown["updatedAt"] > job["updatedAt"] and shown["createdAt"] == job["createdAt"]
    assert detail["version"] == job["version"] + 1
    assert market.ids("/v1/jobs", WORKER, "category=electrical") == [job["id"]]
    assert market.ids("/v1/jobs", WORKER, "category=plumbing") == []
    listed = market.call("GET", "/v1/me/jobs", caller=CLIENT).json["items"][0]
    assert {k: listed[k] for k in ("title", "category", "city", "cityName", "budget", "dueDate")} == {
        k: expected[k] for k in ("title", "category", "city", "cityName", "budget", "dueDate")
    }
    # And an edit of one field leaves every other as it was
    res = market.call("PATCH", f"/v1/jobs/{job['id']}", body={"title": "Replace the geyser valve now"}, caller=CLIENT)
    assert res.status == 200
    assert {k: res.json[k] for k in expected if k != "title"} == {k: v for k, v in expected.items() if k != "title"}
    # And a null due date or budget clears it
    res = market.call("PATCH", f"/v1/jobs/{job['id']}", body={"dueDate": None, "budget": None}, caller=CLIENT)
    assert res.status == 200 and res.json.get("dueDate") is None and res.json.get("budget") is None
    assert market.job(job["id"]).get("dueDate") is None and res.json["title"] == "Replace the geyser valve now"
    assert res.json["currency"] == "ZAR"  # the city's country's, once no budget names one


def _assigned(market, worker=WORKER):
    job = market.post_job()
    bid = market.placed(job["id"], worker)
    assert market.call("POST", f"/v1/bids/{bid['id']}/accept", caller=CLIENT).status == 200
    return job


def _stored(job_id):
    from khaya import db
    from khaya.market import keys

    return db.get(*keys.job(job_id), consistent=True)


def test_an_erased_workers_job_is_cancelled_only_while_it_is_still_theirs_and_unpaid(market):
    from khaya import db
    from khaya.market import jobs, keys

    job = _assigned(market)
    # A job assigned to someone else, or already paid for, is left as it is
    jobs.cancel_for_missing_worker(job["id"], WORKER2["userId"])
    assert market.job(job["id"])["status"] == "assigned"
    db.update(*keys.job(job["id"]), set={"status": "funded"})
    jobs.cancel_for_missing_worker(job["id"], WORKER["userId"])
    assert market.job(job["id"])["status"] == "funded"
    # While the worker's own assigned job is cancelled, with when and why kept on it
    db.update(*keys.job(job["id"]), set={"status": "assigned"})
    before = now_iso()
    jobs.cancel_for_missing_worker(job["id"], WORKER["userId"])
    stored = _stored(job["id"])
    assert stored["status"] == "cancelled" and stored["cancelledReason"] == jobs.WORKER_GONE
    assert before <= stored["cancelledAt"] <= stored["updatedAt"]


def _edited_once_after_read(monkeypatch, job_id):
    """The job's owner edits it once, right after the code under test has read it."""
    from khaya import db
    from khaya.market import jobs, keys

    load, edits = jobs.load, []

    def load_then_edit(*args, **kwargs):
        job = load(*args, **kwargs)
        if not edits and job["id"] == job_id:
            edits.append(1)
            db.update(*keys.job(job_id), set={"title": "Edited meanwhile"}, add={"version": 1})
        return job

    monkeypatch.setattr(jobs, "load", load_then_edit)
    return edits


def test_a_cancel_that_meets_an_edit_made_since_it_read_the_job_reads_again_and_cancels(market, monkeypatch):
    job = market.post_job()
    edits = _edited_once_after_read(monkeypatch, job["id"])
    before = now_iso()
    res = market.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=CLIENT)
    assert edits and res.status == 200, res
    assert res.json["status"] == "cancelled" and res.json["title"] == "Edited meanwhile"
    assert res.json["version"] == job["version"] + 2
    stored = _stored(job["id"])
    assert before <= stored["cancelledAt"] <= stored["updatedAt"] == res.json["updatedAt"]


def test_an_erased_workers_job_changed_since_it_was_read_is_read_again_and_cancelled(market, monkeypatch):
    from khaya.market import jobs

    job = _assigned(market)
    edits = _edited_once_after_read(monkeypatch, job["id"])
    jobs.cancel_for_missing_worker(job["id"], WORKER["userId"])
    assert edits and market.job(job["id"])["status"] == "cancelled"


def test_my_jobs_lists_only_jobs_in_pages_that_never_repeat(market):
    jobs_posted = [market.post_job(title=f"Job number {n}") for n in range(3)]
    # The client's conversation with a bidder shares the index the client's jobs are read from
    market.placed(jobs_posted[0]["id"], WORKER)
    body = {"jobId": jobs_posted[0]["id"], "workerId": WORKER["userId"]}
    assert market.call("POST", "/v1/conversations", body=body, caller=CLIENT).status == 201
    seen, cursor = [], None
    for _ in range(4):
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = market.call("GET", "/v1/me/jobs", caller=CLIENT, query=query).json
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page.get("nextCursor")
        if not cursor:
            break
    assert seen == [j["id"] for j in sorted(jobs_posted, key=lambda j: (j["createdAt"], j["id"]), reverse=True)]
    # Twenty a page when the client asks for no size (cancelled jobs are listed too)
    for done in jobs_posted:
        assert market.call("POST", f"/v1/jobs/{done['id']}/cancel", caller=CLIENT).status == 200
    for n in range(18):
        more = market.post_job(title=f"More work {n}")
        assert market.call("POST", f"/v1/jobs/{more['id']}/cancel", caller=CLIENT).status == 200
    assert len(market.call("GET", "/v1/me/jobs", caller=CLIENT).json["items"]) == 20


def test_a_catalogue_citys_currency_is_known_without_reading_the_client(market):
    from khaya.market.jobs import default_currency
    from tests.support.ddb_calls import count_calls

    with count_calls() as calls:
        assert default_currency(CLIENT["userId"], "Nairobi", field="currency") == "KES"
    assert calls.ops == []
