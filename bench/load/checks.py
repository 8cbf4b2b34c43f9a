"""Two checks of the local stage with a large demo data set, over HTTP, in one run.

    python -m bench.load.checks [--seed-jobs 5000] [--messages 200]

1. Write latency does not grow with the data: the p50 of ``POST
   /v1/conversations/{id}/messages`` (one transaction) on an empty table and on a table
   seeded with ``--seed-jobs`` jobs, each measured on its own fresh stage; the seeded one
   must be within 1.5x of the empty one.
2. The accept race on the seeded table: 5 workers bid on one job and its client sends 20
   accepts at once (4 per bid): exactly one 200, nineteen 409, no 5xx.

Exits 1 if either check fails. The gateways' logs go to ``bench/load/results/``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from bench.load.api import WORKER_PROFILE, bid_body, job_body, sign_up
from bench.load.stage import log_line, running_stage

RESULTS = Path(__file__).resolve().parent / "results"
MAX_RATIO = 1.5


class Client:
    """A signed-in person talking to one stage."""

    def __init__(self, base: str, role: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.tokens = sign_up(self.call, role, f"Check {role.title()}")
        self.http.headers["Authorization"] = f"Bearer {self.tokens['accessToken']}"

    def call(self, method: str, path: str, *, json: Any = None, name: str | None = None) -> requests.Response:
        return self.http.request(method, self.base + path, json=json, timeout=30)


def conversation(base: str, rng: random.Random) -> tuple[Client, str]:
    """A client and a worker who bid on its job, and their conversation's id."""
    client, worker = Client(base, "client"), Client(base, "worker")
    worker.call("PUT", "/v1/me/worker-profile", json=WORKER_PROFILE)
    job = client.call("POST", "/v1/jobs", json=job_body(rng)).json()
    assert worker.call("POST", f"/v1/jobs/{job['id']}/bids", json=bid_body(rng)).status_code == 201
    conv = worker.call("POST", "/v1/conversations", json={"jobId": job["id"]}).json()
    return client, conv["id"]


def message_p50(base: str, n: int, rng: random.Random) -> float:
    client, conv = conversation(base, rng)
    timings = []
    for i in range(n + 20):  # the first 20 warm the function's container up and are not counted
        started = time.perf_counter()
        got = client.call("POST", f"/v1/conversations/{conv}/messages", json={"text": f"Message number {i}"})
        elapsed = (time.perf_counter() - started) * 1000
        if got.status_code != 201:
            raise RuntimeError(f"a message answered {got.status_code}: {got.text[:200]}")
        if i >= 20:
            timings.append(elapsed)
    return statistics.median(timings)


def accept_race(base: str, rng: random.Random) -> Counter[int]:
    client = Client(base, "client")
    job = client.call("POST", "/v1/jobs", json=job_body(rng)).json()
    bids = []
    for _ in range(5):
        worker = Client(base, "worker")
        got = worker.call("POST", f"/v1/jobs/{job['id']}/bids", json=bid_body(rng))
        assert got.status_code == 201, got.text
        bids.append(got.json()["id"])
    targets = [bids[i % 5] for i in range(20)]
    statuses: list[int] = [0] * 20
    barrier = threading.Barrier(20)

    def accept(i: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = client.http.headers["Authorization"]
        barrier.wait()
        try:
            statuses[i] = session.post(f"{base}/v1/bids/{targets[i]}/accept", timeout=60).status_code
        except requests.RequestException:
            statuses[i] = 0  # a broken connection

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Counter(statuses)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load.checks", description=__doc__.splitlines()[0])
    parser.add_argument("--seed-jobs", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args(argv)
    rng = random.Random(11)
    ok = True
    with running_stage(RESULTS / "checks-empty.log") as base:
        print(log_line(RESULTS / "checks-empty.log", "started"), flush=True)
        empty = message_p50(base, args.messages, rng)
    print(f"empty table:  p50 POST /v1/conversations/{{id}}/messages = {empty:.1f} ms ({args.messages} sequential)")
    seeded_log = RESULTS / "checks-seeded.log"
    with running_stage(seeded_log, seed_jobs=args.seed_jobs) as base:
        print(log_line(seeded_log, "seeded"), log_line(seeded_log, "started"), sep="\n", flush=True)
        seeded = message_p50(base, args.messages, rng)
        ratio = seeded / empty
        verdict = "ok" if ratio <= MAX_RATIO else "TOO SLOW"
        print(f"{args.seed_jobs} jobs: p50 POST /v1/conversations/{{id}}/messages = {seeded:.1f} ms")
        print(f"ratio seeded/empty = {ratio:.2f} (at most {MAX_RATIO}): {verdict}")
        ok &= ratio <= MAX_RATIO
        race = accept_race(base, rng)
        fives = sum(n for s, n in race.items() if s >= 500 or s == 0)
        print(f"20 concurrent accepts over 5 bids on the seeded table: {dict(sorted(race.items()))}")
        race_ok = race[200] == 1 and race[409] == 19 and fives == 0
        print("accept race: " + ("ok (one 200, nineteen 409, no 5xx)" if race_ok else "FAILED"))
        ok &= race_ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
