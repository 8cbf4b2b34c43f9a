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


# ---------------------------------------------------------------- identity

BENCH_USER = "01JBENCHUSER0000000000000"
BENCH_PHONE = "+27820000001"


def _seed_user(ctx: Context, *, password_hash: str | None = None) -> None:
    item: dict[str, Any] = {
        "pk": f"USER#{BENCH_USER}",
        "sk": "PROFILE",
        "userId": BENCH_USER,
        "phone": BENCH_PHONE,
        "name": "Bench User",
        "role": "client",
        "status": "active",
        "tokenVersion": 0,
        "referralCode": "BENCH234",
        "createdAt": "2026-11-21T00:00:00Z",
        "updatedAt": "2026-11-21T00:00:00Z",
    }
    if password_hash:
        item["passwordHash"] = password_hash
    ctx.put(item)
    ctx.put({"pk": f"PHONE#{BENCH_PHONE}", "sk": "PHONE", "userId": BENCH_USER, "status": "active"})


def _access_token(ctx: Context) -> str:
    """A real ES256 access token for the bench user, signed with the bench stage's key."""
    import json
    import time
    import uuid

    import boto3
    import jwt

    sm = boto3.client("secretsmanager", endpoint_url=ctx.ddb.meta.endpoint_url, region_name=ctx.ddb.meta.region_name)
    doc = json.loads(sm.get_secret_value(SecretId="khaya/local/jwt-private-key")["SecretString"])
    now = int(time.time())
    claims = {"iss": "khaya-local", "aud": "khaya-api", "sub": BENCH_USER, "role": "client", "tv": 0}
    claims.update({"jti": uuid.uuid4().hex, "iat": now, "exp": now + 900})
    return jwt.encode(claims, doc["privateKey"], algorithm="ES256", headers={"kid": doc["kid"]})


@scenario("AuthorizeFunction")
def _authorize(ctx: Context) -> dict[str, Any]:
    # A valid token of an active user: the full path (verify + one GetItem, then the 15 s cache).
    _seed_user(ctx)
    headers = {"authorization": f"Bearer {_access_token(ctx)}"}
    return ctx.authorizer_event("GET", "/v1/me", "/v1/me", headers, "198.51.100.7")


@scenario("GetMeFunction")
def _get_me(ctx: Context) -> dict[str, Any]:
    _seed_user(ctx)
    return ctx.http_event("GET", "/v1/me", authorizer={"userId": BENCH_USER, "role": "client"})


@scenario("ExportMeFunction")
def _export_me(ctx: Context) -> dict[str, Any]:
    _seed_user(ctx)
    return ctx.http_event("GET", "/v1/me/export", authorizer={"userId": BENCH_USER, "role": "client"})


@scenario("UpdateMeFunction")
def _update_me(ctx: Context) -> dict[str, Any]:
    _seed_user(ctx)
    return ctx.http_event(
        "PATCH", "/v1/me", body={"city": "Durban"}, authorizer={"userId": BENCH_USER, "role": "client"}
    )


@scenario("LoginFunction")
def _login(ctx: Context) -> dict[str, Any]:
    # The right password every time: one scrypt (N=2^17) per request, the real cost of a login.
    from khaya.auth.passwords import hash_password

    _seed_user(ctx, password_hash=hash_password("bench password 123"))
    return ctx.http_event("POST", "/v1/auth/login", body={"phone": BENCH_PHONE, "password": "bench password 123"})


# SignupFunction, RequestOtpFunction, VerifyOtpFunction, RefreshTokenFunction, ResetPasswordFunction,
# LogoutFunction, TwilioStatusFunction serve their committed events: the first run takes the real
# path where the event allows it, repeats measure the guarded path (409 taken phone, 429 resend
# gate, 400 unknown code, 401 unknown refresh token or unsigned callback).
