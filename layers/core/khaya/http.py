"""The resolver factory: one Powertools HTTP API resolver per function, one house style.

A function module looks like::

    router = Router()

    @router.get("/v1/health", summary="Liveness", tags=["platform"])
    def get_health() -> HealthOut:
        return health.check()

    handler = make_handler(router)

``make_handler`` wraps the resolver so that *every* answer, including malformed JSON,
Powertools' own validation errors, unknown routes, oversize or non-JSON bodies and
unexpected exceptions, uses the error envelope of API.md and carries ``X-Request-Id``.
The caller's identity comes from the Lambda authorizer context (``caller()``).

Three rules hold by construction, for every route:

* **JSON bodies are parsed once, strictly, before any route code runs**
  (``khaya.strict_json``): what Python's parser would crash on or smuggle through is a 400
  ``malformed_json``, and the route gets the value already parsed.
* **A 204 carries no bytes**: whatever a route returns with status 204, the body and its
  ``Content-Type`` are dropped, so a kept-alive connection is never desynchronised.
* **The OpenAPI document is right by construction** (``Router``): every route documents its
  success status with its return model (added when a route lists only error statuses), every
  error status with the error envelope (``ErrorEnvelope``), and a 204 with no content.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from khaya import errors, warm
from khaya.constant import error_response
from khaya.observability import logger
from khaya.strict_json import parse_json

if TYPE_CHECKING:
    from http import HTTPStatus

    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

__all__ = [
    "ERROR_CONTENT",
    "Caller",
    "RequestValidationError",
    "Response",
    "Router",
    "caller",
    "json_response",
    "make_handler",
    "no_content",
    "require_role",
]

JSON = "application/json"
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_THROTTLE_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TransactionInProgressException",
}

_request_id: ContextVar[str | None] = ContextVar("khaya_request_id", default=None)
_caller: ContextVar[Caller | None] = ContextVar("khaya_caller", default=None)
_parsed_body: ContextVar[tuple[str, Any] | None] = ContextVar("khaya_parsed_body", default=None)

# What every error status of every operation documents (the schema is added by the generator).
ERROR_CONTENT: dict[str, Any] = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
_NO_BODY_STATUSES = (204, 304)


class Router(APIGatewayHttpRouter):
    """Powertools' HTTP API router, with the OpenAPI responses of every route normalised.

    A route lists the statuses it wants to describe, as before (``responses={404: {...}}``);
    the router then makes the document say what the route really answers: the success status
    (the one 2xx listed, else ``status_code``) with the route's return model, every error
    status with the error envelope, a 204 with no content. No route can document an error
    with its own model, or forget its success, by mistake.
    """

    def route(  # Powertools' own signature, passed through
        self,
        rule: str,
        method: str | list[str] | tuple[str],
        cors: bool | None = None,
        compress: bool = False,
        cache_control: str | None = None,
        summary: str | None = None,
        description: str | None = None,
        responses: dict[int, OpenAPIResponse] | None = None,
        response_description: str | None = "Successful Response",
        tags: list[str] | None = None,
        operation_id: str | None = None,
        include_in_schema: bool = True,
        security: list[dict[str, list[str]]] | None = None,
        openapi_extensions: dict[str, Any] | None = None,
        deprecated: bool = False,
        enable_validation: bool | None = None,
        custom_response_validation_http_code: int | HTTPStatus | None = None,
        status_code: int = 200,
        middlewares: list[Callable[..., Any]] | None = None,
    ) -> Callable[[Any], Any]:
        return super().route(
            rule,
            method,
            cors,
            compress,
            cache_control,
            summary,
            description,
            documented_responses(responses, status_code, response_description),
            response_description,
            tags,
            operation_id,
            include_in_schema,
            security,
            openapi_extensions,
            deprecated,
            enable_validation,
            custom_response_validation_http_code,
            status_code,
            middlewares,
        )


def documented_responses(
    responses: dict[int, OpenAPIResponse] | None, status_code: int = 200, description: str | None = None
) -> dict[int, OpenAPIResponse]:
    """The responses a route documents: its success (Powertools fills in the return model when
    no content is given), errors as the envelope, 204 without content."""
    out: dict[int, OpenAPIResponse] = {}
    for status, given in (responses or {}).items():
        doc: OpenAPIResponse = {**given}  # type: ignore[typeddict-item]
        code = int(status)
        if code >= 400:
            doc["content"] = ERROR_CONTENT
        elif code in _NO_BODY_STATUSES:
            doc["content"] = {}
        out[code] = doc
    if not any(200 <= code < 300 for code in out):
        success: OpenAPIResponse = {"description": description or "Successful Response"}
        if status_code in _NO_BODY_STATUSES:
            success["content"] = {}
        out[status_code] = success
    return out


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def caller() -> Caller:
    """The signed-in caller, from the authorizer context. 401 on a route called without one."""
    found = _caller.get()
    if found is None:
        raise errors.Unauthorized()
    return found


def require_role(*roles: str) -> Caller:
    who = caller()
    if who.role not in roles:
        raise errors.Forbidden(f"This needs the {' or '.join(roles)} role.", code="wrong_role")
    return who


def request_id() -> str | None:
    return _request_id.get()


def no_content(headers: dict[str, str] | None = None) -> Response[Any]:
    """A 204. Its body is empty whatever the route's return annotation: ``make_handler`` strips
    the body of every 204."""
    return Response(status_code=204, body="", headers=headers or {})


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status_code=status, content_type=JSON, body=body, headers=headers or {})


def _envelope(exc: errors.AppError) -> Response[Any]:
    return json_response(exc.status, exc.to_body(request_id()), exc.headers)


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation_error(exc: RequestValidationError) -> errors.AppError:
    details = []
    for err in exc.errors():
        kind = err.get("type", "invalid")
        if kind == "json_invalid":
            return errors.BadRequest("The body is not valid JSON.", code="malformed_json")
        field = _field_of(err.get("loc", ()))
        details.append({"field": field, "issue": kind})
    first = details[0] if details else {"field": "body", "issue": "invalid"}
    return errors.ValidationFailed(f"{first['field']}: {first['issue'].replace('_', ' ')}", details=details)


def _classify(exc: Exception) -> errors.AppError:
    if isinstance(exc, errors.AppError):
        return exc
    if isinstance(exc, RequestValidationError):
        return _validation_error(exc)
    if isinstance(exc, NotFoundError):
        return errors.NotFound("No route matches this path.", code="route_not_found")
    if isinstance(exc, ServiceError):
        mapped = {400: errors.BadRequest, 401: errors.Unauthorized, 403: errors.Forbidden, 404: errors.NotFound}
        return mapped.get(exc.status_code, errors.AppError)()
    if isinstance(exc, json.JSONDecodeError):
        return errors.BadRequest("The body is not valid JSON.", code="malformed_json")
    code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
    if code in _THROTTLE_CODES:
        logger.warning("dynamodb throttled", extra={"awsErrorCode": code})
        return errors.ServiceUnavailable(retry_after=1)
    logger.exception("unhandled error")
    return errors.AppError()


def _json_body(text: str) -> Any:
    """Powertools' body deserializer: the body ``_precheck`` already parsed, not a second parse."""
    parsed = _parsed_body.get()
    if parsed is not None and (parsed[0] is text or parsed[0] == text):
        return parsed[1]
    return parse_json(text)


