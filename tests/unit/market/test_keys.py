"""Marketplace keys follow the access-pattern table of ``khaya.market.keys``."""

from __future__ import annotations

import pytest

from khaya.market import keys


def test_market_keys_follow_the_access_pattern_table() -> None:
    assert keys.job("j1") == ("JOB#j1", "META")
    assert keys.bid("j1", "w1") == ("JOB#j1", "BID#w1")
    assert keys.conversation("c1") == ("CONV#c1", "META")
    assert keys.message("c1", "01J") == ("CONV#c1", "MSG#01J")
    assert keys.notification("u1", "01J") == ("USER#u1", "NOTIF#01J")
    assert keys.job_list_pks("open", "plumbing", "cape-town") == [
        "JOBS#open#cat#plumbing#city#cape-town",
        "JOBS#open#cat#plumbing",
        "JOBS#open#city#cape-town",
        "JOBS#open",
    ]
    assert keys.split_bid_id(keys.bid_id("j1", "w1")) == ("j1", "w1")
    assert keys.split_bid_id("no-dot") is None


def test_index_keys_carry_the_gsi_attribute_names() -> None:
    assert keys.user_job_index("u1", "2026-11-21T00:00:00Z", "j1").item() == {
        "gsi1pk": "USER#u1",
        "gsi1sk": "JOB#2026-11-21T00:00:00Z#j1",
    }
    assert keys.user_bid_index("w1", "2026-11-21T00:00:00Z", "j1").item()["gsi1sk"].startswith(keys.BID_PREFIX)
    assert keys.job("j1").item() == {"pk": "JOB#j1", "sk": "META"}


def test_a_users_jobs_and_bids_sort_by_time_and_do_not_mix() -> None:
    early = keys.user_job_index("u1", "2026-11-01T09:00:00Z", "jz").sk
    late = keys.user_job_index("u1", "2026-11-02T08:00:00Z", "ja").sk
    a_bid = keys.user_bid_index("u1", "2026-11-01T10:00:00Z", "j1").sk
    assert early < late
    assert not a_bid.startswith(keys.JOB_PREFIX) and not late.startswith(keys.BID_PREFIX)


@pytest.mark.parametrize("bad", ["", "a#b", "#"])
def test_an_id_that_could_collide_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        keys.job(bad)
    with pytest.raises(ValueError):
        keys.bid("j1", bad)
