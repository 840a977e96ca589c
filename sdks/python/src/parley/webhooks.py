"""Standard Webhooks (https://www.standardwebhooks.com): Parley signs each delivery with the endpoint's secret (or the
account's, for a call's webhook_url): `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any, Mapping, Optional, Union

from ._models import APIObject

#: How far a delivery's timestamp may be from now, in seconds (older ones are refused as replays).
TOLERANCE_SECONDS = 5 * 60


class WebhookVerificationError(Exception):
    """The delivery is not Parley's: a header is missing, the signature does not match, or it is too old."""


class WebhookEvent(APIObject):
    """A delivered event: `type` (call.completed, campaign.started, webhook.test...), `timestamp`, `data`."""

    type: str
    timestamp: str
    data: Any


def _header(headers: Mapping[str, Any], name: str) -> Optional[str]:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == name), None)
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    return value if value is None else str(value)


class Webhooks:
    def __init__(self, secret: Optional[str]) -> None:
        self._secret = secret

    def verify(self, body: Union[str, bytes], headers: Mapping[str, Any], secret: Optional[str] = None, *, now: Optional[float] = None) -> None:
        """Checks a delivery's signature against its raw body (as received, not re-serialized); raises
        WebhookVerificationError when it is not Parley's or is older than five minutes."""
        secret = secret or self._secret
        if not secret:
            raise WebhookVerificationError("No webhook secret: pass it, or set PARLEY_WEBHOOK_SECRET")
        msg_id = _header(headers, "webhook-id")
        timestamp = _header(headers, "webhook-timestamp")
        signatures = _header(headers, "webhook-signature")
        if not msg_id or not timestamp or not signatures:
            raise WebhookVerificationError("Missing webhook-id, webhook-timestamp or webhook-signature")
        try:
            sent = int(timestamp)
        except ValueError:
            raise WebhookVerificationError("The webhook timestamp is not a number") from None
        if abs((time.time() if now is None else now) - sent) > TOLERANCE_SECONDS:
            raise WebhookVerificationError("The webhook timestamp is too far from now")
        raw = body.encode() if isinstance(body, str) else body
        key = base64.b64decode(secret[len("whsec_") :] if secret.startswith("whsec_") else secret)
        digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + raw, hashlib.sha256).digest()
        expected = base64.b64encode(digest).decode()
        for candidate in signatures.split(" "):
            version, _, signature = candidate.partition(",")
            if version == "v1" and hmac.compare_digest(signature, expected):
                return
        raise WebhookVerificationError("The webhook signature does not match")

    def unwrap(self, body: Union[str, bytes], headers: Mapping[str, Any], secret: Optional[str] = None, *, now: Optional[float] = None) -> WebhookEvent:
        """verify(), then the event."""
        self.verify(body, headers, secret, now=now)
        return WebhookEvent(json.loads(body))
