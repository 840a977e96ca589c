"""The client against a fake transport: what it sends, how it retries, what it raises, how it pages and streams."""
import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from parley import (
    APIConnectionError,
    AsyncPage,
    AsyncParley,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    Page,
    Parley,
    ParleyError,
    RateLimitError,
)
from parley import types as t

HERE = Path(__file__).resolve().parent
CALL = {"id": "c1", "object": "call", "status": "queued", "latency": {"turns": 2, "stt_ms": {"p50_ms": 10.0, "p95_ms": 20.0, "count": 2}}, "brand_new_field": 7}


class Recorder:
    """A fake API: answers each request with the next of `answers` (a response, or an exception to raise)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def client_for(recorder, **options):
    client = Parley(api_key="sk_test", base_url="http://parley.test/v1/", http_client=httpx.Client(transport=httpx.MockTransport(recorder)), **options)
    client.slept = []
    client._sleep = client.slept.append
    return client


def async_client_for(recorder, **options):
    client = AsyncParley(api_key="sk_test", base_url="http://parley.test", http_client=httpx.AsyncClient(transport=httpx.MockTransport(recorder)), **options)
    client.slept = []

    async def sleep(seconds):
        client.slept.append(seconds)

    client._sleep = sleep
    return client


def error(status, code, param=None, headers=None):
    return httpx.Response(status, json={"error": {"type": "invalid_request_error", "code": code, "message": f"{code}!", "param": param}}, headers=headers)


def test_reads_the_key_and_base_url_from_the_environment(monkeypatch):
    monkeypatch.setenv("PARLEY_API_KEY", "sk_env")
    monkeypatch.setenv("PARLEY_BASE_URL", "http://env.test:3000/v1")
    client = Parley()
    assert (client.api_key, client.base_url) == ("sk_env", "http://env.test:3000")
    assert "sk_env" not in repr(client)
    monkeypatch.delenv("PARLEY_API_KEY")
    with pytest.raises(ParleyError) as missing:
        Parley()
    assert missing.value.code == "api_key_missing"


def test_sends_json_with_the_key_and_idempotency_key_and_reads_a_typed_model():
    api = Recorder(httpx.Response(201, json=CALL))
    call = client_for(api).calls.create(agent_id="a1", to="+15551234567", context={"name": "Maria"}, idempotency_key="order-4711")
    sent = api.requests[0]
    assert (sent.method, str(sent.url)) == ("POST", "http://parley.test/v1/calls")
    assert sent.headers["authorization"] == "Bearer sk_test"
    assert sent.headers["idempotency-key"] == "order-4711"
    assert json.loads(sent.content) == {"agent_id": "a1", "to": "+15551234567", "context": {"name": "Maria"}}
    assert isinstance(call, t.Call)
    assert (call.id, call.status, call["status"]) == ("c1", "queued", "queued")
    assert isinstance(call.latency, t.CallLatency) and isinstance(call.latency.stt_ms, t.LatencyStats)
    assert call.latency.stt_ms.p95_ms == 20.0
    assert call.brand_new_field == 7  # a field the API added after this client was generated
    assert call.to_dict() == CALL
    with pytest.raises(AttributeError):
        call.nonexistent
    with pytest.raises(AttributeError):
        call.status = "completed"


def test_a_union_field_takes_the_model_its_constant_field_names():
    agent = t.Agent({"tools": [{"type": "end_call"}, {"type": "http", "name": "find_slot"}], "conversation": {"mode": "webhook", "url": "https://x"}})
    assert [type(tool).__name__ for tool in agent.tools] == ["AgentToolsEndCall", "AgentToolsHttp"]
    assert type(agent.conversation).__name__ == "AgentConversationWebhook"


def test_query_values_and_path_ids_are_encoded():
    api = Recorder(httpx.Response(200, json={"object": "list", "data": [], "has_more": False}), httpx.Response(200, json={"number": "+1 555", "object": "do_not_call_entry"}))
    client = client_for(api)
    client.calls.list(status="completed", limit=5, agent_id=None)
    client.do_not_call.retrieve("+1 555/x")
    assert str(api.requests[0].url) == "http://parley.test/v1/calls?status=completed&limit=5"
    assert api.requests[1].url.raw_path == b"/v1/do_not_call/%2B1%20555%2Fx"


def test_errors_carry_the_api_code_param_and_status():
    client = client_for(Recorder(error(400, "parameter_invalid", "to"), error(404, "resource_not_found", "id"), error(409, "call_already_ended")))
    with pytest.raises(BadRequestError) as bad:
        client.calls.create(agent_id="a1", to="nope")
    assert (bad.value.status, bad.value.code, bad.value.param, bad.value.type) == (400, "parameter_invalid", "to", "invalid_request_error")
    assert "parameter_invalid" in str(bad.value) and "to" in str(bad.value)
    with pytest.raises(NotFoundError):
        client.agents.retrieve("missing")
    with pytest.raises(ConflictError):
        client.calls.end("c1")


def test_a_429_is_retried_after_retry_after_even_for_a_post():
    api = Recorder(error(429, "rate_limited", headers={"retry-after": "2"}), httpx.Response(201, json=CALL))
    client = client_for(api)
    assert client.calls.create(agent_id="a1", to="+15551234567").id == "c1"
    assert client.slept == [2.0] and len(api.requests) == 2


def test_a_5xx_is_retried_for_a_get_with_backoff_then_raised():
    api = Recorder(error(503, "unavailable"), error(502, "bad_gateway"), error(500, "internal"))
    client = client_for(api, max_retries=2)
    with pytest.raises(InternalServerError) as failed:
        client.calls.retrieve("c1")
    assert failed.value.status == 500 and len(api.requests) == 3
    assert len(client.slept) == 2 and 0.3 <= client.slept[0] <= 0.7 and 0.7 <= client.slept[1] <= 1.3


def test_a_post_without_an_idempotency_key_is_not_retried_on_a_5xx_or_a_lost_connection():
    client = client_for(Recorder(error(500, "internal")))
    with pytest.raises(InternalServerError):
        client.calls.create(agent_id="a1", to="+15551234567")
    client = client_for(Recorder(httpx.ConnectError("refused")))
    with pytest.raises(APIConnectionError) as lost:
        client.calls.create(agent_id="a1", to="+15551234567")
    assert lost.value.status is None and client.slept == []


def test_a_post_with_an_idempotency_key_is_retried_after_a_lost_connection_with_the_same_key():
    api = Recorder(httpx.ConnectError("reset"), httpx.ReadTimeout("slow"), httpx.Response(201, json=CALL))
    client = client_for(api)
    assert client.calls.create(agent_id="a1", to="+15551234567", idempotency_key="k-1").id == "c1"
    assert [r.headers["idempotency-key"] for r in api.requests] == ["k-1", "k-1", "k-1"]


def test_rate_limit_errors_surface_when_retries_run_out():
    client = client_for(Recorder(error(429, "rate_limited"), error(429, "rate_limited")), max_retries=1)
    with pytest.raises(RateLimitError):
        client.balance.retrieve()


def page(ids, has_more, key="id"):
    return httpx.Response(200, json={"object": "list", "data": [{key: i} for i in ids], "has_more": has_more})


def test_lists_iterate_across_every_page_with_starting_after():
    api = Recorder(page(["a", "b"], True), page(["c"], True), page([], False))
    first = client_for(api).agents.list(limit=2)
    assert isinstance(first, Page) and [a.id for a in first.data] == ["a", "b"] and first.has_more
    assert [a.id for a in first] == ["a", "b", "c"]
    assert [r.url.params.get("starting_after") for r in api.requests] == [None, "b", "c"]
    assert all(r.url.params["limit"] == "2" for r in api.requests)


def test_the_do_not_call_list_pages_by_number():
    api = Recorder(page(["+1555"], True, "number"), page(["+1444"], False, "number"))
    assert [e.number for e in client_for(api).do_not_call.list(limit=1)] == ["+1555", "+1444"]
    assert api.requests[1].url.params["starting_after"] == "+1555"


class Chunked(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, chunks):
        self.chunks = [c.encode() for c in chunks]

    def __iter__(self):
        yield from self.chunks

    async def __aiter__(self):
        for c in self.chunks:
            yield c


SSE = [": ping\n\n", 'event: segment\ndata: {"role": "agent", "text": "Hi', ' there"}\n\n', 'event: segment\r\ndata: {"role": "user", "text": "Hello?"}\r\n\r\n', "event: end\ndata: {}\n\n", 'event: segment\ndata: {"role": "agent", "text": "never"}\n\n']


def test_the_transcript_stream_yields_segments_split_across_chunks_until_end():
    api = Recorder(httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Chunked(SSE)))
    segments = list(client_for(api).calls.stream_transcript("c1"))
    assert [(s.role, s.text) for s in segments] == [("agent", "Hi there"), ("user", "Hello?")]
    assert all(isinstance(s, t.TranscriptSegment) for s in segments)


def test_the_async_client_has_the_same_surface():
    async def run():
        api = Recorder(
            httpx.Response(201, json=CALL),
            error(503, "unavailable"),
            httpx.Response(200, json=CALL),
            page(["a"], True),
            page(["b"], False),
            page(["a"], True),
            page(["b"], False),
            httpx.Response(200, stream=Chunked(SSE)),
            error(400, "parameter_invalid", "to"),
            httpx.Response(200, content=b"RIFF...."),
        )
        async with async_client_for(api) as client:
            call = await client.calls.create(agent_id="a1", to="+15551234567")
            assert isinstance(call, t.Call) and call.status == "queued"
            assert (await client.calls.retrieve("c1")).id == "c1"  # after one retried 503
            assert len(client.slept) == 1
            first = await client.agents.list()
            assert isinstance(first, AsyncPage) and [a.id for a in first.data] == ["a"]
            assert [a.id for a in (await first.next_page()).data] == ["b"]
            assert [a.id async for a in client.agents.list()] == ["a", "b"]
            assert [s.text async for s in client.calls.stream_transcript("c1")] == ["Hi there", "Hello?"]
            with pytest.raises(BadRequestError):
                await client.calls.create(agent_id="a1", to="nope")
            assert await client.calls.recording("c1") == b"RIFF...."

    asyncio.run(run())


def test_add_recipients_sends_json_csv_or_ndjson():
    upload = httpx.Response(200, json={"object": "recipients_upload", "accepted": 1})
    api = Recorder(upload, upload, upload)
    client = client_for(api)
    client.campaigns.add_recipients("cmp", [{"to": "+1555"}])
    client.campaigns.add_recipients("cmp", csv="to\n+1555\n")
    client.campaigns.add_recipients("cmp", ndjson=b'{"to": "+1555"}\n')
    assert [r.headers["content-type"] for r in api.requests] == ["application/json", "text/csv", "application/x-ndjson"]
    assert api.requests[1].content == b"to\n+1555\n"
    with pytest.raises(TypeError):
        client.campaigns.add_recipients("cmp", [{"to": "+1"}], csv="to\n")


def test_the_models_are_what_the_openapi_document_gives():
    """The committed models equal what the generator makes of the document the api serves (packages/sdk/openapi.json
    is kept equal to it by the api's tests; the stack tests check the served one)."""
    result = subprocess.run([sys.executable, str(HERE.parent / "scripts" / "generate.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_generated_annotation_resolves():
    import typing

    checked = 0
    for name in t.__all__:
        typing.get_type_hints(getattr(t, name), vars(t))
        checked += 1
    assert checked >= 30


def test_the_async_client_is_typed_with_awaited_methods_for_every_resource_method():
    import inspect
    import typing

    from parley import _async_resources
    from parley._client import RESOURCES

    hints = typing.get_type_hints(AsyncParley, vars(_async_resources))
    for name, resource in RESOURCES.items():
        typed = hints[name]
        assert typed.__name__ == f"Async{resource.__name__}"
        public = lambda cls: sorted(m for m, f in vars(cls).items() if callable(f) and not m.startswith("_"))  # noqa: E731
        assert public(typed) == public(resource)
        for method in public(resource):
            pages = str(inspect.signature(getattr(resource, method)).return_annotation).startswith(("Page[", "Iterator["))
            assert inspect.iscoroutinefunction(getattr(typed, method)) is not pages, f"{name}.{method}"
