"""khaya.db against moto (in-process): what a caller of the toolkit can observe."""

from __future__ import annotations

from decimal import Decimal

import pytest

from khaya import db
from khaya.errors import BusinessRule, Conflict, InvalidCursor, NotFound, ValidationFailed
from tests.support import table_keys as keys

pytestmark = pytest.mark.usefixtures("aws")


def _job(job_id: str, **extra: object) -> dict[str, object]:
    return {**keys.job(job_id).item(), "status": "open", "budgetMinor": 25000, "currency": "ZAR", "version": 1, **extra}


# ---------------------------------------------------------------- get / put / put_new


def test_put_then_get_returns_plain_python_values() -> None:
    # Given an item with ints, a fraction, a set, nested data and booleans
    db.put(_job("j1", rating=Decimal("4.5"), tags={"a", "b"}, address={"city": "Cape Town", "floor": 2}, urgent=True))

    # When it is read back
    item = db.get(*keys.job("j1"), consistent=True)

    # Then integral numbers are ints, fractions Decimal, and the shapes survive
    assert item is not None
    assert item["budgetMinor"] == 25000 and type(item["budgetMinor"]) is int
    assert item["rating"] == Decimal("4.5")
    assert item["tags"] == {"a", "b"}
    assert item["address"] == {"city": "Cape Town", "floor": 2}
    assert item["urgent"] is True


def test_get_of_a_missing_key_is_none_and_projection_limits_attributes() -> None:
    db.put(_job("j1"))
    assert db.get(*keys.job("nope")) is None
    assert db.get(*keys.job("j1"), projection=["status", "currency"]) == {"status": "open", "currency": "ZAR"}


def test_put_new_refuses_a_taken_key_and_keeps_the_first_item() -> None:
    # Given a phone number already claimed
    db.put_new({**keys.phone("+27821234567").item(), "userId": "u1"}, on_exists=Conflict(code="phone_taken"))

    # When a second user claims it
    with pytest.raises(Conflict) as err:
        db.put_new({**keys.phone("+27821234567").item(), "userId": "u2"}, on_exists=Conflict(code="phone_taken"))

    # Then the caller's error is raised and the first claim stands
    assert err.value.code == "phone_taken" and err.value.status == 409
    assert db.get(*keys.phone("+27821234567"))["userId"] == "u1"  # type: ignore[index]


def test_conditional_put_failing_raises_on_fail_and_writes_nothing() -> None:
    db.put(_job("j1"))
    with pytest.raises(BusinessRule):
        db.put(
            _job("j1", status="assigned"),
            condition="#s = :assigned",
            names={"#s": "status"},
            values={":assigned": "assigned"},
            on_fail=BusinessRule("job is not assigned"),
        )
    assert db.get(*keys.job("j1"))["status"] == "open"  # type: ignore[index]


# ---------------------------------------------------------------- update / update_versioned / delete


def test_update_sets_adds_removes_and_returns_the_new_item() -> None:
    db.put(_job("j1", note="call first", **keys.open_job_index("plumbing", "cpt", "2026-11-21T00:00:00Z", "j1").item()))

    item = db.update(
        *keys.job("j1"),
        set={"status": "assigned", "gsi2pk": None, "gsi2sk": None},
        add={"bidCount": 2},
        remove=["note"],
        condition="#s = :open",
        names={"#s": "status"},
        values={":open": "open"},
    )

    assert item["status"] == "assigned" and item["bidCount"] == 2
    assert "note" not in item and "gsi2pk" not in item and "gsi2sk" not in item
    assert db.get(*keys.job("j1"), consistent=True) == item


def test_update_whose_condition_fails_raises_on_fail_and_changes_nothing() -> None:
    db.put(_job("j1", status="done"))
    with pytest.raises(Conflict) as err:
        db.update(
            *keys.job("j1"),
            set={"status": "cancelled"},
            condition="#s = :open",
            names={"#s": "status"},
            values={":open": "open"},
            on_fail=Conflict(code="job_not_open"),
        )
    assert err.value.code == "job_not_open"
    assert db.get(*keys.job("j1"))["status"] == "done"  # type: ignore[index]


def test_update_default_error_is_conflict_and_attribute_exists_guards_missing_items() -> None:
    with pytest.raises(Conflict):
        db.update(*keys.job("ghost"), set={"status": "open"}, condition="attribute_exists(pk)")
    assert db.get(*keys.job("ghost")) is None


def test_update_versioned_with_the_current_version_bumps_it() -> None:
    db.put(_job("j1"))
    item = db.update_versioned(*keys.job("j1"), expected_version=1, set={"status": "assigned"}, on_conflict=Conflict())
    assert item["version"] == 2 and item["status"] == "assigned"


