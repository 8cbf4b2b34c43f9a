"""What each committed event refers to, made real before a function serves it.

The events under ``events/`` share one cast: a client (``CLIENT``) whose phone is
``+27821234567``, a worker (``WORKER``), the client's job (``JOB``) with the worker's bid
(``<job>.<worker>``) and their conversation (same id), a notification (``NOTIFICATION``), a
portfolio image (``PORTFOLIO_ITEM``), a sign-in code and a refresh token; the job's payment
(``kh-<job>-01``) and its payout. A seed creates that
data through the API itself (the source handlers, run in this process against the same
tables) and returns how to bind the event to it: the cast's ids become the real ones, a
placeholder code, token or signature a live one. Nothing else in the event changes.

``SEEDS`` maps an event file (relative to ``events/``) to its seed and what a success looks
like: ``DOCUMENTED`` (the success status the OpenAPI document gives the route: 201 for a
create, 204 for a logout...), an exact status, ``ALLOW`` for the authorizer, ``NO_FAILURES``
for a stream batch, ``RECONCILED`` for a reconciliation run. An event without an entry is served
as committed and only has to answer below 500 (``tests/unit/test_events.py`` insists every event has one).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

CLIENT = "01JD0Z6S5E8Q6Y3F9W4K2M7N1P"
WORKER = "01JD0Z6S5E8Q6Y3F9W4K2M7N1Q"
JOB = "01JD0Z7A1B2C3D4E5F6G7H8J9K"
NOTIFICATION = "01JD0Z8A1B2C3D4E5F6G7H8J9K"
PORTFOLIO_ITEM = "01JD0Z9A1B2C3D4E5F6G7H8J9K"
CLIENT_PHONE = "+27821234567"
WORKER_PHONE = "+27831234567"
PASSWORD = "a long enough password"

ALLOW = "allow"  # the authorizer let the caller in
NO_FAILURES = "no failures"  # a stream batch with no batchItemFailures
RECONCILED = "reconciled"  # a reconciliation run that left nothing it looked at unresolved
# What a reconciliation run counts when it could not settle an item (khaya.payments.reconcile).
UNRESOLVED = frozenset({"provider_error", "provider_unavailable", "needs_operator", "other_environment"})
DOCUMENTED = "documented"  # the route's success status in the OpenAPI document
Event = dict[str, Any]
Binding = Callable[[Event], Event]


def body_of(event_file: str) -> Any:
    """The JSON body of a committed event: seeds create data with the same requests."""
    from local.cfn import ROOT

    return json.loads(json.loads((ROOT / "events" / event_file).read_text(encoding="utf-8"))["body"])


# ---------------------------------------------------------------------- the API, in this process
@dataclass
class Reply:
    status: int
    body: Any


class Api:
    """The source handlers of template.yaml, invoked in this process (each with only its own
    environment), as a client of the API would call them."""

    def __init__(self) -> None:
        from local.cfn import functions

        self.routes = [(fn, r) for fn in functions() for r in fn.routes if r.path != "$default"]

    def call(self, method: str, path: str, *, body: Any = None, who: dict[str, str] | None = None) -> Reply:
        from local.events import LambdaContext, http_event, match_path
        from local.loader import load_handler

        fn, route = next(
            (f, r) for f, r in self.routes if r.method == method and (r.path == path or match_path(r.path, path))
        )
        event = http_event(method, path, route_path=route.path, body=body, authorizer=who)
        raw = load_handler(fn)(event, LambdaContext(fn.logical_id))
        reply = Reply(int(raw["statusCode"]), json.loads(raw["body"]) if raw.get("body") else None)
        if reply.status >= 300:
            raise RuntimeError(f"seeding {method} {path} answered {reply.status}: {reply.body}")
        return reply

    def invoke(self, logical_id: str, event: Event) -> Any:
        """One function invoked with a whole event (a provider's webhook), as Lambda would."""
        from local.events import LambdaContext
        from local.loader import function_by_id, load_handler

        return load_handler(function_by_id(logical_id))(event, LambdaContext(logical_id))

    def last_code(self, phone: str) -> str:
        """The newest one-time code sent to ``phone`` (the local outbox)."""
        from khaya.messaging.outbox import list_messages

        for message in list_messages(phone):
            found = re.search(r"\b(\d{6})\b", json.dumps(message.get("variables") or message.get("text")))
            if found:
                return found.group(1)
        raise RuntimeError(f"no code was sent to {phone}")


# ---------------------------------------------------------------------- the cast
@dataclass
class World:
    api: Api = field(default_factory=Api)
    ids: dict[str, str] = field(default_factory=dict)  # cast id → real id
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)  # cast user → verify answer
    payment: dict[str, Any] = field(default_factory=dict)  # the job's checkout, as the API answered it
    poller: Any = None  # the table's stream readers, once something needed them
    queues: Any = None  # ... and the consumers of the queues the stream router fills

    def stream(self) -> None:
        """What the table's stream readers do a moment later on AWS, and then the consumers of
        what the router queued: the codes ``POST /v1/auth/otp`` queued, notifications, the jobs'
        search vectors (the source handlers, in this process)."""
        from khaya.config import settings
        from local.cfn import functions, load_template
        from local.containers import Pools
        from local.intrinsics import Resolver
        from local.queues import QueuePoller, queue_sources
        from local.streams import StreamPoller, stream_sources

        if self.poller is None:
            fns = functions()
            pools = Pools(fns)
            sources = stream_sources(fns)
            for source in sources:
                source.starting_position = "TRIM_HORIZON"  # the records written so far, not only later ones
            self.poller = StreamPoller(sources, pools, {"Table": settings().table_name})
            self.queues = QueuePoller(queue_sources(fns), pools, Resolver(load_template()), retry_after=0)
        self.poller.poll_once()
        self.queues.poll_once()

    def who(self, cast: str) -> dict[str, str]:
        return {"userId": self.ids[cast], "role": "client" if cast == CLIENT else "worker"}

    def user(self, cast: str, *, password: str | None = None) -> None:
        phone, role = (CLIENT_PHONE, "client") if cast == CLIENT else (WORKER_PHONE, "worker")
        body: dict[str, Any] = {"phone": phone, "name": f"Seeded {role}", "role": role}
        if password:
            body["password"] = password
        signed_up = self.api.call("POST", "/v1/auth/signup", body=body).body
        code = self.api.last_code(phone)
        verify = {"phone": phone, "code": code, "purpose": "signup", "signupId": signed_up["userId"]}
        verified = self.api.call("POST", "/v1/auth/verify", body=verify)
        self.ids[cast] = signed_up["userId"]
        self.tokens[cast] = verified.body

    def job(self) -> None:
        self.user(CLIENT)
        body = body_of("jobs/create_job.json")
        self.ids[JOB] = self.api.call("POST", "/v1/jobs", body=body, who=self.who(CLIENT)).body["id"]

    def bid(self) -> None:
        self.job()
        self.user(WORKER)
        body = body_of("bids/create_bid.json")
        self.api.call("POST", f"/v1/jobs/{self.ids[JOB]}/bids", body=body, who=self.who(WORKER))

    def assigned(self) -> None:
        """The client accepted the worker's bid: the job waits for its payment."""
        self.bid()
        self.api.call("POST", f"/v1/bids/{self.ids[JOB]}.{self.ids[WORKER]}/accept", who=self.who(CLIENT))

    def paid(self, provider: str = "paystack") -> None:
        """The client started paying for the assigned job (the process's providers: the tests'
        fakes, or the local payment simulator): its payment waits for the provider's word."""
        self.assigned()
        url = f"/v1/jobs/{self.ids[JOB]}/payment"
        self.payment = self.api.call("POST", url, body={"provider": provider}, who=self.who(CLIENT)).body

    def funded(self) -> None:
        """Paystack confirmed the payment: the committed ``charge.success`` webhook, bound to the
        real payment and signed with the stage's secret, applied (payment succeeded, job funded,
        the charge in the ledger)."""
        from local.cfn import ROOT

        self.paid("paystack")
        event = json.loads((ROOT / "events" / "webhooks" / "paystack_webhook.json").read_text(encoding="utf-8"))
        answer = self.api.invoke("PaystackWebhookFunction", signed("paystack")(self.bind_ids(event)))
        if json.loads(answer["body"]).get("outcome") != "applied":
            raise RuntimeError(f"seeding: the payment was not applied: {answer['statusCode']} {answer['body']}")

    def payout_account(self) -> None:
        """The worker's Paystack bank account, checked with the provider and saved."""
        body = body_of("payments/put_payout_account.json")
        self.api.call("PUT", "/v1/me/payout-account", body=body, who=self.who(WORKER))

    def completed(self) -> None:
        """The funded job confirmed done, with the worker's payout account saved: its payout is ``ready``."""
        self.funded()
        self.payout_account()
        self.api.call("POST", f"/v1/jobs/{self.ids[JOB]}/complete", who=self.who(CLIENT))

    def paid_out(self) -> None:
        """... and the transfer sent by the stream's payout consumer: the worker's ledger holds the payout."""
        self.completed()
        self.stream()
        if not self.api.call("GET", "/v1/me/transactions", who=self.who(WORKER)).body["items"]:
            raise RuntimeError("seeding: the payout made no ledger entry")

    def conversation(self) -> None:
        self.bid()
        self.api.call("POST", "/v1/conversations", body={"jobId": self.ids[JOB]}, who=self.who(WORKER))
        conv = f"{self.ids[JOB]}.{self.ids[WORKER]}"
        self.api.call("POST", f"/v1/conversations/{conv}/messages", body={"text": "Hello"}, who=self.who(CLIENT))

    def notification(self) -> None:
        """The bid reaches the client as a notification through the stream consumer."""
        self.bid()
        self.stream()
        page = self.api.call("GET", "/v1/me/notifications", who=self.who(CLIENT)).body
        if not page["items"]:
            raise RuntimeError("seeding: the bid made no notification")
        self.ids[NOTIFICATION] = page["items"][0]["id"]

    def searchable_job(self) -> None:
        """The client's job, with the search vector the stream consumer makes for it."""
        self.job()
        self.user(WORKER)
        self.stream()

    def portfolio(self) -> None:
        self.user(WORKER)
        profile = body_of("workers/put_worker_profile.json")
        self.api.call("PUT", "/v1/me/worker-profile", body=profile, who=self.who(WORKER))
        upload = body_of("workers/create_portfolio_item.json")
        item = self.api.call("POST", "/v1/me/portfolio", body=upload, who=self.who(WORKER))
        self.ids[PORTFOLIO_ITEM] = item.body["itemId"]

    # bindings ------------------------------------------------------------------
    def bind_ids(self, event: Event) -> Event:
        text = json.dumps(event)
        for cast, real in self.ids.items():
            text = text.replace(cast, real)
        return dict(json.loads(text))


