"""What the OpenAPI document calls valid, the API accepts; what it refuses, the document says.

Each case was a schema-valid request the API refused (found by fuzzing the document).
"""

from __future__ import annotations

import json
import re

from khaya.routes import OPENAPI_PATH
from tests.integration.market.conftest import CLIENT, WORKER, job_body

DOC = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
SCHEMAS = DOC["components"]["schemas"]


def test_an_amount_written_with_a_zero_fraction_is_the_same_integer(market):
    # Given a job / When a worker bids 90000.0 (to JSON Schema, the integer 90000)
    job = market.post_job()
    body = '{"amount": {"amount": 90000.0, "currency": "ZAR"}, "message": "Tomorrow", "etaDays": 1.0}'
    headers = {"content-type": "application/json"}
    res = market.call("POST", f"/v1/jobs/{job['id']}/bids", body=body, headers=headers, caller=WORKER)
    # Then the bid is placed for 90000 minor units
    assert res.status == 201, res
    assert res.json["amount"] == {"amount": 90000, "currency": "ZAR"}


def test_a_blank_skill_is_refused_by_the_document_and_the_api_alike(market):
    # Given the document / Then its pattern refuses a skill of spaces and admits a padded one
    item = SCHEMAS["WorkerProfileIn"]["properties"]["skills"]["items"]
    assert re.search(item["pattern"], "   ") is None and re.search(item["pattern"], " tiling ")
    # And the API refuses the blank skill (it strips spaces) with a 400 naming it
    profile = {
        "skills": ["tiling", "   "],
        "categories": ["tiling"],
        "city": "Durban",
        "bio": "Tiler.",
        "hourlyRate": {"amount": 20000, "currency": "ZAR"},
    }
    res = market.call("PUT", "/v1/me/worker-profile", body=profile, caller=WORKER)
    assert res.status == 400 and res.json["error"]["details"][0]["field"] == "skills.1"


def test_an_empty_job_patch_is_refused_by_the_document_and_the_api_alike(market):
    # Given the document / Then a PATCH of a job must change at least one field
    assert SCHEMAS["JobPatch"]["minProperties"] == 1
    # And the API refuses an empty one
    job = market.post_job()
    res = market.call("PATCH", f"/v1/jobs/{job['id']}", body={}, caller={"userId": job["clientId"], "role": "client"})
    assert res.status == 400, res


def test_a_city_without_a_letter_or_digit_is_refused_by_the_document_and_the_api_alike(market):
    # Given the document / Then every city field states the rule the API applies
    for model in ("JobIn", "WorkerProfileIn"):
        pattern = SCHEMAS[model]["properties"]["city"]["pattern"]
        assert re.search(pattern, "`\u00b8\u000b") is None and re.search(pattern, "Cape Town"), model
    # And the API refuses such a city with a 400 naming it
    res = market.call("POST", "/v1/jobs", body=job_body(city="`\u00b8\u000b"), caller=CLIENT)
    assert res.status == 400 and res.json["error"]["details"][0]["field"] == "city"
