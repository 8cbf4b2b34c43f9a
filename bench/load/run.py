"""``make load``: Locust, headless, against a freshly seeded local stage; a table per route.

    python -m bench.load.run [--users 20] [--spawn-rate 5] [--duration 2m] [--seed-jobs 1000]
                             [--host http://127.0.0.1:3000]

Starts the local stage (``python -m local.gateway --seed-jobs N``, DynamoDB Local where Java
is) unless ``--host`` names one already running, runs the mix of ``bench/load/locustfile.py``
for the given time and number of users, then prints, per route: requests, throughput,
p50/p95/p99 (ms), the answers by class (2xx, 4xx, 5xx, broken connections) and the
failures (answers the mix does not expect), then the audit of the jobs paid during the run
(``bench.load.audit``: each charged once, a paid-out job's escrow empty). Locust's CSV files and
HTML report go to ``bench/load/results/``, with the gateway's log. Exits 1 if any request got a
5xx, a broken connection or an unexpected answer, or the audit found a problem.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from bench.load.stage import log_line, running_stage

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def read_table(prefix: Path, statuses: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    rows = []
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            label = rec["Name"] if rec["Type"] == "" else f"{rec['Type']} {rec['Name']}"
            counts = statuses.get(label, {}) if rec["Name"] != "Aggregated" else _sum(statuses)
            rows.append(
                {
                    "route": "all routes" if rec["Name"] == "Aggregated" else label,
                    "requests": int(rec["Request Count"]),
                    "rps": float(rec["Requests/s"]),
                    "p50": rec["50%"],
                    "p95": rec["95%"],
                    "p99": rec["99%"],
                    "2xx": counts.get("2xx", 0),
                    "4xx": counts.get("4xx", 0),
                    "5xx": counts.get("5xx", 0),
                    "conn": counts.get("conn", 0),
                    "failures": int(rec["Failure Count"]),
                }
            )
    return rows


def _sum(statuses: dict[str, dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for counts in statuses.values():
        for kind, n in counts.items():
            total[kind] = total.get(kind, 0) + n
    return total


def markdown(rows: list[dict[str, Any]]) -> str:
    head = "| route | requests | req/s | p50 ms | p95 ms | p99 ms | 2xx | 4xx | 5xx | broken | failures |"
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['route']} | {r['requests']} | {r['rps']:.1f} | {r['p50']} | {r['p95']} | {r['p99']} "
            f"| {r['2xx']} | {r['4xx']} | {r['5xx']} | {r['conn']} | {r['failures']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load.run", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="users started per second")
    parser.add_argument("--duration", default="2m", help="Locust's --run-time: 90s, 2m, 1h30m")
    parser.add_argument("--seed-jobs", type=int, default=1000, help="demo data loaded before the run")
    parser.add_argument("--host", help="a running local stage instead of a fresh one")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    prefix = args.out / "load"
    status_file = args.out / "statuses.json"
    audit_file = args.out / "audit.json"
    audit_file.unlink(missing_ok=True)
    gateway_log = args.out / "gateway.log"
    stage = nullcontext(args.host) if args.host else running_stage(gateway_log, seed_jobs=args.seed_jobs)
    with stage as url:
        if not args.host:
            print(log_line(gateway_log, "seeded"), log_line(gateway_log, "started"), sep="\n", flush=True)
        cmd = [
            sys.executable, "-m", "locust",
            "-f", str(HERE / "locustfile.py"),
            "--headless", "--only-summary",
            "--host", str(url),
            "--users", str(args.users),
            "--spawn-rate", str(args.spawn_rate),
            "--run-time", args.duration,
            "--stop-timeout", "10",
            "--csv", str(prefix),
            "--html", str(args.out / "report.html"),
            "--loglevel", "WARNING",
        ]  # fmt: skip
        env = {**os.environ, "LOAD_STATUS_FILE": str(status_file), "LOAD_AUDIT_FILE": str(audit_file)}
        print(f"locust: {args.users} users for {args.duration} against {url}", flush=True)
        subprocess.run(cmd, env=env, check=False)
    statuses = json.loads(status_file.read_text()) if status_file.exists() else {}
    rows = read_table(prefix, statuses)
    print()
    print(markdown(rows))
    problems = print_audit(audit_file)
    print(f"\nLocust CSV and HTML report: {args.out}/")
    total = rows[-1] if rows else {"5xx": 0, "conn": 0, "failures": 1}
    bad = total["5xx"] + total["conn"] + total["failures"]
    if bad:
        print(f"FAILED: {total['5xx']} 5xx, {total['conn']} broken connections, {total['failures']} unexpected answers")
    if problems:
        print(f"FAILED: the ledger audit found {problems} problems")
    return 1 if bad or problems else 0


def print_audit(path: Path) -> int:
    """The audit's lines; how many problems it found (an audit that wrote nothing is one)."""
    if not path.exists():
        print("\nledger audit: no result: locust stopped before the audit ran")
        return 1
    result = json.loads(path.read_text())
    if not result["jobs"]:
        print("\nledger audit: no job was paid during the run, so none was audited (a longer run pays some)")
        return len(result["problems"])
    states = ", ".join(f"{n} {s}" for s, n in sorted(result["states"].items()))
    print(f"\nledger audit: {result['jobs']} jobs paid during the run ({states}): ", end="")
    print("each charged once, every paid-out job's escrow empty" if not result["problems"] else "PROBLEMS")
    for line in result["problems"][:20]:
        print(f"  {line}")
    return len(result["problems"])


if __name__ == "__main__":
    sys.exit(main())
