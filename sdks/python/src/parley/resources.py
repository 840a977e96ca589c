"""The API's resources. Each is written once for both clients: with `Parley` a method returns its value; with
`AsyncParley` the same method returns an awaitable of it (a list: an AsyncPager, awaited for its first page or
iterated with `async for`; the transcript stream: an async iterator). The annotations show the blocking client's types.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Optional, Union
from urllib.parse import quote

from . import types as t

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._pagination import Page


def _id(value: str) -> str:
    return quote(str(value), safe="")


class _Resource:
    def __init__(self, client: Any) -> None:
        self._client = client


class Agents(_Resource):
    def create(self, **params: Unpack[t.AgentCreateParams]) -> t.Agent:
        return self._client._request("POST", "/v1/agents", body=params, cast=t.Agent)

    def retrieve(self, agent_id: str) -> t.Agent:
        return self._client._request("GET", f"/v1/agents/{_id(agent_id)}", cast=t.Agent)

    def list(self, **query: Any) -> Page[t.Agent]:
        return self._client._list("/v1/agents", query, t.Agent)

    def update(self, agent_id: str, **params: Unpack[t.AgentUpdateParams]) -> t.Agent:
        return self._client._request("PATCH", f"/v1/agents/{_id(agent_id)}", body=params, cast=t.Agent)

    def delete(self, agent_id: str) -> t.Deleted:
        return self._client._request("DELETE", f"/v1/agents/{_id(agent_id)}", cast=t.Deleted)


class Numbers(_Resource):
    def create(self, **params: Unpack[t.PhoneNumberCreateParams]) -> t.PhoneNumber:
        return self._client._request("POST", "/v1/numbers", body=params, cast=t.PhoneNumber)

    def retrieve(self, number_id: str) -> t.PhoneNumber:
        return self._client._request("GET", f"/v1/numbers/{_id(number_id)}", cast=t.PhoneNumber)

    def list(self, **query: Any) -> Page[t.PhoneNumber]:
        return self._client._list("/v1/numbers", query, t.PhoneNumber)

    def update(self, number_id: str, **params: Unpack[t.PhoneNumberUpdateParams]) -> t.PhoneNumber:
        return self._client._request("PATCH", f"/v1/numbers/{_id(number_id)}", body=params, cast=t.PhoneNumber)

    def delete(self, number_id: str) -> t.Deleted:
        return self._client._request("DELETE", f"/v1/numbers/{_id(number_id)}", cast=t.Deleted)

    def calls(self, number_id: str, **query: Unpack[t.CallListParams]) -> Page[t.Call]:
        """The calls placed from or answered on the number (the same filters as calls.list)."""
        return self._client._list(f"/v1/numbers/{_id(number_id)}/calls", query, t.Call)


class Trunks(_Resource):
    def create(self, **params: Unpack[t.TrunkCreateParams]) -> t.Trunk:
        return self._client._request("POST", "/v1/trunks", body=params, cast=t.Trunk)

    def retrieve(self, trunk_id: str) -> t.Trunk:
        return self._client._request("GET", f"/v1/trunks/{_id(trunk_id)}", cast=t.Trunk)

    def list(self, **query: Any) -> Page[t.Trunk]:
        return self._client._list("/v1/trunks", query, t.Trunk)

    def update(self, trunk_id: str, **params: Unpack[t.TrunkUpdateParams]) -> t.Trunk:
        return self._client._request("PATCH", f"/v1/trunks/{_id(trunk_id)}", body=params, cast=t.Trunk)

    def delete(self, trunk_id: str) -> t.Deleted:
        return self._client._request("DELETE", f"/v1/trunks/{_id(trunk_id)}", cast=t.Deleted)


class Calls(_Resource):
    def create(self, *, idempotency_key: Optional[str] = None, **params: Unpack[t.CallCreateParams]) -> t.Call:
        """Places a call now. The same idempotency_key with the same params gives back the same call (and makes the
        request safe to retry after a lost connection or a 5xx)."""
        return self._client._request("POST", "/v1/calls", body=params, idempotency_key=idempotency_key, cast=t.Call)

    def create_web(self, **params: Unpack[t.WebCallCreateParams]) -> t.WebCall:
        """A web call: the call and its single-use `access_token` for the page (`@parley/web`)."""
        return self._client._request("POST", "/v1/calls/web", body=params, cast=t.WebCall)

    def retrieve(self, call_id: str) -> t.Call:
        return self._client._request("GET", f"/v1/calls/{_id(call_id)}", cast=t.Call)

    def list(self, **query: Unpack[t.CallListParams]) -> Page[t.Call]:
        return self._client._list("/v1/calls", query, t.Call)

    def end(self, call_id: str) -> t.Call:
        """Hangs up a live call, or cancels one not yet dialed (ConflictError once it has ended)."""
        return self._client._request("POST", f"/v1/calls/{_id(call_id)}/end", cast=t.Call)

    def transcript(self, call_id: str) -> t.Transcript:
        return self._client._request("GET", f"/v1/calls/{_id(call_id)}/transcript", cast=t.Transcript)

    def stream_transcript(self, call_id: str) -> Iterator[t.TranscriptSegment]:
        """The live transcript: every segment said so far, then each as it is said, until the call ends."""
        return self._client._events(f"/v1/calls/{_id(call_id)}/transcript/stream", "segment", t.TranscriptSegment)

    def events(self, call_id: str) -> t.CallTimeline:
        """The call's recorded events, oldest first."""
        return self._client._request("GET", f"/v1/calls/{_id(call_id)}/events", cast=t.CallTimeline)

    def webhook_deliveries(self, call_id: str, **query: Any) -> Page[t.WebhookDelivery]:
        """The call's webhook deliveries (its webhook_url's and every endpoint's about it), newest first, with their
        attempts."""
        return self._client._list(f"/v1/calls/{_id(call_id)}/webhook_deliveries", query, t.WebhookDelivery)

    def recording(self, call_id: str) -> bytes:
        """The recording: a stereo WAV, the caller left and the agent right."""
        return self._client._request("GET", f"/v1/calls/{_id(call_id)}/recording", read="bytes")

    def download_recording(self, call_id: str, path: Union[str, Path]) -> Path:
        """Writes the recording to `path` and returns it."""
        target = Path(path)

        def write(data: bytes) -> Path:
            target.write_bytes(data)
            return target

        return self._client._request("GET", f"/v1/calls/{_id(call_id)}/recording", read="bytes", cast=write)


