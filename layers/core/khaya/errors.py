"""One error hierarchy for the whole API.

Every error a client can see is an ``AppError`` with an HTTP ``status`` and a stable ``code``.
The resolver factory in ``khaya.http`` turns them into the error envelope of API.md:

    {"error": {"code": ..., "message": ..., "details": [...]}, "requestId": ...}

Anything that is not an ``AppError`` becomes a logged 500 with no details. Code never
matches on message strings: match on the class or on ``code``.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays out of the cold start of the routes that need only errors
if TYPE_CHECKING:
    from typing import Any


class AppError(Exception):
    status: int = 500
    code: str = "internal_error"
    default_message: str = "Something went wrong on our side."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        self.details = details or []
        self.headers = headers or {}
        super().__init__(self.message)

    def to_body(self, request_id: str | None) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error, "requestId": request_id}


class BadRequest(AppError):
    status = 400
    code = "bad_request"
    default_message = "The request is malformed."


class ValidationFailed(BadRequest):
    code = "validation_error"
    default_message = "The request failed validation."


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
    default_message = "The cursor is invalid or does not belong to this list."


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    default_message = "Authentication is required."


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    default_message = "You are not allowed to do this."


class NotFound(AppError):
    status = 404
    code = "not_found"
    default_message = "Not found."


class MethodNotAllowed(AppError):
    status = 405
    code = "method_not_allowed"
    default_message = "This method is not allowed on this path."


class Conflict(AppError):
    status = 409
    code = "conflict"
    default_message = "The resource is not in a state that allows this."


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"
    default_message = "Send the body as application/json."


class BusinessRule(AppError):
    status = 422
    code = "business_rule"
    default_message = "The request breaks a business rule."


class RateLimited(AppError):
    status = 429
    code = "rate_limited"
    default_message = "Too many requests; try again later."

    def __init__(self, message: str | None = None, *, retry_after: int, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = max(1, int(retry_after))
        self.headers = {**self.headers, "Retry-After": str(self.retry_after)}


class UpstreamError(AppError):
    status = 502
    code = "upstream_error"
    default_message = "A provider we depend on failed; try again shortly."


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"
    default_message = "The service is temporarily unavailable; try again shortly."

    def __init__(self, message: str | None = None, *, retry_after: int = 1, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.headers = {**self.headers, "Retry-After": str(max(1, int(retry_after)))}
