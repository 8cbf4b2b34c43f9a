"""Worker profiles (public view) and portfolio uploads through presigned S3 POSTs."""

from __future__ import annotations

import base64
import json

import pytest

from tests.integration.market.conftest import CLIENT, WORKER, WORKER2

PROFILE = {
    "skills": ["geysers", "leaks"],
    "categories": ["plumbing", "tiling"],
    "city": " Johannesburg ",
    "bio": "Licensed plumber, 12 years.",
    "hourlyRate": {"amount": 35000, "currency": "ZAR"},
}


def policy_of(upload):
    return json.loads(base64.b64decode(upload["fields"]["policy"]))


def test_a_worker_sets_its_profile_and_anyone_signed_in_reads_public_fields_only(market):
    from khaya import db
    from khaya.identity import keys

    db.put({**keys.user(WORKER["userId"]).item(), "name": "Sipho", "phone": "+27821234567", "role": "worker"})
    res = market.call("PUT", "/v1/me/worker-profile", body=PROFILE, caller=WORKER)
    assert res.status == 200 and res.json["city"] == "johannesburg"
    # When a client reads it
    seen = market.call("GET", f"/v1/workers/{WORKER['userId']}", caller=CLIENT)
    # Then it sees the public profile with a rating summary, and never the phone
    assert seen.status == 200
    assert seen.json["name"] == "Sipho" and seen.json["categories"] == ["plumbing", "tiling"]
    assert seen.json["rating"] == {"average": None, "count": 0}
    assert "+2782" not in seen.text and "phone" not in seen.json


def test_profile_rules_workers_only_fixed_categories_and_unknown_workers_404(market):
    assert market.call("PUT", "/v1/me/worker-profile", body=PROFILE, caller=CLIENT).status == 403
    bad = market.call("PUT", "/v1/me/worker-profile", body={**PROFILE, "categories": ["magic"]}, caller=WORKER)
    assert bad.status == 400
    # Nothing was written by either
    assert market.call("GET", f"/v1/workers/{WORKER['userId']}", caller=CLIENT).status == 404
    assert market.call("GET", f"/v1/workers/{CLIENT['userId']}", caller=WORKER).status == 404


@pytest.mark.parametrize("ctype", ["image/jpeg", "image/png", "image/webp"])
def test_a_portfolio_upload_is_a_presigned_post_pinned_to_its_type_and_5_mb(market, ctype):
    # When a worker asks to upload an image
    res = market.call("POST", "/v1/me/portfolio", body={"contentType": ctype, "caption": "Bathroom"}, caller=WORKER)
    # Then it gets a presigned POST under its own prefix, whose policy S3 enforces
    assert res.status == 201
    upload = res.json["upload"]
    assert res.json["key"].startswith(f"portfolio/{WORKER['userId']}/") and upload["expiresIn"] == 600
    conditions = policy_of(upload)["conditions"]
    assert {"Content-Type": ctype} in conditions
    assert ["content-length-range", 1, 5 * 1024 * 1024] in conditions
    assert upload["fields"]["key"] == res.json["key"]


def test_portfolio_rejects_other_types_and_non_workers(market):
    for ctype in ("image/gif", "application/pdf", "text/html"):
        assert market.call("POST", "/v1/me/portfolio", body={"contentType": ctype}, caller=WORKER).status == 400
    assert market.call("POST", "/v1/me/portfolio", body={"contentType": "image/png"}, caller=CLIENT).status == 403


def test_an_uploaded_image_shows_on_the_profile_and_its_owner_alone_deletes_it(market):
    import boto3

    from khaya.config import settings

    market.call("PUT", "/v1/me/worker-profile", body=PROFILE, caller=WORKER)
    item = market.call("POST", "/v1/me/portfolio", body={"contentType": "image/png"}, caller=WORKER).json
    s3 = boto3.client("s3")
    s3.put_object(Bucket=settings().require("MEDIA_BUCKET"), Key=item["key"], Body=b"\x89PNG...")
    profile = market.call("GET", f"/v1/workers/{WORKER['userId']}", caller=CLIENT).json
    assert [p["itemId"] for p in profile["portfolio"]] == [item["itemId"]]
    assert profile["portfolio"][0]["url"].startswith("http")
    # Another worker cannot delete it
    assert market.call("DELETE", f"/v1/me/portfolio/{item['itemId']}", caller=WORKER2).status == 404
    # Its owner can: the record and the object are gone
    assert market.call("DELETE", f"/v1/me/portfolio/{item['itemId']}", caller=WORKER).status == 204
    assert market.call("GET", f"/v1/workers/{WORKER['userId']}", caller=CLIENT).json["portfolio"] == []
    assert s3.list_objects_v2(Bucket=settings().require("MEDIA_BUCKET")).get("KeyCount") == 0
    assert market.call("DELETE", f"/v1/me/portfolio/{item['itemId']}", caller=WORKER).status == 404


def test_a_worker_with_portfolio_images_can_still_change_its_profile(market):
    # Given a worker with a profile and one portfolio image
    assert market.call("PUT", "/v1/me/worker-profile", body=PROFILE, caller=WORKER).status == 200
    item = market.call("POST", "/v1/me/portfolio", body={"contentType": "image/png"}, caller=WORKER).json
    # When it changes its bio
    res = market.call("PUT", "/v1/me/worker-profile", body={**PROFILE, "bio": "Now also tiling."}, caller=WORKER)
    # Then the change is saved and answered with the profile, image included
    assert res.status == 200, res
    assert res.json["bio"] == "Now also tiling."
    assert [p["itemId"] for p in res.json["portfolio"]] == [item["itemId"]]
    assert res.json["portfolio"][0]["url"].startswith("http")


def test_the_media_bucket_is_private_encrypted_and_cleans_abandoned_uploads():
    from local.cfn import load_template

    props = load_template()["Resources"]["MediaBucket"]["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values()) and len(props["PublicAccessBlockConfiguration"]) == 4
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    assert rules["AbortIncompleteMultipartUploads"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
    assert rules["ExpireAbandonedPendingUploads"]["Prefix"] == "pending/"
