"""The load mix of ``make load``: clients and workers using the marketplace at once.

Each simulated person signs up by code on start (as a person would), then loops over its
tasks with a think time between them. The mix, by task weight:

Everyone also searches jobs in plain words 2 (``GET /v1/jobs/search``: the query's vector and
a ranking of up to ``SEARCH_MAX_CANDIDATES`` open jobs, the heaviest read of the mix).

* ``ClientUser`` (weight 1): browse jobs 4, read a job 3, post a job 2 (at the free plan's
  3 open jobs it first accepts a bid or cancels its oldest), accept a bid 2 (then opens the
  conversation with that worker), message 3, list conversations 1, pay 2 (an assigned job:
  Paystack checkout, then the local payment simulator's checkout page says "success" and
  delivers the signed webhook), complete 1 (a funded job: the stream pays the worker out),
  follow a payout 1 (a completed job, read until it is ``paid_out``), transactions 1.
* ``WorkerUser`` (weight 2): sets its profile and payout account on start; browse jobs 4, read a job 3, bid 3
  (mostly on jobs the run's clients posted, in the job's currency; at 5 live bids it first
  withdraws its oldest), message 2 (opens the conversation on a job it bid on), list its bids 1,
  transactions 1.

When the run stops, every job a client paid for is read back with both parties' transactions
and judged (``bench.load.audit``): charged once, and a paid-out job's escrow empty. The
problems go to ``LOAD_AUDIT_FILE``; ``make load`` fails on any.

Answers a busy marketplace gives by design count as successes and are tallied apart: a
409 when two people raced for the same job or bid, a 422 at a plan limit (``EXPECTED``).
Anything else, every 5xx and every broken connection is a failure.

To add a flow (paying, searching…), add a ``HttpUser`` subclass (or tasks) with its own
``weight`` and list the statuses its routes may answer in ``EXPECTED``; the run's table
picks up every route by its ``name``.
"""

from __future__ import annotations

import json
import os
import random
import threading
from collections import Counter, defaultdict
from typing import Any

from locust import HttpUser, between, events, task

from bench.load.api import WORKER_PROFILE, bid_body, job_body, sign_up
from bench.load.audit import judge

# route name → statuses that are a normal answer; any other is a failure (default: 200 only).
EXPECTED: dict[str, frozenset[int]] = {
    "POST /v1/auth/signup": frozenset({201}),
    "POST /v1/jobs": frozenset({201, 422}),
    "POST /v1/jobs/{id}/bids": frozenset({201, 409, 422}),
    "POST /v1/bids/{id}/accept": frozenset({200, 409}),
    "POST /v1/bids/{id}/withdraw": frozenset({200, 409}),
    "POST /v1/jobs/{id}/cancel": frozenset({200, 409}),
    "POST /v1/conversations": frozenset({200, 201}),
    "POST /v1/conversations/{id}/messages": frozenset({201}),
    # payments: a job cancelled or paid by a race (409); the simulator's checkout page answers 200
    "POST /v1/jobs/{id}/payment": frozenset({200, 201, 409}),
    "POST /_dev/pay/{reference}": frozenset({200}),
    "POST /v1/jobs/{id}/complete": frozenset({200, 409}),
}
SEARCHES = (
    "water heater leak",
    "burst pipe under the sink",
    "paint two bedrooms",
    "lawn mowing and hedge trimming",
    "plug socket sparks",
    "deep clean after moving out",
    "fridge not cooling",
)
CATEGORIES = ("plumbing", "electrical", "cleaning", "gardening", "painting", "appliance_repair", None)
CITIES = ("Johannesburg", "Cape Town", "Durban", "Pretoria", "Soweto", "Sandton", None)

# route name → status class ("2xx", "4xx", "5xx", "conn") → count, written at the end for the table.
STATUSES: dict[str, Counter[str]] = defaultdict(Counter)
_lock = threading.Lock()
PEOPLE: dict[str, Member] = {}  # user id → the signed-in person, for the audit at the end
PAID: list[tuple[str, str]] = []  # (client id, job id) of every checkout a client paid at the simulator
POSTED: list[dict[str, Any]] = []  # the newest jobs the run's clients posted: workers bid on them first
AUDIT_WAIT_S = 30.0  # how long the audit waits for payouts still on their way


