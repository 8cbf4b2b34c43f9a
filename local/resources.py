"""Create the AWS resources a stage needs locally: the table (from template.yaml), secrets, buckets.

Used by the local gateway (against moto's server) and by the tests (in-process moto), so
both get the same resources. Each secret is generated fresh: nothing secret is in the repo.
"""

from __future__ import annotations

import os
import secrets as pysecrets
from collections.abc import Callable
from typing import Any

from local.cfn import table_create_kwargs, ttl_attribute


def _random_key() -> str:
    return pysecrets.token_urlsafe(48)


_jwt_pair: list[tuple[str, str, str]] = []


def _jwt_private_key() -> str:
    """A fresh ES256 signing key; the public-key secret below is generated from the same pair."""
    from khaya.identity.jwt_keys import new_key_pair, private_key_document

    _jwt_pair[:] = [new_key_pair()]
    kid, private_pem, _ = _jwt_pair[0]
    return private_key_document(kid, private_pem)


def _jwt_public_keys() -> str:
    import json

    if not _jwt_pair:
        _jwt_private_key()
    kid, _, public_pem = _jwt_pair[0]
    return json.dumps({"keys": {kid: public_pem}})


# The local stage's provider secrets are fixed, published values (API.md), so anyone can sign
# a test webhook by hand; every other stage reads real ones from Secrets Manager.
LOCAL_PAYSTACK_SECRET_KEY = "sk_test_khaya_local"
LOCAL_STRIPE_WEBHOOK_SECRET = "whsec_khaya_local"


def _local_paystack() -> str:
    import json

    return json.dumps({"secretKey": LOCAL_PAYSTACK_SECRET_KEY})


def _local_stripe() -> str:
    import json

    return json.dumps({"secretKey": "sk_test_khaya_local_stripe", "webhookSecrets": [LOCAL_STRIPE_WEBHOOK_SECRET]})


# Published in API.md (Local stage): anyone can sign a local Twilio status callback by hand.
LOCAL_TWILIO_AUTH_TOKEN = "khaya_local_twilio_token"


def _fake_twilio() -> str:
    import json

    return json.dumps({"accountSid": "AC" + pysecrets.token_hex(16), "authToken": LOCAL_TWILIO_AUTH_TOKEN})


# env var carrying the secret's name → (default name, how to generate a local value).
# Features that need a secret add a line here and the matching resource in template.yaml.
SECRETS: dict[str, tuple[str, Callable[[], str]]] = {
    "CURSOR_SECRET_NAME": ("khaya/local/cursor-key", _random_key),
    # identity: OTP pepper, JWT signing key (auth functions only) and its public half (authorizer)
    "OTP_PEPPER_SECRET_NAME": ("khaya/local/otp-pepper", _random_key),
    "JWT_PRIVATE_KEY_SECRET_NAME": ("khaya/local/jwt-private-key", _jwt_private_key),
    "JWT_PUBLIC_KEYS_SECRET_NAME": ("khaya/local/jwt-public-keys", _jwt_public_keys),
    "TWILIO_SECRET_NAME": ("khaya/local/twilio", _fake_twilio),
    # payments: the local payment simulator signs with these
    "PAYSTACK_SECRET_NAME": ("khaya/local/paystack", _local_paystack),
    "STRIPE_SECRET_NAME": ("khaya/local/stripe", _local_stripe),
}

# Non-secret settings only the local stage has (never set by a STAGE check in code). Every
# local function gets them, as if the template set them for the local stage; the same name
# in the environment `make run` starts in overrides the value.
LOCAL_SETTINGS: dict[str, str] = {
    "MESSAGING_BACKEND": "outbox",  # WhatsApp/SMS become items served at GET /_dev/outbox
    "OTP_SENDS_PER_IP_PER_HOUR": "1000",  # every local client is 127.0.0.1
    "AI_BACKEND": "local",  # no Bedrock: the deterministic local methods answer, labelled "fallback"
    "AI_DAILY_QUOTA": "1000",  # one developer (or bench) is every user
    "AI_SEARCH_DAILY_QUOTA": "5000",
    "OUTBOX_FAIL_WHATSAPP": "",  # E.164 numbers whose WhatsApp "fails" (watch the SMS fallback)
}


def local_parameters(port: int, extension_port: int | None = None) -> dict[str, str]:
    """Template parameters the local stage sets, as ``sam deploy --parameter-overrides`` would:
    the public URL Twilio status callbacks are signed against is the local gateway's, the
    payment providers are its simulator, and the secrets extension's port is its local
    stand-in's (``local/secrets_extension.py``)."""
    api_url = f"http://127.0.0.1:{port}"
    params = {"TwilioStatusCallbackUrl": f"{api_url}/v1/webhooks/twilio/status", **payment_parameters(api_url)}
    if extension_port is not None:
        params["SecretsExtensionHttpPort"] = str(extension_port)
    return params


