"""Every public method against a running Parley (see conftest.py), the CallingBox example first."""
import asyncio
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

import pytest

import parley
from parley import AsyncParley, BadRequestError, ConflictError, NotFoundError, Parley, WebhookVerificationError
from parley import types as t

pytestmark = pytest.mark.stack
ROOT = Path(__file__).resolve().parents[1]
FINAL = {"completed", "no_answer", "busy", "canceled", "failed"}


def settled(client, call_id, stack):
    def check():
        call = client.calls.retrieve(call_id)
        return call if call.status in FINAL and call.result_status != "pending" else None

    return stack.until(check, f"call {call_id} settled")


def test_the_callingbox_example_unchanged_but_for_the_import_and_the_client(stack):
    maria = "+15551234567"
    stack.scenario(maria, outcome="answer", answer_after_ms=500, lines=stack.callee_lines)
    with parley.Parley() as setup:  # PARLEY_API_KEY and PARLEY_BASE_URL, as a user's process has them
        number = setup.numbers.create(number="+15550100190", trunk_id=stack.sandbox_trunk_id, label="main")
    pn_abc123 = number.id

    # -- CallingBox's example: only the import and the client's name changed (and the number id is ours) --
    from parley import Parley

    client = Parley()
    agent = client.agents.create(name="Appointment reminders", type="outbound", instructions="Call Maria Lopez to confirm the appointment with Dr. Chen tomorrow at 2pm. If they want to move it, ask for a preferred day and time, repeat it back, say the office will confirm, and end the call.",
                                 returns={"confirmed": "boolean", "reschedule_to": "string"},
                                 number_ids=[pn_abc123], primary_number_id=pn_abc123)
    call = client.calls.create(agent_id=agent.id, to="+15551234567")
    print(call.id, call.status)
    # -- end of the example --

    assert isinstance(call, t.Call) and call.status == "queued" and call.channel == "phone"
    live = list(client.calls.stream_transcript(call.id))
    assert any(s.role == "user" for s in live) and any(s.role == "agent" for s in live)
    done = settled(client, call.id, stack)
    assert (done.status, done.result_status) == ("completed", "completed")
    assert re.search("friday", str(done.result["reschedule_to"]), re.I)
    assert done.billing_amount_milli_cents is not None and done.latency.turns >= 1
    assert len(client.calls.transcript(call.id).segments) == len(live)
    assert "ended" in [e.type for e in client.calls.events(call.id).data]
    assert client.calls.recording(call.id)[:4] == b"RIFF"
    with tempfile.TemporaryDirectory() as tmp:
        saved = client.calls.download_recording(call.id, Path(tmp) / "call.wav")
        assert saved.read_bytes()[:4] == b"RIFF"
    assert [c.id for c in client.calls.list(agent_id=agent.id, limit=1)] == [call.id]
    assert call.id in [c.id for c in client.numbers.calls(number.id)]
    with pytest.raises(ConflictError) as ended:
        client.calls.end(call.id)
    assert ended.value.status == 409
    again = client.calls.create(agent_id=agent.id, to="+15551234567", idempotency_key=f"py-{call.id}")
    assert client.calls.create(agent_id=agent.id, to="+15551234567", idempotency_key=f"py-{call.id}").id == again.id
    assert client.calls.end(again.id).status in ("canceled", "completed")
    assert client.balance.retrieve().object == "balance"
    assert isinstance(list(client.credit_ledger.list()), list)
    assert client.account.retrieve().id == stack.account_id
    client.close()


def test_the_async_client_manages_agents_numbers_trunks_and_web_calls(stack):
    async def run():
        async with AsyncParley() as client:
            trunk = await client.trunks.create(name="carrier", host="sip.example.com")
            assert (await client.trunks.retrieve(trunk.id)).name == "carrier"
            assert (await client.trunks.update(trunk.id, max_concurrent_calls=3)).max_concurrent_calls == 3
            assert trunk.id in [x.id async for x in client.trunks.list()]
            number = await client.numbers.create(number="+15550100191", trunk_id=trunk.id)
            assert (await client.numbers.update(number.id, label="support")).label == "support"
            assert (await client.numbers.retrieve(number.id)).number == "+15550100191"
            assert number.id in [n.id async for n in client.numbers.list()]
            agent = await client.agents.create(name="Front desk", type="inbound", number_ids=[number.id], tools=[{"type": "end_call"}])
            assert type(agent.tools[0]).__name__ == "AgentToolsEndCall"
            assert (await client.agents.update(agent.id, instructions="Be brief.")).instructions == "Be brief."
            assert (await client.agents.retrieve(agent.id)).name == "Front desk"
            first = await client.agents.list(limit=1)
            assert len(first.data) == 1 and agent.id in [a.id async for a in client.agents.list(limit=1)]
            web = await client.calls.create_web(agent_id=agent.id, metadata={"visitor": "v-42"})
            assert (web.channel, web.status) == ("web", "queued") and web.access_token.startswith("wct_")
            assert (await client.calls.end(web.id)).status == "canceled"
            with pytest.raises(BadRequestError) as bad:
                await client.calls.create(agent_id=agent.id, to="not a number")
            assert bad.value.param in ("to", "agent_id") and bad.value.code
            assert (await client.agents.delete(agent.id)).deleted is True
            await client.numbers.delete(number.id)
            await client.trunks.delete(trunk.id)
            with pytest.raises(NotFoundError) as missing:
                await client.agents.retrieve(agent.id)
            assert (missing.value.status, missing.value.code, missing.value.param) == (404, "resource_not_found", "id")

    asyncio.run(run())