def set_body(**fields: Any) -> Binding:
    def bind(event: Event) -> Event:
        body = json.loads(event["body"])
        body.update(fields)
        return {**event, "body": json.dumps(body)}

    return bind


def signed(provider: str) -> Binding:
    """The event's body (already bound) signed as the provider signs its webhooks, with the
    secret the stage holds (``x-paystack-signature``; ``stripe-signature`` stamped now)."""

    def bind(event: Event) -> Event:
        from khaya.payments import providers, signatures

        body = str(event["body"]).encode("utf-8")
        secret = providers.secret(provider)
        if provider == "paystack":
            header = {"x-paystack-signature": signatures.paystack_signature(body, str(secret["secretKey"]))}
        else:
            header = {"stripe-signature": signatures.stripe_header(body, str(secret["webhookSecrets"][0]))}
        headers = {**event.get("headers", {}), **header, "content-length": str(len(body))}
        return {**event, "headers": headers, "isBase64Encoded": False}

    return bind


def set_header(name: str, value: str) -> Binding:
    def bind(event: Event) -> Event:
        return {**event, "headers": {**event.get("headers", {}), name: value}}

    return bind


# ---------------------------------------------------------------------- the seeds
Seed = Callable[[World], list[Binding]]


@dataclass(frozen=True)
class Entry:
    seed: Seed
    # DOCUMENTED, an exact status, ALLOW or NO_FAILURES (or what gives one, decided when checked)
    expect: str | int | Callable[[], str | int]

    def expectation(self, event: Event) -> str | int:
        """What a success of ``event`` answers: a status, ALLOW or NO_FAILURES."""
        expect = self.expect() if callable(self.expect) else self.expect
        return documented_status(event) if expect == DOCUMENTED else expect


