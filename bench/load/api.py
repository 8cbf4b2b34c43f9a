"""What a load user (or a check) does to get an account on the local stage, over HTTP.

``Call`` is ``call(method, path, json=..., name=...) -> response``: Locust's client in the
locustfile, a ``requests`` session in the checks; ``name`` groups a parameterised route in
Locust's statistics and is ignored elsewhere.
"""

from __future__ import annotations

import random
from typing import Any, Protocol


class Response(Protocol):
    status_code: int

    def json(self) -> Any: ...


class Call(Protocol):
    def __call__(self, method: str, path: str, *, json: Any = None, name: str | None = None) -> Response: ...


def random_phone(rng: random.Random | None = None) -> str:
    """A South African mobile in a range the demo data set does not use (+27 82 9xx xxxx)."""
    return f"+27829{(rng or random).randrange(10**6):06d}"


def sign_up(call: Call, role: str, name: str, phone: str | None = None) -> dict[str, Any]:
    """Sign up by code, as a person would (the code comes from the local outbox); the tokens."""
    for _ in range(5):
        number = phone or random_phone()
        got = call(
            "POST", "/v1/auth/signup", json={"phone": number, "name": name, "role": role}, name="/v1/auth/signup"
        )
        if got.status_code == 201:
            break
        if got.status_code != 409 or phone:  # 409: the random number is taken; draw another
            raise RuntimeError(f"signup answered {got.status_code}")
    signup_id = got.json()["userId"]
    outbox = call("GET", f"/_dev/outbox?to=%2B{number[1:]}", name="/_dev/outbox")
    code = outbox.json()["items"][0]["variables"]["1"]
    body = {"phone": number, "code": code, "purpose": "signup", "signupId": signup_id}
    verified = call("POST", "/v1/auth/verify", json=body, name="/v1/auth/verify")
    if verified.status_code != 200:
        raise RuntimeError(f"verify answered {verified.status_code}")
    tokens: dict[str, Any] = verified.json()
    return tokens


WORKER_PROFILE = {
    "skills": ["leak detection", "geysers", "wiring"],
    "categories": ["plumbing", "electrical", "appliance_repair"],
    "city": "Johannesburg",
    "bio": "Qualified and insured, ten years in the trade.",
    "hourlyRate": {"amount": 35000, "currency": "ZAR"},
}


def job_body(rng: random.Random, title: str = "Fix a leaking kitchen tap") -> dict[str, Any]:
    return {
        "title": title,
        "description": "Weekday mornings suit us best. Please come with your own tools.",
        "category": rng.choice(["plumbing", "electrical", "appliance_repair"]),
        "city": rng.choice(["Johannesburg", "Soweto", "Sandton"]),
        "budget": {"amount": rng.randrange(50, 300) * 1000, "currency": "ZAR"},
    }


def bid_body(rng: random.Random) -> dict[str, Any]:
    return {
        "amount": {"amount": rng.randrange(40, 320) * 1000, "currency": "ZAR"},
        "message": "I can start this week; price includes materials.",
        "etaDays": rng.randint(1, 10),
    }