def _precheck(event: dict[str, Any], max_body: int, accept: tuple[str, ...]) -> errors.AppError | None:
    """Checks API Gateway does not do for us: body size, media type, and a JSON body that parses."""
    http = event.get("requestContext", {}).get("http", {})
    body = event.get("body")
    if http.get("method", "GET").upper() not in _BODY_METHODS or not body:
        return None
    raw_len = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode("utf-8"))
    if raw_len > max_body:
        return errors.PayloadTooLarge(f"The body may be at most {max_body} bytes.")
    ctype = (event.get("headers") or {}).get("content-type", "").split(";")[0].strip().lower()
    if accept and ctype not in accept:
        return errors.UnsupportedMediaType(f"Send the body as {' or '.join(accept)}.")
    if ctype == JSON and event.get("isBase64Encoded"):
        # Binary-flagged JSON (some clients) is decoded once here so the resolver sees text.
        try:
            event["body"] = base64.b64decode(body).decode("utf-8")
            event["isBase64Encoded"] = False
        except (ValueError, UnicodeDecodeError):
            return errors.BadRequest("The body is not valid UTF-8 JSON.", code="malformed_json")
    if ctype == JSON:
        text = event["body"]
        try:
            _parsed_body.set((text, parse_json(text)))
        except errors.AppError as exc:
            return exc
    return None


