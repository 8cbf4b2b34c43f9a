"""The local API: every route of template.yaml on http://127.0.0.1:3000, no Docker, no AWS.

``python -m local.gateway [--port 3000] [--template template.yaml]``

* DynamoDB is AWS's own engine, DynamoDB Local (``local.dynamodb_local``), on a free loopback
  port; moto's server serves Secrets Manager, S3 and SQS. Every boto3 client in the process
  reaches them through botocore's ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_DYNAMODB`` (fake
  credentials, region af-south-1), so handler code has no local branch. Without Java, moto
  serves DynamoDB too (one warning line). The table and secrets are created as on a fresh
  stage; ``--seed-jobs N`` loads a demo data set (``local.seed``); state lives in memory.
* Requests are matched against the template's HttpApi events (static paths before
  parameterised ones, ``$default`` for everything else), turned into the HTTP API v2
  event, authorised by the template's Lambda authorizer for non-public routes, and served
  by the function's handler from a pool of warm "containers": processes of that function
  alone, each with exactly the environment its template entry gives it (``local.runtime``).
* Table stream consumers run from moto's stream (``local.streams``); queue consumers from
  moto's SQS (``local.queues``).
* ``/_dev/...`` routes (``local.dev_routes``) exist only here.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from local import dev_routes
from local.aws_calls import RECORD_CALLS_VAR
from local.cfn import ROOT, TEMPLATE, FunctionDef, Route, functions, layer_dirs, load_template
from local.dynamodb_local import MODES, EngineUnavailable, endpoint_environment, start_for_stage
from local.events import authorizer_event, http_event, match_path
from local.intrinsics import Resolver
from local.lambda_env import lambda_environment, template_variables
from local.queues import QueuePoller, queue_sources
from local.runtime import PRELOAD, CallLog, WorkerPools, WorkerSpec, Zygote
from local.secrets_extension import SecretsExtension, session_token
from local.streams import StreamPoller, stream_sources

MAX_BODY = 10 * 1024 * 1024  # HTTP API's payload limit
REGION = "af-south-1"
TABLE_NAME = "khaya-local"
JSON_TYPE = "application/json"


# ---------------------------------------------------------------------- environment
def function_environment(fns: list[FunctionDef], resolver: Resolver) -> dict[str, dict[str, str]]:
    """Each function's own template Environment (Globals + its entry), resolved: never merged,
    as on Lambda each function sees only its own."""
    return {fn.logical_id: template_variables(fn, resolver) for fn in fns}


def base_environment(endpoint_url: str) -> dict[str, str]:
    """What every local function process gets beside its template variables: fake
    credentials, the local endpoint, no developer profile. (The gateway's own process also
    gets ``STAGE`` and ``TABLE_NAME``.)"""
    return {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        # No profile, config or credentials file of the developer's can point us at real AWS.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
    }


def worker_specs(
    resolver: Resolver, plumbing: dict[str, str], *, record_calls: bool = False
) -> Callable[[FunctionDef], WorkerSpec]:
    """How to start one local environment of a function: its code folder and layers first on
    ``sys.path``, and only its own variables (the runtime's, the local plumbing, its template's)."""
    layers = layer_dirs(resolver.template)

    def spec_for(fn: FunctionDef) -> WorkerSpec:
        props = fn.properties
        # Its own session token, as on Lambda: the secrets extension's stand-in knows the caller by it.
        env = {**lambda_environment(fn, resolver, plumbing=plumbing, region=REGION)}
        env["AWS_SESSION_TOKEN"] = session_token(fn.logical_id)
        return WorkerSpec(
            logical_id=fn.logical_id,
            handler=fn.handler,
            code_dir=ROOT / fn.code_uri,
            env=env,
            layer_dirs=[layers[lid] for lid in fn.layers if lid in layers],
            memory_mb=props["MemorySize"] if isinstance(props.get("MemorySize"), int) else 256,
            timeout_s=props["Timeout"] if isinstance(props.get("Timeout"), int) else 10,
            record_calls=record_calls,
        )

    return spec_for


def apply_environment(env: dict[str, str]) -> None:
    for key in list(os.environ):
        if key == "AWS_PROFILE" or key.startswith("AWS_ENDPOINT_URL_"):
            del os.environ[key]
    os.environ.update(env)


# ---------------------------------------------------------------------- routing
@dataclass(frozen=True)
class Target:
    fn: FunctionDef
    route: Route


class RouteTable:
    def __init__(self, fns: list[FunctionDef]) -> None:
        pairs = [Target(fn, r) for fn in fns for r in fn.routes]
        self.default = next((t for t in pairs if t.route.path == "$default"), None)
        routed = [t for t in pairs if t.route.path != "$default"]
        # Static paths first, then parameterised ones with more literal segments first.
        self.static = [t for t in routed if "{" not in t.route.path]
        self.param = sorted(
            (t for t in routed if "{" in t.route.path),
            key=lambda t: (-sum("{" not in seg for seg in t.route.path.split("/")), t.route.path),
        )
        self.all = pairs

    def match(self, method: str, path: str) -> Target | None:
        for group in (self.static, self.param):
            for t in group:
                if t.route.method not in (method, "ANY"):
                    continue
                if t.route.path == path or ("{" in t.route.path and match_path(t.route.path, path) is not None):
                    return t
        return self.default

    def allowed_methods(self, path: str) -> list[str]:
        return sorted(
            {
                t.route.method
                for t in self.static + self.param
                if t.route.path == path or ("{" in t.route.path and match_path(t.route.path, path) is not None)
            }
        )

    def listing(self) -> list[dict[str, Any]]:
        return [
            {"method": t.route.method, "path": t.route.path, "function": t.fn.logical_id, "public": t.route.public}
            for t in self.all
        ]


def authorizer_function(template: dict[str, Any]) -> str | None:
    """Logical id of the function behind the HttpApi's default Lambda authorizer."""
    for res in (template.get("Resources") or {}).values():
        if res.get("Type") != "AWS::Serverless::HttpApi":
            continue
        auth = (res.get("Properties") or {}).get("Auth") or {}
        default = auth.get("DefaultAuthorizer")
        spec = (auth.get("Authorizers") or {}).get(default) or {}
        arn = spec.get("FunctionArn")
        if isinstance(arn, dict) and "Fn::GetAtt" in arn:
            return str(arn["Fn::GetAtt"][0])
    return None


