"""Record every AWS call a function makes as IAM sees it: the action and the resource ARN.

``install()`` hooks every botocore client created afterwards in this process. botocore
emits ``provide-client-params.<service>.<Operation>`` with the caller's parameters once per
API call, and also when a URL is presigned (``generate_presigned_url``): a presigned URL
makes no call here, but whoever uses it acts with the function's credentials, so its role
must allow the action all the same. ``generate_presigned_post`` emits only a stand-in
``CreateBucket``; it is wrapped on each S3 client and recorded as ``s3:PutObject`` on the
key it allows.

Each call also carries the request context IAM evaluates conditions on, where this module
models it: ``dynamodb:LeadingKeys`` (the partition key values an item call, a batch, a
transaction's item or a query names) and ``s3:prefix`` (a listing's prefix). A Scan names
no partition key, as on AWS.

Calls are attributed to the function whose invocation is running in the current context
(``attributed(logical_id)``); calls made outside any invocation (a test seeding the table,
the gateway's stream poller) are not recorded.

Only the standard library and botocore are used, so the local function processes
(``local.runtime``) load this file by path without putting ``local`` on their ``sys.path``.
"""

from __future__ import annotations

import contextvars
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

ACCOUNT = "123456789012"  # the local stage's (and moto's) account id
# A file the local gateway appends every recorded call to (one JSON list per line), when set.
RECORD_CALLS_VAR = "KHAYA_RECORD_AWS_CALLS"
SECRET_SUFFIX = "-Lcl0a1"  # Secrets Manager appends 6 random characters to a secret's ARN

_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("khaya_function", default=None)

# (function, action, resource ARN or "*", "call" | "presigned", condition context as JSON)
Call = tuple[str, str, str, str, str]
Request = tuple[str, str, dict[str, list[str]]]  # (action, resource, condition context)

# ---------------------------------------------------------------------- what IAM checks


def _table_arn(name: str, region: str) -> str:
    return name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}"


def secret_arn(secret_id: str, region: str) -> str:
    """A secret named ``name`` (or given by a partial ARN) as its full ARN."""
    if secret_id.startswith("arn:"):
        name = secret_id.split(":secret:", 1)[1]
        has_suffix = len(name) > 7 and name[-7] == "-"
        return secret_id if has_suffix else secret_id + SECRET_SUFFIX
    return f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{secret_id}{SECRET_SUFFIX}"


# The local messaging stand-in (``MESSAGING_BACKEND=outbox``) keeps what it "sends" in the table
# under this prefix. Deployed, those messages go to Twilio over HTTPS: the writes are the
# provider's, not calls the function's role makes.
_OUTBOX_PREFIX = "OUTBOX#"


def _local_outbox(params: dict[str, Any]) -> bool:
    pk = ((params.get("Item") or params.get("Key") or {}).get("pk") or {}).get("S", "")
    return str(pk).startswith(_OUTBOX_PREFIX)


_PARTITION_KEYS = ("pk", "gsi1pk", "gsi2pk")


def _leading(key: dict[str, Any] | None) -> dict[str, list[str]]:
    value = ((key or {}).get("pk") or {}).get("S")
    return {"dynamodb:LeadingKeys": [str(value)]} if value is not None else {}


def _query_leading(params: dict[str, Any]) -> dict[str, list[str]]:
    """The partition key value a Query names (``<partition key> = :v`` in its key condition)."""
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    for left, right in re.findall(r"([#\w]+)\s*=\s*(:\w+)", str(params.get("KeyConditionExpression") or "")):
        if names.get(left, left) in _PARTITION_KEYS and "S" in (values.get(right) or {}):
            return {"dynamodb:LeadingKeys": [str(values[right]["S"])]}
    # Every Query names its partition on AWS: one this module cannot read must not pass a
    # LeadingKeys condition by naming none (ForAllValues holds for an empty set).
    return {"dynamodb:LeadingKeys": ["<unparsed>"]}


