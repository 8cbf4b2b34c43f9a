"""Invoke every function's events against the built artifacts, as Lambda would run them.

``python -m local.artifacts --build-dir .aws-sam/build-x86_64 --runtime-dir .aws-sam/lambda-runtime``

``make check-artifacts`` builds the template for this machine's architecture (the
``Architecture`` parameter; what deploys stays arm64), then runs this. For every function
of template.yaml and each of its events (``events/<group>/<name>*.json``), a fresh
interpreter (the 3.12 of ``--python``, with ``-I -S``: no site-packages, no environment
paths) gets exactly Lambda's ``sys.path``: the function's built folder, each of its layers'
``python/`` folder, the boto3 the runtime ships (``--runtime-dir``) and the standard
library; nothing of the dev venv. Its environment is the one Lambda gives the function
(``local.lambda_env``), pointed at moto's server.

Before each event the tables are emptied and what the event refers to is created through
the API (``local.event_seeds``), so a success event reaches its handler's real work. Every
AWS call the artifacts make is also checked against the function's role (``local.iam``).

Fails (exit 1) on an import error, an unhandled error, a 5xx, a stream batch with failures,
an event whose seed promises a success that does not come, or a call its role would refuse.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from local.cfn import ROOT, FunctionDef, functions, load_template

REGION = "af-south-1"


@dataclass
class Outcome:
    function: str
    event: str
    got: str
    ok: bool
    ms: float
    detail: str = ""


def lambda_sys_path(python: str, code_dir: Path, layers: list[Path], runtime_dir: Path) -> list[str]:
    """Lambda's order: the function (/var/task), the layers (/opt/python), the runtime's
    boto3, the standard library of the interpreter (without its site-packages)."""
    out = subprocess.run(  # noqa: S603 - the interpreter we were given
        [python, "-I", "-S", "-c", "import json, sys; print(json.dumps(sys.path))"],
        check=True,
        capture_output=True,
        text=True,
    )
    stdlib = [p for p in json.loads(out.stdout) if p]
    return [str(code_dir), *(str(p) for p in layers), str(runtime_dir), *stdlib]


@contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """This process's stdout and stderr (the seeding handlers' logs) into ``path`` for a while."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "ab") as fh:
        os.dup2(fh.fileno(), 1)
        os.dup2(fh.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def _last_error(log: Path | None) -> str:
    """The last error line a failed function logged (its whole output stays in the log)."""
    if log is None or not log.exists():
        return ""
    lines = [ln for ln in log.read_text(encoding="utf-8", errors="replace").splitlines() if "Error" in ln]
    if not lines:
        return f" (output: {log})"
    last = lines[-1]
    with suppress(ValueError, AttributeError):
        last = json.loads(last).get("exception", last).strip().splitlines()[-1]
    return f": {last[-240:]} (output: {log})"


def events_of(fn: FunctionDef) -> list[Path]:
    return sorted((ROOT / "events" / fn.domain).glob(f"{fn.name}*.json"))


def reset_stage(endpoint: str) -> None:
    """Empty moto and create the stage's resources again, as on a fresh stage."""
    from khaya.aws import reset_clients
    from khaya.config import reset_settings
    from khaya.secrets import reset_secrets
    from local.resources import create_resources

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()
    create_resources(endpoint_url=endpoint)
    reset_settings()
    reset_clients()
    reset_secrets()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.artifacts", description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, required=True, help="sam build output for this machine")
    parser.add_argument("--runtime-dir", type=Path, required=True, help="the boto3 the Lambda runtime ships")
    parser.add_argument("--python", default=sys.executable, help="a Python 3.12 interpreter (not a venv's packages)")
    parser.add_argument("--only", nargs="+", metavar="LOGICAL_ID")
    args = parser.parse_args(argv)
    args.build_dir, args.runtime_dir = args.build_dir.resolve(), args.runtime_dir.resolve()

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from local.aws_calls import Call
    from local.event_seeds import SEEDS, World, expected, outcome
    from local.gateway import base_environment, worker_specs
    from local.iam import check, report, template_policies
    from local.intrinsics import Resolver
    from local.moto_server import AtomicMotoServer
    from local.resources import local_environment, local_settings
    from local.runtime import FunctionError, Worker
    from local.secrets_extension import SecretsExtension

    template = load_template()
    fns = [fn for fn in functions(template) if not args.only or fn.logical_id in args.only]
    moto = AtomicMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{moto.get_host_and_port()[1]}"
    # This process seeds through the source handlers; the artifacts run in their own processes.
    plumbing = {**base_environment(endpoint), **local_settings()}
    table = Resolver(template).ref("Table")
    os.environ.update({**plumbing, **local_environment(), "STAGE": "local", "TABLE_NAME": table})
    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL_") or k == "AWS_PROFILE"]:
        del os.environ[key]
    # The payment functions' providers are the local payment simulator, as under `make run`.
    from local.payment_simulator import serve
    from local.resources import payment_parameters

    simulator, simulator_url = serve()
    # ... and the seeds' too (a checkout, a payout account, a transfer): they run the source handlers here.
    urls = payment_parameters(simulator_url)
    os.environ.update({"PAYSTACK_API_URL": urls["PaystackApiUrl"], "STRIPE_API_URL": urls["StripeApiUrl"]})
    outcomes: list[Outcome] = []
    calls: list[Call] = []
    # The functions read secrets as deployed, over HTTP from the extension (here its stand-in).
    extension = SecretsExtension(
        endpoint, "af-south-1", functions={fn.logical_id for fn in fns}, on_calls=lambda c: calls.extend(map(tuple, c))
    )
    port = extension.start()
    parameters = {**payment_parameters(simulator_url), "SecretsExtensionHttpPort": str(port)}
    specs = worker_specs(Resolver(template, parameters), plumbing, record_calls=True)

    logs = args.build_dir.parent / f"{args.build_dir.name}-logs"  # each function's output, for failures
    logs.mkdir(exist_ok=True)
    try:
        for fn in fns:
            code_dir = args.build_dir / fn.logical_id
            layers = [args.build_dir / lid / "python" for lid in fn.layers]
            path = lambda_sys_path(args.python, code_dir, layers, args.runtime_dir)
            for event_file in events_of(fn):
                name = str(event_file.relative_to(ROOT / "events"))
                reset_stage(endpoint)
                entry = SEEDS.get(name)
                event = json.loads(event_file.read_text(encoding="utf-8"))
                try:
                    with _output_to(logs / "seeds.log"):
                        world = World()
                        for bind in entry.seed(world) if entry else []:
                            event = bind(event)
                except Exception as exc:  # a seed that no longer works is a failure to see
                    outcomes.append(Outcome(fn.logical_id, name, "seed failed", False, 0, repr(exc)[:300]))
                    continue
                spec = specs(fn)
                spec.code_dir, spec.exact_path, spec.layer_dirs = code_dir, path, []
                spec.python = [args.python, "-I", "-S", "-B"]  # no site-packages, no PYTHON*, no .pyc writes
                spec.log_path = logs / f"{fn.logical_id}.log"
                spec.log_path.unlink(missing_ok=True)
                worker = Worker(spec)
                started = time.perf_counter()
                try:
                    result = worker.invoke(event)
                    got, server_error = outcome(result)
                    want = entry.expectation(event) if entry else "< 500"
                    ok = not server_error and (entry is None or expected(got, want))
                    detail = "" if ok else f"expected {want}"
                except FunctionError as exc:
                    got, ok, detail = ("import error" if exc.init else "error"), False, str(exc)[:300]
                finally:
                    calls += [tuple(c) for c in worker.calls]  # type: ignore[misc]
                    worker.stop()
                if not ok:
                    detail += _last_error(spec.log_path)
                outcomes.append(Outcome(fn.logical_id, name, got, ok, (time.perf_counter() - started) * 1000, detail))
    finally:
        extension.stop()
        moto.stop()
        simulator.shutdown()

    width = max(len(o.event) for o in outcomes) if outcomes else 10
    for o in outcomes:
        mark = "ok  " if o.ok else "FAIL"
        print(f"{mark} {o.event:<{width}} {o.function:<30} {o.got:<12} {o.ms:6.0f} ms  {o.detail}")
    roles = template_policies()
    denied, _ = check(calls, roles)
    for line in report(denied, [], functions=len({c[0] for c in calls}), total=len(roles)):
        print(line)
    failed = [o for o in outcomes if not o.ok]
    print(
        f"{len(outcomes)} events of {len(fns)} functions against {args.build_dir}: "
        f"{len(outcomes) - len(failed)} ok, {len(failed)} failed, {len(denied)} call(s) the role would refuse"
    )
    return 1 if failed or denied else 0


if __name__ == "__main__":
    raise SystemExit(main())
