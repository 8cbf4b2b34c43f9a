"""``khaya.db``: the single-table DynamoDB toolkit (see ``khaya.db.table`` for the rules and
``khaya.db.keys`` for the access-pattern table).

    from khaya import db
    from khaya.db import keys

    db.put_new({**keys.job(job_id).item(), ...}, on_exists=Conflict())
    page = db.query(keys.open_jobs_pk(category, city), index=keys.OPEN_JOBS_INDEX,
                    scope=f"jobs:{category}:{city}:open", cursor=cursor, limit=20)

Importing this package imports neither boto3 nor botocore; they load on the first call.
"""

from typing import TYPE_CHECKING, Any

from khaya.db.table import (
    INDEXES,
    MAX_PAGE,
    MAX_TX_ACTIONS,
    Page,
    TxAction,
    batch_get,
    delete,
    get,
    increment,
    put,
    put_new,
    query,
    transact,
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
    "TxAction",
    "batch_get",
    "delete",
    "get",
    "increment",
    "put",
    "put_new",
    "query",
    "transact",
    "tx_check",
    "tx_delete",
    "tx_increment",
    "tx_put",
    "tx_update",
    "tx_update_versioned",
    "update",
    "update_versioned",
]
