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


def _documented(key: dict[str, str], scope: str, secret: bytes) -> str:
    """A cursor made by the format this module documents, written out independently: cursors a
    client already holds must keep working across a deploy, so the format is a contract."""
    import hashlib
    import hmac

    payload = json.dumps(dict(sorted(key.items())), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    scope_b = scope.encode("utf-8")
    message = b"khaya-cursor-v1" + b"\x00" + str(len(scope_b)).encode() + b"\x00" + scope_b + b"\x00" + payload
    return f"{_b64(payload)}.{_b64(hmac.new(secret, message, hashlib.sha256).digest())}"


@pytest.mark.parametrize("key", [KEY, {"sk": "BID#w007", "pk": "JOB#j1"}, {"pk": "CITY#Sào Tomé", "sk": "JOB#2026"}])
def test_a_cursor_is_exactly_the_documented_format(key: dict[str, str]) -> None:
    # Given a list's key (in any order, accented text included) / When a cursor is made for it
    cursor = encode_cursor(key, "jobs:plumbing:cpt:open", secret=SECRET)
    # Then it is the documented format, so one given out before a deploy still reads after it
    assert cursor == _documented(key, "jobs:plumbing:cpt:open", SECRET)
    documented = _documented(key, "jobs:plumbing:cpt:open", SECRET)
    assert decode_cursor(documented, "jobs:plumbing:cpt:open", secret=SECRET) == key


def test_cursors_of_every_length_round_trip() -> None:
    # base64url drops its padding; every length of payload (and so of padding) must come back
    for n in range(24):
        key = {"pk": "JOB#" + "j" * n, "sk": "BID#w"}
        assert decode_cursor(encode_cursor(key, "bids:j1", secret=SECRET), "bids:j1", secret=SECRET) == key


def _cursor_of_length(at_least: int) -> str:
    """The shortest genuine cursor of ``at_least`` characters or more."""
    for n in range(1400, 1600):
        cursor = encode_cursor({"pk": "JOB#" + "j" * n, "sk": "BID#w"}, "bids:j1", secret=SECRET)
        if len(cursor) >= at_least:
            return cursor
    raise AssertionError(f"no cursor of {at_least} characters")


def test_a_genuine_cursor_is_read_up_to_the_length_cap_and_refused_beyond() -> None:
    longest = _cursor_of_length(MAX_CURSOR_CHARS)
    assert len(longest) == MAX_CURSOR_CHARS
    assert decode_cursor(longest, "bids:j1", secret=SECRET)["sk"] == "BID#w"
    with pytest.raises(InvalidCursor):
        decode_cursor(_cursor_of_length(MAX_CURSOR_CHARS + 1), "bids:j1", secret=SECRET)


@pytest.mark.parametrize("bad", [None, 12345, b"abc.def", ["a.b"]])
def test_a_cursor_that_is_not_text_is_invalid(bad: object) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(bad, "bids:j1", secret=SECRET)  # type: ignore[arg-type]


def test_a_cursor_needs_a_scope() -> None:
    with pytest.raises(ValueError, match=r"^a cursor needs a scope$"):
        encode_cursor(KEY, "", secret=SECRET)
