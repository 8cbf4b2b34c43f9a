"""``khaya.db``: the single-table DynamoDB toolkit (see ``khaya.db.table`` for the rules and
``khaya.db.keys`` for key plumbing; each domain's ``keys`` module holds its access patterns).

    from khaya import db
    from khaya.market import keys

    db.put_new({**keys.job(job_id).item(), ...}, on_exists=Conflict())
    page = db.query(keys.user_pk(client_id), index=keys.USER_INDEX, sk_prefix=keys.JOB_PREFIX,
                    scope=f"myjobs:{client_id}", cursor=cursor, limit=20)

Importing this package imports no AWS SDK; botocore loads on the first call (boto3 never does).
"""

from typing import TYPE_CHECKING, Any

from khaya.db.table import (
    INDEXES,
    MAX_PAGE,
    MAX_TX_ACTIONS,
    Page,
    Retry,
    TxAction,
    batch_get,
    delete,
    get,
    increment,
    put,
    put_new,
    query,
    query_pages,
    transact,
    transact_retrying,
    tx_check,
    tx_delete,
    tx_increment,
    tx_put,
    tx_update,
    tx_update_versioned,
    update,
    update_versioned,
)

if TYPE_CHECKING:
    from khaya.db.entity import Entity


def __getattr__(name: str) -> Any:
    # Entity pulls in pydantic (~150 ms cold): only routes that use it pay for it.
    if name == "Entity":
        from khaya.db.entity import Entity

        return Entity
    raise AttributeError(f"module 'khaya.db' has no attribute {name!r}")


__all__ = [
    "INDEXES",
    "MAX_PAGE",
    "MAX_TX_ACTIONS",
    "Entity",
    "Page",
    "Retry",
    "TxAction",
    "batch_get",
    "delete",
    "get",
    "increment",
    "put",
    "put_new",
    "query",
    "query_pages",
    "transact",
    "transact_retrying",
    "tx_check",
    "tx_delete",
    "tx_increment",
    "tx_put",
    "tx_update",
    "tx_update_versioned",
    "update",
    "update_versioned",
]
