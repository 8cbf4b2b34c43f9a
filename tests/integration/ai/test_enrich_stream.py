"""The AI stream consumer: a new job gets its aiSuggestion and vector, once, without slowing the post."""

from __future__ import annotations

from tests.integration.ai.conftest import GEYSER_JOB, post
from tests.integration.market.conftest import CLIENT, WORKER
from tests.support.bedrock import embedding_answer, tool_answer, use_bedrock
from tests.support.ddb_calls import count_calls
from tests.support.market_stream import StreamPump


def test_posting_does_no_ai_work_and_the_stream_attaches_the_suggestion(market, enrich):
    # When a client posts a plumbing job in Johannesburg
    with count_calls() as calls:
        job = post(market, GEYSER_JOB)
    # Then the post itself made only its own writes, and answered without a suggestion
    assert calls.counts == {"GetItem": 1, "TransactWriteItems": 1}
    assert job.get("aiSuggestion") is None
    # When the stream is consumed / Then the job shows a ZAR suggestion from the local method
    enrich.deliver()
    shown = market.job(job["id"], who=WORKER)["aiSuggestion"]
    assert shown["source"] == "fallback"
    assert shown["priceRange"]["min"]["currency"] == shown["priceRange"]["max"]["currency"] == "ZAR"
    assert 0 < shown["priceRange"]["min"]["amount"] <= shown["priceRange"]["max"]["amount"]
    assert shown["timelineDays"]["min"] >= 1 and shown["generatedAt"]


def test_a_redelivered_record_and_the_consumers_own_writes_cost_no_second_model_call(market, enrich, monkeypatch):
    # Given Bedrock answers one embedding and one suggestion, no more
    stub = use_bedrock(monkeypatch)
    made: list[str] = []
    stub.client.meta.events.register(
        "before-parameter-build.bedrock-runtime", lambda model, **_: made.append(model.name)
    )
    job = post(market, GEYSER_JOB)
    records = enrich.records()
    stub.add_response("invoke_model", embedding_answer([1.0] + [0.0] * 511))
    answer = {"min_price": 800, "max_price": 1600, "min_days": 1, "max_days": 2, "rationale": "Valve and tray."}
    stub.add_response("converse", tool_answer("price_suggestion", answer))
    # When the batch is delivered twice, and then the records of the consumer's own writes
    assert enrich.send(records) == {"batchItemFailures": []}
    assert enrich.send(records) == {"batchItemFailures": []}
    enrich.deliver()
    # Then the model was asked once for each, and the job holds the model's suggestion
    assert made == ["InvokeModel", "Converse"]
    stub.assert_no_pending_responses()
    shown = market.job(job["id"])["aiSuggestion"]
    assert shown["source"] == "bedrock" and shown["priceRange"]["max"] == {"amount": 160000, "currency": "ZAR"}


def test_a_failing_record_is_reported_and_its_retry_completes_the_work(market, enrich, monkeypatch):
    from khaya import db
    from khaya.errors import ServiceUnavailable

    job = post(market, GEYSER_JOB)
    records = enrich.records()
    # Given the table throttles the consumer's write once
    real, failures = db.transact, [ServiceUnavailable()]

    def flaky(actions, token=None):
        if failures:
            raise failures.pop()
        return real(actions, token)

    monkeypatch.setattr(db, "transact", flaky)
    # When the batch is consumed / Then the job's message and the ones after it are reported
    result = enrich.send(records)
    ids = [m["messageId"] for m in enrich.messages]
    failed = [f["itemIdentifier"] for f in result["batchItemFailures"]]
    assert failed and failed == ids[ids.index(failed[0]) :]
    assert market.job(job["id"]).get("aiSuggestion") is None
    # When SQS delivers them again / Then the suggestion is attached
    assert enrich.send(enrich.routed(records)[ids.index(failed[0]) :]) == {"batchItemFailures": []}
    assert market.job(job["id"])["aiSuggestion"]["source"] == "fallback"


def test_notifications_read_records_of_items_holding_vectors(market, enrich):
    # Given a job with a bid, and its vector written (binary, base64 in Lambda's JSON records)
    job = post(market, GEYSER_JOB)
    market.placed(job["id"], WORKER)
    enrich.deliver()
    # When the notifications consumer reads the same stream / Then every record is handled
    StreamPump().deliver()
    res = market.call("GET", "/v1/me/notifications", caller=CLIENT)
    assert [n["kind"] for n in res.json["items"]] == ["bid_received"]


def test_the_model_calls_made_for_a_clients_jobs_spend_its_daily_enrich_slots(market, enrich, monkeypatch):
    from khaya import db
    from khaya.ai import embeddings, keys

    # Given Bedrock ready to answer for two jobs, and room for two model calls a day for what
    # is made after a client's posts
    monkeypatch.setenv("AI_ENRICH_DAILY_QUOTA", "2")
    stub = use_bedrock(monkeypatch)
    answer = {"min_price": 800, "max_price": 1600, "min_days": 1, "max_days": 2, "rationale": "Valve and tray."}
    for _ in range(2):
        stub.add_response("invoke_model", embedding_answer([1.0] + [0.0] * 511))
        stub.add_response("converse", tool_answer("price_suggestion", answer))
    # When the client posts a job, cancels it and posts it again (the open-job limit allows it)
    first = post(market, GEYSER_JOB)
    enrich.deliver()
    market.call("POST", f"/v1/jobs/{first['id']}/cancel", caller=CLIENT)
    again = post(market, {**GEYSER_JOB, "title": "Geyser leaking again, please help"})
    enrich.deliver()
    # Then the first job has the model's suggestion, and the repost the local method's
    assert market.job(first["id"])["aiSuggestion"]["source"] == "bedrock"
    assert market.job(again["id"])["aiSuggestion"]["source"] == "fallback"
    # And a local vector, so search still finds it (ranked with the local method)
    assert db.get(*keys.job_embedding(again["id"]))["model"] == embeddings.LOCAL_MODEL
    # And the model was not asked for the repost: its two answers are still waiting
    assert len(stub._queue) == 2
