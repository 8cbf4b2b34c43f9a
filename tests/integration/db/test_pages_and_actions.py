"""khaya.db against moto: bulk reads with ``query_pages`` and each transaction action's own
condition and error inside ``transact``."""

from __future__ import annotations

import pytest

from khaya import db
from khaya.errors import BusinessRule, Conflict, NotFound, RateLimited
from tests.support import table_keys as keys

pytestmark = pytest.mark.usefixtures("aws")


def _job(job_id: str, **extra: object) -> dict[str, object]:
    return {**keys.job(job_id).item(), "status": "open", "budgetMinor": 25000, "currency": "ZAR", "version": 1, **extra}


def _seed_bids(job_id: str, n: int, **extra: object) -> list[str]:
    """``n`` bids on ``job_id`` (sort keys in worker order), plus the job and a ledger entry in
    the same partition under other sort key prefixes."""
    sks = [keys.bid(job_id, f"w{i:03d}").sk for i in range(n)]
    for i, sk in enumerate(sks):
        db.put({"pk": keys.job_pk(job_id), "sk": sk, "amountMinor": 100 + i, "note": f"bid {i}", **extra})
    db.put(_job(job_id))
    db.put({**keys.ledger_entry(job_id, "t1").item(), "amountMinor": 5})
    return sks


def _sks(pages: list[list[dict[str, object]]]) -> list[object]:
    return [item["sk"] for page in pages for item in page]


# ---------------------------------------------------------------- query_pages


def test_query_pages_lists_newest_first_by_default_and_oldest_first_when_forward() -> None:
    # Given five bids on a job
    sks = _seed_bids("j1", 5)

    # When the bids are read in bulk, in the default order and forward
    newest_first = list(db.query_pages(keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX))
    oldest_first = list(db.query_pages(keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX, forward=True))

    # Then the default is the highest sort key first, forward the lowest first
    assert _sks(newest_first) == sks[::-1]
    assert _sks(oldest_first) == sks


def test_query_pages_sk_prefix_keeps_the_rest_of_the_partition_out() -> None:
    # Given a partition holding bids, the job itself and a ledger entry
    sks = _seed_bids("j1", 3)
    _seed_bids("j2", 2)

    # When it is read with and without the bid prefix
    bids = _sks(list(db.query_pages(keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX, forward=True)))
    everything = _sks(list(db.query_pages(keys.job_pk("j1"), forward=True)))

    # Then the prefix gives only the bids; without it the whole partition (and no other job's items)
    assert bids == sks
    assert everything == [*sks, "META", keys.ledger_entry("j1", "t1").sk]


def test_query_pages_reads_a_gsi_partition() -> None:
    # Given three open plumbing jobs in Cape Town and one in Johannesburg
    for i, ts in enumerate(["2026-11-01T00:00:00Z", "2026-11-03T00:00:00Z", "2026-11-02T00:00:00Z"]):
        jid = f"j{i}"
        db.put(_job(jid, **keys.open_job_index("plumbing", "cpt", ts, jid).item()))
    db.put(_job("other", **keys.open_job_index("plumbing", "jhb", "2026-11-05T00:00:00Z", "other").item()))

    # When the Cape Town listing is read from the index
    pages = list(db.query_pages(keys.open_jobs_pk("plumbing", "cpt"), index=keys.OPEN_JOBS_INDEX))

    # Then its jobs come newest first, and only those
    assert [i["pk"] for page in pages for i in page] == [keys.job_pk("j1"), keys.job_pk("j2"), keys.job_pk("j0")]


def test_query_pages_projection_returns_only_those_attributes() -> None:
    _seed_bids("j1", 2)

    pages = list(db.query_pages(keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX, projection=["sk", "amountMinor", "sk"]))

    assert [i for page in pages for i in page] == [
        {"sk": keys.bid("j1", "w001").sk, "amountMinor": 101},
        {"sk": keys.bid("j1", "w000").sk, "amountMinor": 100},
    ]