def _nothing(world: World) -> list[Binding]:
    return []


def _client(world: World) -> list[Binding]:
    world.user(CLIENT)
    return [world.bind_ids]


def _client_with_password(world: World) -> list[Binding]:
    world.user(CLIENT, password=PASSWORD)
    return []


def _signed_in(world: World) -> list[Binding]:
    world.user(CLIENT)
    return [set_header("authorization", f"Bearer {world.tokens[CLIENT]['accessToken']}")]


def _refresh_token(world: World) -> list[Binding]:
    world.user(CLIENT)
    return [set_body(refreshToken=world.tokens[CLIENT]["refreshToken"])]


def _reset_code(world: World) -> list[Binding]:
    world.user(CLIENT)
    world.api.call("POST", "/v1/auth/otp", body={"phone": CLIENT_PHONE, "purpose": "reset"})
    world.stream()  # the code goes out from the stream, a moment after the request
    return [set_body(code=world.api.last_code(CLIENT_PHONE))]


def _queued_code(world: World) -> list[Binding]:
    """A login code the client asked for, still waiting for its sender (the event is its record)."""
    from khaya import db
    from khaya.identity import keys

    world.user(CLIENT)
    world.api.call("POST", "/v1/auth/otp", body={"phone": CLIENT_PHONE, "purpose": "login"})
    queued = db.get(*keys.otp(CLIENT_PHONE, "login"), consistent=True)
    if not queued or queued.get("send") != "queued":
        raise RuntimeError("seeding: no queued code")

    def bind(event: Event) -> Event:
        text = json.dumps(event).replace("01JD0Z7A1B2C3D4E5F6G7H8J9K", str(queued["sendId"]))
        return dict(json.loads(text))

    return [bind]