def _dynamodb(op: str, params: dict[str, Any], region: str) -> list[Request]:
    if op == "TransactWriteItems":
        kinds = {
            "Put": "PutItem",
            "Update": "UpdateItem",
            "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem",
        }
        return [
            (
                f"dynamodb:{kinds[kind]}",
                _table_arn(spec["TableName"], region),
                _leading(spec.get("Item") or spec.get("Key")),
            )
            for item in params.get("TransactItems", [])
            for kind, spec in item.items()
            if kind in kinds
        ]
    if op == "TransactGetItems":
        gets = params.get("TransactItems", [])
        return [
            ("dynamodb:GetItem", _table_arn(i["Get"]["TableName"], region), _leading(i["Get"]["Key"])) for i in gets
        ]
    if op in ("BatchGetItem", "BatchWriteItem"):
        out: list[Request] = []
        for table, spec in params.get("RequestItems", {}).items():
            if op == "BatchGetItem":
                keys = list(spec.get("Keys", []))
            else:
                keys = [
                    (w.get("PutRequest") or {}).get("Item") or (w.get("DeleteRequest") or {}).get("Key") for w in spec
                ]
            pks = sorted({v for k in keys for v in _leading(k).get("dynamodb:LeadingKeys", [])})
            out.append((f"dynamodb:{op}", _table_arn(table, region), {"dynamodb:LeadingKeys": pks} if pks else {}))
        return out
    if _local_outbox(params):
        return []
    if "TableName" in params:
        arn = _table_arn(params["TableName"], region)
        if params.get("IndexName"):
            arn += f"/index/{params['IndexName']}"
        context = _query_leading(params) if op == "Query" else _leading(params.get("Key") or params.get("Item"))
        return [(f"dynamodb:{op}", arn, context)]
    if "StreamArn" in params:
        return [(f"dynamodb:{op}", params["StreamArn"], {})]
    return [(f"dynamodb:{op}", "*", {})]


_S3_ACTIONS = {
    "HeadObject": "GetObject",
    "ListObjectsV2": "ListBucket",
    "ListObjects": "ListBucket",
    "HeadBucket": "ListBucket",
}


def _s3(op: str, params: dict[str, Any], region: str) -> list[tuple[str, str]]:
    bucket = params.get("Bucket", "")
    if op == "DeleteObjects":
        keys = [o["Key"] for o in (params.get("Delete") or {}).get("Objects", [])]
        return [("s3:DeleteObject", f"arn:aws:s3:::{bucket}/{k}") for k in keys]
    if op == "CopyObject":
        src = params.get("CopySource")
        source = f"{src['Bucket']}/{src['Key']}" if isinstance(src, dict) else str(src).lstrip("/").split("?")[0]
        return [("s3:GetObject", f"arn:aws:s3:::{source}"), ("s3:PutObject", f"arn:aws:s3:::{bucket}/{params['Key']}")]
    action = f"s3:{_S3_ACTIONS.get(op, op)}"
    if "Key" in params:
        return [(action, f"arn:aws:s3:::{bucket}/{params['Key']}")]
    return [(action, f"arn:aws:s3:::{bucket}")]


# SQS has no IAM action of its own for a batch call: the single message's action authorises it.
_SQS_ACTIONS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def _sqs(op: str, params: dict[str, Any], region: str) -> list[tuple[str, str]]:
    op = _SQS_ACTIONS.get(op, op)
    if "QueueUrl" in params:
        parts = urlparse(params["QueueUrl"]).path.strip("/").split("/")
        account, name = (parts[0], parts[1]) if len(parts) >= 2 else (ACCOUNT, parts[-1])
        return [(f"sqs:{op}", f"arn:aws:sqs:{region}:{account}:{name}")]
    if "QueueName" in params:
        return [(f"sqs:{op}", f"arn:aws:sqs:{region}:{ACCOUNT}:{params['QueueName']}")]
    return [(f"sqs:{op}", "*")]


def _bedrock(op: str, params: dict[str, Any], region: str) -> list[tuple[str, str]]:
    model = str(params.get("modelId", "*"))
    action = "bedrock:InvokeModelWithResponseStream" if op.endswith("Stream") else "bedrock:InvokeModel"
    if model.startswith("arn:"):
        return [(action, model)]
    if model.split(".", 1)[0] in ("us", "eu", "apac", "global", "jp", "au"):
        return [(action, f"arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{model}")]
    return [(action, f"arn:aws:bedrock:{region}::foundation-model/{model}")]


def _named(prefix: str, kind: str, key: str) -> Any:
    def build(op: str, params: dict[str, Any], region: str) -> list[tuple[str, str]]:
        value = params.get(key)
        if not value:
            return [(f"{prefix}:{op}", "*")]
        value = str(value)
        arn = value if value.startswith("arn:") else f"arn:aws:{prefix}:{region}:{ACCOUNT}:{kind}{value}"
        return [(f"{prefix}:{op}", arn)]

    return build


def _ssm(op: str, params: dict[str, Any], region: str) -> list[tuple[str, str]]:
    names = params.get("Names") or ([params["Name"]] if "Name" in params else [])
    if "Path" in params:
        names = [params["Path"]]
    arn = f"arn:aws:ssm:{region}:{ACCOUNT}:parameter"
    return [(f"ssm:{op}", f"{arn}{n if n.startswith('/') else '/' + n}") for n in names] or [(f"ssm:{op}", "*")]


def _events(op: str, params: dict[str, Any], region: str) -> list[tuple[str, str]]:
    buses = {e.get("EventBusName") or "default" for e in params.get("Entries", [])} or {"default"}
    return [
        (f"events:{op}", b if b.startswith("arn:") else f"arn:aws:events:{region}:{ACCOUNT}:event-bus/{b}")
        for b in sorted(buses)
    ]


