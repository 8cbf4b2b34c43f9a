"""GET /v1/jobs/search: vectors from the stream, ranking by meaning, filters, access, Titan (stubbed)."""

from __future__ import annotations

import json
import math

import pytest

from tests.integration.ai.conftest import GEYSER_JOB, LAWN_JOB, post
from tests.integration.market.conftest import CLIENT, CLIENT2, WORKER
from tests.support.bedrock import embedding_answer, times_out, use_bedrock

PATH = "/v1/jobs/search"


def search(market, query, who=WORKER):
    res = market.call("GET", PATH, query=query, caller=who)
    assert res.status == 200, res
    return res.json


def titles(result):
    return [item["title"] for item in result["items"]]


def test_water_heater_leak_ranks_the_geyser_job_above_the_lawn_job(market, enrich):
    # Given a geyser job and a lawn job, embedded from the stream by the local method
    lawn = post(market, LAWN_JOB)
    geyser = post(market, GEYSER_JOB, who=CLIENT2)
    enrich.deliver()
    # When a worker searches for "water heater leak" (no word of it is in the geyser job's title)
    result = search(market, "q=water+heater+leak")
    # Then the geyser job comes first, with a higher score, and the answer is labelled
    ids = [item["id"] for item in result["items"]]
    assert ids[0] == geyser["id"]
    scores = {item["id"]: item["score"] for item in result["items"]}
    assert scores[geyser["id"]] > scores.get(lawn["id"], 0.0)
    assert result["source"] == "fallback" and result["nextCursor"] is None
    # And the items are jobs, as the job list shows them
    assert result["items"][0]["category"] == "plumbing" and result["items"][0]["status"] == "open"


def test_filters_narrow_the_candidates_before_ranking(market, enrich):
    post(market, GEYSER_JOB)
    post(market, {**GEYSER_JOB, "title": "Geyser element replacement", "city": "Cape Town"})
    post(market, LAWN_JOB, who=CLIENT2)
    enrich.deliver()
    assert titles(search(market, "q=geyser&city=cape+town")) == ["Geyser element replacement"]
    assert titles(search(market, "q=geyser&category=gardening")) in ([], ["Mow the lawn and trim the hedges"])
    assert set(titles(search(market, "q=geyser&city=Johannesburg"))) <= {GEYSER_JOB["title"], LAWN_JOB["title"]}


def test_only_open_jobs_are_found_and_a_job_that_closes_leaves_its_vector_behind_it(market, enrich):
    from khaya import db
    from khaya.ai import keys

    job = post(market, GEYSER_JOB)
    enrich.deliver()
    assert db.get(*keys.job_embedding(job["id"])) is not None
    assert job["id"] in [i["id"] for i in search(market, "q=geyser")["items"]]
    assert market.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=CLIENT).status == 200
    enrich.deliver()
    assert search(market, "q=geyser")["items"] == []
    assert db.get(*keys.job_embedding(job["id"])) is None


def test_an_edited_job_is_found_by_its_new_words(market, enrich):
    job = post(market, {**GEYSER_JOB, "title": "Fix a dripping tap", "description": "The kitchen tap drips."})
    enrich.deliver()
    assert search(market, "q=electrician+for+sockets")["items"] == []
    edit = {"title": "Rewire two plug points", "description": "Sockets in the kitchen spark.", "category": "electrical"}
    assert market.call("PATCH", f"/v1/jobs/{job['id']}", body=edit, caller=CLIENT).status == 200
    enrich.deliver()
    found = search(market, "q=electrician+for+sockets")["items"]
    assert [i["id"] for i in found] == [job["id"]] and found[0]["title"] == "Rewire two plug points"


def test_an_edit_that_keeps_the_text_keeps_the_vector_on_the_new_index_items(market, enrich):
    # Given an embedded job whose budget is then changed (the marketplace rewrites its index items)
    job = post(market, GEYSER_JOB)
    enrich.deliver()
    budget = {"budget": {"amount": 150000, "currency": "ZAR"}}
    assert market.call("PATCH", f"/v1/jobs/{job['id']}", body=budget, caller=CLIENT).status == 200
    # When the stream is consumed / Then it is found as before, scored from its stored vector
    enrich.deliver()
    found = search(market, "q=water+heater+leak")["items"]
    assert [i["id"] for i in found] == [job["id"]] and found[0]["budget"]["amount"] == 150000


def test_a_job_not_yet_embedded_is_still_ranked_by_its_title(market):
    job = post(market, GEYSER_JOB)  # no stream delivered
    found = search(market, "q=geyser+repair")["items"]
    assert [i["id"] for i in found] == [job["id"]] and found[0]["score"] > 0