def test_query_pages_follows_the_1_mb_pages_and_max_items_caps_the_total() -> None:
    # Given 25 bids of about 100 KB each: about 2.5 MB, more than two 1 MB pages
    sks = _seed_bids("j1", 25, blob="x" * 100_000)

    # When all of them are read, and then at most 15
    every = list(db.query_pages(keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX, projection=["sk"]))
    every_page_sizes = [len(p) for p in db.query_pages(keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX)]
    capped = list(db.query_pages(keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX, max_items=15))

    # Then the whole items come in several pages of at most 1 MB, every bid once, newest first
    assert len(every_page_sizes) == 3 and all(size <= 10 for size in every_page_sizes)
    assert sum(every_page_sizes) == 25
    assert _sks(every) == sks[::-1]
    # And the cap holds across pages: the newest 15, from more than one page
    assert len(capped) == 2
    assert _sks(capped) == sks[::-1][:15]


def test_query_pages_max_items_of_one_gives_the_newest_item_only() -> None:
    sks = _seed_bids("j1", 3)

    pages = list(db.query_pages(keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX, max_items=1))

    assert _sks(pages) == [sks[-1]]


def test_query_pages_gives_at_most_1000_items_by_default() -> None:
    from khaya.aws import client
    from khaya.config import settings

    # Given 1001 small items in one partition
    requests = [
        {"PutRequest": {"Item": {"pk": {"S": keys.job_pk("big")}, "sk": {"S": f"{keys.BID_PREFIX}{i:04d}"}}}}
        for i in range(1001)
    ]
    for start in range(0, len(requests), 25):
        client("dynamodb").batch_write_item(RequestItems={settings().table_name: requests[start : start + 25]})

    # When the partition is read without a cap of its own
    items = [i for page in db.query_pages(keys.job_pk("big"), forward=True) for i in page]

    # Then the first 1000 come back
    assert len(items) == 1000
    assert items[-1]["sk"] == f"{keys.BID_PREFIX}0999"


def test_query_pages_of_an_empty_partition_yields_no_page() -> None:
    _seed_bids("j1", 2)
    assert list(db.query_pages(keys.job_pk("j9"))) == []
    assert list(db.query_pages(keys.job_pk("j1"), sk_prefix="NOPE#")) == []


def test_query_pages_refuses_an_unknown_index() -> None:
    with pytest.raises(ValueError, match=r"^unknown index 'gsi9'$"):
        list(db.query_pages(keys.job_pk("j1"), index="gsi9"))


@pytest.mark.parametrize("max_items", [0, -1])
def test_query_pages_refuses_a_max_items_below_one(max_items: int) -> None:
    with pytest.raises(ValueError, match=r"^max_items must be positive$"):
        list(db.query_pages(keys.job_pk("j1"), max_items=max_items))


# ---------------------------------------------------------------- tx_update / tx_update_versioned


def test_tx_update_sets_and_removes_inside_a_transaction() -> None:
    db.put(_job("j1", note="call first", bidCount=1))

    db.transact([db.tx_update(*keys.job("j1"), set={"status": "assigned"}, add={"bidCount": 1}, remove=["note"])])

    item = db.get(*keys.job("j1"), consistent=True)
    assert item is not None and item["status"] == "assigned" and item["bidCount"] == 2 and "note" not in item


def test_tx_update_whose_condition_fails_raises_its_on_fail_and_changes_nothing() -> None:
    # Given a job already done
    db.put(_job("j1", status="done"))

    # When a transaction would cancel it only if it is open
    with pytest.raises(BusinessRule) as err:
        db.transact(
            [
                db.tx_put({**keys.ledger_entry("j1", "t1").item(), "amountMinor": 5}),
                db.tx_update(
                    *keys.job("j1"),
                    set={"status": "cancelled"},
                    condition="#s = :open",
                    names={"#s": "status"},
                    values={":open": "open"},
                    on_fail=BusinessRule(code="job_not_open"),
                ),
            ]
        )

    # Then the update's own error is raised and neither action happened
    assert err.value.code == "job_not_open"
    assert db.get(*keys.job("j1"), consistent=True)["status"] == "done"  # type: ignore[index]
    assert db.get(*keys.ledger_entry("j1", "t1"), consistent=True) is None


