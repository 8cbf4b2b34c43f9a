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
to, before any child starts, on an empty stage (each function is benched from fresh
resources, so a scenario seeds everything it needs). ``ctx.default_event`` is the event the harness would have
used. A scenario may also return ``None`` to keep that event (seeding only). The same
event is served on every warm invocation: a route that can only succeed once per input
(create, accept...) should seed what makes a repeat still exercise the real path (the
table reflects the first run's writes), or accept that repeats measure its 4xx path and
say so in a comment. A route that can succeed only once per seeded state (a refresh token
rotates) registers ``ctx.before_each_run(restore)``: the harness calls ``restore`` before every
cold run of either side and before each warm process, and with ``ctx.expect_status`` set it
refuses a run whose cold answers differ from it (so the row cannot quietly measure a 4xx). The
bare twin's cold runs then replay the first request's DynamoDB calls, the ones every cold run
makes; its warm runs replay a repeat's, as the function's warm repeats make.
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
    endpoint_url: str | None  # the bench's moto server (None: boto3's default, e.g. moto in-process)
    restore: Callable[[], None] | None = None
    expect_status: int | None = None
    replay_first: bool = False

    http_event = staticmethod(http_event)
    authorizer_event = staticmethod(authorizer_event)

    def before_each_run(self, restore: Callable[[], None], *, status: int) -> None:
        """Call ``restore`` before every cold run (and warm process); every cold answer must be ``status``."""
        self.restore, self.expect_status, self.replay_first = restore, status, True

    def secret(self, name: str) -> str:
        """The stage secret ``name`` as the functions read it."""
        import boto3

        sm = boto3.client("secretsmanager", endpoint_url=self.endpoint_url, region_name=self.ddb.meta.region_name)
        return str(sm.get_secret_value(SecretId=name)["SecretString"])

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
BENCH_SESSION = "0123456789abcdef0123456789abcdef"


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

    import jwt

    doc = json.loads(ctx.secret("khaya/local/jwt-private-key"))
    now = int(time.time())
    claims = {
        "iss": "khaya-local",
        "aud": "khaya-api",
        "sub": BENCH_USER,
        "role": "client",
        "tv": 0,
        "sid": BENCH_SESSION,
    }
    claims.update({"jti": uuid.uuid4().hex, "iat": now, "exp": now + 900})
    return jwt.encode(claims, doc["privateKey"], algorithm="ES256", headers={"kid": doc["kid"]})


@scenario("AuthorizeFunction")
def _authorize(ctx: Context) -> dict[str, Any]:
    # A valid token of an active user in an active session: the full path (verify + one
    # BatchGetItem of the user and the session, then the 15 s cache).
    _seed_user(ctx)
    ctx.put({"pk": f"USER#{BENCH_USER}", "sk": f"RTF#{BENCH_SESSION}", "familyId": BENCH_SESSION, "status": "active"})
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
    from khaya.identity.passwords import hash_password

    _seed_user(ctx, password_hash=hash_password("bench password 123"))
    return ctx.http_event("POST", "/v1/auth/login", body={"phone": BENCH_PHONE, "password": "bench password 123"})


def _forget_sessions(ctx: Context, keep: set[tuple[str, str]]) -> None:
    """Delete the refresh tokens and sessions earlier runs made (all but ``keep``): the calls the
    bare twin replays then write as the function's did, instead of failing on their conditions."""
    pages = ctx.ddb.get_paginator("scan").paginate(
        TableName=ctx.table_name,
        ProjectionExpression="pk, sk",
        FilterExpression="begins_with(pk, :rt) OR begins_with(sk, :rtf)",
        ExpressionAttributeValues={":rt": {"S": "RT#"}, ":rtf": {"S": "RTF#"}},
    )
    for page in pages:
        for item in page["Items"]:
            if (item["pk"]["S"], item["sk"]["S"]) not in keep:
                ctx.ddb.delete_item(TableName=ctx.table_name, Key={"pk": item["pk"], "sk": item["sk"]})


@scenario("RefreshTokenFunction")
def _refresh_token(ctx: Context) -> dict[str, Any]:
    # A rotation every cold run: the session's token is put back to active (and its family back to
    # it) before each run, so each one reads the three items, signs a new access token with the
    # stage's key and writes the rotation. Warm repeats present the spent token: its reuse path.
    import hashlib

    token = "bench-refresh-token-0123456789abcdefghijklmnopq"
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    far = 4102444800  # 2100-01-01

    def restore() -> None:
        _forget_sessions(ctx, {(f"USER#{BENCH_USER}", f"RTF#{BENCH_SESSION}"), (f"RT#{token_hash}", "RT")})
        _seed_user(ctx)
        ctx.put(
            {
                "pk": f"USER#{BENCH_USER}",
                "sk": f"RTF#{BENCH_SESSION}",
                "familyId": BENCH_SESSION,
                "status": "active",
                "current": token_hash,
                "tokenVersion": 0,
                "expiresAt": far,
            }
        )
        ctx.put(
            {
                "pk": f"RT#{token_hash}",
                "sk": "RT",
                "userId": BENCH_USER,
                "familyId": BENCH_SESSION,
                "status": "active",
                "expiresAt": far,
            }
        )

    restore()
    ctx.before_each_run(restore, status=200)
    return ctx.http_event("POST", "/v1/auth/refresh", body={"refreshToken": token})


@scenario("VerifyOtpFunction")
def _verify_otp(ctx: Context) -> dict[str, Any]:
    # A sign-in with the right code every cold run: the code is put back before each run, so each
    # one spends an attempt, consumes the code, reads the account and starts a session (signed
    # token, one transaction). Warm repeats present the consumed code: its 400 path.
    import hashlib
    import hmac

    from khaya.identity import keys

    code = "123456"
    pepper = ctx.secret("khaya/local/otp-pepper").encode()
    code_hash = hmac.new(pepper, f"{BENCH_PHONE}|login|{code}".encode(), hashlib.sha256).hexdigest()

    def restore() -> None:
        _forget_sessions(ctx, set())
        _seed_user(ctx)
        ctx.put(
            {
                **keys.otp(BENCH_PHONE, "login").item(),
                "codeHash": code_hash,
                "attempts": 0,
                "sentAt": 1795219200,
                "expiresAt": 4102444800,
            }
        )

    restore()
    ctx.before_each_run(restore, status=200)
    return ctx.http_event("POST", "/v1/auth/verify", body={"phone": BENCH_PHONE, "code": code, "purpose": "login"})


# SignupFunction, RequestOtpFunction, ResetPasswordFunction, LogoutFunction, TwilioStatusFunction
# serve their committed events: the first run takes the real path where the event allows it,
# repeats measure the guarded path (409 taken phone, 429 resend gate, 204 unknown refresh token,
# 401 unsigned callback).


# ---------------------------------------------------------------- marketplace
# List routes are seeded with 25 items so a page of 20 is full and carries a cursor: the
# DynamoDB-calls column is then what a real page costs (the target is <= 2 per request).
M_CLIENT = "01BENCHCLIENT0000000000000"
M_WORKER = "01BENCHWORKER0000000000000"
M_JOB = "01BENCHJOB0000000000000000"
M_CONV = f"{M_JOB}.{M_WORKER}"


def _job_summary(i: int) -> dict[str, Any]:
    return {
        "id": f"01BENCHJOB{i:016d}",
        "clientId": M_CLIENT,
        "title": f"Bench job {i}",
        "category": "plumbing",
        "city": "cape-town",
        "cityName": "Cape Town",
        "budget": {"amount": 80000, "currency": "ZAR"},
        "status": "open",
        "createdAt": f"2026-11-21T00:00:{i:02d}.000Z",
    }


def _seed_market(ctx: Context) -> None:
    for i in range(25):
        job = _job_summary(i)
        sk = f"{job['createdAt']}#{job['id']}"
        for pk in (
            "JOBS#open#cat#plumbing#city#cape-town",
            "JOBS#open#cat#plumbing",
            "JOBS#open#city#cape-town",
            "JOBS#open",
        ):
            ctx.put({"pk": pk, "sk": sk, "type": "jobIndex", **job})
        ctx.put(
            {
                "pk": f"JOB#{job['id']}",
                "sk": "META",
                "type": "job",
                **job,
                "description": "d",
                "version": 1,
                "updatedAt": job["createdAt"],
                "gsi1pk": f"USER#{M_CLIENT}",
                "gsi1sk": f"JOB#{sk}",
            }
        )
        worker = f"01BENCHWORKER{i:013d}" if i else M_WORKER
        ctx.put(
            {
                "pk": f"JOB#{M_JOB}",
                "sk": f"BID#{worker}",
                "type": "bid",
                "id": f"{M_JOB}.{worker}",
                "jobId": M_JOB,
                "jobTitle": "Bench job",
                "workerId": worker,
                "clientId": M_CLIENT,
                "amount": {"amount": 75000, "currency": "ZAR"},
                "message": "m",
                "etaDays": 1,
                "status": "pending",
                "createdAt": job["createdAt"],
                "updatedAt": job["createdAt"],
                "version": 1,
            }
        )
        ctx.put(
            {
                "pk": f"JOB#{job['id']}",
                "sk": f"BID#{M_WORKER}",
                "type": "bid",
                "id": f"{job['id']}.{M_WORKER}",
                "jobId": job["id"],
                "jobTitle": job["title"],
                "workerId": M_WORKER,
                "clientId": M_CLIENT,
                "amount": {"amount": 75000, "currency": "ZAR"},
                "message": "m",
                "etaDays": 1,
                "status": "pending",
                "createdAt": job["createdAt"],
                "updatedAt": job["createdAt"],
                "version": 1,
                "gsi1pk": f"USER#{M_WORKER}",
                "gsi1sk": f"BID#{job['createdAt']}#{job['id']}",
            }
        )
        ctx.put(
            {
                "pk": f"CONV#{M_CONV}",
                "sk": f"MSG#01BENCHMSG{i:016d}",
                "type": "message",
                "id": f"01BENCHMSG{i:016d}",
                "conversationId": M_CONV,
                "senderId": M_CLIENT,
                "recipientId": M_WORKER,
                "text": "hello",
                "createdAt": job["createdAt"],
            }
        )
        conv_id = f"01BENCHJOB{i:016d}.{M_WORKER}"
        ctx.put(
            {
                "pk": f"USER#{M_CLIENT}",
                "sk": f"CONV#{conv_id}",
                "type": "conversationIndex",
                "id": conv_id,
                "jobId": job["id"],
                "jobTitle": job["title"],
                "clientId": M_CLIENT,
                "workerId": M_WORKER,
                "createdAt": job["createdAt"],
                "lastActivityAt": job["createdAt"],
                "gsi1pk": f"USER#{M_CLIENT}",
                "gsi1sk": f"CONV#{job['createdAt']}#{conv_id}",
            }
        )
        nid = f"{_ulid_now()}{i:016d}"[:26]
        ctx.put(
            {
                "pk": f"USER#{M_CLIENT}",
                "sk": f"NOTIF#{nid}",
                "gsi2pk": f"UNREAD#{M_CLIENT}",
                "gsi2sk": f"NOTIF#{nid}",
                "type": "notification",
                "id": nid,
                "kind": "bid_received",
                "title": "New bid",
                "body": "b",
                "data": {},
                "read": False,
                "createdAt": job["createdAt"],
                "ttl": 4102444800,
            }
        )
    ctx.put(
        {
            "pk": f"CONV#{M_CONV}",
            "sk": "META",
            "type": "conversation",
            "id": M_CONV,
            "jobId": M_JOB,
            "jobTitle": "Bench job",
            "clientId": M_CLIENT,
            "workerId": M_WORKER,
            "createdAt": "2026-11-21T00:00:00.000Z",
            "lastActivityAt": "2026-11-21T00:00:24.000Z",
        }
    )
    ctx.put(
        {
            **_job_summary(99),
            "pk": f"JOB#{M_JOB}",
            "sk": "META",
            "type": "job",
            "id": M_JOB,
            "description": "d",
            "version": 1,
            "updatedAt": "2026-11-21T00:00:00.000Z",
        }
    )


def _ulid_now() -> str:
    from khaya.ids import new_id

    return new_id()[:10]


_MARKET_LISTS = {
    "ListJobsFunction": ("/v1/jobs", "/v1/jobs", "category=plumbing&city=cape-town", M_CLIENT, "client"),
    "ListMyJobsFunction": ("/v1/me/jobs", "/v1/me/jobs", "", M_CLIENT, "client"),
    "ListJobBidsFunction": (f"/v1/jobs/{M_JOB}/bids", "/v1/jobs/{id}/bids", "", M_CLIENT, "client"),
    "ListMyBidsFunction": ("/v1/me/bids", "/v1/me/bids", "", M_WORKER, "worker"),
    "ListConversationsFunction": ("/v1/conversations", "/v1/conversations", "", M_CLIENT, "client"),
    "ListMessagesFunction": (
        f"/v1/conversations/{M_CONV}/messages",
        "/v1/conversations/{id}/messages",
        "",
        M_CLIENT,
        "client",
    ),
    "ListNotificationsFunction": ("/v1/me/notifications", "/v1/me/notifications", "unread=true", M_CLIENT, "client"),
}


def _market_list(logical_id: str) -> Scenario:
    path, route, query, user, role = _MARKET_LISTS[logical_id]

    def run(ctx: Context) -> dict[str, Any]:
        _seed_market(ctx)  # every function starts from an empty stage
        return ctx.http_event("GET", path, route_path=route, query=query, authorizer={"userId": user, "role": role})

    return run


for _lid in _MARKET_LISTS:
    scenario(_lid)(_market_list(_lid))


@scenario("GetJobFunction")
def _get_job(ctx: Context) -> dict[str, Any]:
    # The owner reads an open job: the full path (one GetItem, the owner's view).
    _seed_market(ctx)
    return ctx.http_event(
        "GET", f"/v1/jobs/{M_JOB}", route_path="/v1/jobs/{id}", authorizer={"userId": M_CLIENT, "role": "client"}
    )


@scenario("GetWorkerFunction")
def _get_worker(ctx: Context) -> dict[str, Any]:
    # A worker with a portfolio: every answer presigns each image's URL, so the row includes
    # the S3 client a real profile view makes (the committed event's worker does not exist).
    ctx.put({"pk": f"USER#{M_WORKER}", "sk": "PROFILE", "userId": M_WORKER, "name": "Bench Worker", "status": "active"})
    ctx.put(
        {
            "pk": f"USER#{M_WORKER}",
            "sk": "WORKER",
            "type": "workerProfile",
            "id": M_WORKER,
            "skills": ["leaks", "geysers"],
            "categories": ["plumbing"],
            "city": "cpt",
            "cityName": "Cape Town",
            "bio": "Plumber, twelve years in the southern suburbs.",
            "hourlyRate": {"amount": 35000, "currency": "ZAR"},
            "updatedAt": "2026-11-21T00:00:00Z",
        }
    )
    for i in range(3):
        item_id = f"01BENCHPORTFOLIO{i:010d}"
        ctx.put(
            {
                "pk": f"USER#{M_WORKER}",
                "sk": f"PORTFOLIO#{item_id}",
                "type": "portfolioItem",
                "itemId": item_id,
                "key": f"portfolio/{M_WORKER}/{item_id}.jpg",
                "contentType": "image/jpeg",
                "createdAt": "2026-11-21T00:00:00Z",
            }
        )
    caller = {"userId": M_CLIENT, "role": "client"}
    return ctx.http_event("GET", f"/v1/workers/{M_WORKER}", route_path="/v1/workers/{id}", authorizer=caller)


# ---------------------------------------------------------------- payments
# A job assigned to a worker with a pending Paystack payment, a funded one, a payout account and
# a few ledger entries. Providers are never reached: the checkout scenario repeats a pending
# payment (the provider is only asked the first time), the webhook serves a signed delivery
# (the first run applies it; repeats measure the duplicate path a provider's retries take).
P_CLIENT = "01BENCHPAYCLIENT0000000000"
P_WORKER = "01BENCHPAYWORKER0000000000"
P_JOB = "01BENCHPAYJ0B0000000000000"  # assigned, payment pending
P_FUNDED = "01BENCHPAYJ0BFUNDED0000000"  # funded, to complete
P_STRIPE_JOB = "01BENCHPAYJ0BSTR1PE0000000"  # assigned, Stripe payment pending


def _pay_job(job_id: str, status: str) -> dict[str, Any]:
    now = "2026-11-21T00:00:00.000Z"
    return {
        "pk": f"JOB#{job_id}",
        "sk": "META",
        "type": "job",
        "id": job_id,
        "clientId": P_CLIENT,
        "title": "Bench paid job",
        "description": "d",
        "category": "plumbing",
        "city": "cape-town",
        "cityName": "Cape Town",
        "status": status,
        "version": 3,
        "createdAt": now,
        "updatedAt": now,
        "acceptedBidId": f"{job_id}.{P_WORKER}",
        "acceptedAmount": {"amount": 75000, "currency": "ZAR"},
        "workerId": P_WORKER,
        "gsi1pk": f"USER#{P_CLIENT}",
        "gsi1sk": f"JOB#{now}#{job_id}",
    }


def _pay_payment(job_id: str, provider: str, status: str) -> dict[str, Any]:
    ref = f"kh-{job_id}-01"
    item = {
        "pk": f"JOB#{job_id}",
        "sk": "PAYMENT#01",
        "type": "payment",
        "reference": ref,
        "attempt": 1,
        "provider": provider,
        "jobId": job_id,
        "bidId": f"{job_id}.{P_WORKER}",
        "clientId": P_CLIENT,
        "workerId": P_WORKER,
        "amount": {"amount": 75000, "currency": "ZAR"},
        "status": status,
        "providerRef": "0peioxfhpn" if provider == "paystack" else "cs_test_bench",
        "authorizationUrl": f"https://checkout.example/{ref}",
        "version": 1,
        "createdAt": "2026-11-21T00:00:00.000Z",
        "updatedAt": "2026-11-21T00:00:00.000Z",
    }
    if status == "pending":
        item.update({"gsi2pk": "PAYPENDING", "gsi2sk": f"2026-11-21T00:15:00.000Z#{ref}"})
    return item


def _seed_payments(ctx: Context) -> None:
    # Seeded for every function, as the market's data: the bench empties the table between them.
    ctx.put(_pay_job(P_JOB, "assigned"))
    ctx.put(_pay_payment(P_JOB, "paystack", "pending"))
    ctx.put(_pay_job(P_STRIPE_JOB, "assigned"))
    ctx.put(_pay_payment(P_STRIPE_JOB, "stripe", "pending"))
    ctx.put(_pay_job(P_FUNDED, "funded"))
    ctx.put({**_pay_payment(P_FUNDED, "paystack", "succeeded"), "providerPaymentId": "4099260516"})
    ctx.put(
        {
            "pk": f"USER#{P_WORKER}",
            "sk": "PAYOUTACCT",
            "type": "payoutAccount",
            "provider": "paystack",
            "accountName": "BENCH WORKER",
            "bankCode": "632005",
            "bankName": "Absa Bank",
            "bankType": "basa",
            "accountNumber": "******4567",
            "currency": "ZAR",
            "recipientCode": "RCP_bench",
            "updatedAt": "2026-11-21T00:00:00.000Z",
        }
    )
    ctx.put(
        {
            "pk": "BANKS#ZAR",
            "sk": "BANKS",
            "type": "bankList",
            "items": [{"code": "632005", "name": "Absa Bank", "type": "basa"}],
            "fetchedAt": 4102444800,  # fresh for the bench's lifetime
        }
    )
    for i in range(25):
        entry = f"01BENCHTXN{i:016d}"
        ctx.put(
            {
                "pk": f"JOB#01BENCHPAYJ0BDONE{i:08d}",
                "sk": f"TXN#{entry}",
                "gsi1pk": f"USER#{P_WORKER}",
                "gsi1sk": f"TXN#{entry}",
                "type": "ledgerEntry",
                "id": entry,
                "jobId": f"01BENCHPAYJ0BDONE{i:08d}",
                "kind": "payout",
                "amount": {"amount": 71250, "currency": "ZAR"},
                "postings": [{"account": "escrow", "amount": -71250}, {"account": "worker", "amount": 71250}],
                "userId": P_WORKER,
                "clientId": P_CLIENT,
                "workerId": P_WORKER,
                "reference": f"khaya-payout-01benchpayj0bdone{i:08d}-1",
                "cause": "transfer:success",
                "createdAt": f"2026-11-21T00:00:{i:02d}.000Z",
            }
        )


def _paid_event(reference: str) -> dict[str, Any]:
    return {
        "id": 4099260516,
        "domain": "test",
        "status": "success",
        "reference": reference,
        "amount": 75000,
        "currency": "ZAR",
        "metadata": {"jobId": P_JOB, "bidId": f"{P_JOB}.{P_WORKER}", "reference": reference},
    }


@scenario("CreatePaymentFunction")
def _create_payment(ctx: Context) -> dict[str, Any]:
    # The job's payment is pending: the answer is that same payment (no provider call).
    _seed_payments(ctx)
    return ctx.http_event(
        "POST",
        f"/v1/jobs/{P_JOB}/payment",
        route_path="/v1/jobs/{id}/payment",
        body={"provider": "paystack"},
        authorizer={"userId": P_CLIENT, "role": "client"},
    )


@scenario("GetPaymentFunction")
def _get_payment(ctx: Context) -> dict[str, Any]:
    _seed_payments(ctx)
    return ctx.http_event(
        "GET",
        f"/v1/payments/kh-{P_JOB}-01",
        route_path="/v1/payments/{reference}",
        authorizer={"userId": P_WORKER, "role": "worker"},
    )


@scenario("PaystackWebhookFunction")
def _paystack_webhook(ctx: Context) -> dict[str, Any]:
    import hashlib
    import hmac
    import json

    _seed_payments(ctx)
    body = json.dumps({"event": "charge.success", "data": _paid_event(f"kh-{P_JOB}-01")}, separators=(",", ":"))
    sig = hmac.new(b"sk_test_khaya_local", body.encode(), hashlib.sha512).hexdigest()
    headers = {"content-type": "application/json", "x-paystack-signature": sig}
    return ctx.http_event("POST", "/v1/webhooks/paystack", headers=headers, body=body)


@scenario("StripeWebhookFunction")
def _stripe_webhook(ctx: Context) -> dict[str, Any]:
    # Signed for a few minutes ahead: a bench longer than ~10 minutes measures the 401 path.
    import hashlib
    import hmac
    import json
    import time

    _seed_payments(ctx)
    ref = f"kh-{P_STRIPE_JOB}-01"
    session = {
        "id": "cs_test_bench",
        "object": "checkout.session",
        "amount_total": 75000,
        "currency": "zar",
        "client_reference_id": ref,
        "metadata": {"jobId": P_STRIPE_JOB, "bidId": f"{P_STRIPE_JOB}.{P_WORKER}", "reference": ref},
        "payment_intent": "pi_bench",
        "payment_status": "paid",
        "status": "complete",
        "livemode": False,
    }
    event = {
        "id": "evt_bench",
        "object": "event",
        "type": "checkout.session.completed",
        "livemode": False,
        "data": {"object": session},
    }
    body = json.dumps(event, separators=(",", ":"))
    t = int(time.time()) + 280
    sig = hmac.new(b"whsec_khaya_local", f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    headers = {"content-type": "application/json", "stripe-signature": f"t={t},v1={sig}"}
    return ctx.http_event("POST", "/v1/webhooks/stripe", headers=headers, body=body)


@scenario("CompleteJobFunction")
def _complete_job(ctx: Context) -> dict[str, Any]:
    # The first run completes the funded job (fee, counter, payout, index moves in one
    # transaction); repeats measure the 409 a second completion gets.
    _seed_payments(ctx)
    return ctx.http_event(
        "POST",
        f"/v1/jobs/{P_FUNDED}/complete",
        route_path="/v1/jobs/{id}/complete",
        authorizer={"userId": P_CLIENT, "role": "client"},
    )


@scenario("GetPayoutAccountFunction")
def _get_payout_account(ctx: Context) -> dict[str, Any]:
    _seed_payments(ctx)
    return ctx.http_event("GET", "/v1/me/payout-account", authorizer={"userId": P_WORKER, "role": "worker"})


@scenario("PutPayoutAccountFunction")
def _put_payout_account(ctx: Context) -> dict[str, Any]:
    # A bank code the (stored) bank list does not have: the 422 before any provider call.
    _seed_payments(ctx)
    return ctx.http_event(
        "PUT",
        "/v1/me/payout-account",
        body={"provider": "paystack", "bankCode": "999999", "accountNumber": "4071234567"},
        authorizer={"userId": P_WORKER, "role": "worker"},
    )


@scenario("ListBanksFunction")
def _list_banks(ctx: Context) -> dict[str, Any]:
    # Served from the table's copy: a cold container never waits for Paystack.
    _seed_payments(ctx)
    return ctx.http_event("GET", "/v1/banks", query="currency=ZAR", authorizer={"userId": P_WORKER, "role": "worker"})


@scenario("ListMyTransactionsFunction")
def _list_my_transactions(ctx: Context) -> dict[str, Any]:
    _seed_payments(ctx)
    return ctx.http_event(
        "GET", "/v1/me/transactions", query="limit=20", authorizer={"userId": P_WORKER, "role": "worker"}
    )


# ---------------------------------------------------------------- ai
# The bench runs the local stage's configuration (AI_BACKEND=local): these rows measure the
# routes with the local methods answering, i.e. everything but Bedrock's own latency.
AI_CLIENT = "01BENCHAICLIENT00000000000"
AI_WORKER = "01BENCHAIWORKER00000000000"
SEARCH_CANDIDATES = 300


@scenario("CreateJobSuggestionFunction")
def _job_suggestion(ctx: Context) -> dict[str, Any]:
    # Twenty accepted plumbing prices in rand ground the suggestion (the local method's percentiles).
    for i in range(20):
        ctx.put(
            {
                "pk": "PRICES#plumbing#ZAR",
                "sk": f"2026-11-{1 + i:02d}T09:00:00.000Z#01BENCHPRICE{i:014d}",
                "type": "priceSample",
                "amount": 60000 + 5000 * i,
                "etaDays": 1 + i % 3,
                "ttl": 4102444800,
            }
        )
    body = {
        "title": "Geyser leaking through the ceiling",
        "description": "The geyser burst last night and water is dripping through the ceiling.",
        "category": "plumbing",
        "city": "Johannesburg",
    }
    return ctx.http_event(
        "POST", "/v1/ai/job-suggestions", body=body, authorizer={"userId": AI_CLIENT, "role": "client"}
    )


@scenario("SearchJobsFunction")
def _search_jobs(ctx: Context) -> dict[str, Any]:
    # One city's open plumbing jobs, each with its vector (as the AI stream consumer writes them):
    # one Query page of candidates, then one BatchGetItem for the best 20.
    from khaya.ai.embeddings import LOCAL_MODEL, job_text, local_embed, to_bytes

    kinds = ("Geyser leaking", "Blocked drain", "Dripping kitchen tap", "Toilet cistern running", "Burst pipe")
    for i in range(SEARCH_CANDIDATES):
        job_id = f"01BENCHSEARCH{i:013d}"
        title = f"{kinds[i % len(kinds)]} #{i}"
        created = f"2026-11-{1 + i % 28:02d}T08:{i % 60:02d}:00.000Z"
        ctx.put(
            {
                "pk": "JOBS#open#cat#plumbing#city#johannesburg",
                "sk": f"{created}#{job_id}",
                "type": "jobIndex",
                "id": job_id,
                "clientId": AI_CLIENT,
                "title": title,
                "category": "plumbing",
                "city": "johannesburg",
                "cityName": "Johannesburg",
                "status": "open",
                "createdAt": created,
                "embedding": to_bytes(local_embed(job_text(title, "plumbing", "Please come soon."))),
                "embeddingModel": LOCAL_MODEL,
            }
        )
    return ctx.http_event(
        "GET",
        "/v1/jobs/search",
        query="q=water+heater+leak&category=plumbing&city=johannesburg",
        authorizer={"userId": AI_WORKER, "role": "worker"},
    )


@scenario("SummariseConversationFunction")
def _summarise_conversation(ctx: Context) -> dict[str, Any]:
    # The marketplace's bench conversation (25 messages). The first request makes the summary
    # (a Query of the messages, the extractive method, one UpdateItem); every repeat, cold or
    # warm, measures the cached path that most requests take (one GetItem).
    _seed_market(ctx)
    return ctx.http_event(
        "POST",
        f"/v1/conversations/{M_CONV}/summary",
        route_path="/v1/conversations/{id}/summary",
        authorizer={"userId": M_CLIENT, "role": "client"},
    )