def test_update_versioned_with_a_stale_version_is_409_and_changes_nothing() -> None:
    # Given a job another request already moved to version 2
    db.put(_job("j1"))
    db.update_versioned(*keys.job("j1"), expected_version=1, set={"status": "assigned"}, on_conflict=Conflict())

    # When a request that read version 1 tries to cancel it
    with pytest.raises(Conflict) as err:
        db.update_versioned(
            *keys.job("j1"), expected_version=1, set={"status": "cancelled"}, on_conflict=Conflict(code="stale")
        )

    # Then it gets a 409 and the job is as the winner left it
    assert err.value.status == 409 and err.value.code == "stale"
    item = db.get(*keys.job("j1"), consistent=True)
    assert item is not None and item["status"] == "assigned" and item["version"] == 2


def test_update_versioned_combines_its_own_condition() -> None:
    db.put(_job("j1", status="done"))
    with pytest.raises(BusinessRule):
        db.update_versioned(
            *keys.job("j1"),
            expected_version=1,
            set={"status": "cancelled"},
            condition="#s = :open",
            names={"#s": "status"},
            values={":open": "open"},
            on_conflict=BusinessRule(),
        )
    assert db.get(*keys.job("j1"))["version"] == 1  # type: ignore[index]


def test_delete_returns_the_old_item_and_a_failing_condition_keeps_it() -> None:
    db.put(_job("j1"))
    with pytest.raises(NotFound):
        db.delete(
            *keys.job("j1"), condition="#s = :d", names={"#s": "status"}, values={":d": "done"}, on_fail=NotFound()
        )
    assert db.get(*keys.job("j1")) is not None

    old = db.delete(*keys.job("j1"))
    assert old is not None and old["status"] == "open"
    assert db.get(*keys.job("j1")) is None
    assert db.delete(*keys.job("j1")) is None


# ---------------------------------------------------------------- query


def _seed_bids(job_id: str, n: int) -> list[str]:
    workers = [f"w{i:03d}" for i in range(n)]
    for w in workers:
        db.put({**keys.bid(job_id, w).item(), "amountMinor": 100})
    db.put(_job(job_id))  # same partition, other sort key prefix
    return workers


