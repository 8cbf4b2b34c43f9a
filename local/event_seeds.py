"""What each committed event refers to, made real before a function serves it.

The events under ``events/`` share one cast: a client (``CLIENT``) whose phone is
``+27821234567``, a worker (``WORKER``), the client's job (``JOB``) with the worker's bid
(``<job>.<worker>``) and their conversation (same id), a notification (``NOTIFICATION``), a
portfolio image (``PORTFOLIO_ITEM``), a sign-in code and a refresh token. A seed creates that
data through the API itself (the source handlers, run in this process against the same
tables) and returns how to bind the event to it: the cast's ids become the real ones, a
placeholder code, token or signature a live one. Nothing else in the event changes.

``SEEDS`` maps an event file (relative to ``events/``) to its seed and what a success looks
like: an HTTP status class, ``ALLOW`` for the authorizer, ``NO_FAILURES`` for a stream
batch. An event without an entry is served as committed and only has to answer below 500.
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

    def conversation(self) -> None:
        self.bid()
        self.api.call("POST", "/v1/conversations", body={"jobId": self.ids[JOB]}, who=self.who(WORKER))
        conv = f"{self.ids[JOB]}.{self.ids[WORKER]}"
        self.api.call("POST", f"/v1/conversations/{conv}/messages", body={"text": "Hello"}, who=self.who(CLIENT))

    def deliver_stream(self) -> None:
        """Hand what was written so far to the table's stream consumers (a queued code is sent,
        a bid becomes a notification), as Lambda does a moment after the write."""
        from khaya.config import settings
        from local.cfn import functions
        from local.containers import Pools
        from local.streams import StreamPoller, stream_sources

        fns = functions()
        sources = stream_sources(fns)
        for source in sources:
            source.starting_position = "TRIM_HORIZON"  # the records written above, not only later ones
        StreamPoller(sources, Pools(fns), {"Table": settings().table_name}).poll_once()

    def notification(self) -> None:
        """The bid reaches the client as a notification through the stream consumer."""
        self.bid()
        self.deliver_stream()
        page = self.api.call("GET", "/v1/me/notifications", who=self.who(CLIENT)).body
        if not page["items"]:
            raise RuntimeError("seeding: the bid made no notification")
        self.ids[NOTIFICATION] = page["items"][0]["id"]

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


def set_header(name: str, value: str) -> Binding:
    def bind(event: Event) -> Event:
        return {**event, "headers": {**event.get("headers", {}), name: value}}

    return bind


# ---------------------------------------------------------------------- the seeds
Seed = Callable[[World], list[Binding]]


@dataclass(frozen=True)
class Entry:
    seed: Seed
    expect: str | int  # "2xx", an exact status, ALLOW or NO_FAILURES


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
    world.deliver_stream()  # the code request is queued; its sender runs from the stream
    return [set_body(code=world.api.last_code(CLIENT_PHONE))]


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


def _twilio_callback(world: World) -> list[Binding]:
    """A WhatsApp code whose delivery Twilio reports as failed, signed as Twilio signs it when
    the stage has a callback URL (the local stage may have none: then the answer is 401)."""
    from khaya.messaging.outbox import list_messages

    world.user(CLIENT)
    world.api.call("POST", "/v1/auth/otp", body={"phone": CLIENT_PHONE, "purpose": "login"})
    world.deliver_stream()
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
    """The Twilio status callback URL the template gives the local stage (may be empty)."""
    from local.cfn import load_template
    from local.intrinsics import Resolver
    from local.lambda_env import template_variables
    from local.loader import function_by_id

    env = template_variables(function_by_id("TwilioStatusFunction"), Resolver(load_template()), warn=False)
    return env.get("TWILIO_STATUS_CALLBACK_URL", "")


SEEDS: dict[str, Entry] = {
    "auth/authorize.json": Entry(_signed_in, ALLOW),
    "auth/login.json": Entry(_client_with_password, "2xx"),
    "auth/logout.json": Entry(_refresh_token, "2xx"),
    "auth/refresh_token.json": Entry(_refresh_token, "2xx"),
    "auth/request_otp.json": Entry(_client, "2xx"),
    "auth/reset_password.json": Entry(_reset_code, "2xx"),
    "auth/signup.json": Entry(_nothing, "2xx"),
    "auth/verify_otp.json": Entry(_signup_code, "2xx"),
    "bids/accept_bid.json": Entry(_with(World.bid), "2xx"),
    "bids/create_bid.json": Entry(_with(lambda w: (w.job(), w.user(WORKER))), "2xx"),
    "bids/get_bid.json": Entry(_with(World.bid), "2xx"),
    "bids/list_job_bids.json": Entry(_with(World.bid), "2xx"),
    "bids/list_my_bids.json": Entry(_with(World.bid), "2xx"),
    "bids/reject_bid.json": Entry(_with(World.bid), "2xx"),
    "bids/withdraw_bid.json": Entry(_with(World.bid), "2xx"),
    "conversations/create_attachment.json": Entry(_with(World.conversation), "2xx"),
    "conversations/create_conversation.json": Entry(_with(World.bid), "2xx"),
    "conversations/list_conversations.json": Entry(_with(World.conversation), "2xx"),
    "conversations/list_messages.json": Entry(_with(World.conversation), "2xx"),
    "conversations/send_message.json": Entry(_with(World.conversation), "2xx"),
    "jobs/cancel_job.json": Entry(_with(World.job), "2xx"),
    "jobs/create_job.json": Entry(_client, "2xx"),
    "jobs/get_job.json": Entry(_with(World.job), "2xx"),
    "jobs/list_jobs.json": Entry(_with(World.job), "2xx"),
    "jobs/list_my_jobs.json": Entry(_with(World.job), "2xx"),
    "jobs/update_job.json": Entry(_with(World.job), "2xx"),
    "me/delete_me.json": Entry(_client, "2xx"),
    "me/export_me.json": Entry(_with(World.job), "2xx"),
    "me/get_me.json": Entry(_client, "2xx"),
    "me/update_me.json": Entry(_client, "2xx"),
    "notifications/list_notifications.json": Entry(_with(World.notification), "2xx"),
    "notifications/on_table_change.json": Entry(_with(World.bid), NO_FAILURES),
    "notifications/read_all_notifications.json": Entry(_with(World.notification), "2xx"),
    "notifications/read_notification.json": Entry(_with(World.notification), "2xx"),
    "platform/get_docs.json": Entry(_nothing, "2xx"),
    "platform/get_health.json": Entry(_nothing, "2xx"),
    "platform/get_openapi.json": Entry(_nothing, "2xx"),
    "platform/route_not_found.json": Entry(_nothing, 405),
    "platform/route_not_found_unknown_path.json": Entry(_nothing, 404),
    "webhooks/twilio_status.json": Entry(_twilio_callback, "2xx" if callback_url() else 401),
    "workers/create_portfolio_item.json": Entry(_worker, "2xx"),
    "workers/delete_portfolio_item.json": Entry(_with(World.portfolio), "2xx"),
    "workers/get_worker.json": Entry(_with(World.portfolio), "2xx"),
    "workers/put_worker_profile.json": Entry(_with(World.portfolio), "2xx"),
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
    return type(result).__name__, False


def expected(got: str, expect: str | int) -> bool:
    if expect == "2xx":
        return got.isdigit() and 200 <= int(got) < 300
    return got == str(expect)