def _signup_code(world: World) -> list[Binding]:
    body = {"phone": CLIENT_PHONE, "name": "Thandi", "role": "client"}
    signed_up = world.api.call("POST", "/v1/auth/signup", body=body).body
    return [set_body(code=world.api.last_code(CLIENT_PHONE), signupId=signed_up["userId"])]


def _with(step: Callable[[World], None]) -> Seed:
    def seed(world: World) -> list[Binding]:
        step(world)
        return [world.bind_ids]

    return seed


def _worker(world: World) -> list[Binding]:
    world.user(WORKER)
    return [world.bind_ids]


def _webhook(provider: str) -> Seed:
    """A payment pending with ``provider``; its committed webhook bound to it and signed."""

    def seed(world: World) -> list[Binding]:
        world.paid(provider)
        return [world.bind_ids, signed(provider)]

    return seed


def _twilio_callback(world: World) -> list[Binding]:
    """A WhatsApp code whose delivery Twilio reports as failed, signed as Twilio signs it when
    the stage has a callback URL (the local stage may have none: then the answer is 401)."""
    from khaya.messaging.outbox import list_messages

    world.user(CLIENT)
    world.api.call("POST", "/v1/auth/otp", body={"phone": CLIENT_PHONE, "purpose": "login"})
    world.stream()  # the login code goes out by WhatsApp
    sid = next(m["sid"] for m in list_messages(CLIENT_PHONE) if m["channel"] == "whatsapp")

    def bind(event: Event) -> Event:
        from khaya.config import settings
        from khaya.secrets import get_secret

        twilio = json.loads(get_secret(settings().require("TWILIO_SECRET_NAME")))
        params = dict(parse_qsl(base64.b64decode(event["body"]).decode()))
        params.update(MessageSid=sid, SmsSid=sid, AccountSid=twilio["accountSid"])
        body = urlencode(params)
        url = callback_url()
        signature = event["headers"].get("x-twilio-signature", "")
        if url:
            from twilio.request_validator import RequestValidator

            signature = RequestValidator(twilio["authToken"]).compute_signature(url, params)
        headers = {**event["headers"], "x-twilio-signature": signature, "content-length": str(len(body))}
        return {**event, "headers": headers, "body": base64.b64encode(body.encode()).decode()}

    return [bind]


