"""``make bench``: cold start, warm latency, DynamoDB calls and artifact size per function.

For every function in template.yaml that serves an HttpApi route, and for the API's
authorizer, beside a bare boto3 handler (``bench/bare``) making the same DynamoDB calls:

* cold: a fresh Python process with Lambda's ``sys.path`` (function dir, then the layer
  dirs, from ``.aws-sam/build`` when built, else the source tree; the runtime's boto3
  after them) imports the handler and serves its first event; timed from spawn to the
  response, median of ``--cold-runs`` (the child also reports its import and first-invoke
  times). Each run is paired with a bare run; the ratio is the median of the pairs'. The same
  pairs are also compared by the children's CPU time (``cpu``), which waiting for a core on a
  busy machine does not inflate, with the load average they ran at.
  Bytecode is never written, as on Lambda's read-only filesystem, so the artifacts are
  measured with exactly the ``.pyc`` they ship (``make build`` compiles them in).
* warm: p50/p99 over ``--warm-runs`` invocations after the first, in each of
  ``--warm-rounds`` processes per side (alternated), and the part of it spent outside
  DynamoDB calls.
* DynamoDB operations per request, counted with botocore's ``provide-client-params`` hook
  (the bare twin replays them; any Scan is flagged).
* artifact size: the function dir and each layer, unzipped, as built.

Built layers hold arm64 native extensions: on another machine the same packages from
this venv stand in for those alone (``.aws-sam/bench-overlay``). A child that imports a
package from the venv that the Lambda runtime does not provide is warned about.
Seeded data and custom events per function: ``bench/scenarios.py``.

DynamoDB and Secrets Manager are moto's server on a free loopback port; functions read secrets
as deployed, over HTTP from a stand-in of AWS's Parameters and Secrets extension
(``local/secrets_extension.py``), which asks moto on every read, as the real extension does on
its first read in a new environment. Results: a table on stdout and
``bench/results.json``. Usage::

    python -m bench.run [--only GetHealthFunction ...] [--cold-runs 7] [--warm-runs 200] [--warm-rounds 2]
                        [--profile ID ...] [--importtime ID [--importtime-runs N]] [--bytecode] [--no-write]
                        [--build-dir .aws-sam/build] [--ci]

It exits non-zero when a function fails, when a cold ratio is above the function's budget
(``bench/budgets.py``: 1.5 by default, a named higher budget where the function's own work
dominates; with ``--ci``, times the CI slack), or when a function loaded a module its import
rules forbid (a sign that Powertools' package indexes ran, or, for the constant routes and
the authorizer, any pydantic or Powertools at all).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.budgets import CI_SLACK, budget, forbidden_modules, over_budget
from local.cfn import ROOT, FunctionDef, functions, layer_dirs, load_template

BENCH = Path(__file__).resolve().parent
BUILD = ROOT / ".aws-sam" / "build"
RESULTS = BENCH / "results.json"
CHILD_SOURCE = (BENCH / "child.py").read_text(encoding="utf-8")
BARE_DIR = BENCH / "bare"
# What the Lambda Python runtime itself provides (plus the venv's own startup hook).
RUNTIME_PACKAGES = [
    *("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six", "certifi"),
    "_distutils_hack",
]
# ELF e_machine of this machine's native code (a built layer's .so files say which they are for,
# abi3 ones included, whose names carry no architecture).
_ELF_MACHINE = {"x86_64": 0x3E, "aarch64": 0xB7, "arm64": 0xB7}


@dataclass
class Target:
    fn: FunctionDef
    code_dir: Path
    layer_dirs: list[Path]
    built: bool
    event: dict[str, Any] = field(default_factory=dict)
    event_source: str = ""
    restore: Callable[[], None] | None = None  # a scenario's state reset before each run
    expect_status: int | None = None
    replay_first: bool = False


# ---------------------------------------------------------------- discovery


def authorizer_ids(doc: dict[str, Any]) -> set[str]:
    ids = set()
    for res in doc["Resources"].values():
        if res.get("Type") != "AWS::Serverless::HttpApi":
            continue
        for auth in ((res.get("Properties") or {}).get("Auth") or {}).get("Authorizers", {}).values():
            arn = auth.get("FunctionArn")
            if isinstance(arn, dict) and "Fn::GetAtt" in arn:
                ids.add(arn["Fn::GetAtt"][0])
    return ids


def benched_functions(only: list[str] | None) -> list[FunctionDef]:
    doc = load_template()
    auth = authorizer_ids(doc)
    picked = [fn for fn in functions(doc) if fn.routes or fn.logical_id in auth]
    if only:
        missing = set(only) - {fn.logical_id for fn in picked}
        if missing:
            raise SystemExit(f"not a routed function or authorizer in template.yaml: {sorted(missing)}")
        picked = [fn for fn in picked if fn.logical_id in only]
    return picked


def _foreign_binary(so: Path) -> bool:
    """An ELF shared object built for another architecture than this machine's."""
    native = _ELF_MACHINE.get(platform.machine())
    with so.open("rb") as fh:
        head = fh.read(20)
    return native is not None and head[:4] == b"\x7fELF" and int.from_bytes(head[18:20], "little") != native


