"""The Parley API from Python: `Parley` (blocking) and `AsyncParley` (asyncio)."""
from . import types
from ._client import AsyncParley, Parley
from ._errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InsufficientCreditError,
    InternalServerError,
    NotFoundError,
    ParleyError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from ._models import APIObject
from ._pagination import AsyncPage, AsyncPager, Page
from ._version import __version__
from .webhooks import WebhookEvent, WebhookVerificationError

__all__ = [
    "Parley",
    "AsyncParley",
    "types",
    "APIObject",
    "Page",
    "AsyncPage",
    "AsyncPager",
    "ParleyError",
    "BadRequestError",
    "AuthenticationError",
    "InsufficientCreditError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "APIConnectionError",
    "APITimeoutError",
    "WebhookEvent",
    "WebhookVerificationError",
    "__version__",
]
