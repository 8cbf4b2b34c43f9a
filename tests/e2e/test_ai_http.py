"""The AI features over HTTP, against the local gateway (`make run`), where the local methods answer.

Suggestions for a plumbing job in Johannesburg come in rand, labelled fallback; a new job shows
its aiSuggestion shortly after it is posted (the AI stream consumer the gateway runs); "water
heater leak" finds the geyser job above the lawn job; a participant gets a conversation summary
and an outsider a 404.
"""

from __future__ import annotations

import pytest
import requests

from tests.e2e.test_marketplace_http import wait_for
from tests.support.identity import signup_and_login

pytestmark = pytest.mark.e2e

GEYSER = {
    "title": "Geyser leaking through the ceiling",
    "description": "Our geyser burst last night and water is dripping through the bedroom ceiling.",
    "category": "plumbing",
    "city": "Johannesburg",
}
LAWN = {
    "title": "Mow the lawn and trim the hedges",
    "description": "Big back garden, the grass is knee high. Take the cuttings away please.",
    "category": "gardening",
    "city": "Johannesburg",
}


def test_suggestions_search_and_summaries_over_http(base_url):
    s = requests.Session()
    client = signup_and_login(base_url, "client", name="Thandi")
    worker = signup_and_login(base_url, "worker", name="Sipho")
    outsider = signup_and_login(base_url, "worker", name="Lerato")

    # Suggestions for a plumbing job in Johannesburg: a valid ZAR range, labelled fallback
    res = s.post(f"{base_url}/v1/ai/job-suggestions", json=GEYSER, headers=client["headers"], timeout=30)
    assert res.status_code == 200, res.text
    got = res.json()
    low, high = got["priceRange"]["min"], got["priceRange"]["max"]
    assert got["source"] == "fallback" and low["currency"] == high["currency"] == "ZAR"
    assert isinstance(low["amount"], int) and 0 < low["amount"] <= high["amount"]
    assert 1 <= got["timelineDays"]["min"] <= got["timelineDays"]["max"] and got["rationale"]
    assert s.post(f"{base_url}/v1/ai/job-suggestions", json=GEYSER, headers=worker["headers"]).status_code == 403

    # A new job shows its aiSuggestion shortly after posting
    geyser = s.post(f"{base_url}/v1/jobs", json=GEYSER, headers=client["headers"], timeout=30)
    lawn = s.post(f"{base_url}/v1/jobs", json=LAWN, headers=client["headers"], timeout=30)
    assert geyser.status_code == lawn.status_code == 201, (geyser.text, lawn.text)
    geyser_id, lawn_id = geyser.json()["id"], lawn.json()["id"]
    shown = wait_for(
        lambda: s.get(f"{base_url}/v1/jobs/{geyser_id}", headers=worker["headers"], timeout=30).json(),
        lambda job: job.get("aiSuggestion") is not None,
    )
    assert shown["aiSuggestion"]["source"] == "fallback"
    assert shown["aiSuggestion"]["priceRange"]["min"]["currency"] == "ZAR"

    # "water heater leak" ranks the geyser job above the lawn job
    def search() -> list[str]:
        found = s.get(
            f"{base_url}/v1/jobs/search",
            params={"q": "water heater leak", "city": "Johannesburg"},
            headers=worker["headers"],
            timeout=30,
        )
        assert found.status_code == 200, found.text
        return [item["id"] for item in found.json()["items"]]

    ranked = wait_for(search, lambda ids: geyser_id in ids)
    assert ranked.index(geyser_id) < (ranked.index(lawn_id) if lawn_id in ranked else len(ranked))

    # A participant gets a summary of the conversation; an outsider a 404
    bid = s.post(
        f"{base_url}/v1/jobs/{geyser_id}/bids",
        json={"amount": {"amount": 180000, "currency": "ZAR"}, "message": "Valve and drip tray.", "etaDays": 1},
        headers=worker["headers"],
        timeout=30,
    )
    assert bid.status_code == 201, bid.text
    conv = s.post(f"{base_url}/v1/conversations", json={"jobId": geyser_id}, headers=worker["headers"], timeout=30)
    assert conv.status_code in (200, 201), conv.text
    conv_id = conv.json()["id"]
    for who, text in (
        (client, "Can you come on Saturday morning?"),
        (worker, "Yes, Saturday at 9. Replacing the valve and drip tray is R1800 all in."),
    ):
        sent = s.post(
            f"{base_url}/v1/conversations/{conv_id}/messages", json={"text": text}, headers=who["headers"], timeout=30
        )
        assert sent.status_code == 201, sent.text
    summary = s.post(f"{base_url}/v1/conversations/{conv_id}/summary", headers=client["headers"], timeout=30)
    assert summary.status_code == 200, summary.text
    assert summary.json()["source"] == "fallback" and summary.json()["messageCount"] == 2
    assert "Saturday" in summary.json()["summary"]
    denied = s.post(f"{base_url}/v1/conversations/{conv_id}/summary", headers=outsider["headers"], timeout=30)
    assert denied.status_code == 404 and denied.json()["error"]["code"] == "conversation_not_found"
