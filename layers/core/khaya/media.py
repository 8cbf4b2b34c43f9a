"""Uploads and downloads of user media through presigned S3 requests (the bucket stays private).

``presigned_post`` returns the URL and form fields a client POSTs the file with; the policy
S3 enforces pins the key, the exact ``Content-Type`` the client declared, and a size range.
"""

from __future__ import annotations

from typing import Any

IMAGE_TYPES: dict[str, str] = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
ATTACHMENT_TYPES: dict[str, str] = {**IMAGE_TYPES, "application/pdf": "pdf"}
UPLOAD_SECONDS = 600
DOWNLOAD_SECONDS = 900


def _bucket() -> str:
    from khaya.config import settings

    return settings().require("MEDIA_BUCKET")


def presigned_post(key: str, content_type: str, max_bytes: int) -> dict[str, Any]:
    """``{url, fields, expiresIn}`` for one upload of ``content_type``, 1 byte to ``max_bytes``."""
    from khaya.aws import client

    post = client("s3").generate_presigned_post(
        Bucket=_bucket(),
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=UPLOAD_SECONDS,
    )
    return {"url": post["url"], "fields": post["fields"], "expiresIn": UPLOAD_SECONDS}


def presigned_get(key: str) -> str:
    from khaya.aws import client

    url: str = client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": _bucket(), "Key": key}, ExpiresIn=DOWNLOAD_SECONDS
    )
    return url


def delete(key: str) -> None:
    from khaya.aws import client

    client("s3").delete_object(Bucket=_bucket(), Key=key)


def delete_keys(keys: list[str]) -> None:
    """Delete these objects (missing ones are no error), 1000 to a request."""
    from khaya.aws import client

    s3, bucket = client("s3"), _bucket()
    for start in range(0, len(keys), 1000):
        chunk = [{"Key": k} for k in keys[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})


def delete_prefix(prefix: str) -> int:
    """Delete every object under ``prefix`` (a user's uploads); → how many were deleted."""
    from khaya.aws import client

    s3, bucket, deleted = client("s3"), _bucket(), 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            deleted += len(keys)
    return deleted