def payment_parameters(api_url: str) -> dict[str, str]:
    """The payment providers are the simulator served at ``api_url`` (``local.payment_simulator``)."""
    return {
        "PaystackApiUrl": f"{api_url}/_dev/paystack",
        "StripeApiUrl": f"{api_url}/_dev/stripe",
        "CheckoutReturnUrl": f"{api_url}/_dev/pay/done",
        "PayoutRetryBaseSeconds": "2",
    }


def local_settings() -> dict[str, str]:
    """``LOCAL_SETTINGS``, each overridable from this process's environment."""
    return {name: os.environ.get(name, default) for name, default in LOCAL_SETTINGS.items()}


# env var carrying a bucket's name → the template's bucket resource (created empty on moto).
BUCKETS: dict[str, str] = {
    "MEDIA_BUCKET": "MediaBucket",
}


def _bucket_name(logical_id: str) -> str:
    """The bucket's name as the template gives it for the local stage."""
    from local.cfn import load_template
    from local.intrinsics import Resolver

    return Resolver(load_template()).ref(logical_id)


def local_environment() -> dict[str, str]:
    """Every secret and bucket name and local setting, for a process that calls the services
    directly (the gateway's own, a test, a seed). Functions never get this: each gets only
    what its template entry sets (``local.lambda_env``)."""
    env = {**{name: default for name, (default, _) in SECRETS.items()}, **LOCAL_SETTINGS}
    env.update({name: _bucket_name(logical_id) for name, logical_id in BUCKETS.items()})
    return env


def create_resources(
    endpoint_url: str | None = None,
    table_name: str | None = None,
    dynamodb_url: str | None = None,
    *,
    table_stream: bool = True,
) -> dict[str, Any]:
    """Create the table (from the template, with TTL) and every secret; return their names.

    ``endpoint_url`` serves every service, unless ``dynamodb_url`` names DynamoDB's own.
    ``table_stream=False`` leaves the table's stream out (the bench: moto copies every stream
    record into each transaction's rollback copy, which grows without bound)."""
    import boto3

    kw: dict[str, Any] = {"region_name": os.environ.get("AWS_DEFAULT_REGION", "af-south-1")}
    if endpoint_url:
        kw["endpoint_url"] = endpoint_url
    ddb = boto3.client("dynamodb", **{**kw, **({"endpoint_url": dynamodb_url} if dynamodb_url else {})})
    name = table_name or os.environ.get("TABLE_NAME", "khaya-local")
    table = table_create_kwargs(table_name=name)
    if not table_stream:
        table.pop("StreamSpecification", None)
    ddb.create_table(**table)
    ttl = ttl_attribute()
    if ttl:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl})
    sm = boto3.client("secretsmanager", **kw)
    for env_name, (default, generate) in SECRETS.items():
        sm.create_secret(Name=os.environ.get(env_name, default), SecretString=generate())
    s3 = boto3.client("s3", **kw)
    for env_name, logical_id in BUCKETS.items():
        s3.create_bucket(
            Bucket=os.environ.get(env_name) or _bucket_name(logical_id),
            CreateBucketConfiguration={"LocationConstraint": kw["region_name"]},
        )
    create_queues(boto3.client("sqs", **kw))
    return {"table": name}


def create_queues(sqs: Any) -> dict[str, str]:
    """Every ``AWS::SQS::Queue`` of the template, with its attributes (FIFO, visibility
    timeout, redrive policy to its dead-letter queue...), dead-letter queues first; their URLs
    by logical id."""
    import json

    from local.cfn import load_template
    from local.intrinsics import Resolver

    template = load_template()
    resolver = Resolver(template)
    queues = {
        lid: res.get("Properties") or {}
        for lid, res in template["Resources"].items()
        if res["Type"] == "AWS::SQS::Queue"
    }
    urls: dict[str, str] = {}
    for lid, props in sorted(queues.items(), key=lambda q: "RedrivePolicy" in q[1]):
        attributes: dict[str, str] = {}
        for key, raw in props.items():
            if key in ("QueueName", "Tags"):
                continue
            value = resolver.resolve(raw)
            attributes[key] = (
                json.dumps(value)
                if isinstance(value, dict)
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
        urls[lid] = sqs.create_queue(QueueName=resolver.ref(lid), Attributes=attributes)["QueueUrl"]
    return urls
