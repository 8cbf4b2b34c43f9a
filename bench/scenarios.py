"""Per-function benchmark scenarios: seed the table, then hand back the event to serve.

The harness serves each function the first event file ``events/<domain>/<name>*.json``
(or, if there is none, one it builds from the route). A route whose answer depends on
data (a job to read, a bid to accept...) registers a scenario here, keyed by the
function's logical id in template.yaml::

    @scenario("GetJobFunction")
    def _get_job(ctx: Context) -> dict[str, Any]:
        ctx.put({"pk": "JOB#bench-1", "sk": "META", "status": "open", ...})
        return ctx.http_event("GET", "/v1/jobs/bench-1", route_path="/v1/jobs/{id}",
                              authorizer={"userId": "u-client", "role": "client"})

The scenario runs once, in the parent, against the moto server every child process talks
to, before any child starts. ``ctx.default_event`` is the event the harness would have
used. A scenario may also return ``None`` to keep that event (seeding only). The same
event is served on every warm invocation: a route that can only succeed once per input
(create, accept...) should seed what makes a repeat still exercise the real path (the
table reflects the first run's writes), or accept that repeats measure its 4xx path and
say so in a comment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.events import authorizer_event, http_event

Scenario = Callable[["Context"], "dict[str, Any] | None"]
SCENARIOS: dict[str, Scenario] = {}


def scenario(logical_id: str) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        SCENARIOS[logical_id] = fn
        return fn

    return register


@dataclass
class Context:
    """What a scenario gets: the table (on the bench's moto server) and event builders."""

    logical_id: str
    table_name: str
    ddb: Any  # a boto3 DynamoDB client pointed at the bench's moto server
    default_event: dict[str, Any]

    http_event = staticmethod(http_event)
    authorizer_event = staticmethod(authorizer_event)

    def put(self, item: dict[str, Any]) -> None:
        """Put one item given as plain Python values (str, int, bool, list, dict, set)."""
        from boto3.dynamodb.types import TypeSerializer

        ser = TypeSerializer()
        self.ddb.put_item(TableName=self.table_name, Item={k: ser.serialize(v) for k, v in item.items()})


@scenario("GetHealthFunction")
def _get_health(ctx: Context) -> dict[str, Any] | None:
    # The health check reads a key that need not exist: the committed event is enough.
    return None
