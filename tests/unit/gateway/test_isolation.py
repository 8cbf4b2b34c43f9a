"""Two requests served at once by two local containers never see each other's event."""

from __future__ import annotations

import json
import threading
from typing import Any

from local.events import LambdaContext, http_event
from local.isolation import isolate_invocations


def _container(seen: dict[str, Any], ready: threading.Barrier) -> Any:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.event_handler.api_gateway import Router

    router = Router()

    @router.post("/v1/echo")
    def echo() -> dict[str, Any]:
        mine = router.current_event.json_body["who"]
        ready.wait(timeout=5)  # both requests are now inside their route at the same moment
        seen[mine] = router.current_event.json_body["who"]
        return {}

    app = APIGatewayHttpResolver()
    app.include_router(router)
    return app


def test_concurrent_invocations_in_two_containers_each_read_their_own_body() -> None:
    isolate_invocations()
    seen: dict[str, Any] = {}
    ready = threading.Barrier(2)
    apps = {who: _container(seen, ready) for who in ("first", "second")}

    def invoke(who: str) -> None:
        event = http_event("POST", "/v1/echo", route_path="/v1/echo", body=json.dumps({"who": who}))
        apps[who].resolve(event, LambdaContext("Echo"))

    threads = [threading.Thread(target=invoke, args=(who,)) for who in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert seen == {"first": "first", "second": "second"}
