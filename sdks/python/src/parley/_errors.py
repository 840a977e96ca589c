"""Errors: one class per kind of answer, each carrying the API's `type`, `code`, `message`, `param` and the status."""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Type


class ParleyError(Exception):
    """An error the API answered with (`{"error": {type, code, message, param}}`), or one on the way to it."""

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        type: str = "api_error",
        code: str = "api_error",
        param: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        #: The HTTP status; None when the API was not reached.
        self.status = status
        #: invalid_request_error, authentication_error, rate_limit_error, api_error...
        self.type = type
        #: parameter_invalid, resource_not_found, insufficient_credit, call_already_ended...
        self.code = code
        #: The parameter at fault, if one is (`to`, `context.foo`).
        self.param = param
        self.headers = dict(headers or {})
        self.body = body

    def __str__(self) -> str:
        where = f" (param {self.param})" if self.param else ""
        status = f"{self.status} " if self.status is not None else ""
        return f"{status}{self.code}: {self.message}{where}"


class BadRequestError(ParleyError):
    """400"""


class AuthenticationError(ParleyError):
    """401"""


class InsufficientCreditError(ParleyError):
    """402"""


class PermissionDeniedError(ParleyError):
    """403 (a number on the do-not-call list, ...)"""


class NotFoundError(ParleyError):
    """404"""


class ConflictError(ParleyError):
    """409 (an Idempotency-Key with another body, a call already ended, an object still in use, ...)"""


class UnprocessableEntityError(ParleyError):
    """422"""


class RateLimitError(ParleyError):
    """429"""


class InternalServerError(ParleyError):
    """5xx"""


class APIConnectionError(ParleyError):
    """The API could not be reached (network, DNS, a refused or broken connection)."""


class APITimeoutError(APIConnectionError):
    """No answer within the client's timeout."""


_BY_STATUS: Dict[int, Type[ParleyError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_for(status: int, body: Any, headers: Optional[Mapping[str, str]] = None) -> ParleyError:
    """The error for an answer that is not a success."""
    found = body.get("error") if isinstance(body, dict) else None
    e: Dict[str, Any] = found if isinstance(found, dict) else {}
    kind = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else ParleyError)
    return kind(
        str(e.get("message") or f"The API answered {status}"),
        status=status,
        type=str(e.get("type") or "api_error"),
        code=str(e.get("code") or f"http_{status}"),
        param=e.get("param"),
        headers=headers,
        body=body,
    )
