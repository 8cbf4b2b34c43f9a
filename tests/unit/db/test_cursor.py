"""Signed cursors: a client can page with them, never forge or move them to another list."""

from __future__ import annotations

import base64
import json

import pytest

from khaya.db.cursor import MAX_CURSOR_CHARS, decode_cursor, encode_cursor
from khaya.errors import InvalidCursor

SECRET = b"k" * 48
KEY = {"pk": "JOB#j1", "sk": "BID#w007"}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_cursor_round_trips_for_its_scope_and_is_url_safe() -> None:
    cursor = encode_cursor(KEY, "bids:j1", secret=SECRET)
    assert decode_cursor(cursor, "bids:j1", secret=SECRET) == KEY
    assert all(c.isalnum() or c in "-_." for c in cursor)


def test_a_cursor_for_another_scope_is_invalid() -> None:
    cursor = encode_cursor(KEY, "mybids:u1", secret=SECRET)
    for other in ("mybids:u2", "mybids:u1 ", "jobs:plumbing:cpt:open", ""):
        with pytest.raises(InvalidCursor):
            decode_cursor(cursor, other, secret=SECRET)


def test_a_cursor_signed_with_another_key_is_invalid() -> None:
    cursor = encode_cursor(KEY, "bids:j1", secret=b"other-key")
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, "bids:j1", secret=SECRET)


def test_an_edited_payload_is_invalid_even_with_the_old_tag() -> None:
    # Given a genuine cursor, a client rewrites the key inside to peek at another job
    cursor = encode_cursor(KEY, "bids:j1", secret=SECRET)
    _, tag = cursor.split(".")
    forged = _b64(json.dumps({"pk": "JOB#j2", "sk": "BID#w007"}, separators=(",", ":")).encode())

    with pytest.raises(InvalidCursor):
        decode_cursor(f"{forged}.{tag}", "bids:j1", secret=SECRET)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "garbage",
        "a.b",
        "..",
        "a.b.c",
        "!!!.???",
        "eyJwayI6IkpPQiJ9.",
        ".AAAA",
        "x" * (MAX_CURSOR_CHARS + 1),
    ],
)
def test_garbage_is_invalid_not_a_crash(bad: str) -> None:
    with pytest.raises(InvalidCursor) as err:
        decode_cursor(bad, "bids:j1", secret=SECRET)
    assert err.value.status == 400 and err.value.code == "invalid_cursor"


def test_a_truncated_cursor_is_invalid() -> None:
    cursor = encode_cursor(KEY, "bids:j1", secret=SECRET)
    for cut in (1, 5, len(cursor) // 2):
        with pytest.raises(InvalidCursor):
            decode_cursor(cursor[:-cut], "bids:j1", secret=SECRET)


def test_a_correctly_signed_payload_that_is_not_a_key_is_invalid() -> None:
    # Signed with the real key (as a leaked-key or bug scenario): still refused if not a string map
    from khaya.db.cursor import _tag

    for payload in (b"[1,2]", b'{"pk":1}', b"{}", b"not json"):
        cursor = f"{_b64(payload)}.{_b64(_tag(SECRET, 'bids:j1', payload))}"
        with pytest.raises(InvalidCursor):
            decode_cursor(cursor, "bids:j1", secret=SECRET)


def test_the_key_comes_from_the_cursor_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the secret named by CURSOR_SECRET_NAME
    import khaya.secrets

    asked: list[str] = []

    def fake_get_secret(name: str) -> str:
        asked.append(name)
        return "the-secret"

    monkeypatch.setattr(khaya.secrets, "get_secret", fake_get_secret)

    # When a cursor is made and read without an explicit key
    cursor = encode_cursor(KEY, "bids:j1")

    # Then it is signed with that secret
    assert asked == ["khaya/local/cursor-key"]
    assert decode_cursor(cursor, "bids:j1", secret=b"the-secret") == KEY
