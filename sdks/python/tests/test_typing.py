"""The package type-checks (mypy, strict about what it annotates), and so does code using either client; code that
forgets to await the async client's methods does not."""
import subprocess
import sys
import textwrap
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

GOOD = """
from parley import AsyncParley, Parley, types as t

async def use_async() -> None:
    async with AsyncParley(api_key="k") as client:
        call: t.Call = await client.calls.create(agent_id="a", to="+15551234567", idempotency_key="k-1")
        async for c in client.calls.list(status="completed"):
            print(c.id, call.status)
        first = await client.agents.list(limit=1)
        print(first.data, first.has_more)
        async for segment in client.calls.stream_transcript(call.id):
            print(segment.text)

def use_sync() -> None:
    with Parley(api_key="k") as client:
        call: t.Call = client.calls.create(agent_id="a", to="+15551234567")
        for c in client.calls.list():
            print(c.id, call.status)
        for segment in client.calls.stream_transcript(call.id):
            print(segment.text)
"""

BAD = """
from parley import AsyncParley, types as t

async def forgot_await() -> None:
    client = AsyncParley(api_key="k")
    call: t.Call = client.calls.create(agent_id="a", to="+15551234567")
"""


def mypy(tmp_path: Path, code: str) -> subprocess.CompletedProcess:
    sample = tmp_path / "sample.py"
    sample.write_text(textwrap.dedent(code))
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--enable-incomplete-feature=Unpack", "--ignore-missing-imports", str(sample), str(SRC / "parley")],
        capture_output=True,
        text=True,
        env={"MYPYPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )


def test_the_package_and_code_using_both_clients_type_check(tmp_path):
    result = mypy(tmp_path, GOOD)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_missing_await_on_the_async_client_is_a_type_error(tmp_path):
    result = mypy(tmp_path, BAD)
    assert result.returncode == 1 and "Coroutine" in result.stdout, result.stdout + result.stderr