def native_overlay(layers: list[Path]) -> tuple[Path | None, list[str]]:
    """Built layers hold native extensions for the deploy architecture (arm64). When this
    machine is another, the same packages from this venv (same versions by the lock of
    requirements) are put on the path just before the layer; everything else stays as built.
    A top-level extension module (``_cffi_backend.<tag>.so``) is linked as this venv's file."""
    pkgs: set[str] = set()
    for layer in layers:
        for so in layer.rglob("*.so"):
            if _foreign_binary(so):
                pkgs.add(so.relative_to(layer).parts[0].split(".", 1)[0])
    if not pkgs:
        return None, []
    overlay = ROOT / ".aws-sam" / "bench-overlay"
    overlay.mkdir(parents=True, exist_ok=True)
    for pkg in sorted(pkgs):
        spec = importlib.util.find_spec(pkg)
        if spec is None or not (spec.submodule_search_locations or spec.origin):
            raise SystemExit(f"the built layer has {pkg} for another architecture and this venv lacks it")
        target = Path(next(iter(spec.submodule_search_locations)) if spec.submodule_search_locations else spec.origin)  # type: ignore[arg-type]
        link = overlay / target.name
        if link.is_symlink() and link.resolve() != target.resolve():
            link.unlink()
        if not link.exists():
            link.symlink_to(target)
    return overlay, sorted(pkgs)


def locate(fn: FunctionDef, build: Path = BUILD) -> Target:
    built_code = build / fn.logical_id
    all_layers = layer_dirs()
    built_layers = [build / lid / "python" for lid in fn.layers]
    module_file = fn.handler.rsplit(".", 1)[0].replace(".", "/") + ".py"
    if (built_code / module_file).is_file() and all(p.is_dir() for p in built_layers):
        return Target(fn, built_code, built_layers, built=True)
    return Target(fn, ROOT / fn.code_uri, [all_layers[lid] for lid in fn.layers], built=False)


def with_bytecode(targets: list[Target], workdir: Path) -> None:
    """What-if: the same artifacts with ``.pyc`` files compiled in (hash-based, unchecked, so
    they stay valid on Lambda's read-only filesystem whatever the zip does to mtimes)."""
    import compileall
    import shutil

    copies: dict[Path, Path] = {}

    def copy(src: Path, name: str) -> Path:
        if src not in copies:
            dst = workdir / "bytecode" / name
            shutil.copytree(src, dst, symlinks=True)
            compileall.compile_dir(
                dst, quiet=1, force=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
            )
            copies[src] = dst
        return copies[src]

    import py_compile

    for t in targets:
        if not t.built:
            continue
        t.code_dir = copy(t.code_dir, t.fn.logical_id)
        t.layer_dirs = [copy(p, f"{p.parent.name}/python") for p in t.layer_dirs]


def dir_bytes(path: Path) -> int:
    total = 0
    for dirpath, _dirs, filenames in os.walk(path):
        total += sum(os.lstat(os.path.join(dirpath, f)).st_size for f in filenames)
    return total


# ---------------------------------------------------------------- events and scenarios


def _fill_path(path: str) -> str:
    import re

    return re.sub(r"\{([A-Za-z0-9_]+)\+?\}", lambda m: f"bench-{m.group(1)}", path)