def callback_url() -> str:
    """The Twilio status callback URL the function is given: this process's setting (a test's),
    else the template's for the local stage (may be empty)."""
    import os

    if os.environ.get("TWILIO_STATUS_CALLBACK_URL"):
        return os.environ["TWILIO_STATUS_CALLBACK_URL"]
    from local.cfn import load_template
    from local.intrinsics import Resolver
    from local.lambda_env import template_variables
    from local.loader import function_by_id

    env = template_variables(function_by_id("TwilioStatusFunction"), Resolver(load_template()), warn=False)
    return env.get("TWILIO_STATUS_CALLBACK_URL", "")


SEEDS: dict[str, Entry] = {
    "ai/create_job_suggestion.json": Entry(_client, DOCUMENTED),
    "ai/on_table_change.json": Entry(_with(World.job), NO_FAILURES),
    "auth/authorize.json": Entry(_signed_in, ALLOW),
    "auth/login.json": Entry(_client_with_password, DOCUMENTED),
    "auth/logout.json": Entry(_refresh_token, DOCUMENTED),
    "auth/refresh_token.json": Entry(_refresh_token, DOCUMENTED),
    "auth/request_otp.json": Entry(_client, DOCUMENTED),
    "auth/reset_password.json": Entry(_reset_code, DOCUMENTED),
    "auth/send_otp.json": Entry(_queued_code, NO_FAILURES),
    "auth/signup.json": Entry(_nothing, DOCUMENTED),
    "auth/verify_otp.json": Entry(_signup_code, DOCUMENTED),
    "bids/accept_bid.json": Entry(_with(World.bid), DOCUMENTED),
    "bids/create_bid.json": Entry(_with(lambda w: (w.job(), w.user(WORKER))), DOCUMENTED),
    "bids/get_bid.json": Entry(_with(World.bid), DOCUMENTED),
    "bids/list_job_bids.json": Entry(_with(World.bid), DOCUMENTED),
    "bids/list_my_bids.json": Entry(_with(World.bid), DOCUMENTED),
    "bids/reject_bid.json": Entry(_with(World.bid), DOCUMENTED),
    "bids/withdraw_bid.json": Entry(_with(World.bid), DOCUMENTED),
    "conversations/create_attachment.json": Entry(_with(World.conversation), DOCUMENTED),
    "conversations/create_conversation.json": Entry(_with(World.bid), 201),  # 200 when it exists already
    "conversations/list_conversations.json": Entry(_with(World.conversation), DOCUMENTED),
    "conversations/list_messages.json": Entry(_with(World.conversation), DOCUMENTED),
    "conversations/send_message.json": Entry(_with(World.conversation), DOCUMENTED),
    "conversations/summarise_conversation.json": Entry(_with(World.conversation), DOCUMENTED),
    "jobs/cancel_job.json": Entry(_with(World.job), DOCUMENTED),
    "jobs/complete_job.json": Entry(_with(World.funded), DOCUMENTED),
    "jobs/create_job.json": Entry(_client, DOCUMENTED),
    "jobs/get_job.json": Entry(_with(World.job), DOCUMENTED),
    "jobs/list_jobs.json": Entry(_with(World.job), DOCUMENTED),
    "jobs/list_my_jobs.json": Entry(_with(World.job), DOCUMENTED),
    "jobs/search_jobs.json": Entry(_with(World.searchable_job), DOCUMENTED),
    "jobs/update_job.json": Entry(_with(World.job), DOCUMENTED),
    "me/delete_me.json": Entry(_client, DOCUMENTED),
    "me/export_me.json": Entry(_with(World.job), DOCUMENTED),
    "me/get_me.json": Entry(_client, DOCUMENTED),
    "me/update_me.json": Entry(_client, DOCUMENTED),
    "notifications/list_notifications.json": Entry(_with(World.notification), DOCUMENTED),
    "notifications/on_table_change.json": Entry(_with(World.bid), NO_FAILURES),
    "notifications/read_all_notifications.json": Entry(_with(World.notification), DOCUMENTED),
    "notifications/read_notification.json": Entry(_with(World.notification), DOCUMENTED),
    # payments: the providers are the local payment simulator (``local.payment_simulator.serve``)
    "payments/create_payment.json": Entry(_with(World.assigned), DOCUMENTED),
    "payments/get_payment.json": Entry(_with(World.paid), DOCUMENTED),
    "payments/get_payout_account.json": Entry(_with(lambda w: (w.user(WORKER), w.payout_account())), DOCUMENTED),
    "payments/list_banks.json": Entry(_worker, DOCUMENTED),
    "payments/list_my_transactions.json": Entry(_with(World.paid_out), DOCUMENTED),
    "payments/put_payout_account.json": Entry(_worker, DOCUMENTED),
    "payments/reconcile_payments.json": Entry(_with(World.paid), RECONCILED),  # a payment not due yet
    "payments/start_payouts.json": Entry(_with(World.completed), NO_FAILURES),  # the record of its ready payout
    "platform/get_docs.json": Entry(_nothing, DOCUMENTED),
    "platform/get_health.json": Entry(_nothing, DOCUMENTED),
    "platform/get_openapi.json": Entry(_nothing, DOCUMENTED),
    "platform/route_not_found.json": Entry(_nothing, 405),
    "platform/route_not_found_unknown_path.json": Entry(_nothing, 404),
    "streams/route_table_changes.json": Entry(_nothing, NO_FAILURES),  # queued for Notify and AiEnrich
    "webhooks/paystack_webhook.json": Entry(_webhook("paystack"), DOCUMENTED),
    "webhooks/stripe_webhook.json": Entry(_webhook("stripe"), DOCUMENTED),
    "webhooks/twilio_status.json": Entry(_twilio_callback, lambda: DOCUMENTED if callback_url() else 401),
    "workers/create_portfolio_item.json": Entry(_worker, DOCUMENTED),
    "workers/delete_portfolio_item.json": Entry(_with(World.portfolio), DOCUMENTED),
    "workers/get_worker.json": Entry(_with(World.portfolio), DOCUMENTED),
    "workers/put_worker_profile.json": Entry(_with(World.portfolio), DOCUMENTED),
}


