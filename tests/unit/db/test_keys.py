"""Key builders: the access-pattern table's shapes, and parts that cannot collide."""

from __future__ import annotations

import pytest

from khaya.db import keys


def test_table_keys_follow_the_access_pattern_table() -> None:
    assert keys.user("u1") == ("USER#u1", "PROFILE")
    assert keys.phone("+27821234567") == ("PHONE#+27821234567", "PHONE")
    assert keys.refcode("THANDI7") == ("REFCODE#THANDI7", "REFCODE")
    assert keys.job("j1") == ("JOB#j1", "META")
    assert keys.bid("j1", "w1") == ("JOB#j1", "BID#w1")
    assert keys.ledger_entry("j1", "01J") == ("JOB#j1", "TXN#01J")
    assert keys.webhook_event("paystack", "ref-9") == ("EVT#paystack#ref-9", "EVT")
    assert keys.otp("+27821234567", "login") == ("OTP#+27821234567#login", "OTP")
    assert keys.refresh_token("abc") == ("RT#abc", "RT")
    assert keys.refresh_family("u1", "f1") == ("USER#u1", "RTF#f1")
    assert keys.rate_limit("otp", "+2782", 2911) == ("RL#otp#+2782#2911", "RL")
    assert keys.conversation("c1") == ("CONV#c1", "META")
    assert keys.message("c1", "01J") == ("CONV#c1", "MSG#01J")
    assert keys.notification("u1", "01J") == ("USER#u1", "NOTIF#01J")


def test_index_keys_carry_the_gsi_attribute_names() -> None:
    assert keys.open_job_index("plumbing", "cpt", "2026-11-21T00:00:00Z", "j1").item() == {
        "gsi2pk": "OPEN#plumbing#cpt",
        "gsi2sk": "2026-11-21T00:00:00Z#j1",
    }
    assert keys.user_job_index("u1", "2026-11-21T00:00:00Z", "j1").item() == {
        "gsi1pk": "USER#u1",
        "gsi1sk": "JOB#2026-11-21T00:00:00Z#j1",
    }
    assert keys.user_bid_index("w1", "2026-11-21T00:00:00Z", "j1").item()["gsi1sk"].startswith(keys.BID_PREFIX)
    assert keys.user_ledger_index("u1", "01J").item() == {"gsi1pk": "USER#u1", "gsi1sk": "TXN#01J"}
    assert keys.job("j1").item() == {"pk": "JOB#j1", "sk": "META"}


def test_a_users_jobs_and_bids_sort_by_time_and_do_not_mix() -> None:
    early = keys.user_job_index("u1", "2026-11-01T09:00:00Z", "jz").sk
    late = keys.user_job_index("u1", "2026-11-02T08:00:00Z", "ja").sk
    a_bid = keys.user_bid_index("u1", "2026-11-01T10:00:00Z", "j1").sk
    assert early < late
    assert not a_bid.startswith(keys.JOB_PREFIX) and not late.startswith(keys.BID_PREFIX)


@pytest.mark.parametrize("bad", ["", "a#b", "#"])
def test_a_part_that_could_collide_is_refused(bad: str) -> None:
    # "plumbing#cpt" as a category would read another city's list
    with pytest.raises(ValueError):
        keys.open_jobs_pk(bad, "cpt")
    with pytest.raises(ValueError):
        keys.user(bad)