def cors_config(template: dict[str, Any]) -> dict[str, str]:
    for res in (template.get("Resources") or {}).values():
        if res.get("Type") == "AWS::Serverless::HttpApi":
            cfg = (res.get("Properties") or {}).get("CorsConfiguration") or {}
            return {
                "Access-Control-Allow-Methods": ",".join(cfg.get("AllowMethods") or ["*"]),
                "Access-Control-Allow-Headers": ",".join(cfg.get("AllowHeaders") or ["*"]),
                "Access-Control-Expose-Headers": ",".join(cfg.get("ExposeHeaders") or []),
                "Access-Control-Max-Age": str(cfg.get("MaxAge", 600)),
            }
    return {}


# ---------------------------------------------------------------------- responses
@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    from_gateway: bool = False  # API Gateway's own answer: no function ran, no X-Request-Id


def gateway_message(status: int, message: str) -> Reply:
    """What HTTP API itself answers when it refuses a request (its bodies cannot be customised)."""
    body = json.dumps({"message": message}, separators=(",", ":")).encode("utf-8")
    return Reply(status, [("Content-Type", JSON_TYPE)], body, from_gateway=True)


def envelope(status: int, code: str, message: str, request_id: str, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps({"error": {"code": code, "message": message}, "requestId": request_id}, separators=(",", ":"))
    hdrs = [("Content-Type", JSON_TYPE), ("X-Request-Id", request_id), *(headers or {}).items()]
    return Reply(status, hdrs, body.encode("utf-8"))


def from_lambda(result: Any) -> Reply:
    """Map a function's result back as HTTP API (payload 2.0) does."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # No statusCode: HTTP API assumes 200 with the JSON-serialised result as the body.
        return Reply(200, [("Content-Type", JSON_TYPE)], json.dumps(result).encode("utf-8"))
    headers: list[tuple[str, str]] = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(key), str(v)) for v in values)
    headers.extend(("Set-Cookie", str(c)) for c in result.get("cookies") or [])
    body = result.get("body")
    if body is None:
        raw = b""
    elif result.get("isBase64Encoded"):
        raw = base64.b64decode(body)
    else:
        raw = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
    if not any(k.lower() == "content-type" for k, _ in headers) and raw:
        headers.append(("Content-Type", JSON_TYPE))
    return Reply(int(result["statusCode"]), headers, raw)


# ---------------------------------------------------------------------- the gateway
class Gateway:
    def __init__(
        self,
        template_path: Path,
        endpoint_url: str,
        spec_for: Callable[[FunctionDef], WorkerSpec],
        on_calls: Callable[[list[list[str]]], None] | None = None,
        zygote: Zygote | None = None,
    ) -> None:
        self.template = load_template(template_path)
        self.fns = functions(self.template)
        self.routes = RouteTable(self.fns)
        self.pools = WorkerPools(self.fns, spec_for, on_calls, zygote)
        self.authorizer_id = authorizer_function(self.template)
        self.cors = cors_config(self.template)
        self.dev = dev_routes.DevContext(endpoint_url, TABLE_NAME, self.routes.listing(), invoke=self._invoke)

    def _invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        return self.pools[logical_id].invoke(event)

    def handle(self, method: str, raw_target: str, headers: list[tuple[str, str]], body: bytes, ip: str) -> Reply:
        rid = uuid.uuid4().hex[:20]
        path_part, _, query = raw_target.partition("?")
        path = unquote(path_part, errors="replace") or "/"
        try:
            reply = self._route(method, path, query, headers, body, ip, rid)
        except Exception:
            # A gateway bug or a function that failed to start: log it here, never in the response.
            traceback.print_exc(file=sys.stderr)
            reply = gateway_message(500, "Internal Server Error")
        # CORS is open in the local stage only; deployed stages use CorsAllowedOrigins.
        present = {k.lower() for k, _ in reply.headers}
        if "access-control-allow-origin" not in present:
            reply.headers.append(("Access-Control-Allow-Origin", "*"))
        expose = self.cors.get("Access-Control-Expose-Headers")
        if expose and "access-control-expose-headers" not in present:
            reply.headers.append(("Access-Control-Expose-Headers", expose))
        if not reply.from_gateway and not any(k.lower() == "x-request-id" for k, _ in reply.headers):
            reply.headers.append(("X-Request-Id", rid))
        reply.headers.append(("apigw-requestid", rid))
        return reply

    def _route(
        self, method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes, ip: str, rid: str
    ) -> Reply:
        if method == "OPTIONS":
            # HTTP API answers preflight itself when CORS is configured, whatever the routes.
            cors = {k: v for k, v in self.cors.items() if k != "Access-Control-Expose-Headers"}
            return Reply(204, list(cors.items()), b"")
        dev = dev_routes.find(method, path)
        if dev is not None or path in dev_routes.paths():
            event = http_event(method, path, query=query, headers=headers, body=body or None, source_ip=ip)
            if dev is None:
                return envelope(405, "method_not_allowed", "This method is not allowed on this path.", rid)
            return from_lambda(dev(event, self.dev))
        target = self.routes.match(method, path)
        if target is None:
            return self._not_found(method, path, rid)
        authorizer_ctx = None
        if not target.route.public:
            auth = self._authorize(method, path, target.route.path, headers, ip, rid)
            if isinstance(auth, Reply):
                return auth
            authorizer_ctx = auth
        event = http_event(
            method,
            path,
            route_path=target.route.path,
            query=query,
            headers=headers,
            body=body or None,
            source_ip=ip,
            authorizer=authorizer_ctx,
            request_id=rid,
        )
        if target.route.path == "$default" and not target.fn.module_path.exists():
            # Until the $default function exists, the gateway answers what it would.
            return self._not_found(method, path, rid)
        return from_lambda(self.pools[target.fn.logical_id].invoke(event))

    def _not_found(self, method: str, path: str, rid: str) -> Reply:
        allowed = self.routes.allowed_methods(path)
        if allowed:
            message = "This method is not allowed on this path."
            return envelope(405, "method_not_allowed", message, rid, {"Allow": ", ".join(allowed)})
        return envelope(404, "route_not_found", "No route matches this path.", rid)

    def _authorize(
        self, method: str, path: str, route_path: str, headers: list[tuple[str, str]], ip: str, rid: str
    ) -> dict[str, Any] | Reply:
        """Run the Lambda authorizer as HTTP API does, with no cache.

        The template sets ``ReauthorizeEvery``; locally every request is authorised afresh so
        that a suspension or a logout is visible to the very next request (tests rely on it).
        What a refusal looks like is AWS's: no ``Authorization`` header is the gateway's own
        ``401 {"message": "Unauthorized"}`` without calling the authorizer; ``isAuthorized:
        false`` is ``403 {"message": "Forbidden"}``; an authorizer that fails or answers
        nonsense is ``500 {"message": "Internal Server Error"}``. The authorizer passes the
        refusals a client must act on to the function (``khaya.identity.authorizer``).
        """
        merged = {k.lower(): v for k, v in headers}
        if not merged.get("authorization"):
            return gateway_message(401, "Unauthorized")
        if self.authorizer_id is None or self.authorizer_id not in self.pools:
            return gateway_message(500, "Internal Server Error")
        event = authorizer_event(method, path, route_path, merged, ip)
        event["requestContext"]["requestId"] = rid
        try:
            result = self.pools[self.authorizer_id].invoke(event)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return gateway_message(500, "Internal Server Error")
        if not isinstance(result, dict) or not isinstance(result.get("isAuthorized"), bool):
            return gateway_message(500, "Internal Server Error")
        if not result["isAuthorized"]:
            return gateway_message(403, "Forbidden")
        context = result.get("context") or {}
        return dict(context) if isinstance(context, dict) else {}


# ---------------------------------------------------------------------- HTTP server
def make_handler_class(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each body waits ~40 ms for the client's delayed ACK

        def version_string(self) -> str:
            return "khaya-local"

        def __getattr__(self, name: str) -> Any:
            # Any method, standard or not, reaches the gateway (and so the $default route).
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:
            return  # our own one line per request, in _serve

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """Malformed request lines and the like: the error envelope, not an HTML page."""
            rid = uuid.uuid4().hex[:20]
            codes = {400: "bad_request", 413: "payload_too_large", 414: "bad_request", 431: "bad_request"}
            self.close_connection = True
            self.request_version = "HTTP/1.1"  # an unparsable line left 0.9, which would drop the headers
            reply = envelope(code, codes.get(code, "bad_request"), "The request is malformed.", rid)
            if code == 501:
                reply = envelope(400, "bad_request", "The request is malformed.", rid)
            self._write(reply, head_only=False)

        def _read_body(self) -> bytes | None:
            """The body, or ``None`` when it is over the cap (then the connection is closed)."""
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks: list[bytes] = []
                size = 0
                while True:
                    line = self.rfile.readline(1024).strip().split(b";")[0]
                    n = int(line or b"0", 16)
                    if n == 0:
                        while self.rfile.readline(1024).strip():
                            pass  # trailers
                        break
                    size += n
                    if size > MAX_BODY:
                        self.close_connection = True
                        return None
                    chunks.append(self.rfile.read(n))
                    self.rfile.readline(8)
                return b"".join(chunks)
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.close_connection = True
                return None
            return self.rfile.read(length) if length > 0 else b""

        def _serve(self) -> None:
            started = time.perf_counter()
            method = self.command.upper()
            try:
                body = self._read_body()
            except ValueError:
                self.send_error(400)
                return
            path = self.path.split("?", 1)[0]
            if body is None:
                reply = gateway_message(413, "Request Entity Too Large")  # API Gateway's own, over 10 MB
                reply.headers.append(("Connection", "close"))
            else:
                pairs = [(k, v) for k, v in self.headers.items()]
                reply = gateway.handle(method, self.path, pairs, body, self.client_address[0])
            self._write(reply, head_only=method == "HEAD")
            ms = (time.perf_counter() - started) * 1000
            # One line per request; never headers, bodies or the query string (tokens live there).
            print(f"{method} {path} {reply.status} {ms:.0f}ms", flush=True)

        def _write(self, reply: Reply, head_only: bool) -> None:
            self.send_response(reply.status)
            for key, value in reply.headers:
                if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(key, value)
            if reply.status not in (204, 304):  # RFC 9110: these never declare a length (a body is relayed as is)
                self.send_header("Content-Length", str(len(reply.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if not head_only and reply.body:
                self.wfile.write(reply.body)

    return Handler


class Server(ThreadingHTTPServer):
    # socketserver's default backlog is 5: a burst of concurrent clients (a provider's webhook
    # storm, a load test) would see connections reset instead of queued, as API Gateway never does.
    request_queue_size = 128


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_taken(port: int) -> str | None:
    """Why ``port`` cannot be served on (as the gateway's server binds it), or None when it can."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def cannot_listen(port: int, why: str | None) -> str:
    return f"cannot listen on 127.0.0.1:{port} ({why}); try PORT=<another> make run"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.gateway", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--template", type=Path, default=TEMPLATE, help="SAM template (default: template.yaml)")
    parser.add_argument("--dynamodb", choices=MODES, default="auto", help="DynamoDB Local, else moto (auto)")
    parser.add_argument("--seed-jobs", type=int, default=0, help="load a demo data set with N jobs before serving")
    args = parser.parse_args(argv)
    # Checked before anything starts: the demo data's payments are served on this port too.
    taken = port_taken(args.port) if args.port else None
    if taken:
        print(cannot_listen(args.port, taken), file=sys.stderr)
        return 1
    started = time.perf_counter()
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    # Installed first, so a Ctrl-C during start-up also ends in a clean shutdown.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from local.moto_server import AtomicMotoServer

    moto = AtomicMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{moto.get_host_and_port()[1]}"
    try:
        engine, dynamodb = start_for_stage(args.dynamodb, endpoint)
    except EngineUnavailable as exc:
        print(f"cannot start DynamoDB Local: {exc}", file=sys.stderr)
        moto.stop()
        return 1

    template_path = args.template.resolve()
    template = load_template(template_path)
    fns = functions(template)
    from local.resources import create_resources, local_environment, local_parameters

    # Calls are checked against template.yaml's policies: a stand-in template records nothing.
    record = os.environ.get(RECORD_CALLS_VAR) if template_path == TEMPLATE.resolve() else None
    call_log = CallLog(record) if record else None
    extension = SecretsExtension(endpoint, REGION, functions={fn.logical_id for fn in fns}, on_calls=call_log)
    extension_port = extension.start()
    overrides = {"Table": TABLE_NAME} if "Table" not in template.get("Resources", {}) else {}
    resolver = Resolver(template, {**overrides, **local_parameters(args.port, extension_port)})
    from local.resources import local_settings

    plumbing = {**base_environment(endpoint), **local_settings(), **endpoint_environment(dynamodb)}
    # The gateway's own process (resource creation, /_dev routes); functions get only theirs.
    own = {**plumbing, **local_environment(), "STAGE": "local", "TABLE_NAME": TABLE_NAME}
    apply_environment(own)
    create_resources(endpoint_url=endpoint, table_name=TABLE_NAME, dynamodb_url=dynamodb)
    if args.seed_jobs > 0:
        from khaya.config import reset_settings
        from local.seed import seed

        # The seed calls the services in this process, with the settings of every function.
        merged = {k: v for env in function_environment(fns, resolver).values() for k, v in env.items()}
        # ... but reads secrets with the SDK: the extension's stand-in answers function processes only.
        merged.pop("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", None)
        apply_environment({**merged, **own})
        reset_settings()
        seed(args.seed_jobs)
        for key in set(merged) - set(own):
            os.environ.pop(key, None)
        reset_settings()

    specs = worker_specs(resolver, plumbing, record_calls=bool(record))
    zygote = Zygote({"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **plumbing}, PRELOAD)
    gateway = Gateway(template_path, endpoint, specs, call_log, zygote)
    tables = {
        lid: TABLE_NAME if lid == "Table" else str(resolver.ref(lid))
        for lid, res in template.get("Resources", {}).items()
        if res.get("Type") == "AWS::DynamoDB::Table"
    }
    poller = StreamPoller(
        stream_sources(fns),
        gateway.pools,
        tables,
        endpoint_url=dynamodb,
        region=REGION,
        skip_existing=args.seed_jobs > 0,
    )
    poller.start()
    queues = QueuePoller(queue_sources(fns), gateway.pools, resolver, endpoint_url=endpoint, region=REGION)
    queues.start()
    gateway.dev.pollers = [poller, queues]  # POST /_dev/streams/settle

    dev_routes.load_extensions()
    try:
        httpd = Server(("127.0.0.1", args.port), make_handler_class(gateway))
    except OSError as exc:
        print(cannot_listen(args.port, exc.strerror), file=sys.stderr)
        poller.stop()
        queues.stop()
        gateway.pools.stop()
        extension.stop()
        moto.stop()
        if engine:
            engine.stop()
        return 1
    httpd.daemon_threads = True
    server_thread = threading.Thread(target=httpd.serve_forever, name="http", daemon=True)
    server_thread.start()

    port = httpd.server_address[1]
    engine_line = f"DynamoDB Local on {dynamodb}" if engine else "DynamoDB on moto"
    elapsed = time.perf_counter() - started
    print(f"started in {elapsed:.1f}s: {len(gateway.routes.all)} routes, {engine_line}, moto on {endpoint}")
    print(f"Khaya local API on http://127.0.0.1:{port}", flush=True)
    while not stop.wait(0.5):
        pass
    print("shutting down", flush=True)
    httpd.shutdown()
    httpd.server_close()
    poller.stop()
    queues.stop()
    gateway.pools.stop()
    extension.stop()
    moto.stop()
    if engine:
        engine.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