@events.request.add_listener
def _tally(request_type: str, name: str, response: Any, exception: Any, **_: Any) -> None:
    status = int(getattr(response, "status_code", 0) or 0)
    kind = "conn" if status == 0 else f"{status // 100}xx"
    with _lock:
        STATUSES[f"{request_type} {name}"][kind] += 1


@events.quitting.add_listener
def _write_statuses(environment: Any, **_: Any) -> None:
    path = os.environ.get("LOAD_STATUS_FILE")
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({k: dict(v) for k, v in STATUSES.items()}, fh, indent=1, sort_keys=True)


class Member(HttpUser):
    """A signed-up person; ``api`` sends an authenticated request and judges its answer."""

    abstract = True
    wait_time = between(0.3, 1.5)
    role = ""

    def on_start(self) -> None:
        self.rng = random.Random()
        self.seen: list[dict[str, Any]] = []  # job summaries from the last lists
        self.conversations: list[str] = []
        tokens = sign_up(self._call, self.role, f"Load {self.role.title()}")
        self.access, self.refresh = tokens["accessToken"], tokens["refreshToken"]
        self.user_id = str(tokens["user"]["userId"])
        with _lock:
            PEOPLE[self.user_id] = self

    def _call(self, method: str, path: str, *, json: Any = None, name: str | None = None) -> Any:
        label = name or path
        with self.client.request(method, path, json=json, name=label, catch_response=True) as resp:
            if resp.status_code in EXPECTED.get(f"{method} {label}", frozenset({200})):
                resp.success()
            else:
                resp.failure(f"HTTP {resp.status_code}")
            return resp

    def api(self, method: str, path: str, name: str, json: Any = None) -> Any:
        for attempt in range(2):
            headers = {"Authorization": f"Bearer {self.access}"}
            with self.client.request(method, path, json=json, name=name, headers=headers, catch_response=True) as resp:
                if resp.status_code == 401 and attempt == 0 and self._refresh():
                    resp.success()  # an access token that expired mid-run: refreshed, sent again
                    continue
                if resp.status_code in EXPECTED.get(f"{method} {name}", frozenset({200})):
                    resp.success()
                else:
                    resp.failure(f"HTTP {resp.status_code}")
                return resp
        return resp

    def _refresh(self) -> bool:
        got = self._call("POST", "/v1/auth/refresh", json={"refreshToken": self.refresh})
        if got.status_code != 200:
            return False
        self.access, self.refresh = got.json()["accessToken"], got.json()["refreshToken"]
        return True

    # ------------------------------------------------------------ tasks every person does
    @task(4)
    def browse(self) -> None:
        params = [
            f"{k}={v}" for k, v in (("category", self.rng.choice(CATEGORIES)), ("city", self.rng.choice(CITIES))) if v
        ]
        resp = self.api("GET", "/v1/jobs" + ("?" + "&".join(params) if params else ""), "/v1/jobs")
        if resp.status_code == 200:
            self.seen = resp.json()["items"] or self.seen

    @task(2)
    def search(self) -> None:
        query = self.rng.choice(SEARCHES).replace(" ", "+")
        resp = self.api("GET", f"/v1/jobs/search?q={query}", "/v1/jobs/search")
        if resp.status_code == 200:
            self.seen = resp.json()["items"] or self.seen

    @task(3)
    def read_job(self) -> None:
        if self.seen:
            self.api("GET", f"/v1/jobs/{self.rng.choice(self.seen)['id']}", "/v1/jobs/{id}")

    @task(1)
    def transactions(self) -> None:
        self.api("GET", "/v1/me/transactions", "/v1/me/transactions")

    def message(self) -> None:
        if self.conversations:
            conv = self.rng.choice(self.conversations)
            text = self.rng.choice(("When can you start?", "I can come on Thursday at 8.", "Thanks, see you then."))
            self.api("POST", f"/v1/conversations/{conv}/messages", "/v1/conversations/{id}/messages", {"text": text})

    def open_conversation(self, job_id: str, worker_id: str | None) -> None:
        body = {"jobId": job_id, **({"workerId": worker_id} if worker_id else {})}
        resp = self.api("POST", "/v1/conversations", "/v1/conversations", body)
        if resp.status_code in (200, 201):
            self.conversations = [*self.conversations[-9:], resp.json()["id"]]


