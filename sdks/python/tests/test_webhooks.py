"""Standard Webhooks verification, against the specification's own example and against tampering."""
import pytest

from parley import Parley, WebhookEvent, WebhookVerificationError
from parley.webhooks import Webhooks

# The example in the Standard Webhooks specification (https://github.com/standard-webhooks/standard-webhooks).
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = '{"test": 2432232314}'
HEADERS = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330", "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}
NOW = 1614265330 + 10


def test_the_specification_example_verifies_with_any_header_case_and_bytes():
    hooks = Webhooks(SECRET)
    assert hooks.unwrap(BODY, HEADERS, now=NOW) == WebhookEvent({"test": 2432232314})
    shouting = {k.title(): v for k, v in HEADERS.items()}
    hooks.verify(BODY.encode(), shouting, now=NOW)
    # One of several signatures (a rotation's old and new secrets) is enough.
    hooks.verify(BODY, {**HEADERS, "webhook-signature": "v1,bm9wZQ== " + HEADERS["webhook-signature"]}, now=NOW)


@pytest.mark.parametrize(
    "body,headers,now,message",
    [
        (BODY.replace("2432232314", "2432232315"), HEADERS, NOW, "does not match"),
        (BODY, {**HEADERS, "webhook-id": "msg_other"}, NOW, "does not match"),
        (BODY, {**HEADERS, "webhook-signature": "v2," + HEADERS["webhook-signature"][3:]}, NOW, "does not match"),
        (BODY, {k: v for k, v in HEADERS.items() if k != "webhook-signature"}, NOW, "Missing"),
        (BODY, HEADERS, 1614265330 + 301, "too far"),
        (BODY, HEADERS, 1614265330 - 301, "too far"),
        (BODY, {**HEADERS, "webhook-timestamp": "yesterday"}, NOW, "not a number"),
    ],
)
def test_tampered_stale_or_incomplete_deliveries_are_refused(body, headers, now, message):
    with pytest.raises(WebhookVerificationError, match=message):
        Webhooks(SECRET).unwrap(body, headers, now=now)


def test_the_secret_comes_from_the_call_the_client_or_the_environment(monkeypatch):
    with pytest.raises(WebhookVerificationError, match="No webhook secret"):
        Webhooks(None).verify(BODY, HEADERS, now=NOW)
    Webhooks(None).verify(BODY, HEADERS, SECRET, now=NOW)
    monkeypatch.setenv("PARLEY_WEBHOOK_SECRET", SECRET)
    Parley(api_key="sk_test").webhooks.verify(BODY, HEADERS, now=NOW)