_BY_PREFIX = {
    "dynamodb": _dynamodb,
    "s3": _s3,
    "sqs": _sqs,
    "bedrock": _bedrock,
    "secretsmanager": lambda op, p, r: [(f"secretsmanager:{op}", secret_arn(p["SecretId"], r))],
    "sns": lambda op, p, r: [(f"sns:{op}", p.get("TopicArn") or p.get("TargetArn") or "*")],
    "lambda": _named("lambda", "function:", "FunctionName"),
    "kms": _named("kms", "key/", "KeyId"),
    "ssm": _ssm,
    "events": _events,
}


def requests_with_context(prefix: str, operation: str, params: dict[str, Any], region: str) -> list[Request]:
    """(action, resource ARN, condition context) IAM evaluates for one call; ``"*"`` where the
    resource is not modelled here (then only the action is checked)."""
    build = _BY_PREFIX.get(prefix)
    if build is None:
        return [(f"{prefix}:{operation}", "*", {})]
    try:
        found = list(build(operation, params, region))
    except (KeyError, TypeError, IndexError):
        return [(f"{prefix}:{operation}", "*", {})]
    out: list[Request] = []
    for request in found:
        if len(request) == 3:
            out.append(request)  # type: ignore[arg-type]
            continue
        action, resource = request
        context = {"s3:prefix": [str(params["Prefix"])]} if action == "s3:ListBucket" and "Prefix" in params else {}
        out.append((action, resource, context))
    return out


def iam_requests(prefix: str, operation: str, params: dict[str, Any], region: str) -> list[tuple[str, str]]:
    """(action, resource ARN) pairs IAM evaluates for one call (``requests_with_context``
    without the context)."""
    return [(action, resource) for action, resource, _ in requests_with_context(prefix, operation, params, region)]


# ---------------------------------------------------------------------- the recorder


class Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: set[Call] = set()

    # attribution ----------------------------------------------------------------
    @staticmethod
    @contextmanager
    def attributed(logical_id: str) -> Iterator[None]:
        token = _function.set(logical_id)
        try:
            yield
        finally:
            _function.reset(token)

    def add(self, prefix: str, operation: str, params: dict[str, Any], region: str, via: str) -> None:
        fn = _function.get()
        if fn is None:
            return
        found = {
            (fn, action, res, via, json.dumps(context, sort_keys=True))
            for action, res, context in requests_with_context(prefix, operation, params, region)
        }
        with self._lock:
            self._calls |= found

    def drain(self) -> list[Call]:
        with self._lock:
            out = sorted(self._calls)
            self._calls.clear()
        return out

    def snapshot(self) -> list[Call]:
        with self._lock:
            return sorted(self._calls)

    # hooks ----------------------------------------------------------------------
    def _on_params(self, params: dict[str, Any], model: Any, context: dict[str, Any] | None = None, **_: Any) -> None:
        presign = bool((context or {}).get("is_presign_request"))
        if presign and model.name == "CreateBucket":
            return  # generate_presigned_post's stand-in operation: recorded by its wrapper
        prefix = model.service_model.signing_name or model.service_model.endpoint_prefix
        region = (context or {}).get("client_region") or self._region
        self.add(prefix, model.name, params, region, "presigned" if presign else "call")

    _region = "af-south-1"

    def attach(self, client: Any) -> Any:
        region = client.meta.region_name or self._region
        recorder = self

        def on_params(params: dict[str, Any], model: Any, context: dict[str, Any] | None = None, **kw: Any) -> None:
            recorder._on_params(params, model, {**(context or {}), "client_region": region}, **kw)

        client.meta.events.register("provide-client-params.*.*", on_params)
        if client.meta.service_model.service_name == "s3":
            original = client.generate_presigned_post

            def generate_presigned_post(Bucket: str, Key: str, *args: Any, **kwargs: Any) -> Any:
                recorder.add("s3", "PutObject", {"Bucket": Bucket, "Key": Key}, region, "presigned")
                return original(Bucket, Key, *args, **kwargs)

            client.generate_presigned_post = generate_presigned_post
        return client

    def install(self) -> None:
        """Hook every botocore client created from now on in this process."""
        import botocore.session

        original = botocore.session.Session.create_client
        recorder = self

        def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
            return recorder.attach(original(session, *args, **kwargs))

        botocore.session.Session.create_client = create_client  # type: ignore[method-assign]


_recorder: Recorder | None = None
_install_lock = threading.Lock()


def recorder() -> Recorder:
    """This process's recorder, installed on first use (clients created before are not hooked)."""
    global _recorder
    with _install_lock:
        if _recorder is None:
            _recorder = Recorder()
            _recorder.install()
    return _recorder


def attributed(logical_id: str) -> Any:
    """Attribute the AWS calls made in this context to ``logical_id`` (its invocation)."""
    return Recorder.attributed(logical_id)