class Campaigns(_Resource):
    def create(self, **params: Unpack[t.CampaignCreateParams]) -> t.Campaign:
        return self._client._request("POST", "/v1/campaigns", body=params, cast=t.Campaign)

    def retrieve(self, campaign_id: str) -> t.Campaign:
        return self._client._request("GET", f"/v1/campaigns/{_id(campaign_id)}", cast=t.Campaign)

    def list(self, **query: Any) -> Page[t.Campaign]:
        return self._client._list("/v1/campaigns", query, t.Campaign)

    def update(self, campaign_id: str, **params: Unpack[t.CampaignUpdateParams]) -> t.Campaign:
        return self._client._request("PATCH", f"/v1/campaigns/{_id(campaign_id)}", body=params, cast=t.Campaign)

    def add_recipients(
        self,
        campaign_id: str,
        recipients: Optional[Iterable[Mapping[str, Any]]] = None,
        *,
        csv: Optional[Union[str, bytes]] = None,
        ndjson: Optional[Union[str, bytes]] = None,
    ) -> t.RecipientsUpload:
        """Recipients as dicts (`{"to": ..., "context": {...}, "timezone": ...}`), or a CSV or NDJSON text of any
        length (`csv=Path("list.csv").read_bytes()`). Exactly one of the three."""
        if sum(x is not None for x in (recipients, csv, ndjson)) != 1:
            raise TypeError("add_recipients takes exactly one of recipients, csv= or ndjson=")
        path = f"/v1/campaigns/{_id(campaign_id)}/recipients"
        if csv is not None:
            return self._client._request("POST", path, content=("text/csv", csv), cast=t.RecipientsUpload)
        if ndjson is not None:
            return self._client._request("POST", path, content=("application/x-ndjson", ndjson), cast=t.RecipientsUpload)
        return self._client._request("POST", path, body=[dict(r) for r in recipients or []], cast=t.RecipientsUpload)

    def recipients(self, campaign_id: str, **query: Any) -> Page[t.CampaignRecipient]:
        return self._client._list(f"/v1/campaigns/{_id(campaign_id)}/recipients", query, t.CampaignRecipient)

    def export_csv(self, campaign_id: str) -> str:
        """The recipients with their outcomes and their results' fields, as CSV text."""
        return self._client._request("GET", f"/v1/campaigns/{_id(campaign_id)}/recipients.csv", read="text")

    def start(self, campaign_id: str) -> t.Campaign:
        return self._client._request("POST", f"/v1/campaigns/{_id(campaign_id)}/start", cast=t.Campaign)

    def pause(self, campaign_id: str) -> t.Campaign:
        return self._client._request("POST", f"/v1/campaigns/{_id(campaign_id)}/pause", cast=t.Campaign)

    def resume(self, campaign_id: str) -> t.Campaign:
        return self._client._request("POST", f"/v1/campaigns/{_id(campaign_id)}/resume", cast=t.Campaign)

    def cancel(self, campaign_id: str) -> t.Campaign:
        return self._client._request("POST", f"/v1/campaigns/{_id(campaign_id)}/cancel", cast=t.Campaign)


