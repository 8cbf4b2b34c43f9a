"""khaya.db against moto: a query's page size bounds and refusals, paging a GSI, and the
arguments ``tx_put``, ``update_versioned`` and ``increment`` pass on or refuse."""

from __future__ import annotations

import pytest

from khaya import db
from khaya.errors import BusinessRule, Conflict, RateLimited, ValidationFailed
from tests.support import table_keys as keys

pytestmark = pytest.mark.usefixtures("aws")


def _job(job_id: str, **extra: object) -> dict[str, object]:
    return {**keys.job(job_id).item(), "status": "open", "budgetMinor": 25000, "currency": "ZAR", "version": 1, **extra}


def _seed_bids(job_id: str, n: int) -> list[str]:
    sks = [keys.bid(job_id, f"w{i:03d}").sk for i in range(n)]
    for i, sk in enumerate(sks):
        db.put({"pk": keys.job_pk(job_id), "sk": sk, "amountMinor": 100 + i})
    return sks


# ---------------------------------------------------------------- query: page size


def test_query_accepts_a_page_of_one_and_a_page_of_one_hundred() -> None:
    # Given two bids
    sks = _seed_bids("j1", 2)

    # When they are read a page of one, then a page of a hundred
    one = db.query(keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX, forward=True, limit=1, scope="bids:j1")
    hundred = db.query(keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX, forward=True, limit=100, scope="bids:j1")

    # Then both bounds are valid page sizes
    assert [i["sk"] for i in one.items] == sks[:1] and one.next_cursor is not None
    assert [i["sk"] for i in hundred.items] == sks and hundred.next_cursor is None


@pytest.mark.parametrize("limit", [True, False, 2.5, 0, 101])
def test_query_refuses_a_limit_that_is_no_int_from_1_to_100(limit: object) -> None:
    with pytest.raises(ValidationFailed, match=r"^limit must be between 1 and 100\.$") as err:
        db.query(keys.job_pk("j1"), limit=limit, scope="bids:j1")  # type: ignore[arg-type]
    assert err.value.status == 400 and err.value.code == "validation_error"
    assert err.value.details == [{"field": "limit", "issue": "out_of_range"}]


# ---------------------------------------------------------------- query: refused arguments


def test_query_refuses_an_unknown_index() -> None:
    with pytest.raises(ValueError, match=r"^unknown index 'gsi9'$"):
        db.query("X", index="gsi9", scope="x")


def test_query_refuses_an_empty_scope() -> None:
    with pytest.raises(ValueError, match=r"^a query needs the scope its cursors are bound to$"):
        db.query(keys.job_pk("j1"), scope="")


def test_query_refuses_sk_prefix_with_sk_between() -> None:
    with pytest.raises(ValueError, match=r"^use sk_prefix or sk_between, not both$"):
        db.query(keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX, sk_between=("BID#a", "BID#z"), scope="bids:j1")


def test_query_refuses_a_consistent_read_of_a_gsi() -> None:
    with pytest.raises(ValueError, match=r"^a GSI cannot be read consistently$"):
        db.query(keys.open_jobs_pk("plumbing", "cpt"), index=keys.OPEN_JOBS_INDEX, consistent=True, scope="jobs")


def test_query_consistent_on_the_table_reads_what_was_just_written() -> None:
    sks = _seed_bids("j1", 2)
    page = db.query(keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX, forward=True, consistent=True, scope="bids:j1")
    assert [i["sk"] for i in page.items] == sks


# ---------------------------------------------------------------- query: paging a GSI


def test_query_pages_through_a_gsi_with_its_cursor() -> None:
    # Given three open plumbing jobs in Cape Town
    for i, ts in enumerate(["2026-11-01T00:00:00Z", "2026-11-03T00:00:00Z", "2026-11-02T00:00:00Z"]):
        db.put(_job(f"j{i}", **keys.open_job_index("plumbing", "cpt", ts, f"j{i}").item()))
    pk, scope = keys.open_jobs_pk("plumbing", "cpt"), "jobs:plumbing:cpt:open"

    # When the listing is read two at a time
    first = db.query(pk, index=keys.OPEN_JOBS_INDEX, limit=2, scope=scope)
    assert first.next_cursor is not None
    second = db.query(pk, index=keys.OPEN_JOBS_INDEX, limit=2, cursor=first.next_cursor, scope=scope)

    # Then the second page continues the index order where the first stopped
    assert [i["pk"] for i in first.items] == [keys.job_pk("j1"), keys.job_pk("j2")]
    assert [i["pk"] for i in second.items] == [keys.job_pk("j0")] and second.next_cursor is None


# ---------------------------------------------------------------- tx_put


@pytest.mark.parametrize("item", [{"pk": "JOB#j1"}, {"sk": "META"}, {}])
def test_tx_put_refuses_an_item_without_pk_or_sk(item: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"^an item needs pk and sk$"):
        db.tx_put(item)


def test_tx_put_condition_uses_the_callers_names_and_values() -> None:
    # Given an open job
    db.put(_job("j1"))
    condition = "#st = :open"
    placeholders = {"names": {"#st": "status"}, "values": {":open": "open"}}

    # When it is replaced under a condition that holds, then under one that no longer does
    db.transact([db.tx_put(_job("j1", status="closed"), condition=condition, **placeholders)])  # type: ignore[arg-type]
    with pytest.raises(BusinessRule) as err:
        db.transact(
            [
                db.tx_put(
                    _job("j1", status="reopened"),
                    condition=condition,
                    on_fail=BusinessRule(code="job_not_open"),
                    **placeholders,  # type: ignore[arg-type]
                )
            ]
        )

    # Then the first applied, the second raised its error and wrote nothing
    assert err.value.code == "job_not_open"
    assert db.get(*keys.job("j1"), consistent=True)["status"] == "closed"  # type: ignore[index]


# ---------------------------------------------------------------- update_versioned / increment


def test_update_versioned_also_adds_and_removes() -> None:
    db.put(_job("j1", bidCount=2, note="draft"))
    item = db.update_versioned(
        *keys.job("j1"),
        expected_version=1,
        set={"status": "assigned"},
        add={"bidCount": 1},
        remove=["note"],
        on_conflict=Conflict(code="job_changed"),
    )
    assert item["version"] == 2 and item["status"] == "assigned" and item["bidCount"] == 3 and "note" not in item


def test_update_versioned_refuses_a_version_in_set() -> None:
    db.put(_job("j1"))
    with pytest.raises(ValueError, match=r"^update_versioned manages version itself$"):
        db.update_versioned(*keys.job("j1"), expected_version=1, set={"version": 5}, on_conflict=Conflict())
    assert db.get(*keys.job("j1"), consistent=True)["version"] == 1  # type: ignore[index]


def test_increment_by_more_than_the_limit_raises_on_limit() -> None:
    key = keys.rate_limit("bids", "w1", "2026-11-21")
    with pytest.raises(RateLimited) as err:
        db.increment(*key, "count", by=6, limit=5, on_limit=RateLimited(code="too_many_bids", retry_after=60))
    assert err.value.code == "too_many_bids"
    assert db.get(*key, consistent=True) is None