# Refusals of the authorizer that mean "try again", not "sign in again" (khaya.identity.authorizer).
_AUTH_UNAVAILABLE = frozenset({"keys_unavailable", "user_lookup_failed"})
# API Gateway keeps an authorizer's answer for a token this long (template.yaml: ReauthorizeEvery),
# so a "try again" must not promise an earlier retry than that.
AUTHORIZER_CACHE_SECONDS = 45


def _set_caller(event: dict[str, Any]) -> errors.AppError | None:
    """Take the caller from the authorizer context; a refusal the authorizer passed on
    (``{"refused": reason}``) is the error to answer before any route code runs."""
    ctx = (event.get("requestContext", {}).get("authorizer") or {}).get("lambda") or {}
    user_id, role = ctx.get("userId"), ctx.get("role")
    _caller.set(Caller(str(user_id), str(role)) if user_id and role and not ctx.get("refused") else None)
    refused = ctx.get("refused")
    if not refused:
        return None
    if refused in _AUTH_UNAVAILABLE:
        return errors.ServiceUnavailable(retry_after=AUTHORIZER_CACHE_SECONDS)
    return errors.Unauthorized("The access token is invalid or expired: refresh it or sign in again.")


def make_handler(
    router: Router,
    *,
    validation: bool = True,
    accept: tuple[str, ...] = (JSON,),
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Build the Lambda handler for one route module.

    ``validation``: Powertools request/response validation from the type hints (off for
    routes with no input model, to keep their cold start small). ``accept``: media types
    a body may have; webhooks that receive forms pass their own.
    """
    app = APIGatewayHttpResolver(enable_validation=validation, json_body_deserializer=_json_body)
    app.include_router(router)

    @app.exception_handler(Exception)
    def _on_error(exc: Exception) -> Response[Any]:
        return _envelope(_classify(exc))

    @app.not_found
    def _on_not_found(exc: NotFoundError) -> Response[Any]:
        return _envelope(_classify(exc))

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        warm()
        from khaya.config import settings

        rid = (event.get("requestContext") or {}).get("requestId") or getattr(context, "aws_request_id", None)
        _request_id.set(rid)
        _parsed_body.set(None)
        logger.set_correlation_id(rid)
        refused = _set_caller(event)
        try:
            problem = refused or _precheck(event, settings().max_body_bytes, accept)
            result = _raw(problem) if problem is not None else app.resolve(event, context)
        except Exception as exc:  # the resolver itself failed (e.g. an event it cannot parse)
            result = _raw(_classify(exc))
        headers = result.setdefault("headers", {}) or {}
        result["headers"] = headers
        if result.get("statusCode") in _NO_BODY_STATUSES:
            _drop_body(result, headers)
        headers["X-Request-Id"] = rid or ""
        headers.setdefault("Cache-Control", "no-store")
        logger.info(
            "request",
            extra={
                "method": event.get("requestContext", {}).get("http", {}).get("method"),
                "route": event.get("routeKey"),
                "status": result.get("statusCode"),
            },
        )
        return result

    handler.app = app  # type: ignore[attr-defined]
    handler.router = router  # type: ignore[attr-defined]
    return handler


def _drop_body(result: dict[str, Any], headers: dict[str, Any]) -> None:
    """HTTP forbids a body on 204/304; a stray one would be read as the next response."""
    result["body"] = ""
    result["isBase64Encoded"] = False
    for name in [k for k in headers if k.lower() in ("content-type", "content-length", "content-encoding")]:
        del headers[name]


def _raw(exc: errors.AppError) -> dict[str, Any]:
    """An API Gateway v2 response for an error raised outside the resolver."""
    return error_response(exc, request_id())
