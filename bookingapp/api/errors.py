"""The error envelope, request ids, and the mapping of domain errors to HTTP statuses.

Every API response carries X-Request-Id (the caller's own, if it sent a sane one, so that
logs on both sides can be matched) and every error has the same shape:
{"error": {"code", "message", "param"?, "details"?}, "meta": {"request_id"}}.
"""
from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, current_app, jsonify, request
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from bookingapp.api.rate_limits import exceeded_message
from bookingapp.domain.errors import DomainError

log = logging.getLogger(__name__)

# HTTP status of each error code (the OpenAPI document lists the same table).
STATUS_OF = {
    "validation_error": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "slot_unavailable": 409,
    "hold_expired": 409,
    "idempotency_conflict": 409,
    "payload_too_large": 413,
    "rate_limit_exceeded": 429,
    "internal_error": 500,
}

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class ApiError(Exception):
    def __init__(self, code: str, message: str, *, param: str | None = None, details: dict | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param
        self.details = details
        self.status = status or STATUS_OF[code]


def bad_request(message: str, param: str | None = None, **details) -> ApiError:
    return ApiError("validation_error", message, param=param, details=details or None)


def not_found(what: str = "Resource") -> ApiError:
    return ApiError("not_found", f"{what} not found.")


def request_id() -> str:
    # Kept on the request itself: an app context (and its g) may outlive one request.
    if "api.request_id" not in request.environ:
        incoming = request.headers.get("X-Request-Id", "")
        request.environ["api.request_id"] = incoming if _SAFE_REQUEST_ID.match(incoming) else f"req_{uuid.uuid4().hex}"
    return request.environ["api.request_id"]


def error_response(error: ApiError) -> Response:
    body: dict = {"code": error.code, "message": error.message}
    if error.param:
        body["param"] = error.param
    if error.details:
        body["details"] = error.details
    response = jsonify({"error": body, "meta": {"request_id": request_id()}})
    response.status_code = error.status
    return response


def _from_domain(error: DomainError) -> ApiError:
    code = error.code if error.code in STATUS_OF else "validation_error"
    return ApiError(code, error.message, param=error.param, details=error.details or None)


def _from_http(error: HTTPException) -> ApiError:
    if isinstance(error, RateLimitExceeded):
        return ApiError("rate_limit_exceeded", exceeded_message(error))
    status = error.code or 500
    code = {400: "validation_error", 401: "unauthorized", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed", 429: "rate_limit_exceeded"}.get(status)
    if code is None:
        if status == 413:
            limit = current_app.config.get("MAX_CONTENT_LENGTH") or request.max_content_length
            most = f" ({limit} bytes at most)" if limit else ""
            return ApiError("payload_too_large", f"The request body is too large{most}.")
        if status == 415:
            return ApiError("validation_error", "Send the body as application/json.")
        return ApiError("internal_error", "Something went wrong on our side.", status=500)
    return ApiError(code, error.description or code.replace("_", " "))


def install(bp, db) -> None:
    """Error handlers and the request-id header for the API blueprint."""

    @bp.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return error_response(error)

    @bp.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        return error_response(_from_domain(error))

    @bp.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        response = error_response(_from_http(error))
        if error.code == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @bp.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("Unhandled error in the API (request %s)", request_id())
        if current_app.config.get("PROPAGATE_API_ERRORS"):
            raise error
        return error_response(ApiError("internal_error", "Something went wrong on our side. Quote the request id to support."))

    @bp.after_request
    def _stamp(response: Response):
        response.headers["X-Request-Id"] = request_id()
        return response


def register_app_hooks(app: Flask) -> None:
    """Nothing app-wide: unknown /api/v1 paths are caught by the blueprint's own catch-all
    route (views.unknown_route), so other blueprints keep their own 404 pages."""