def test_query_pages_through_every_item_once_in_order() -> None:
    # Given 23 bids on a job (and the job item itself in the same partition)
    workers = _seed_bids("j1", 23)

    # When a client pages through them 10 at a time, oldest sort key first
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = db.query(
            keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX, forward=True, limit=10, cursor=cursor, scope="bids:j1"
        )
        pages += 1
        seen += [i["sk"].removeprefix(keys.BID_PREFIX) for i in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break

    # Then every bid came exactly once, in order, in 3 pages, and the last page had no cursor
    assert seen == workers
    assert pages == 3


def test_query_gives_no_cursor_when_the_page_is_exactly_the_rest() -> None:
    _seed_bids("j1", 10)
    page = db.query(keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX, limit=10, scope="bids:j1")
    assert len(page.items) == 10 and page.next_cursor is None


def test_query_newest_first_by_default_on_a_gsi() -> None:
    for i, ts in enumerate(["2026-11-01T00:00:00Z", "2026-11-03T00:00:00Z", "2026-11-02T00:00:00Z"]):
        jid = f"j{i}"
        db.put(_job(jid, **keys.open_job_index("plumbing", "cpt", ts, jid).item()))
    db.put(_job("other", **keys.open_job_index("plumbing", "jhb", "2026-11-05T00:00:00Z", "other").item()))

    page = db.query(keys.open_jobs_pk("plumbing", "cpt"), index=keys.OPEN_JOBS_INDEX, scope="jobs:plumbing:cpt:open")

    assert [i["pk"] for i in page.items] == [keys.job_pk("j1"), keys.job_pk("j2"), keys.job_pk("j0")]


def test_query_with_a_filter_still_fills_pages_and_pages_correctly() -> None:
    for i in range(30):
        db.put({**keys.bid("j1", f"w{i:03d}").item(), "status": "active" if i % 3 == 0 else "withdrawn"})
    seen: list[str] = []
    cursor = None
    while True:
        page = db.query(
            keys.job_pk("j1"),
            sk_prefix=keys.BID_PREFIX,
            forward=True,
            limit=4,
            cursor=cursor,
            scope="bids:j1:active",
            filter="#s = :a",
            names={"#s": "status"},
            values={":a": "active"},
        )
        assert all(i["status"] == "active" for i in page.items)
        seen += [i["sk"] for i in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == [keys.bid("j1", f"w{i:03d}").sk for i in range(0, 30, 3)]


def test_query_between_bounds_the_sort_key() -> None:
    for d in ("01", "02", "03", "04"):
        db.put({**keys.notification("u1", f"2026-11-{d}").item(), "text": d})
    page = db.query(
        keys.user_pk("u1"),
        sk_between=(keys.notification("u1", "2026-11-02").sk, keys.notification("u1", "2026-11-03").sk),
        forward=True,
        scope="notifs:u1",
    )
    assert [i["text"] for i in page.items] == ["02", "03"]


@pytest.mark.parametrize("limit", [0, 101, -1])
def test_query_limit_outside_1_to_100_is_a_validation_error(limit: int) -> None:
    with pytest.raises(ValidationFailed):
        db.query(keys.job_pk("j1"), limit=limit, scope="bids:j1")


def test_a_forged_cursor_is_rejected() -> None:
    _seed_bids("j1", 5)
    page = db.query(keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX, limit=2, scope="bids:j1")
    assert page.next_cursor
    payload, tag = page.next_cursor.split(".")
    forged_payload = payload[:-2] + ("AA" if not payload.endswith("AA") else "BB")
    for bad in (f"{forged_payload}.{tag}", page.next_cursor[:-3], "garbage", "a.b", "", "." * 3):
        with pytest.raises(InvalidCursor):
            db.query(keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX, limit=2, cursor=bad, scope="bids:j1")


def test_a_cursor_from_another_list_is_rejected() -> None:
    # Given a cursor for the bids of job j1
    _seed_bids("j1", 5)
    _seed_bids("j2", 5)
    cursor = db.query(keys.job_pk("j1"), sk_prefix=keys.BID_PREFIX, limit=2, scope="bids:j1").next_cursor
    assert cursor

    # When it is used for another scope, or for another partition under the same scope
    # Then both are invalid cursors (400), not someone else's data
    with pytest.raises(InvalidCursor) as err:
        db.query(keys.job_pk("j2"), sk_prefix=keys.BID_PREFIX, limit=2, cursor=cursor, scope="bids:j2")
    assert err.value.status == 400
    with pytest.raises(InvalidCursor):
        db.query(keys.job_pk("j2"), sk_prefix=keys.BID_PREFIX, limit=2, cursor=cursor, scope="bids:j1")


# ---------------------------------------------------------------- transactions


def test_transaction_writes_all_actions_together() -> None:
    db.put(_job("j1", bidCount=0))
    db.put({**keys.user("c1").item(), "name": "Client"})
    db.transact(
        [
            db.tx_put({**keys.bid("j1", "w1").item(), "amountMinor": 900}, condition="attribute_not_exists(pk)"),
            db.tx_update(*keys.job("j1"), add={"bidCount": 1}),
            db.tx_increment(*keys.user("w1"), "bids"),
            db.tx_check(*keys.user("c1"), condition="attribute_exists(pk)"),
        ],
        token="req-123",
    )
    assert db.get(*keys.bid("j1", "w1"))["amountMinor"] == 900  # type: ignore[index]
    assert db.get(*keys.job("j1"))["bidCount"] == 1  # type: ignore[index]
    assert db.get(*keys.user("w1"))["bids"] == 1  # type: ignore[index]


def test_transaction_rollback_when_a_condition_fails_writes_nothing_and_raises_that_actions_error() -> None:
    # Given a job that is no longer open, and an existing ledger entry we would delete
    db.put(_job("j1", status="assigned"))
    db.put({**keys.user("w1").item(), "bids": 3})
    db.put({**keys.ledger_entry("j1", "t1").item(), "amountMinor": 5})

    # When one transaction places a bid, bumps the worker's count, deletes the entry and
    # checks that the job is open (last, so the earlier actions would have applied)
    with pytest.raises(BusinessRule) as err:
        db.transact(
            [
                db.tx_put({**keys.bid("j1", "w1").item(), "amountMinor": 900}, on_fail=Conflict(code="already_bid")),
                db.tx_increment(*keys.user("w1"), "bids", limit=10, on_limit=Conflict(code="too_many_bids")),
                db.tx_delete(*keys.ledger_entry("j1", "t1")),
                db.tx_check(
                    *keys.job("j1"),
                    condition="#s = :open",
                    names={"#s": "status"},
                    values={":open": "open"},
                    on_fail=BusinessRule(code="job_not_open"),
                ),
            ]
        )

    # Then the error is the failing action's, and none of the other actions happened
    assert err.value.code == "job_not_open"
    assert db.get(*keys.bid("j1", "w1"), consistent=True) is None
    assert db.get(*keys.user("w1"), consistent=True)["bids"] == 3  # type: ignore[index]
    assert db.get(*keys.ledger_entry("j1", "t1"), consistent=True) is not None


def test_transaction_rollback_picks_the_first_failing_action_and_defaults_to_conflict() -> None:
    db.put(_job("j1"))
    db.put({**keys.phone("+27820000000").item(), "userId": "u0"})
    with pytest.raises(Conflict) as err:
        db.transact(
            [
                db.tx_put({**keys.user("u1").item(), "name": "Thandi"}, condition="attribute_not_exists(pk)"),
                db.tx_put({**keys.phone("+27820000000").item(), "userId": "u1"}, condition="attribute_not_exists(pk)"),
            ]
        )
    assert err.value.code == "conflict"
    assert db.get(*keys.user("u1")) is None
    assert db.get(*keys.phone("+27820000000"))["userId"] == "u0"  # type: ignore[index]


def test_transaction_action_count_is_checked() -> None:
    with pytest.raises(ValueError):
        db.transact([])
    with pytest.raises(ValueError):
        db.transact([db.tx_check(*keys.job(f"j{i}"), condition="attribute_exists(pk)") for i in range(101)])