def test_campaigns_and_the_do_not_call_list(stack):
    client = Parley()
    number = client.numbers.create(number="+15550100192", trunk_id=stack.sandbox_trunk_id)
    agent = client.agents.create(name="Survey", type="outbound", instructions="Ask one question.", number_ids=[number.id])
    a, b, c, listed = "+15550153001", "+15550153002", "+15550153003", "+15550153004"
    for n in (a, b, c):
        stack.scenario(n, outcome="busy", answer_after_ms=50)
    assert client.do_not_call.add(number=listed, reason="asked").number == listed
    assert client.do_not_call.import_csv("number\n+15550153005\n").added == 1
    assert client.do_not_call.retrieve(listed).reason == "asked"
    assert sorted(e.number for e in client.do_not_call.list(limit=1)) == [listed, "+15550153005"]
    client.do_not_call.remove("+15550153005")

    every = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "23:59"}
    campaign = client.campaigns.create(name="Survey", agent_id=agent.id, max_concurrent_calls=2, schedule={"window": every, "timezone": "UTC"})
    assert client.campaigns.update(campaign.id, name="Survey Q4").name == "Survey Q4"
    assert client.campaigns.add_recipients(campaign.id, [{"to": a}]).accepted == 1
    upload = client.campaigns.add_recipients(campaign.id, csv=f"to,name\n{b},Bo\n{listed},X\n")
    assert (upload.accepted, upload.rejected_count) == (1, 1)
    assert client.campaigns.add_recipients(campaign.id, ndjson=json.dumps({"to": c})).accepted == 1
    assert client.campaigns.start(campaign.id).status == "scheduled"
    assert client.campaigns.pause(campaign.id).status == "paused"
    assert client.campaigns.resume(campaign.id).status == "scheduled"
    stack.until(lambda: client.campaigns.retrieve(campaign.id).status == "completed", "the campaign completed", 60)
    progress = client.campaigns.retrieve(campaign.id).progress
    assert (progress.total, progress.exhausted) == (3, 3)
    assert sorted(r.to for r in client.campaigns.recipients(campaign.id, limit=2)) == [a, b, c]
    assert "to" in client.campaigns.export_csv(campaign.id).splitlines()[0]
    assert campaign.id in [x.id for x in client.campaigns.list()]
    assert client.campaigns.cancel(client.campaigns.create(name="Never", agent_id=agent.id).id).status == "canceled"


def test_webhook_endpoints_and_verifying_what_they_receive(stack):
    received = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            received.append((body, dict(self.headers)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = Parley()
    try:
        endpoint = client.webhook_endpoints.create(url=f"http://127.0.0.1:{server.server_port}/hooks", events=["call.completed"])
        secret = endpoint.secret
        assert secret.startswith("whsec_")
        assert client.webhook_endpoints.update(endpoint.id, description="ops").id == endpoint.id
        assert client.webhook_endpoints.retrieve(endpoint.id).id == endpoint.id
        assert endpoint.id in [e.id for e in client.webhook_endpoints.list()]
        delivery = client.webhook_endpoints.test(endpoint.id)
        stack.until(lambda: received, "the test delivery", 20)
        body, headers = received[0]
        event = client.webhooks.unwrap(body, headers, secret)
        assert event.type == "webhook.test"
        with pytest.raises(WebhookVerificationError, match="signature"):
            client.webhooks.unwrap(body.replace(b"test", b"tost"), headers, secret)
        stack.until(lambda: client.webhook_deliveries.retrieve(delivery.id).status == "delivered", "delivered", 20)
        assert client.webhook_deliveries.retry(delivery.id).id == delivery.id
        assert delivery.id in [d.id for d in client.webhook_endpoints.deliveries(endpoint.id)]
        rotated = client.webhook_endpoints.rotate_secret(endpoint.id, expire_previous_in_seconds=0)
        assert rotated.secret.startswith("whsec_") and rotated.secret != secret
        client.webhook_endpoints.delete(endpoint.id)
    finally:
        server.shutdown()


def test_the_models_are_what_the_served_openapi_document_gives():
    document = urllib.request.urlopen(os.environ["PARLEY_BASE_URL"].rstrip("/") + "/v1/openapi.json").read()
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate.py"), "-", "--check"], input=document, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()


def test_the_readme_quick_start_runs_as_written_from_a_pip_installed_copy(stack):
    readme = (ROOT / "README.md").read_text()
    quick_start = re.search(r"## Quick start\n.*?```python\n(.*?)```", readme, re.S).group(1)
    client = Parley()
    number = client.numbers.create(number="+15550100193", trunk_id=stack.sandbox_trunk_id)
    stack.scenario("+15551234567", outcome="answer", answer_after_ms=200, lines=["Hello?"], hangup_after_ms=6000)
    with tempfile.TemporaryDirectory() as tmp:
        # pip builds in the directory it installs from: a copy, so the checkout stays clean.
        source = shutil.copytree(ROOT, Path(tmp) / "source", ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests"))
        target = Path(tmp) / "site"
        install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps", "--target", str(target), str(source)], capture_output=True, text=True)
        assert install.returncode == 0, install.stderr
        assert (target / "parley" / "types.py").exists() and (target / "parley" / "py.typed").exists()
        script = Path(tmp) / "quick_start.py"
        script.write_text(quick_start)
        env = {**os.environ, "PYTHONPATH": str(target), "PARLEY_NUMBER_ID": number.id}
        run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=tmp, timeout=180)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0].endswith(" queued")
    call_id = run.stdout.split()[0]
    assert client.calls.retrieve(call_id).agent_id
    assert any(line.startswith(("agent ", "user ")) for line in run.stdout.splitlines()[1:])
    # Read when the stream ended, the call has its final status.
    assert run.stdout.splitlines()[-1] in FINAL, run.stdout