def default_event(fn: FunctionDef, authorizers: set[str]) -> tuple[dict[str, Any], str]:
    from local.events import authorizer_event, http_event

    files = sorted((ROOT / "events" / fn.domain).glob(f"{fn.name}*.json"))
    if files:
        return json.loads(files[0].read_text(encoding="utf-8")), str(files[0].relative_to(ROOT))
    if fn.logical_id in authorizers and not fn.routes:
        return authorizer_event("GET", "/v1/me", "/v1/me", {"authorization": "Bearer bench"}, "198.51.100.7"), "built"
    route = fn.routes[0]
    if route.path == "$default":
        return http_event("GET", "/v1/bench-no-such-route", route_path="$default"), "built"
    caller = None if route.public else {"userId": "bench-user", "role": "client"}
    method = "GET" if route.method == "ANY" else route.method
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return (
        http_event(method, _fill_path(route.path), route_path=route.path, body=body, authorizer=caller),
        "built",
    )


def prepare_events(
    targets: list[Target], ddb: Any, table: str, authorizers: set[str], endpoint_url: str | None = None
) -> None:
    from bench.scenarios import SCENARIOS, Context

    for t in targets:
        event, source = default_event(t.fn, authorizers)
        hook = SCENARIOS.get(t.fn.logical_id)
        if hook is not None:
            ctx = Context(t.fn.logical_id, table, ddb, event, endpoint_url)
            made = hook(ctx)
            if made is not None:
                event, source = made, "bench/scenarios.py"
            t.restore, t.expect_status, t.replay_first = ctx.restore, ctx.expect_status, ctx.replay_first
        t.event, t.event_source = event, source


# ---------------------------------------------------------------- moto server


class Moto:
    def __init__(self) -> None:
        import logging

        from local.moto_server import AtomicMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per request

        self.server = AtomicMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def __enter__(self) -> str:
        self.server.start()
        host, port = self.server.get_host_and_port()
        return f"http://{host}:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