class ClientUser(Member):
    weight = 1
    role = "client"

    def on_start(self) -> None:
        super().on_start()
        self.open_jobs: list[str] = []
        self.assigned: list[str] = []  # accepted, to pay
        self.funding: list[str] = []  # paid at the simulator, to complete once funded
        self.paying_out: list[str] = []  # completed, to follow until paid out

    @task(2)
    def post_job(self) -> None:
        if len(self.open_jobs) >= 3 and not self.accept_bid():
            oldest = self.open_jobs.pop(0)
            self.api("POST", f"/v1/jobs/{oldest}/cancel", "/v1/jobs/{id}/cancel")
        resp = self.api("POST", "/v1/jobs", "/v1/jobs", job_body(self.rng))
        if resp.status_code == 201:
            self.open_jobs.append(resp.json()["id"])
            with _lock:
                POSTED[:] = [*POSTED[-49:], resp.json()]

    @task(2)
    def accept_bid(self) -> bool:
        """Accept a pending bid on one of my open jobs; True if one was accepted."""
        for job_id in self.rng.sample(self.open_jobs, len(self.open_jobs)):
            bids = self.api("GET", f"/v1/jobs/{job_id}/bids", "/v1/jobs/{id}/bids")
            pending = [b for b in (bids.json().get("items") or []) if b["status"] == "pending"] if bids.ok else []
            if not pending:
                continue
            bid = self.rng.choice(pending)
            resp = self.api("POST", f"/v1/bids/{bid['id']}/accept", "/v1/bids/{id}/accept")
            if resp.status_code in (200, 409):
                self.open_jobs.remove(job_id)  # assigned, to this bid or (409) by a race it lost
            if resp.status_code == 200:
                self.assigned.append(job_id)
                self.open_conversation(job_id, bid["workerId"])
                return True
        return False

    @task(3)
    def send_message(self) -> None:
        self.message()

    @task(1)
    def list_conversations(self) -> None:
        self.api("GET", "/v1/conversations", "/v1/conversations")

    @task(2)
    def pay(self) -> None:
        if not self.assigned:
            return
        job_id = self.assigned.pop(0)
        body = {"provider": "paystack"}
        resp = self.api("POST", f"/v1/jobs/{job_id}/payment", "/v1/jobs/{id}/payment", body)
        if resp.status_code in (200, 201):
            reference = resp.json()["reference"]
            paid = f"/_dev/pay/{reference}"
            got = self._call("POST", paid, json={"outcome": "success"}, name="/_dev/pay/{reference}")
            self.funding.append(job_id)
            if got.status_code == 200:
                with _lock:
                    PAID.append((self.user_id, job_id))

    @task(1)
    def complete(self) -> None:
        if not self.funding:
            return
        job_id = self.funding[0]
        job = self.api("GET", f"/v1/jobs/{job_id}", "/v1/jobs/{id}")
        if job.status_code == 200 and job.json()["status"] == "funded":
            self.funding.pop(0)
            done = self.api("POST", f"/v1/jobs/{job_id}/complete", "/v1/jobs/{id}/complete")
            if done.status_code == 200:
                self.paying_out.append(job_id)

    @task(1)
    def follow_payout(self) -> None:
        if self.paying_out:
            job_id = self.paying_out[0]
            job = self.api("GET", f"/v1/jobs/{job_id}", "/v1/jobs/{id}")
            if job.status_code == 200 and job.json()["status"] == "paid_out":
                self.paying_out.pop(0)


