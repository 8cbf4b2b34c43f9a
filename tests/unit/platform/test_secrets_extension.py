"""Secrets are read through the AWS Parameters and Secrets Lambda Extension's HTTP API.

Deployed, a function that reads a secret asks the extension on ``localhost`` with its session
token and creates no Secrets Manager client (whose service model cost 100 to 140 ms of its
first request). These tests run ``khaya.secrets`` against the local stand-in of that API
(``local/secrets_extension.py``, which the local stage, the built-artifact check and the bench
serve too), backed by moto's server, and check what a caller would notice: the value, a clean
503 when the extension cannot answer, and that each read is still one ``GetSecretValue`` of
the reading function, checked against its role.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from khaya import secrets
from khaya.config import reset_settings
from khaya.errors import ServiceUnavailable
from local.aws_calls import secret_arn
from local.cfn import functions, load_template
from local.secrets_extension import SecretsExtension, session_token

REGION = "af-south-1"
NAME = "khaya/local/ext-test"


@pytest.fixture
def stage(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """moto's server with one secret, the extension's stand-in in front of it, and this process
    set up as the function ``ListJobsFunction`` whose extension listens on the stand-in's port."""
    from local.moto_server import AtomicMotoServer

    server = AtomicMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    import urllib.request

    # moto keeps its resources per process, not per server: start from none
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()
    sm = boto3.client("secretsmanager", endpoint_url=endpoint, region_name=REGION)
    sm.create_secret(Name=NAME, SecretString="first value")
    calls: list[list[str]] = []
    extension = SecretsExtension(endpoint, REGION, functions={"ListJobsFunction"}, on_calls=calls.extend)
    port = extension.start()
    monkeypatch.setenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", str(port))
    monkeypatch.setenv("AWS_SESSION_TOKEN", session_token("ListJobsFunction"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    reset_settings()
    try:
        yield {"sm": sm, "calls": calls, "extension": extension, "port": port}
    finally:
        extension.stop()
        server.stop()


def test_a_secret_is_read_from_the_extension_without_a_secrets_manager_client(stage, monkeypatch):
    import botocore.session

    made: list[str] = []
    create = botocore.session.Session.create_client

    def spy(self, service_name, *args, **kwargs):
        made.append(service_name)
        return create(self, service_name, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", spy)
    # When the function reads its secret
    value = secrets.get_secret(NAME)
    # Then it has the value, from the extension, and made no SDK client of its own
    assert value == "first value"
    assert stage["extension"].reads == 1
    assert made == []
    # And the read is recorded as the function's own GetSecretValue (held against its role)
    assert stage["calls"] == [["ListJobsFunction", "secretsmanager:GetSecretValue", secret_arn(NAME, REGION), "call"]]


def test_a_read_value_is_kept_for_the_cache_time(stage):
    secrets.get_secret(NAME)
    stage["sm"].put_secret_value(SecretId=NAME, SecretString="second value")
    # When it is read again within SECRETS_CACHE_SECONDS
    again = secrets.get_secret(NAME)
    # Then the function answers from memory: no second round trip
    assert again == "first value" and stage["extension"].reads == 1


def test_a_fresh_read_bypasses_every_cache_after_a_rotation(stage):
    secrets.get_secret(NAME)
    stage["sm"].put_secret_value(SecretId=NAME, SecretString="rotated")
    # When the authorizer asks for a fresh value (a token names a key it has not seen)
    fresh = secrets.get_secret(NAME, fresh=True)
    # Then it gets the new value at once (the extension may keep the old one for its TTL)
    assert fresh == "rotated"
    assert secrets.get_secret(NAME) == "rotated"


def test_an_extension_that_refuses_the_caller_is_a_clean_503(stage, monkeypatch):
    # Given a session token the extension does not know
    monkeypatch.setenv("AWS_SESSION_TOKEN", "not-this-function")
    # Then reading a secret is a 503 in the error envelope, not a crash, and nothing is cached
    with pytest.raises(ServiceUnavailable) as caught:
        secrets.get_secret(NAME)
    assert caught.value.status == 503 and NAME not in caught.value.message
    assert stage["extension"].reads == 0


def test_an_unknown_secret_is_a_clean_503(stage):
    with pytest.raises(ServiceUnavailable):
        secrets.get_secret("khaya/local/no-such-secret")


def test_a_function_deployed_without_the_extension_still_reads_its_secret(stage, monkeypatch, caplog):
    # Given the extension's port setting but nothing listening on it (its layer not attached)
    stage["extension"].stop()
    monkeypatch.setenv("SECRETS_CACHE_SECONDS", "0")  # every read goes out
    reset_settings()
    # When the function reads its secret
    value = secrets.get_secret(NAME)
    # Then it has the value, from Secrets Manager directly, and says once why it is slower
    assert value == "first value"
    assert [r.getMessage() for r in caplog.records if r.name == "khaya.secrets"] == [
        f"secrets: no extension on port {stage['port']}, reading with the SDK"
    ]
    # And later reads in the same container go straight to the SDK, without asking the port again
    stage["sm"].put_secret_value(SecretId=NAME, SecretString="rotated")
    assert secrets.get_secret(NAME) == "rotated"
    assert len([r for r in caplog.records if r.name == "khaya.secrets"]) == 1


def test_without_the_extension_setting_the_sdk_reads_the_secret(stage, monkeypatch):
    # Given a process without the extension (the operator CLI, the in-process tests)
    monkeypatch.setenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "")
    reset_settings()
    # Then the value comes from Secrets Manager directly
    assert secrets.get_secret(NAME) == "first value"
    assert stage["extension"].reads == 0


def _allows_get_secret_value(fn) -> bool:
    for policy in fn.properties.get("Policies") or []:
        for st in policy.get("Statement", []) if isinstance(policy, dict) else []:
            acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            if st.get("Effect") == "Allow" and "secretsmanager:GetSecretValue" in acts:
                return True
    return False


def test_every_function_that_may_read_a_secret_has_the_extension_and_no_other():
    fns = functions()
    readers = {fn.logical_id for fn in fns if _allows_get_secret_value(fn)}
    attached = {fn.logical_id for fn in fns if "SecretsExtensionLayerArn" in fn.external_layers}
    assert readers, "no function reads a secret?"
    assert attached == readers


def test_the_default_extension_is_the_one_for_the_default_region_and_architecture():
    params = load_template()["Parameters"]
    arn = params["SecretsExtensionLayerArn"]["Default"]
    arm = params["Architecture"]["Default"] == "arm64"
    assert arn.startswith("arn:aws:lambda:af-south-1:")  # samconfig.toml deploys every stage there
    assert arn.split(":")[6].endswith("-Arm64") == arm
