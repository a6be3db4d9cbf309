"""SP-API error responses: `{"errors": [{"code", "message", "details"?}]}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class SpApiError(Exception):
    """An error answered in SP-API's shape. Raise it from any route or middleware step."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body SP-API sends for this error."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"errors": [error]}

    def response(self) -> JSONResponse:
        """This error as a response."""
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def invalid_input(message: str, details: str | None = None) -> SpApiError:
    """400 InvalidInput: a parameter is missing, malformed or out of range."""
    return SpApiError(400, "InvalidInput", message, details)


def not_found(message: str = "Resource not found.", details: str | None = None) -> SpApiError:
    """404 NotFound: the resource (order, report, ...) does not exist for this seller."""
    return SpApiError(404, "NotFound", message, details)


def unauthorized(details: str | None = None) -> SpApiError:
    """403 Unauthorized: missing, invalid or expired access token."""
    return SpApiError(403, "Unauthorized", "Access to requested resource is denied.", details)


def quota_exceeded() -> SpApiError:
    """429 QuotaExceeded: the usage plan's token bucket is empty."""
    return SpApiError(429, "QuotaExceeded", "You exceeded your quota for the requested resource.")


def internal_failure() -> SpApiError:
    """500 InternalFailure."""
    return SpApiError(500, "InternalFailure", "We encountered an internal error. Please try again.")


def service_unavailable() -> SpApiError:
    """503 ServiceUnavailable."""
    return SpApiError(
        503, "ServiceUnavailable", "Service is temporarily unavailable. Please try again."
    )


# Codes for framework-raised HTTP errors (unknown path, wrong method, ...).
_HTTP_CODES = {
    400: "InvalidInput",
    403: "Unauthorized",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
}


async def _sp_api_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SpApiError)
    return exc.response()


async def _http_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    fallback = "InternalFailure" if exc.status_code >= 500 else "InvalidInput"
    code = _HTTP_CODES.get(exc.status_code, fallback)
    message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    if exc.status_code == 404 and message == "Not Found":
        message = "Resource not found."
    return SpApiError(exc.status_code, code, message, headers=exc.headers).response()


async def _validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    # FastAPI would answer 422 with its own shape; SP-API answers 400 InvalidInput.
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path"))
        problems.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", ""))
    return invalid_input("Invalid input.", "; ".join(problems) or None).response()


def install_error_handlers(app: FastAPI) -> None:
    """Make SpApiError, HTTP errors and request validation errors answer in SP-API's shape."""
    app.add_exception_handler(SpApiError, _sp_api_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