def test_tx_update_versioned_with_the_current_version_bumps_it() -> None:
    # Given a job at version 1 with a note
    db.put(_job("j1", note="call first"))

    # When a transaction assigns it at version 1, counting a bid and dropping the note
    db.transact(
        [
            db.tx_update_versioned(
                *keys.job("j1"),
                expected_version=1,
                set={"status": "assigned"},
                add={"bidCount": 1},
                remove=["note"],
                on_conflict=Conflict(code="stale"),
            )
        ]
    )

    # Then it is at version 2 with all the changes
    item = db.get(*keys.job("j1"), consistent=True)
    assert item is not None
    assert item["version"] == 2 and item["status"] == "assigned" and item["bidCount"] == 1 and "note" not in item


def test_tx_update_versioned_with_a_stale_version_raises_on_conflict_and_changes_nothing() -> None:
    # Given a job another request already moved to version 2
    db.put(_job("j1", version=2, status="assigned"))

    # When a transaction that read version 1 tries to cancel it and write a ledger entry
    with pytest.raises(Conflict) as err:
        db.transact(
            [
                db.tx_put({**keys.ledger_entry("j1", "t1").item(), "amountMinor": 5}),
                db.tx_update_versioned(
                    *keys.job("j1"), expected_version=1, set={"status": "cancelled"}, on_conflict=Conflict(code="stale")
                ),
            ]
        )

    # Then the caller's error is raised and nothing was written
    assert err.value.status == 409 and err.value.code == "stale"
    item = db.get(*keys.job("j1"), consistent=True)
    assert item is not None and item["status"] == "assigned" and item["version"] == 2
    assert db.get(*keys.ledger_entry("j1", "t1"), consistent=True) is None


def test_tx_update_versioned_combines_its_own_condition() -> None:
    # Given a job at version 1 that is done
    db.put(_job("j1", status="done"))
    action = {
        "expected_version": 1,
        "set": {"status": "cancelled"},
        "condition": "#s = :open",
        "names": {"#s": "status"},
        "values": {":open": "open"},
        "on_conflict": BusinessRule(code="job_not_open"),
    }

    # When it is cancelled at the right version but only if open
    with pytest.raises(BusinessRule) as err:
        db.transact([db.tx_update_versioned(*keys.job("j1"), **action)])  # type: ignore[arg-type]

    # Then the extra condition stops it; once open, the same action applies
    assert err.value.code == "job_not_open"
    assert db.get(*keys.job("j1"), consistent=True)["version"] == 1  # type: ignore[index]
    db.put(_job("j1"))
    db.transact([db.tx_update_versioned(*keys.job("j1"), **action)])  # type: ignore[arg-type]
    item = db.get(*keys.job("j1"), consistent=True)
    assert item is not None and item["status"] == "cancelled" and item["version"] == 2


def test_a_caller_value_named_expected_version_is_refused() -> None:
    db.put(_job("j1"))
    with pytest.raises(ValueError, match=r"^:expectedVersion is reserved$"):
        db.tx_update_versioned(
            *keys.job("j1"),
            expected_version=1,
            set={"status": "assigned"},
            condition="#s = :expectedVersion",
            names={"#s": "status"},
            values={":expectedVersion": "open"},
            on_conflict=Conflict(),
        )
    with pytest.raises(ValueError, match=r"^:expectedVersion is reserved$"):
        db.update_versioned(
            *keys.job("j1"),
            expected_version=1,
            set={"status": "assigned"},
            values={":expectedVersion": 1},
            on_conflict=Conflict(),
        )
    assert db.get(*keys.job("j1"), consistent=True)["status"] == "open"  # type: ignore[index]