class DoNotCall(_Resource):
    def add(self, **params: Unpack[t.DoNotCallAddParams]) -> t.DoNotCallEntry:
        return self._client._request("POST", "/v1/do_not_call", body=params, cast=t.DoNotCallEntry)

    def retrieve(self, number: str) -> t.DoNotCallEntry:
        return self._client._request("GET", f"/v1/do_not_call/{_id(number)}", cast=t.DoNotCallEntry)

    def list(self, **query: Any) -> Page[t.DoNotCallEntry]:
        return self._client._list("/v1/do_not_call", query, t.DoNotCallEntry, cursor="number")

    def remove(self, number: str) -> t.Deleted:
        return self._client._request("DELETE", f"/v1/do_not_call/{_id(number)}", cast=t.Deleted)

    def import_csv(self, csv: Union[str, bytes]) -> t.DoNotCallImport:
        return self._client._request("POST", "/v1/do_not_call/import", content=("text/csv", csv), cast=t.DoNotCallImport)


class WebhookEndpoints(_Resource):
    def create(self, **params: Unpack[t.WebhookEndpointCreateParams]) -> t.WebhookEndpoint:
        """The endpoint, with its `secret` (shown here and after rotate_secret only)."""
        return self._client._request("POST", "/v1/webhook_endpoints", body=params, cast=t.WebhookEndpoint)

    def retrieve(self, endpoint_id: str) -> t.WebhookEndpoint:
        return self._client._request("GET", f"/v1/webhook_endpoints/{_id(endpoint_id)}", cast=t.WebhookEndpoint)

    def list(self, **query: Any) -> Page[t.WebhookEndpoint]:
        return self._client._list("/v1/webhook_endpoints", query, t.WebhookEndpoint)

    def update(self, endpoint_id: str, **params: Unpack[t.WebhookEndpointUpdateParams]) -> t.WebhookEndpoint:
        return self._client._request("PATCH", f"/v1/webhook_endpoints/{_id(endpoint_id)}", body=params, cast=t.WebhookEndpoint)

    def delete(self, endpoint_id: str) -> t.Deleted:
        return self._client._request("DELETE", f"/v1/webhook_endpoints/{_id(endpoint_id)}", cast=t.Deleted)

    def rotate_secret(self, endpoint_id: str, *, expire_previous_in_seconds: Optional[int] = None) -> t.WebhookEndpoint:
        """A new secret (in the answer); the previous one keeps signing alongside for `expire_previous_in_seconds`
        (default one day) so receivers can switch without losing a delivery."""
        body = {} if expire_previous_in_seconds is None else {"expire_previous_in_seconds": expire_previous_in_seconds}
        return self._client._request("POST", f"/v1/webhook_endpoints/{_id(endpoint_id)}/rotate_secret", body=body, cast=t.WebhookEndpoint)

    def test(self, endpoint_id: str) -> t.WebhookDelivery:
        """Sends a signed `webhook.test` event to the endpoint."""
        return self._client._request("POST", f"/v1/webhook_endpoints/{_id(endpoint_id)}/test", cast=t.WebhookDelivery)

    def deliveries(self, endpoint_id: str, **query: Any) -> Page[t.WebhookDelivery]:
        return self._client._list(f"/v1/webhook_endpoints/{_id(endpoint_id)}/deliveries", query, t.WebhookDelivery)


class WebhookDeliveries(_Resource):
    def retrieve(self, delivery_id: str) -> t.WebhookDelivery:
        return self._client._request("GET", f"/v1/webhook_deliveries/{_id(delivery_id)}", cast=t.WebhookDelivery)

    def retry(self, delivery_id: str) -> t.WebhookDelivery:
        return self._client._request("POST", f"/v1/webhook_deliveries/{_id(delivery_id)}/retry", cast=t.WebhookDelivery)


class Balance(_Resource):
    def retrieve(self) -> t.Balance:
        return self._client._request("GET", "/v1/balance", cast=t.Balance)


class CreditLedger(_Resource):
    def list(self, **query: Any) -> Page[t.LedgerEntry]:
        return self._client._list("/v1/credit_ledger", query, t.LedgerEntry)


class Account(_Resource):
    def retrieve(self) -> t.Account:
        return self._client._request("GET", "/v1/account", cast=t.Account)


