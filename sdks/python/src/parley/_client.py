"""The clients: `Parley` (blocking) and `AsyncParley` (asyncio), the same resources over httpx.

How a request is made (headers, retries, errors) is written once, as a plan that asks its driver to send a request or
to wait; the blocking and the asyncio client each drive it with their own httpx client and sleep.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Dict, Generator, Iterator, Mapping, Optional, Tuple, Union

import httpx

from ._errors import APIConnectionError, APITimeoutError, ParleyError, error_for
from ._pagination import AsyncPage, AsyncPager, Page
from ._streaming import server_sent_events, server_sent_events_async
from ._version import __version__
from .resources import Account, Agents, Balance, Calls, Campaigns, CreditLedger, DoNotCall, Numbers, Trunks, WebhookDeliveries, WebhookEndpoints
from .webhooks import Webhooks

if TYPE_CHECKING:
    from ._async_resources import (
        AsyncAccount,
        AsyncAgents,
        AsyncBalance,
        AsyncCalls,
        AsyncCampaigns,
        AsyncCreditLedger,
        AsyncDoNotCall,
        AsyncNumbers,
        AsyncTrunks,
        AsyncWebhookDeliveries,
        AsyncWebhookEndpoints,
    )

RESOURCES = {
    "agents": Agents,
    "numbers": Numbers,
    "trunks": Trunks,
    "calls": Calls,
    "campaigns": Campaigns,
    "do_not_call": DoNotCall,
    "webhook_endpoints": WebhookEndpoints,
    "webhook_deliveries": WebhookDeliveries,
    "balance": Balance,
    "credit_ledger": CreditLedger,
    "account": Account,
}

DEFAULT_BASE_URL = "http://127.0.0.1:3000"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
_IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}

Cast = Optional[Callable[[Any], Any]]
# What a plan asks of its driver: ("send", request) answered with the response (or an httpx error thrown in), or
# ("sleep", seconds).
Action = Tuple[str, Any]


class _Request:
    __slots__ = ("method", "path", "query", "body", "content", "idempotency_key", "read", "cast", "timeout")

    def __init__(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        content: Optional[Tuple[str, Union[str, bytes]]] = None,
        idempotency_key: Optional[str] = None,
        read: str = "json",
        cast: Cast = None,
        timeout: Optional[float] = None,
    ) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.content = content
        self.idempotency_key = idempotency_key
        #: json, text, bytes, or stream (the response itself, still open)
        self.read = read
        self.cast = cast
        self.timeout = timeout


class _BaseClient:
    def __init__(
        self,
        api_key: Optional[str],
        base_url: Optional[str],
        timeout: float,
        max_retries: int,
        webhook_secret: Optional[str],
    ) -> None:
        api_key = api_key or os.environ.get("PARLEY_API_KEY")
        if not api_key:
            raise ParleyError("No API key: pass api_key, or set PARLEY_API_KEY", type="authentication_error", code="api_key_missing")
        self.api_key = api_key
        url = (base_url or os.environ.get("PARLEY_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.base_url = url[: -len("/v1")] if url.endswith("/v1") else url
        self.timeout = timeout
        self.max_retries = max_retries
        # One implementation of each resource serves both clients; each client's annotations give its types.
        for name, resource in RESOURCES.items():
            setattr(self, name, resource(self))
        self.webhooks = Webhooks(webhook_secret or os.environ.get("PARLEY_WEBHOOK_SECRET"))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"  # never the key

    def _headers(self) -> Dict[str, str]:
        return {"authorization": f"Bearer {self.api_key}", "accept": "application/json", "user-agent": f"parley-python/{__version__}"}

    def _build(self, http: Any, req: _Request) -> httpx.Request:
        headers = self._headers()
        content: Optional[Union[str, bytes]] = None
        if req.content is not None:
            headers["content-type"], content = req.content
        elif req.body is not None:
            headers["content-type"] = "application/json"
            content = json.dumps(req.body)
        if req.idempotency_key:
            headers["idempotency-key"] = req.idempotency_key
        query = {k: _query_value(v) for k, v in (req.query or {}).items() if v is not None}
        total = req.timeout if req.timeout is not None else self.timeout
        # A stream lasts as long as the call: only its start is timed.
        timeout = httpx.Timeout(total, read=None) if req.read == "stream" else httpx.Timeout(total)
        return http.build_request(req.method, self.base_url + req.path, params=query, headers=headers, content=content, timeout=timeout)

    def _plan(self, request: httpx.Request, req: _Request) -> Generator[Action, Any, Any]:
        """Retried (up to max_retries, backing off, honouring Retry-After): a 429 always (the API did nothing); a 5xx,
        a timeout or a lost connection only when the request is idempotent (GET, DELETE, or with an Idempotency-Key)."""
        retriable = req.method in _IDEMPOTENT or bool(req.idempotency_key)
        attempt = 0
        while True:
            try:
                res: httpx.Response = yield ("send", request)
            except httpx.TimeoutException as err:
                if retriable and attempt < self.max_retries:
                    attempt += 1
                    yield ("sleep", _backoff(attempt - 1, None))
                    continue
                raise APITimeoutError(f"No answer from {req.method} {req.path} within {self.timeout} s", type="api_connection_error", code="timeout") from err
            except httpx.TransportError as err:
                if retriable and attempt < self.max_retries:
                    attempt += 1
                    yield ("sleep", _backoff(attempt - 1, None))
                    continue
                raise APIConnectionError(f"{req.method} {req.path}: {err}", type="api_connection_error", code="connection_error") from err
            if res.is_success:
                return self._result(res, req)
            try:
                body = res.json()
            except ValueError:
                body = None
            error = error_for(res.status_code, body, res.headers)
            if (res.status_code == 429 or (res.status_code >= 500 and retriable)) and attempt < self.max_retries:
                attempt += 1
                yield ("sleep", _backoff(attempt - 1, res.headers.get("retry-after")))
                continue
            raise error

    @staticmethod
    def _result(res: httpx.Response, req: _Request) -> Any:
        if req.read == "stream":
            return res
        if req.read == "text":
            value: Any = res.text
        elif req.read == "bytes":
            value = res.content
        else:
            value = None if res.status_code == 204 or not res.content else res.json()
        return req.cast(value) if req.cast else value


class Parley(_BaseClient):
    """The Parley API. `Parley()` reads PARLEY_API_KEY and PARLEY_BASE_URL (default http://127.0.0.1:3000); every
    resource is an attribute (`client.calls.create(...)`); lists iterate across every page; errors are ParleyError
    subclasses carrying the API's `code`, `message`, `param` and `status`. Use it as a context manager, or `close()`."""

    agents: Agents
    numbers: Numbers
    trunks: Trunks
    calls: Calls
    campaigns: Campaigns
    do_not_call: DoNotCall
    webhook_endpoints: WebhookEndpoints
    webhook_deliveries: WebhookDeliveries
    balance: Balance
    credit_ledger: CreditLedger
    account: Account

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        webhook_secret: Optional[str] = None,
        http_client: Optional[httpx.Client] = None,
    ) -> None:
        super().__init__(api_key, base_url, timeout, max_retries, webhook_secret)
        self._http = http_client or httpx.Client()
        self._sleep: Callable[[float], None] = time.sleep

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Parley":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _request(self, method: str, path: str, **options: Any) -> Any:
        req = _Request(method, path, **options)
        plan = self._plan(self._build(self._http, req), req)
        action = next(plan)
        while True:
            try:
                if action[0] == "sleep":
                    self._sleep(action[1])
                    action = next(plan)
                    continue
                try:
                    res = self._http.send(action[1], stream=True)
                    if not (req.read == "stream" and res.is_success):
                        try:
                            res.read()
                        finally:
                            res.close()
                except httpx.TransportError as err:
                    action = plan.throw(err)
                    continue
                action = plan.send(res)
            except StopIteration as done:
                return done.value

    def _list(self, path: str, query: Optional[Mapping[str, Any]], cast: Cast, cursor: str = "id") -> Page:
        params: Dict[str, Any] = dict(query or {})
        body = self._request("GET", path, query=params)
        return Page(body, cast, lambda after: self._list(path, {**params, "starting_after": after}, cast, cursor), cursor)

    def _events(self, path: str, item_event: str, cast: Cast) -> Iterator[Any]:
        res: httpx.Response = self._request("GET", path, read="stream")
        try:
            for event, data in server_sent_events(res.iter_text()):
                if event == item_event:
                    value = json.loads(data)
                    yield cast(value) if cast else value
                elif event == "end":
                    return
        finally:
            res.close()


