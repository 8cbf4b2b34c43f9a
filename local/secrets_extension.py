"""A stand-in for the AWS Parameters and Secrets Lambda Extension's HTTP API (never deployed).

Deployed, every function that reads a secret has AWS's extension attached and asks it over
HTTP (``khaya.secrets``). Locally the gateway and the bench serve this stand-in on a free
loopback port and give its port to the function processes as
``PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`` (the template parameter ``SecretsExtensionHttpPort``),
so they run the deployed code path.

What it keeps of the extension: ``GET /secretsmanager/get?secretId=<name or ARN>`` with the
header ``X-Aws-Parameters-Secrets-Token`` set to the caller's ``AWS_SESSION_TOKEN``; a missing
or unknown token is refused (401), an unknown secret is a 400, a value comes back as
Secrets Manager's ``GetSecretValue`` answer (JSON), read from the local stage's Secrets
Manager (moto's server). What it leaves out: it caches nothing, so a rotated value is seen
at once (the real extension keeps one for up to ``SECRETS_MANAGER_TTL``, 300 s by default).

The session token says which function asks, as on AWS, where the extension calls Secrets
Manager with that function's role: each local function process gets its own token
(``session_token(logical_id)``), and each read is recorded as that function's
``secretsmanager:GetSecretValue`` call, so the IAM check still holds every secret read
against the reading function's policy.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

TOKEN_HEADER = "X-Aws-Parameters-Secrets-Token"
PORT_VARIABLE = "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"
_TOKEN_PREFIX = "local-session-"


def session_token(logical_id: str) -> str:
    """The ``AWS_SESSION_TOKEN`` a local function process gets: it names the function."""
    return f"{_TOKEN_PREFIX}{logical_id}"


class SecretsExtension:
    """``with SecretsExtension(endpoint_url, region) as port: ...``

    ``functions``: the logical ids whose tokens are accepted (``None``: any non-empty token,
    attributed to no function). ``on_calls``: receives ``[[function, action, resource, via]]``
    for each read by a known function (the gateway's call log).
    """

    def __init__(
        self,
        endpoint_url: str,
        region: str,
        *,
        functions: set[str] | None = None,
        on_calls: Callable[[list[list[str]]], None] | None = None,
    ) -> None:
        import boto3

        # Its own fake credentials: the process that serves it may set the stage's only later,
        # and a client resolves its credentials when it is made.
        self._sm = boto3.client(
            "secretsmanager",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        self._lock = threading.Lock()  # one botocore client, shared by the server's threads
        self.region = region
        self.functions = functions
        self.on_calls = on_calls
        self.reads = 0
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ the HTTP API
    def caller(self, token: str | None) -> tuple[bool, str | None]:
        """(accepted, function logical id or None)."""
        if not token:
            return False, None
        if self.functions is None:
            return True, None
        logical_id = token[len(_TOKEN_PREFIX) :] if token.startswith(_TOKEN_PREFIX) else ""
        return (logical_id in self.functions), logical_id or None

    def get(self, secret_id: str, token: str | None) -> tuple[int, dict[str, Any]]:
        accepted, fn = self.caller(token)
        if not accepted:
            return 401, {"message": "missing or invalid X-Aws-Parameters-Secrets-Token"}
        if not secret_id:
            return 400, {"message": "secretId is required"}
        if fn and self.on_calls is not None:
            from local.aws_calls import secret_arn

            self.on_calls([[fn, "secretsmanager:GetSecretValue", secret_arn(secret_id, self.region), "call"]])
        from botocore.exceptions import ClientError

        try:
            with self._lock:
                found = self._sm.get_secret_value(SecretId=secret_id)
        except ClientError as exc:
            return 400, {"message": str(exc.response.get("Error", {}).get("Code", "error"))}
        self.reads += 1
        keep = ("ARN", "Name", "VersionId", "SecretString", "SecretBinary", "VersionStages", "CreatedDate")
        return 200, {k: found[k] for k in keep if k in found}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        extension = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path.rstrip("/") != "/secretsmanager/get":
                    self._answer(404, {"message": "not found"})
                    return
                secret_id = (parse_qs(url.query).get("secretId") or [""])[0]
                self._answer(*extension.get(secret_id, self.headers.get(TOKEN_HEADER)))

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body, default=str).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return  # no line per read: values never reach a log

        return Handler

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> int:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="secrets-extension", daemon=True).start()
        return int(self._server.server_address[1])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> int:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