def reset_moto(endpoint: str) -> None:
    """Forget every resource moto's server holds (its own reset API)."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30).read()


# The port of the secrets extension's stand-in (set in main): functions read secrets as deployed.
_extension_port: list[int] = []


def child_env(fn_env: dict[str, Any], endpoint: str, pythonpath: list[Path], home: str) -> dict[str, str]:
    from tests.support.aws import TEST_ENV

    env = {k: v for k, v in fn_env.items() if isinstance(v, str)}
    env.update(TEST_ENV)
    if _extension_port:
        env["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"] = str(_extension_port[0])
    env.update(
        PATH=os.environ.get("PATH", "/usr/bin:/bin"),
        LANG="C.UTF-8",
        HOME=home,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_ENDPOINT_URL=endpoint,
        PYTHONPATH=os.pathsep.join(str(p) for p in pythonpath),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONNOUSERSITE="1",
        AWS_LAMBDA_FUNCTION_NAME="khaya-bench",  # as Lambda sets it (the layer pauses the collector in Lambda)
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256",
    )
    return env


# ---------------------------------------------------------------- children


def spawn(
    spec: dict[str, Any], env: dict[str, str], cwd: Path, timeout: float = 120, python_args: tuple[str, ...] = ()
) -> tuple[float, dict[str, Any]]:
    """Run one child; return (ms from spawn to its report, its report)."""
    read_fd, write_fd = os.pipe()
    spec = {**spec, "fd": write_fd}
    env = {**env, "BENCH_SPEC": json.dumps(spec)}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *python_args, "-c", CHILD_SOURCE],
        cwd=cwd,
        env=env,
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as fh:
        line = fh.readline()
        elapsed = (time.perf_counter() - start) * 1000
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    if not line:
        raise RuntimeError(f"child died without a report ({proc.returncode}): {err.decode()[-2000:]}")
    report: dict[str, Any] = json.loads(line)
    if "error" in report:
        raise RuntimeError(f"child failed: {report['error']}\n{report.get('traceback', '')}")
    report["stderr"] = err.decode("utf-8", "replace")
    return elapsed, report


@dataclass
class Side:
    """One of the two things compared: the real function or its bare twin."""

    label: str
    cwd: Path
    env: dict[str, str]
    module: str
    attr: str
    event_file: str
    function_name: str
    leak_check: dict[str, Any]
    forbidden: list[str] = field(default_factory=list)  # modules it may not load (bench/budgets.py)

    def spec(self, mode: str, **extra: Any) -> dict[str, Any]:
        return {
            "mode": mode,
            "module": self.module,
            "attr": self.attr,
            "event_file": self.event_file,
            "function_name": self.function_name,
            "leak_check": self.leak_check,
            "forbidden": self.forbidden,
            **extra,
        }


def _importtimes(
    side: Side, runs: int, restore: Callable[[], None]
) -> tuple[dict[str, int], dict[str, int], list[dict[str, Any]]]:
    """Per module, the least self and cumulative µs of ``runs`` cold children under -X importtime."""
    self_us: dict[str, int] = {}
    cum_us: dict[str, int] = {}
    reports = []
    for _ in range(runs):
        restore()
        _, report = spawn(side.spec("cold"), side.env, side.cwd, python_args=("-X", "importtime"))
        reports.append(report)
        for line in report["stderr"].splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            own, cum, name = (part.strip() for part in line[len("import time:") :].split("|"))
            self_us[name] = min(self_us.get(name, 1 << 62), int(own))
            cum_us[name] = min(cum_us.get(name, 1 << 62), int(cum))
    return self_us, cum_us, reports


def importtime(t: Target, endpoint: str, workdir: Path, overlay: Path | None, runs: int = 1) -> str:
    """Cold children under ``-X importtime``: self time per top-level package, the heaviest
    modules (cumulative), and what the function imports that its bare twin does not, as Lambda
    would pay them (no bytecode written). With ``runs`` > 1 each module's times are the least
    of its runs: on a shared machine the least is the closest to what the import itself costs."""
    real = real_side(t, endpoint, workdir, overlay)
    restore = t.restore or (lambda: None)
    restore()
    _, first = spawn(real.spec("warm", warm_runs=1, count=True), real.env, real.cwd)
    calls = first["first_calls"] if t.replay_first else first["warm_calls"]
    replay = replay_file(calls or first["first_calls"], workdir, t.fn.logical_id)
    bare_env = child_env(t.fn.environment, endpoint, [BARE_DIR], str(workdir))
    bare_env["BENCH_REPLAY"] = str(replay)
    bare = Side("bare", BARE_DIR, bare_env, "bare_handler", "handler", real.event_file, t.fn.logical_id, {})
    self_us, cum_us, reports = _importtimes(real, runs, restore)
    bare_self, _, bare_reports = _importtimes(bare, runs, restore)
    by_pkg: dict[str, int] = {}
    for name, us in self_us.items():
        top = name.split(".", 1)[0]
        by_pkg[top] = by_pkg.get(top, 0) + us
    extra = {n: us for n, us in self_us.items() if n not in bare_self}
    out = [
        f"{t.fn.logical_id}: import {min(r['import_ms'] for r in reports):.0f} ms, first invoke "
        f"{min(r['invoke_ms'] for r in reports):.0f} ms; bare twin: first invoke "
        f"{min(r['invoke_ms'] for r in bare_reports):.0f} ms (least of {runs}; imports made while serving "
        "the first event are included below)",
        f"modules: {len(self_us)}, own time summed {sum(self_us.values()) / 1000:.1f} ms; bare twin: "
        f"{len(bare_self)}, {sum(bare_self.values()) / 1000:.1f} ms; not in the bare twin: {len(extra)} modules, "
        f"{sum(extra.values()) / 1000:.1f} ms",
        "",
        "self ms by top-level package:",
    ]
    out += [f"  {us / 1000:8.1f}  {pkg}" for pkg, us in sorted(by_pkg.items(), key=lambda kv: -kv[1])[:25]]
    out += ["", "heaviest modules not imported by the bare twin (self ms):"]
    out += [f"  {us / 1000:8.2f}  {name}" for name, us in sorted(extra.items(), key=lambda kv: -kv[1])[:40]]
    out += ["", "heaviest modules (cumulative ms, self ms):"]
    rows = sorted(((cum_us[n], self_us[n], n) for n in self_us), reverse=True)[:25]
    out += [f"  {cum / 1000:8.1f} {slf / 1000:7.1f}  {name}" for cum, slf, name in rows]
    return "\n".join(out)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[idx]


def cold(side: Side, reports: list[dict[str, Any]]) -> None:
    elapsed, report = spawn(side.spec("cold"), side.env, side.cwd)
    report["total_ms"] = elapsed
    reports.append(report)


def summarize_cold(reports: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "total_ms": statistics.median(r["total_ms"] for r in reports),
        "min_ms": min(r["total_ms"] for r in reports),
        # spawn, interpreter start-up and reading the event: what neither import nor invoke covers
        "process_ms": statistics.median(r["total_ms"] - r["import_ms"] - r["invoke_ms"] for r in reports),
        "import_ms": statistics.median(r["import_ms"] for r in reports),
        "first_invoke_ms": statistics.median(r["invoke_ms"] for r in reports),
        "cpu_ms": statistics.median(r["cpu_ms"] for r in reports),
        "runs_ms": [round(r["total_ms"], 1) for r in reports],
        "status": reports[0]["status"],
        "foreign_modules": reports[0].get("foreign", []),
        "forbidden_modules": sorted({m for r in reports for m in r.get("forbidden", [])}),
    }


def summarize_warm(report: dict[str, Any]) -> dict[str, Any]:
    ms = report["warm_ms"]
    return {
        "p50_ms": pct(ms, 50),
        "p99_ms": pct(ms, 99),
        "mean_ms": statistics.fmean(ms),
        # time outside the DynamoDB calls (handler total minus each call's params→parsed response)
        "non_ddb_p50_ms": pct([t - d for t, d in zip(ms, report.get("ddb_ms") or [0.0] * len(ms), strict=True)], 50),
        "ddb_p50_ms": pct(report.get("ddb_ms") or [0.0], 50),
        "runs": len(ms),
        "status": report["status"],
    }


def replay_file(calls: list[dict[str, Any]], workdir: Path, name: str) -> Path:
    from botocore import xform_name

    path = workdir / f"{name}.replay.json"
    path.write_text(
        json.dumps([{"method": xform_name(c["operation"]), "params": c["params"]} for c in calls]), encoding="utf-8"
    )
    return path


def real_side(t: Target, endpoint: str, workdir: Path, overlay: Path | None) -> Side:
    fn = t.fn
    module, attr = fn.handler.rsplit(".", 1)
    event_file = workdir / f"{fn.logical_id}.event.json"
    event_file.write_text(json.dumps(t.event), encoding="utf-8")
    leak = {"runtime_root": sysconfig.get_paths()["purelib"], "runtime_packages": RUNTIME_PACKAGES}
    # Lambda: /var/task first, then the layers (/opt/python); the runtime's boto3 after them.
    path = [t.code_dir, *([overlay] if overlay and t.built else []), *t.layer_dirs]
    env = child_env(fn.environment, endpoint, path, str(workdir))
    banned = sorted(forbidden_modules(fn.logical_id))
    return Side(fn.logical_id, t.code_dir, env, module, attr, str(event_file), fn.logical_id, leak, banned)


def bench_one(
    t: Target,
    endpoint: str,
    workdir: Path,
    overlay: Path | None,
    args: argparse.Namespace,
) -> dict[str, Any]:
    fn = t.fn
    real = real_side(t, endpoint, workdir, overlay)
    home, event_file, leak = str(workdir), real.event_file, real.leak_check
    restore = t.restore or (lambda: None)

    # Warm run of the real function first: it also records the DynamoDB calls to replay.
    restore()
    _, warm_report = spawn(
        real.spec("warm", warm_runs=args.warm_runs, count=True, profile=fn.logical_id in (args.profile or [])),
        real.env,
        real.cwd,
    )
    calls = warm_report["warm_calls"]
    # A function that calls DynamoDB only on its first request (the authorizer caches the user)
    # is compared with a bare handler making that same call, not with one that imports nothing.
    replay = replay_file(calls or warm_report["first_calls"], workdir, fn.logical_id)
    bare_env = child_env(fn.environment, endpoint, [BARE_DIR], home)
    bare_env["BENCH_REPLAY"] = str(replay)
    bare = Side("bare", BARE_DIR, bare_env, "bare_handler", "handler", event_file, fn.logical_id, leak)
    # A scenario restored before each run: every cold run takes the first request's path (warm
    # repeats do not), so the bare cold runs replay that request's calls.
    bare_cold_side = bare
    if t.replay_first:
        cold_replay = replay_file(warm_report["first_calls"], workdir, f"{fn.logical_id}.cold")
        bare_cold_side = Side(
            "bare",
            BARE_DIR,
            {**bare_env, "BENCH_REPLAY": str(cold_replay)},
            "bare_handler",
            "handler",
            event_file,
            fn.logical_id,
            leak,
        )
    restore()
    _, bare_warm_report = spawn(bare.spec("warm", warm_runs=args.warm_runs, count=True), bare.env, bare.cwd)
    for _ in range(args.warm_rounds - 1):  # more process pairs, alternated, so a busy moment hits both sides
        for side, report in ((real, warm_report), (bare, bare_warm_report)):
            restore()
            _, more = spawn(side.spec("warm", warm_runs=args.warm_runs, count=True), side.env, side.cwd)
            report["warm_ms"] += more["warm_ms"]
            report["ddb_ms"] += more["ddb_ms"]

    real_cold: list[dict[str, Any]] = []
    bare_cold: list[dict[str, Any]] = []
    load = os.getloadavg()[0]
    for _ in range(args.cold_runs):  # interleaved, so drift hits both sides alike
        restore()
        cold(real, real_cold)
        restore()
        cold(bare_cold_side, bare_cold)
    wrong = [r["status"] for r in real_cold if t.expect_status is not None and r["status"] != t.expect_status]
    if wrong:
        raise RuntimeError(f"cold runs answered {wrong}, not the scenario's {t.expect_status}")

    ops = [c["operation"] for c in calls]
    first_ops = [c["operation"] for c in warm_report["first_calls"]]
    size_fn = dir_bytes(t.code_dir)
    size_layers = {p.parent.name if t.built else p.name: dir_bytes(p) for p in t.layer_dirs}
    result: dict[str, Any] = {
        "function": fn.logical_id,
        "handler": fn.handler,
        "routes": [f"{r.method} {r.path}" for r in fn.routes],
        "artifacts": "built" if t.built else "source",
        "bytecode": any(True for d in [t.code_dir, *t.layer_dirs] for _ in d.rglob("*.pyc")),
        "event": t.event_source,
        "cold": summarize_cold(real_cold),
        "bare_cold": summarize_cold(bare_cold),
        "warm": summarize_warm(warm_report),
        "bare_warm": summarize_warm(bare_warm_report),
        "ddb": {
            "operations": ops,
            "first_request_operations": first_ops,
            "scan": any(op == "Scan" for op in ops + first_ops),
            "bare_operations": [c["operation"] for c in bare_warm_report["warm_calls"]],
        },
        "size_bytes": {"function": size_fn, "layers": size_layers, "total": size_fn + sum(size_layers.values())},
    }
    # Each function run is paired with the bare run right after it: the median of the pairs'
    # ratios is steadier than a ratio of medians on a machine other work is sharing.
    result["cold_ratio"] = statistics.median(
        a["total_ms"] / b["total_ms"] for a, b in zip(real_cold, bare_cold, strict=True)
    )
    # The same pairs by CPU time: what the wall-clock ratio would be if no other process had
    # kept either side waiting for a core (reported beside it; the budget holds the wall clock).
    result["cpu_ratio"] = statistics.median(
        a["cpu_ms"] / b["cpu_ms"] for a, b in zip(real_cold, bare_cold, strict=True)
    )
    result["load_average"] = (load + os.getloadavg()[0]) / 2  # 1-minute, over the cold runs
    result["budget"] = budget(fn.logical_id)
    result["warm_p50_overhead_ms"] = result["warm"]["p50_ms"] - result["bare_warm"]["p50_ms"]
    if warm_report.get("profile"):
        result["profile"] = warm_report["profile"]
    return result


# ---------------------------------------------------------------- output


COLUMNS = [  # header, width, cell
    ("function", -26, lambda r: r["function"]),
    ("cold ms", 7, lambda r: f"{r['cold']['total_ms']:.0f}"),
    ("bare", 5, lambda r: f"{r['bare_cold']['total_ms']:.0f}"),
    ("ratio", 5, lambda r: f"{r['cold_ratio']:.2f}"),
    ("budget", 6, lambda r: f"{budget(r['function']):.2f}"),
    ("cpu", 5, lambda r: f"{r['cpu_ratio']:.2f}" if "cpu_ratio" in r else "-"),
    ("load", 5, lambda r: f"{r['load_average']:.1f}" if "load_average" in r else "-"),
    ("import", 6, lambda r: f"{r['cold']['import_ms']:.0f}"),
    ("1st inv", 7, lambda r: f"{r['cold']['first_invoke_ms']:.0f}"),
    ("p50 ms", 6, lambda r: f"{r['warm']['p50_ms']:.2f}"),
    ("bare", 5, lambda r: f"{r['bare_warm']['p50_ms']:.2f}"),
    ("p99", 6, lambda r: f"{r['warm']['p99_ms']:.2f}"),
    ("bare", 5, lambda r: f"{r['bare_warm']['p99_ms']:.2f}"),
    ("+p50", 5, lambda r: f"{r['warm_p50_overhead_ms']:.2f}"),
    ("ex-ddb", 6, lambda r: f"{r['warm']['non_ddb_p50_ms']:.2f}"),
    ("bare", 5, lambda r: f"{r['bare_warm']['non_ddb_p50_ms']:.2f}"),
    ("status", 6, lambda r: str(r["warm"]["status"])),
    ("ddb calls", -26, lambda r: ddb_cell(r["ddb"])),
    ("MB fn+layers", 12, lambda r: size_cell(r["size_bytes"])),
]
LEGEND = (
    "cold: spawn→first response, median; ratio: median of the pairs' ratios; cpu: the same pairs by CPU time "
    "(not inflated by waiting for a core); load: 1-minute load average over the cold runs. "
    "import / 1st inv: inside the child. p50/p99: warm, per invocation. "
    "+p50: p50 minus bare p50. ex-ddb: p50 of the time outside DynamoDB calls (framework + code)."
)


def ddb_cell(ddb: dict[str, Any]) -> str:
    ops = ",".join(ddb["operations"]) or "-"
    if ddb["first_request_operations"] != ddb["operations"]:
        ops += f" (1st: {','.join(ddb['first_request_operations']) or '-'})"
    return ops + (" SCAN!" if ddb["scan"] else "")


def size_cell(size: dict[str, Any]) -> str:
    return f"{size['function'] / 1e6:.3f}+" + "+".join(f"{v / 1e6:.1f}" for v in size["layers"].values())


def table(results: list[dict[str, Any]]) -> str:
    def row(cells: list[str]) -> str:
        return " ".join(
            cell.ljust(-w) if w < 0 else cell.rjust(w) for cell, (_, w, _) in zip(cells, COLUMNS, strict=True)
        )

    head = row([h for h, _, _ in COLUMNS])
    lines = [head, "-" * len(head)]
    lines += [row([cell(r) for _, _, cell in COLUMNS]) for r in results]
    return "\n".join([*lines, LEGEND])


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="LOGICAL_ID", help="bench only these functions")
    parser.add_argument("--cold-runs", type=int, default=7)
    parser.add_argument("--warm-runs", type=int, default=200, help="warm invocations per process")
    parser.add_argument("--warm-rounds", type=int, default=2, help="warm processes per side, alternated")
    parser.add_argument("--profile", nargs="+", metavar="LOGICAL_ID", help="print a cProfile of the warm loop")
    parser.add_argument(
        "--bytecode",
        action="store_true",
        help="what-if: bench copies of the built artifacts with .pyc compiled in (implies --no-write)",
    )
    parser.add_argument(
        "--importtime",
        metavar="LOGICAL_ID",
        help="print where one function's cold import goes (python -X importtime), by package, and exit",
    )
    parser.add_argument("--importtime-runs", type=int, default=1, help="with --importtime: least of N runs")
    parser.add_argument(
        "--ci", action="store_true", help="hold ratios to their budget times the CI slack (bench/budgets.py)"
    )
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results.json")
    parser.add_argument("--build-dir", type=Path, default=BUILD, help="sam build output to bench (.aws-sam/build)")
    args = parser.parse_args(argv)
    if min(args.cold_runs, args.warm_runs, args.warm_rounds) < 1:
        parser.error("--cold-runs, --warm-runs and --warm-rounds must be positive")

    from tests.support.aws import TEST_ENV

    os.environ.update(TEST_ENV)
    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL") or k == "AWS_PROFILE"]:
        del os.environ[key]
    doc = load_template()
    auth = authorizer_ids(doc)
    targets = [
        locate(fn, args.build_dir.resolve())
        for fn in benched_functions(args.only or ([args.importtime] if args.importtime else None))
    ]
    present = [t for t in targets if (t.code_dir / (t.fn.handler.rsplit(".", 1)[0] + ".py")).is_file()]
    for t in targets:
        if t not in present:
            print(f"skipped {t.fn.logical_id}: {t.fn.handler} not found under {t.code_dir}", file=sys.stderr)
    overlay, native = native_overlay(sorted({p for t in present if t.built for p in t.layer_dirs}))
    if native:
        print(
            f"note: built layers carry {', '.join(native)} for another architecture; "
            f"this {platform.machine()} run uses this venv's build of the same packages",
            file=sys.stderr,
        )

    import boto3

    from local.resources import create_resources

    results: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    from local.secrets_extension import SecretsExtension

    with Moto() as endpoint, tempfile.TemporaryDirectory(prefix="khaya-bench-") as tmp:
        ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name=TEST_ENV["AWS_DEFAULT_REGION"])
        extension = SecretsExtension(endpoint, TEST_ENV["AWS_DEFAULT_REGION"])
        _extension_port[:] = [extension.start()]

        def fresh_stage(t: Target) -> None:
            # Every function starts from empty resources and its own scenario: moto keeps what
            # every earlier function wrote (and its stream records) in this process's memory.
            reset_moto(endpoint)
            # No stream: nothing on a request path reads it, and moto copies every stream record
            # into each transaction's rollback copy (memory and time that grow with every write).
            create_resources(endpoint_url=endpoint, table_stream=False)
            prepare_events([t], ddb, TEST_ENV["TABLE_NAME"], auth, endpoint)

        if args.bytecode:
            args.no_write = True
            with_bytecode(present, Path(tmp))
        if args.importtime:
            t = next(t for t in present if t.fn.logical_id == args.importtime)
            fresh_stage(t)
            print(importtime(t, endpoint, Path(tmp), overlay, max(1, args.importtime_runs)))
            return 0
        for t in present:
            print(f"bench {t.fn.logical_id} ({'built' if t.built else 'source'}) ...", file=sys.stderr, flush=True)
            try:
                fresh_stage(t)
                results.append(bench_one(t, endpoint, Path(tmp), overlay, args))
                print("  " + table(results[-1:]).splitlines()[2], file=sys.stderr, flush=True)  # as it goes
            except (RuntimeError, KeyError, OSError) as exc:  # one broken function must not hide the others
                failed.append({"function": t.fn.logical_id, "error": str(exc)[:4000]})

    print(table(results))
    for f in failed:
        print(f"\nFAILED {f['function']}: {f['error']}")
    for r in results:
        if r.get("profile"):
            print(f"\n--- warm-path profile: {r['function']} ({args.warm_runs} invocations)\n{r['profile']}")
        if r["artifacts"] == "built" and not r["bytecode"]:
            print(f"note: {r['function']} ships no .pyc: cold starts compile it from source (make build adds them)")
        foreign = r["cold"]["foreign_modules"]
        if foreign:
            print(f"warning: {r['function']} loaded {foreign} from the venv, not from its artifact", file=sys.stderr)
    if not args.no_write:
        doc_out = {
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {
                "python": platform.python_version(),
                "arch": platform.machine(),
                "cpus": os.cpu_count(),
                "native_overlay": native,
            },
            "settings": {"cold_runs": args.cold_runs, "warm_runs": args.warm_runs, "warm_rounds": args.warm_rounds},
            "results": [{k: v for k, v in r.items() if k != "profile"} for r in results],
            "failed": failed,
        }
        previous = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() and args.only else None
        if previous:  # --only refreshes those rows and keeps the others
            kept = [r for r in previous.get("results", []) if r["function"] not in set(args.only)]
            doc_out["results"] = kept + doc_out["results"]
        tmp_out = RESULTS.with_suffix(".json.tmp")
        tmp_out.write_text(json.dumps(_rounded(doc_out), indent=2) + "\n", encoding="utf-8")
        tmp_out.replace(RESULTS)
        print(f"\nwrote {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return 1 if verdict(results, failed, slack=CI_SLACK if args.ci else 1.0) else 0


def verdict(results: list[dict[str, Any]], failed: list[dict[str, Any]], *, slack: float = 1.0) -> list[str]:
    """Print and return what fails the bench: a broken function, a cold ratio over its budget
    (times ``slack``), a module a function may not load (bench/budgets.py)."""
    problems = [f"FAILED {f['function']}" for f in failed]
    problems += over_budget(results, slack=slack)
    problems += [
        f"IMPORT RULE {r['function']}: loaded {', '.join(r['cold']['forbidden_modules'])}"
        for r in results
        if r["cold"].get("forbidden_modules")
    ]
    print()
    for line in problems:
        print(line)
    if not problems:
        scale = f" x {slack:.2f} (CI bound)" if slack != 1.0 else ""
        print(f"ok: {len(results)} functions within their cold budgets{scale} and import rules")
    return problems


if __name__ == "__main__":
    raise SystemExit(main())