# ---------------------------------------------------------------- tx_delete / tx_check


def test_tx_delete_whose_condition_fails_raises_its_on_fail_and_keeps_the_item() -> None:
    # Given a ledger entry that is still pending
    db.put({**keys.ledger_entry("j1", "t1").item(), "state": "pending"})
    db.put(_job("j1", bidCount=0))

    # When a transaction deletes it only if settled (and counts a bid)
    with pytest.raises(NotFound) as err:
        db.transact(
            [
                db.tx_update(*keys.job("j1"), add={"bidCount": 1}),
                db.tx_delete(
                    *keys.ledger_entry("j1", "t1"),
                    condition="#st = :settled",
                    names={"#st": "state"},
                    values={":settled": "settled"},
                    on_fail=NotFound(code="entry_not_settled"),
                ),
            ]
        )

    # Then the delete's own error is raised, and the entry and the count are untouched
    assert err.value.code == "entry_not_settled"
    assert db.get(*keys.ledger_entry("j1", "t1"), consistent=True) is not None
    assert db.get(*keys.job("j1"), consistent=True)["bidCount"] == 0  # type: ignore[index]


def test_tx_delete_whose_condition_holds_deletes() -> None:
    db.put({**keys.ledger_entry("j1", "t1").item(), "state": "settled"})

    db.transact(
        [
            db.tx_delete(
                *keys.ledger_entry("j1", "t1"),
                condition="#st = :settled",
                names={"#st": "state"},
                values={":settled": "settled"},
                on_fail=NotFound(),
            )
        ]
    )

    assert db.get(*keys.ledger_entry("j1", "t1"), consistent=True) is None


def test_tx_check_without_a_condition_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^a condition check needs a condition$"):
        db.tx_check(*keys.job("j1"), condition="")


# ---------------------------------------------------------------- tx_increment


def test_tx_increment_up_to_the_limit_applies_and_sets_the_ttl() -> None:
    key = keys.rate_limit("bids", "w1", "2026-11-21")

    db.transact([db.tx_increment(*key, "count", by=5, limit=5, ttl=1_763_700_000)])

    item = db.get(*key, consistent=True)
    assert item is not None and item["count"] == 5 and item["ttl"] == 1_763_700_000


def test_tx_increment_at_the_limit_raises_on_limit_and_writes_nothing() -> None:
    # Given a window that already allowed 3 of 3
    key = keys.rate_limit("bids", "w1", "2026-11-21")
    db.increment(*key, "count", by=3, limit=3)

    # When a transaction takes one more slot and places a bid
    with pytest.raises(RateLimited) as err:
        db.transact(
            [
                db.tx_put({**keys.bid("j1", "w1").item(), "amountMinor": 900}),
                db.tx_increment(*key, "count", limit=3, on_limit=RateLimited(retry_after=60), ttl=1_763_700_000),
            ]
        )

    # Then the limit's error is raised, the counter stays, and no bid or ttl was written
    assert err.value.status == 429 and err.value.headers["Retry-After"] == "60"
    item = db.get(*key, consistent=True)
    assert item is not None and item["count"] == 3 and "ttl" not in item
    assert db.get(*keys.bid("j1", "w1"), consistent=True) is None


def test_tx_increment_by_more_than_the_limit_is_refused_at_once() -> None:
    key = keys.rate_limit("bids", "w1", "2026-11-21")

    with pytest.raises(RateLimited) as err:
        db.tx_increment(*key, "count", by=6, limit=5, on_limit=RateLimited(retry_after=60))
    with pytest.raises(Conflict):
        db.tx_increment(*key, "count", by=6, limit=5)

    assert err.value.status == 429
    assert db.get(*key, consistent=True) is None