class WorkerUser(Member):
    weight = 2
    role = "worker"

    def on_start(self) -> None:
        super().on_start()
        self.live_bids: list[str] = []  # my pending bids, oldest first
        self.bid_jobs: set[str] = set()
        self.api("PUT", "/v1/me/worker-profile", "/v1/me/worker-profile", WORKER_PROFILE)
        account = {"provider": "paystack", "bankCode": "632005", "accountNumber": f"40{self.rng.randrange(10**8):08d}"}
        self.api("PUT", "/v1/me/payout-account", "/v1/me/payout-account", account)

    @task(3)
    def place_bid(self) -> None:
        # Mostly on a job a client of this run posted (so jobs get accepted, paid and paid out), else on one seen.
        seen = list(POSTED) if POSTED and self.rng.random() < 0.6 else self.seen
        fresh = [j for j in seen if j["id"] not in self.bid_jobs and j.get("status") == "open"]
        if not fresh:
            return
        if len(self.live_bids) >= 5:
            oldest = self.live_bids.pop(0)
            self.api("POST", f"/v1/bids/{oldest}/withdraw", "/v1/bids/{id}/withdraw")
        job = self.rng.choice(fresh)
        body = bid_body(self.rng)
        if job.get("budget"):
            body["amount"]["currency"] = job["budget"]["currency"]
        resp = self.api("POST", f"/v1/jobs/{job['id']}/bids", "/v1/jobs/{id}/bids", body)
        self.bid_jobs.add(job["id"])
        if resp.status_code == 201:
            self.live_bids.append(resp.json()["id"])

    @task(2)
    def send_message(self) -> None:
        if self.live_bids and (not self.conversations or self.rng.random() < 0.3):
            self.open_conversation(self.rng.choice(self.live_bids).split(".")[0], None)
        self.message()

    @task(1)
    def my_bids(self) -> None:
        resp = self.api("GET", "/v1/me/bids", "/v1/me/bids")
        if resp.status_code == 200:
            pending = {b["id"] for b in resp.json()["items"] if b["status"] == "pending"}
            self.live_bids = [b for b in self.live_bids if b in pending]


# ---------------------------------------------------------------- the audit when the run stops


def _get(base: str, person: Member, path: str) -> Any:
    import requests

    for attempt in range(2):
        got = requests.get(base + path, headers={"Authorization": f"Bearer {person.access}"}, timeout=30)
        if got.status_code == 401 and attempt == 0:  # a long run outlives an access token
            fresh = requests.post(base + "/v1/auth/refresh", json={"refreshToken": person.refresh}, timeout=30)
            fresh.raise_for_status()
            person.access, person.refresh = fresh.json()["accessToken"], fresh.json()["refreshToken"]
            continue
        got.raise_for_status()
    return got.json()


def _entries(base: str, person: Member, job_id: str) -> list[dict[str, Any]]:
    found, cursor = [], None
    while True:
        page = _get(base, person, "/v1/me/transactions?limit=100" + (f"&cursor={cursor}" if cursor else ""))
        found += [e for e in page["items"] if e.get("jobId") == job_id]
        cursor = page.get("nextCursor")
        if not cursor:
            return found


def audit(base: str, paid: list[tuple[str, str]], people: dict[str, Member]) -> dict[str, Any]:
    """Each paid job judged (``bench.load.audit``), once its payout is no longer on its way."""
    import time

    problems: list[str] = []
    states: Counter[str] = Counter()
    for client_id, job_id in paid:
        client = people[client_id]
        deadline = time.monotonic() + AUDIT_WAIT_S
        while True:
            job = _get(base, client, f"/v1/jobs/{job_id}")
            on_its_way = job["status"] == "completed" and job.get("payoutStatus") in ("pending", "in_flight")
            if not on_its_way or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        in_flight = job["status"] == "completed" and job.get("payoutStatus") == "in_flight"
        states["completed, its transfer on its way" if in_flight else job["status"]] += 1
        worker = people.get(str(job.get("workerId")))
        if worker is None:  # a seeded worker: the run holds no session of theirs
            states["worker not in the run"] += 1
            continue
        problems += judge(job, _entries(base, client, job_id), _entries(base, worker, job_id))
    return {"jobs": len(paid), "states": dict(states), "problems": problems}


@events.test_stop.add_listener
def _audit(environment: Any, **_: Any) -> None:
    path = os.environ.get("LOAD_AUDIT_FILE")
    if not path:
        return
    try:
        result = audit(str(environment.host), list(PAID), dict(PEOPLE))
    except Exception as exc:  # an audit that cannot run is a failed audit, never a silent pass
        result = {"jobs": len(PAID), "states": {}, "problems": [f"the audit could not run: {exc!r}"]}
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=1, sort_keys=True)