class AsyncParley(_BaseClient):
    """The same API for asyncio: every method is awaited (`await client.calls.create(...)`); lists are awaited for
    their first page, or iterated with `async for` across every page; the transcript stream is an async iterator."""

    # The same resource objects as Parley's; these annotations give their methods' asyncio types (_async_resources.py).
    agents: AsyncAgents
    numbers: AsyncNumbers
    trunks: AsyncTrunks
    calls: AsyncCalls
    campaigns: AsyncCampaigns
    do_not_call: AsyncDoNotCall
    webhook_endpoints: AsyncWebhookEndpoints
    webhook_deliveries: AsyncWebhookDeliveries
    balance: AsyncBalance
    credit_ledger: AsyncCreditLedger
    account: AsyncAccount

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        webhook_secret: Optional[str] = None,
        http_client: Optional[httpx.AsyncClient] = None,
    ) -> None:
        super().__init__(api_key, base_url, timeout, max_retries, webhook_secret)
        self._http = http_client or httpx.AsyncClient()
        self._sleep: Callable[[float], Any] = asyncio.sleep

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncParley":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def _request(self, method: str, path: str, **options: Any) -> Any:
        req = _Request(method, path, **options)
        plan = self._plan(self._build(self._http, req), req)
        action = next(plan)
        while True:
            try:
                if action[0] == "sleep":
                    await self._sleep(action[1])
                    action = next(plan)
                    continue
                try:
                    res = await self._http.send(action[1], stream=True)
                    if not (req.read == "stream" and res.is_success):
                        try:
                            await res.aread()
                        finally:
                            await res.aclose()
                except httpx.TransportError as err:
                    action = plan.throw(err)
                    continue
                action = plan.send(res)
            except StopIteration as done:
                return done.value

    def _list(self, path: str, query: Optional[Mapping[str, Any]], cast: Cast, cursor: str = "id") -> AsyncPager:
        params: Dict[str, Any] = dict(query or {})

        async def page(after: Optional[str]) -> AsyncPage:
            q = {**params, "starting_after": after} if after else params
            return AsyncPage(await self._request("GET", path, query=q), cast, page, cursor)

        return AsyncPager(lambda: page(None))

    async def _events(self, path: str, item_event: str, cast: Cast) -> AsyncIterator[Any]:
        res: httpx.Response = await self._request("GET", path, read="stream")
        try:
            async for event, data in server_sent_events_async(res.aiter_text()):
                if event == item_event:
                    value = json.loads(data)
                    yield cast(value) if cast else value
                elif event == "end":
                    return
        finally:
            await res.aclose()


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _backoff(attempt: int, retry_after: Optional[str]) -> float:
    """Retry-After (seconds, or an HTTP date) when the API gives it, else 0.5 s doubling, with jitter, at most 8 s."""
    if retry_after:
        try:
            return min(max(float(retry_after), 0.0), 60.0)
        except ValueError:
            try:
                return min(max(parsedate_to_datetime(retry_after).timestamp() - time.time(), 0.0), 60.0)
            except (TypeError, ValueError):
                pass
    return min(8.0, 0.5 * 2**attempt) * (0.75 + random.random() * 0.5)
