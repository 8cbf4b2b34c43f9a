"""Schemathesis against the local gateway, as CI runs it: ``make fuzz``.

Starts the gateway on a free port, signs up a client, a worker and a throwaway account through
the local outbox (signup → ``GET /_dev/outbox?to=…`` → verify), seeds one of each resource the
id-taking operations need, and runs ``st run`` with every check (config: ``schemathesis.toml``):

1. the public operations, signed out;
2. every protected operation as the client, then as the worker (all but ``DELETE /v1/me``,
   which would end the session the run uses);
3. ``DELETE /v1/me`` as the throwaway account.

Protected operations are not fuzzed signed out: the gateway answers them 401 before any code
runs, and the signed-in runs check that (schemathesis's ``ignored_auth``). Exit status: 0 when
every run passed. ``python -m local.fuzz [--max-examples N]``.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from local.background import background_gateway
from local.cfn import ROOT

SUMMARY = re.compile(r"^=+ (.+) in [\d.]+s =+$", re.MULTILINE)


def _send(base: str, method: str, path: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    res = requests.request(method, f"{base}{path}", json=body, headers=headers, timeout=30)
    if res.status_code >= 300:
        raise RuntimeError(f"seeding: {method} {path} answered {res.status_code}: {res.text[:300]}")
    return dict(res.json())


def _post(base: str, path: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    return _send(base, "POST", path, body, token)


def sign_up(base: str, role: str) -> dict[str, Any]:
    """A verified account, the way a client app does it (the code read from the local outbox)."""
    phone = "+2782" + "".join(str(secrets.randbelow(10)) for _ in range(7))  # a South African mobile
    signed_up = _post(base, "/v1/auth/signup", {"phone": phone, "name": f"Fuzz {role}", "role": role})
    items = requests.get(f"{base}/_dev/outbox", params={"to": phone}, timeout=30).json()["items"]
    code = re.search(r"\b(\d{6})\b", items[0]["text"])
    if code is None:
        raise RuntimeError("seeding: no code in the outbox")
    verify = {"phone": phone, "code": code.group(1), "purpose": "signup", "signupId": signed_up["userId"]}
    return _post(base, "/v1/auth/verify", verify)


def seed(base: str) -> dict[str, str]:
    """Accounts and one of each resource; the environment the config's ${KHAYA_FUZZ_*} read."""
    client, worker, erasable = (sign_up(base, role) for role in ("client", "worker", "client"))
    ct, wt = client["accessToken"], worker["accessToken"]
    job = _post(
        base,
        "/v1/jobs",
        {"title": "Paint a room", "description": "Walls only.", "category": "painting", "city": "Cape Town"},
        ct,
    )
    bid = _post(
        base,
        f"/v1/jobs/{job['id']}/bids",
        {"amount": {"amount": 90000, "currency": "ZAR"}, "message": "Tomorrow", "etaDays": 2},
        wt,
    )
    conversation = _post(base, "/v1/conversations", {"jobId": job["id"], "workerId": worker["user"]["userId"]}, ct)
    profile: dict[str, Any] = {
        "skills": ["painting"],
        "categories": ["painting"],
        "city": "Cape Town",
        "bio": "Ten years.",
        "hourlyRate": {"amount": 25000, "currency": "ZAR"},
    }
    _send(base, "PUT", "/v1/me/worker-profile", profile, wt)
    notification = ""
    for _ in range(150):  # the bid's notification comes from the table's stream
        found = requests.get(f"{base}/v1/me/notifications", headers={"Authorization": f"Bearer {ct}"}, timeout=30)
        if found.json()["items"]:
            notification = found.json()["items"][0]["id"]
            break
        time.sleep(0.2)
    if not notification:
        raise RuntimeError("seeding: the bid produced no notification within 30 s")
    return {
        "client": ct,
        "worker": wt,
        "erasable": erasable["accessToken"],
        "KHAYA_FUZZ_JOB_ID": job["id"],
        "KHAYA_FUZZ_BID_ID": bid["id"],
        "KHAYA_FUZZ_CONVERSATION_ID": conversation["id"],
        "KHAYA_FUZZ_NOTIFICATION_ID": notification,
        "KHAYA_FUZZ_WORKER_ID": worker["user"]["userId"],
    }


def operations(base: str) -> tuple[list[str], list[str]]:
    """Names (``METHOD /path``) of the public and of the protected operations of the document."""
    doc = requests.get(f"{base}/v1/openapi.json", timeout=30).json()
    public: list[str] = []
    protected: list[str] = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            name = f"{method.upper()} {path}"
            (public if op.get("security", doc.get("security")) == [] else protected).append(name)
    return public, protected


def st(base: str, env: dict[str, str], label: str, log: Path, *args: str) -> tuple[int, str]:
    """One ``st run``; its whole report goes to ``log``, its summary line to stdout."""
    cmd = [str(Path(sys.executable).with_name("st")), "run", f"{base}/v1/openapi.json", "--url", base, *args]
    print(f"--- schemathesis: {label}", flush=True)
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    out = run.stdout + run.stderr
    log.write_text(out, encoding="utf-8")
    if run.returncode != 0:
        print(out)
    found = SUMMARY.findall(out)
    line = found[-1] if found else f"exit {run.returncode}"
    print(f"{label}: {line} (report: {log.relative_to(ROOT) if log.is_relative_to(ROOT) else log})", flush=True)
    return run.returncode, line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--max-examples", type=int, default=None, help="override schemathesis.toml")
    parser.add_argument("--out", type=Path, default=ROOT / ".fuzz", help="where the reports go")
    args = parser.parse_args(argv)
    extra = ["--max-examples", str(args.max_examples)] if args.max_examples else []
    started = time.monotonic()
    with background_gateway(args.out / "gateway.log") as base:
        ids = seed(base)
        env = {**os.environ, **{k: v for k, v in ids.items() if k.startswith("KHAYA_FUZZ_")}}
        public, protected = operations(base)
        signed_in = [name for name in protected if name != "DELETE /v1/me"]

        def include(names: list[str]) -> list[str]:
            return [arg for name in names for arg in ("--include-name", name)]

        def bearer(who: str) -> list[str]:
            return ["-H", f"Authorization: Bearer {ids[who]}"]

        plan = [
            (f"signed out, {len(public)} public operations", "signed-out", include(public)),
            (f"client, {len(signed_in)} operations", "client", [*include(signed_in), *bearer("client")]),
            (f"worker, {len(signed_in)} operations", "worker", [*include(signed_in), *bearer("worker")]),
            ("erasure, DELETE /v1/me", "erasure", [*include(["DELETE /v1/me"]), *bearer("erasable")]),
        ]
        runs = [st(base, env, label, args.out / f"{name}.txt", *run_args, *extra) for label, name, run_args in plan]
    failed = [line for code, line in runs if code != 0]
    print(f"schemathesis: {len(runs) - len(failed)}/{len(runs)} runs passed in {time.monotonic() - started:.0f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
