"""A function's AWS clients come from one session: a second client loads only its own model.

Loading what every service shares (endpoints, partitions, the list of services) is part of a
cold start; a function that presigns an S3 URL after reading DynamoDB pays it once, not twice.
"""

from __future__ import annotations

from typing import Any

from botocore.loaders import JSONFileLoader

from khaya.aws import client, reset_clients


def _files_read(monkeypatch) -> list[str]:
    """The service-data files botocore reads from disk from now on (its loaders cache the rest)."""
    read: list[str] = []
    original = JSONFileLoader.load_file

    def counting(self: Any, file_path: str) -> Any:
        found = original(self, file_path)
        if found is not None:
            read.append(file_path)
        return found

    monkeypatch.setattr(JSONFileLoader, "load_file", counting)
    return read


def test_a_second_service_reads_only_its_own_files(aws, monkeypatch):
    # Given a fresh process's clients, and every data file botocore reads counted
    reset_clients()
    read = _files_read(monkeypatch)
    # When a function makes its DynamoDB client, then an S3 client (a presigned URL)
    client("dynamodb")
    first = list(read)
    read.clear()
    url = client("s3").generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"}, ExpiresIn=60)
    # Then the data every service shares was read once, with the first client
    assert any(path.endswith("endpoints") for path in first)
    assert read, "the S3 client reads its own service model"
    assert all("/s3/" in path for path in read), read
    # And the second client works as before
    assert "X-Amz-Signature=" in url


def test_a_client_with_its_own_timeouts_is_another_client_of_the_same_session(aws, monkeypatch):
    reset_clients()
    default = client("dynamodb")
    read = _files_read(monkeypatch)
    tight = client("dynamodb", read_timeout=1, total_attempts=2)
    # A client with other options is a client of its own, and reads nothing again
    assert tight is not default and client("dynamodb") is default
    assert read == []
    assert tight.meta.config.read_timeout == 1


def test_reset_drops_the_session_too(aws, monkeypatch):
    before = client("dynamodb")
    read = _files_read(monkeypatch)
    reset_clients()
    after = client("dynamodb")
    # A test that switches credentials or endpoints gets a client made afresh, from a new session
    # that reads the shared data (the endpoints) again
    assert after is not before
    assert any(path.endswith("endpoints") for path in read), read