@pytest.mark.parametrize(
    "query",
    ["q=", "q=%20%20", "q=%09", "q=" + "a" * 201, "", "q=tap&category=astrology", "q=tap&limit=21", "q=tap&limit=0"],
)
def test_bad_queries_are_a_400(market, query):
    res = market.call("GET", PATH, query=query, caller=WORKER)
    assert res.status == 400, res
    assert res.json["error"]["code"] == "validation_error"


def test_the_document_refuses_a_blank_query_as_the_api_does():
    # A query of only blanks (a tab, spaces) is a 400: the document must not call it valid
    import json
    import re
    from pathlib import Path

    import khaya

    doc = json.loads((Path(khaya.__file__).parent / "openapi.json").read_text(encoding="utf-8"))
    q = next(p for p in doc["paths"][PATH]["get"]["parameters"] if p["name"] == "q")
    pattern = q["schema"]["pattern"]
    assert not re.search(pattern, "\t") and not re.search(pattern, "   ") and re.search(pattern, " tap ")


def test_search_needs_a_signed_in_caller_and_has_its_own_daily_quota(market, monkeypatch):
    from khaya.config import reset_settings

    assert market.call("GET", PATH, query="q=tap").status == 401
    monkeypatch.setenv("AI_SEARCH_DAILY_QUOTA", "1")
    reset_settings()
    assert market.call("GET", PATH, query="q=tap", caller=WORKER).status == 200
    over = market.call("GET", PATH, query="q=tap", caller=WORKER)
    assert over.status == 429 and int(over.headers["retry-after"]) > 0
    # The text features keep their own budget
    body = {**GEYSER_JOB}
    assert market.call("POST", "/v1/ai/job-suggestions", body=body, caller=CLIENT).status == 200


# ---------------------------------------------------------------- Titan (stubbed)


def unit(seed: int) -> list[float]:
    raw = [math.sin(seed * (i + 1)) for i in range(512)]
    norm = math.sqrt(sum(v * v for v in raw))
    return [v / norm for v in raw]


def titan_request(text):
    body = json.dumps({"inputText": text, "dimensions": 512, "normalize": True})
    return {
        "modelId": "amazon.titan-embed-text-v2:0",
        "contentType": "application/json",
        "accept": "application/json",
        "body": body,
    }


def test_titan_vectors_rank_jobs_and_the_query(market, enrich, monkeypatch):
    from khaya.ai.embeddings import job_text

    # Given Titan embeds two jobs (vectors 1 and 2) from the stream, on the exact requests
    stub = use_bedrock(monkeypatch)
    a = post(market, GEYSER_JOB)
    b = post(market, LAWN_JOB, who=CLIENT2)
    for job, seed in ((a, 1), (b, 2)):
        text = job_text(job["title"], job["category"], job["description"])
        stub.add_response("invoke_model", embedding_answer(unit(seed)), expected_params=titan_request(text))
        stub.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
    enrich.deliver()
    # When the query's vector is vector 2
    stub.add_response("invoke_model", embedding_answer(unit(2)), expected_params=titan_request("lawn mowing"))
    result = search(market, "q=lawn++mowing")
    stub.assert_no_pending_responses()
    # Then the job with vector 2 is first with a score of about 1 (float16 storage), labelled bedrock
    assert result["source"] == "bedrock"
    assert result["items"][0]["id"] == b["id"] and abs(result["items"][0]["score"] - 1.0) < 1e-3
    dot = sum(x * y for x, y in zip(unit(1), unit(2), strict=True))
    others = {i["id"]: i["score"] for i in result["items"][1:]}
    assert others == ({} if dot <= 0 else {a["id"]: pytest.approx(dot, abs=1e-3)})


def test_when_titan_is_throttled_or_times_out_the_search_still_ranks_locally(market, enrich, monkeypatch):
    # Given jobs embedded locally, then Bedrock throttled for the query
    post(market, LAWN_JOB)
    geyser = post(market, GEYSER_JOB, who=CLIENT2)
    enrich.deliver()
    stub = use_bedrock(monkeypatch)
    stub.add_client_error("invoke_model", service_error_code="ThrottlingException", http_status_code=429)
    throttled = search(market, "q=water+heater+leak")
    assert throttled["source"] == "fallback" and throttled["items"][0]["id"] == geyser["id"]
    stub.deactivate()
    # And the same when it times out
    times_out(monkeypatch)
    slow = search(market, "q=water+heater+leak")
    assert slow["source"] == "fallback" and slow["items"][0]["id"] == geyser["id"]


def test_the_document_tells_a_client_that_a_query_of_spaces_is_refused():
    # A generated client (or a fuzzer) reads the rule from the schema, not from a 400
    import json

    from khaya.routes import OPENAPI_PATH

    doc = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    q = next(p for p in doc["paths"][PATH]["get"]["parameters"] if p["name"] == "q")
    assert q["schema"]["pattern"] == r"\S" and q["schema"]["minLength"] == 1