def outcome(result: Any) -> tuple[str, bool]:
    """A function's answer as (what it was, whether it is a server error)."""
    if isinstance(result, dict) and "statusCode" in result:
        status = int(result["statusCode"])
        return str(status), status >= 500
    if isinstance(result, dict) and "isAuthorized" in result:
        context = result.get("context") or {}
        allowed = result["isAuthorized"] is True and "userId" in context and not context.get("refused")
        return (ALLOW if allowed else f"refused ({context.get('refused', 'denied')})"), False
    if isinstance(result, dict) and "batchItemFailures" in result:
        return (NO_FAILURES if not result["batchItemFailures"] else f"{len(result['batchItemFailures'])} failed"), bool(
            result["batchItemFailures"]
        )
    if isinstance(result, dict) and all(isinstance(v, int) and ":" in str(k) for k, v in result.items()):
        # a reconciliation run's counts, ``{"payment:still_pending": 1, ...}``
        stuck = sum(n for k, n in result.items() if str(k).partition(":")[2] in UNRESOLVED)
        return (RECONCILED if not stuck else f"{stuck} unresolved"), False
    return type(result).__name__, False


def documented_status(event: Event) -> int:
    """The one success status the OpenAPI document gives the route of ``event``."""
    from khaya.routes import openapi_text

    method, _, path = str(event["routeKey"]).partition(" ")
    responses = json.loads(openapi_text())["paths"][path][method.lower()]["responses"]
    success = [int(code) for code in responses if code.startswith("2")]
    if len(success) != 1:
        raise RuntimeError(f"{event['routeKey']} documents {success}: name the status its event expects")
    return success[0]


def expected(got: str, expect: str | int) -> bool:
    return got == str(expect)
