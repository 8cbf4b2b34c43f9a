"""The baseline every function is measured against: a bare Lambda handler.

Only boto3, a client made at module level, and the DynamoDB calls the real function made
for the same event (a function that made none is compared with a handler that imports
nothing at all) (recorded by ``bench.child.CallCounter`` and replayed from the JSON file
named by ``BENCH_REPLAY``: ``[{"method": "get_item", "params": {...}}, ...]``), then an API
Gateway response dict. No framework, no validation, no logging: whatever the real
function costs beyond this is the price of the framework and of the code around the calls.
"""

import base64
import contextlib
import json
import os


def _decode(value):  # type: ignore[no-untyped-def]
    if isinstance(value, dict):
        if set(value) == {"__b64__"}:
            return base64.b64decode(value["__b64__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _load(path):  # type: ignore[no-untyped-def]
    if not path:
        return []
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


_REPLAY = _load(os.environ.get("BENCH_REPLAY"))
if _REPLAY:  # a route that makes no DynamoDB call is compared with a handler that imports nothing
    import boto3

    _client = boto3.client("dynamodb")
    _CALLS = [(getattr(_client, c["method"]), _decode(c["params"])) for c in _REPLAY]
    _ERRORS: tuple[type[Exception], ...] = (_client.exceptions.ClientError,)
else:
    _CALLS, _ERRORS = [], ()


def handler(event, context):  # type: ignore[no-untyped-def]
    for call, params in _CALLS:
        # A replayed conditional write may fail the second time: the round trip is what counts.
        with contextlib.suppress(*_ERRORS):
            call(**params)
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"status": "ok"}),
        "isBase64Encoded": False,
    }
