"""The stack tests need a running Parley: PARLEY_BASE_URL and PARLEY_API_KEY (an account's key), and PARLEY_SIM_URL
(the Asterisk simulator, to script the far ends). `pnpm test` starts one and runs them (e2e/test/python-sdk.test.ts);
without it they are skipped."""
import json
import os
import time
import urllib.request

import pytest


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PARLEY_SIM_URL"):
        return
    skip = pytest.mark.skip(reason="no running stack: set PARLEY_BASE_URL, PARLEY_API_KEY and PARLEY_SIM_URL")
    for item in items:
        if "stack" in item.keywords:
            item.add_marker(skip)


class Stack:
    def __init__(self):
        self.sim_url = os.environ["PARLEY_SIM_URL"].rstrip("/")
        self.sandbox_trunk_id = os.environ["PARLEY_SANDBOX_TRUNK_ID"]
        self.account_id = os.environ["PARLEY_ACCOUNT_ID"]
        self.callee_lines = json.loads(os.environ.get("PARLEY_CALLEE_LINES", "[]"))

    def scenario(self, number, **scenario):
        """What the far end at `number` does when called (answer, busy...; its lines)."""
        req = urllib.request.Request(f"{self.sim_url}/sim/scenarios/{urllib.request.quote(number, safe='')}", data=json.dumps(scenario).encode(), method="PUT", headers={"content-type": "application/json"})
        urllib.request.urlopen(req).read()

    @staticmethod
    def until(check, what, timeout=120.0):
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.3)


@pytest.fixture(scope="session")
def stack():
    return Stack()
