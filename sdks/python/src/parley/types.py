"""The API's objects and parameters, generated from its OpenAPI document (version 1.0.0) by
scripts/generate.py: do not edit. Objects are read by attribute (`call.status`) or key (`call["status"]`);
fields the API adds later are readable too."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

from ._models import APIObject

try:
    from typing import Literal, TypedDict
except ImportError:  # pragma: no cover
    from typing_extensions import Literal, TypedDict  # type: ignore

__all__ = ["Call", "WebCall", "Transcript", "CallTimeline", "Agent", "PhoneNumber", "Trunk", "Balance", "LedgerEntry", "Account", "WebhookEndpoint", "WebhookDelivery", "Campaign", "CampaignRecipient", "RecipientsUpload", "DoNotCallEntry", "DoNotCallImport", "Deleted", "CallCreateParams", "CallListParams", "WebCallCreateParams", "AgentCreateParams", "AgentUpdateParams", "PhoneNumberCreateParams", "PhoneNumberUpdateParams", "TrunkCreateParams", "TrunkUpdateParams", "WebhookEndpointCreateParams", "WebhookEndpointUpdateParams", "CampaignCreateParams", "CampaignUpdateParams", "DoNotCallAddParams"]


class LatencyStats(APIObject):
    """Part of CallLatency."""
    p50_ms: Optional[float]
    p95_ms: Optional[float]
    count: int


class CallLatency(APIObject):
    """Part of Call."""
    turns: int
    stt_ms: LatencyStats
    llm_first_token_ms: LatencyStats
    tts_first_audio_ms: LatencyStats
    first_audio_out_ms: LatencyStats


class Call(APIObject):
    """What GET /v1/calls/{id} answers."""
    id: str
    object: Literal["call"]
    agent_id: str
    to_number: Optional[str]  # null for a web call
    from_number: Optional[str]  # null for a web call
    status: Literal["queued", "initiated", "ringing", "in_progress", "completed", "no_answer", "busy", "canceled", "failed"]
    direction: Literal["outbound", "inbound"]  # a web call is inbound: the person in the browser comes to the agent
    channel: Literal["phone", "web"]  # phone: through a SIP trunk; web: a browser over WebRTC
    persona: Optional[str]
    instructions: Optional[str]
    prompt: str
    context: Dict[str, Any]
    returns: Optional[Dict[str, Any]]
    result: Optional[Dict[str, Any]]
    result_status: Literal["pending", "completed", "failed"]
    result_error: Optional[str]
    language: str
    webhook_url: Optional[str]
    webhook_status: Optional[Literal["pending", "delivered", "failed"]]
    webhook_error: Optional[str]
    created_at: str  # ISO 8601 timestamp
    started_at: Optional[str]
    answered_at: Optional[str]
    ended_at: Optional[str]
    duration_seconds: Optional[int]
    billed_duration_seconds: Optional[int]
    billing_amount_milli_cents: Optional[int]
    reservation_status: Optional[Literal["reserved", "settled", "released"]]
    error_code: Optional[str]
    error_message: Optional[str]
    hangup_cause: Optional[str]
    answered_by: Optional[Literal["human", "machine", "unknown"]]
    latency: Optional[CallLatency]
    recording_url: Optional[str]
    metadata: Dict[str, Any]
    campaign_id: Optional[str]  # the campaign that placed the call
    updated_at: str  # ISO 8601 timestamp


class WebCallIceServers(APIObject):
    """Part of WebCall."""
    urls: Union[str, List[str]]
    username: str
    credential: str


class WebCall(Call):
    """What POST /v1/calls/web answers."""
    ice_servers: List[WebCallIceServers]  # STUN/TURN servers for the browser (the install's WEB_CALL_ICE_SERVERS): pass them to the SDK
    access_token: str  # single use: the browser posts its SDP offer with it to POST /v1/calls/web/connect; never send your API key to a page
    access_token_expires_at: str  # ISO 8601 timestamp


class TranscriptSegment(APIObject):
    """Part of Transcript."""
    index: int
    role: Literal["agent", "user"]
    text: str
    start_ms: int
    end_ms: int
    interrupted: bool
    model: str  # the agent's segments: the model that wrote the words, as its server named it (absent for fixed phrases: a greeting, a fallback when the model failed)


class Transcript(APIObject):
    """What GET /v1/calls/{id}/transcript answers."""
    object: Literal["transcript"]
    call_id: str
    segments: List[TranscriptSegment]


class CallEvent(APIObject):
    """Part of CallTimeline."""
    id: str
    type: Literal["queued", "initiated", "ringing", "answered", "ended", "transcript", "conversation_ended", "recording", "result", "completed", "webhook", "agent_error", "tool_call"]
    at: str  # ISO 8601 timestamp
    data: Dict[str, Any]


class CallTimeline(APIObject):
    """What GET /v1/calls/{id}/events answers."""
    object: Literal["list"]
    call_id: str
    data: List[CallEvent]


class AgentToolsHttp(APIObject):
    """Part of Agent."""
    type: Literal["http"]
    name: str
    description: str
    parameters: Dict[str, Any]  # JSON Schema of the arguments (at most 32 levels deep; no NUL characters or lone UTF-16 surrogates in keys or strings)
    url: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    headers: Dict[str, Any]  # sent with every request; write-only: answered as "********" per value. In a PATCH, a value of "********", or no headers at all, keeps the stored values of the tool with the same name; {} removes them
    timeout_ms: int
    speak_while_waiting: Optional[str]  # said if the tool takes longer than a moment


class AgentToolsEndCall(APIObject):
    """Part of Agent."""
    type: Literal["end_call"]
    description: str


class AgentToolsTransferCall(APIObject):
    """Part of Agent."""
    type: Literal["transfer_call"]
    description: str
    destinations: List[str]  # E.164 numbers or SIP URIs the agent may transfer to


class AgentToolsSendDtmf(APIObject):
    """Part of Agent."""
    type: Literal["send_dtmf"]
    description: str


class AgentLlm(APIObject):
    """Part of Agent."""
    base_url: str  # an OpenAI-compatible server for this agent, e.g. "http://10.0.0.5:11434/v1"; unset: the service-wide LLM_BASE_URL
    api_key: Optional[str]  # the key for base_url; write-only: answered as "********". In a PATCH, "********" or no api_key keeps the stored key while base_url stays the same (a new base_url needs the key again); null removes it
    model: str
    temperature: float
    max_tokens: int
    extraction_model: str  # the model that extracts `returns` on the agent's base_url (default: model); without base_url, extraction uses the service's extractor settings


class AgentConversationHosted(APIObject):
    """Part of Agent."""
    mode: Literal["hosted"]


class AgentConversationWebhook(APIObject):
    """Part of Agent."""
    mode: Literal["webhook"]
    url: str  # your endpoint; called through the outbound guard like webhooks and HTTP tools
    timeout_ms: int  # how long to wait for the first words (and, streamed, between two pieces of the answer) before the spoken fallback


class Agent(APIObject):
    """What GET /v1/agents/{id} answers."""
    id: str
    object: Literal["agent"]
    name: str
    type: Literal["outbound", "inbound"]
    persona: Optional[str]
    instructions: Optional[str]
    voice: Optional[str]
    language: str
    returns: Optional[Dict[str, Any]]
    tools: List[Union[AgentToolsHttp, AgentToolsEndCall, AgentToolsTransferCall, AgentToolsSendDtmf]]
    voicemail_action: Literal["hangup", "leave_message", "continue"]
    voicemail_message: Optional[str]
    initial_greeting: Optional[str]
    webhook_url: Optional[str]
    number_ids: List[str]
    primary_number_id: Optional[str]
    max_duration_seconds: int
    ring_timeout_seconds: int
    llm: AgentLlm
    conversation: Union[AgentConversationHosted, AgentConversationWebhook]
    created_at: str  # ISO 8601 timestamp
    updated_at: str  # ISO 8601 timestamp


class PhoneNumber(APIObject):
    """What GET /v1/numbers/{id} answers."""
    id: str
    object: Literal["phone_number"]
    number: str
    trunk_id: str
    label: Optional[str]
    agent_ids: List[str]
    created_at: str  # ISO 8601 timestamp
    updated_at: str  # ISO 8601 timestamp


class TrunkStatusAsterisks(APIObject):
    """Part of TrunkStatus."""
    asterisk: str  # the Asterisk's name (`sandbox`: the simulator)
    provisioning: Literal["built_in", "pending", "pushed", "failed", "no_asterisk"]
    provisioning_error: Optional[str]
    reachability: Literal["reachable", "unreachable", "unknown"]
    endpoint_state: Optional[Literal["online", "offline", "unknown", "missing"]]
    asterisk_connected: Optional[bool]
    checked_at: Optional[str]


class TrunkStatus(APIObject):
    """Part of Trunk."""
    provisioning: Literal["built_in", "pending", "pushed", "failed", "no_asterisk"]  # built_in: the sandbox trunk, served by the simulator; pending: this version of the trunk is not in Asterisk yet; pushed: Asterisk has it; failed: Asterisk refused it (see provisioning_error); no_asterisk: no Asterisk carries it (none registered with `pnpm parley asterisks add` nor set as a dialer's ARI_URL, or none of those the trunk names), so its calls cannot go out
    provisioning_error: Optional[str]  # Asterisk's words when it refused the trunk
    reachability: Literal["reachable", "unreachable", "unknown"]  # reachable: Asterisk's SIP OPTIONS to the carrier are answered (endpoint online); unreachable: they time out or cannot be sent (endpoint offline after a qualify); unknown: not qualified yet (Asterisk's first OPTIONS comes within qualify_frequency, 60 s, of the push), or no dialer has been connected to the trunk's Asterisk lately
    endpoint_state: Optional[Literal["online", "offline", "unknown", "missing"]]  # Asterisk's state of the trunk's PJSIP endpoint as last read; missing: Asterisk has no such endpoint (it is pushed again)
    contact_status: Optional[Literal["reachable", "unreachable", "unknown", "nonqualified", "removed"]]  # the carrier contact's qualify status from Asterisk's last ContactStatusChange
    roundtrip_ms: Optional[float]  # SIP OPTIONS round trip measured when the contact last became reachable (Asterisk reports no later one)
    registration: Literal["off", "not_reported"]  # off: the trunk does not register; not_reported: it registers, but Asterisk's ARI gives no outbound registration state (see `pjsip show registrations` on the Asterisk)
    asterisk_connected: Optional[bool]  # whether a dialer was connected to the trunk's Asterisk at the last check; null before the first
    changed_at: Optional[str]  # when the endpoint state or contact status last changed
    checked_at: Optional[str]  # when a dialer last read the endpoint from Asterisk
    asterisks: List[TrunkStatusAsterisks]  # the trunk on each Asterisk that carries it; the fields above sum them up: reachable if reachable on any, pushed only once pushed to all, the details of the best one


class Trunk(APIObject):
    """What GET /v1/trunks/{id} answers."""
    id: str
    object: Literal["trunk"]
    name: str
    sandbox: bool
    host: str
    port: int
    transport: Literal["udp", "tcp", "tls"]
    username: Optional[str]
    has_password: bool
    from_domain: Optional[str]
    codecs: List[Literal["g722", "ulaw", "alaw"]]
    max_concurrent_calls: int
    calls_per_second: float
    register: bool
    asterisks: List[str]  # the Asterisks that may carry the trunk's calls; empty: every registered one
    status: TrunkStatus  # The trunk's state as the dialers see it through Asterisk's ARI
    created_at: str  # ISO 8601 timestamp
    updated_at: str  # ISO 8601 timestamp


class Balance(APIObject):
    """What GET /v1/balance answers."""
    object: Literal["balance"]
    balance_milli_cents: Optional[int]  # null = unlimited
    reserved_milli_cents: int
    rate_milli_cents_per_minute: int
    web_rate_milli_cents_per_minute: int  # web calls (the phone rate unless set apart)
    billing_increment_seconds: int
    billing_minimum_seconds: int


class LedgerEntry(APIObject):
    """What GET /v1/credit_ledger answers (each item of its data)."""
    id: str
    object: Literal["credit_ledger_entry"]
    type: Literal["set", "add", "reserve", "release", "charge"]
    amount_milli_cents: int
    balance_after_milli_cents: int
    call_id: Optional[str]
    note: Optional[str]
    created_at: str


class Account(APIObject):
    """What GET /v1/account answers."""
    id: str
    object: Literal["account"]
    name: str
    webhook_secret: str  # signs webhooks sent to per-call and agent webhook_url (Standard Webhooks, whsec_...)
    created_at: str


class WebhookEndpoint(APIObject):
    """What POST /v1/webhook_endpoints answers."""
    id: str
    object: Literal["webhook_endpoint"]
    url: str
    events: List[Literal["call.initiated", "call.ringing", "call.answered", "call.ended", "call.completed", "call.transcript", "campaign.started", "campaign.paused", "campaign.completed"]]
    description: Optional[str]
    enabled: bool
    disabled_reason: Optional[str]
    secret: str  # whsec_...: shown in this answer only
    previous_secret_expires_at: Optional[str]
    created_at: str  # ISO 8601 timestamp
    updated_at: str  # ISO 8601 timestamp


class WebhookDeliveryAttemptLog(APIObject):
    """Part of WebhookDelivery."""
    attempt: int
    started_at: str  # ISO 8601 timestamp
    status_code: Optional[int]
    latency_ms: int
    error: Optional[str]


class WebhookDelivery(APIObject):
    """What GET /v1/webhook_deliveries/{id} answers."""
    id: str  # the webhook-id header, identical on every retry
    object: Literal["webhook_delivery"]
    endpoint_id: Optional[str]
    call_id: Optional[str]
    event_type: str
    url: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: Optional[str]
    last_status_code: Optional[int]
    last_error: Optional[str]
    last_latency_ms: Optional[int]
    created_at: str  # ISO 8601 timestamp
    delivered_at: Optional[str]
    attempt_log: List[WebhookDeliveryAttemptLog]


class CampaignScheduleWindow(APIObject):
    """Part of CampaignSchedule."""
    days: List[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]]
    start: str
    end: str


class CampaignSchedule(APIObject):
    """Part of Campaign."""
    start_at: Optional[str]  # no call before (default: when started)
    end_at: Optional[str]  # no call after; the campaign completes then
    window: CampaignScheduleWindow  # calling hours, in each recipient's local time
    timezone: Optional[str]  # recipients' time zone when a recipient has none of its own; null: each number's, from its country (a country with several zones: only when the window is open in all of them)


class CampaignRetry(APIObject):
    """Part of Campaign."""
    on: List[Literal["busy", "no_answer", "failed", "voicemail"]]
    max_attempts: int  # attempts per recipient, the first included
    backoff_minutes: int


class CampaignProgress(APIObject):
    """Part of Campaign."""
    total: int
    pending: int
    in_progress: int
    done: Dict[str, Any]  # recipients done, by outcome
    exhausted: int
    skipped: int
    calls_placed: int
    finished_per_hour: Optional[float]  # recipients reaching a final state per hour, over the last 15 minutes of calling
    eta: Optional[str]  # when the recipients left should be done at that pace, counting only the hours the calling window is open (in the campaign time zone, else UTC); null until a recipient is done, or when not running


class Campaign(APIObject):
    """What GET /v1/campaigns/{id} answers."""
    id: str
    object: Literal["campaign"]
    name: str
    agent_id: str
    from_number: Optional[str]
    status: Literal["draft", "scheduled", "running", "paused", "completed", "canceled"]
    paused_reason: Optional[str]  # why a paused campaign stopped: `api`, `insufficient_credit`, or what made the calls fail
    schedule: CampaignSchedule
    max_concurrent_calls: int
    retry: CampaignRetry
    webhook_url: Optional[str]
    metadata: Dict[str, Any]
    progress: CampaignProgress
    created_at: str  # ISO 8601 timestamp
    started_at: Optional[str]
    completed_at: Optional[str]
    updated_at: str  # ISO 8601 timestamp


class CampaignRecipient(APIObject):
    """What GET /v1/campaigns/{id}/recipients answers (each item of its data)."""
    id: str
    object: Literal["campaign_recipient"]
    to: str
    context: Dict[str, Any]
    metadata: Dict[str, Any]
    timezone: Optional[str]
    state: Literal["pending", "in_progress", "done", "exhausted", "skipped"]
    outcome: Optional[Literal["completed", "voicemail", "busy", "no_answer", "failed", "canceled", "do_not_call", "no_calling_hours"]]
    attempts: int
    call_ids: List[str]
    next_attempt_at: Optional[str]
    updated_at: str  # ISO 8601 timestamp


class RecipientsUploadRejected(APIObject):
    """Part of RecipientsUpload."""
    line: int  # CSV or NDJSON line, or 1-based index in the JSON array
    value: str
    reason: str


class RecipientsUpload(APIObject):
    """What POST /v1/campaigns/{id}/recipients answers."""
    object: Literal["recipients_upload"]
    accepted: int
    rejected_count: int  # rows refused in all
    rejected: List[RecipientsUploadRejected]  # the first 1,000 rows refused, in line order


class DoNotCallEntry(APIObject):
    """What GET /v1/do_not_call/{number} answers."""
    object: Literal["do_not_call_entry"]
    number: str
    reason: Optional[str]
    created_at: str  # ISO 8601 timestamp


class DoNotCallImportRejected(APIObject):
    """Part of DoNotCallImport."""
    line: int
    value: str
    reason: str


class DoNotCallImport(APIObject):
    """What POST /v1/do_not_call/import answers."""
    object: Literal["do_not_call_import"]
    added: int
    already_listed: int
    rejected: List[DoNotCallImportRejected]


class Deleted(APIObject):
    """What DELETE /v1/agents/{id} answers."""
    id: str
    object: Literal["agent"]
    deleted: Literal[True]


class _CallCreateParamsRequired(TypedDict):
    agent_id: str
    to: str


class CallCreateParams(_CallCreateParamsRequired, total=False):
    """The JSON body of POST /v1/calls."""
    from_number: str
    instructions: str  # replaces the agent instructions for this call (never merged)
    context: Dict[str, Any]  # data given to the agent alongside its instructions (at most 32 levels deep; no NUL characters or lone UTF-16 surrogates in keys or strings)
    webhook_url: str
    metadata: Dict[str, Any]  # your own data, returned with the call and its webhooks (at most 32 levels deep; no NUL characters or lone UTF-16 surrogates in keys or strings)


class CallListParams(TypedDict, total=False):
    """The query of GET /v1/calls."""
    limit: int
    starting_after: str
    status: Literal["queued", "initiated", "ringing", "in_progress", "completed", "no_answer", "busy", "canceled", "failed"]
    agent_id: str
    direction: Literal["outbound", "inbound"]
    to_number: str
    from_number: str
    created_after: str
    created_before: str
    campaign_id: str


class _WebCallCreateParamsRequired(TypedDict):
    agent_id: str


class WebCallCreateParams(_WebCallCreateParamsRequired, total=False):
    """The JSON body of POST /v1/calls/web."""
    instructions: str  # replaces the agent instructions for this call (never merged)
    context: Dict[str, Any]  # data given to the agent alongside its instructions (at most 32 levels deep; no NUL characters or lone UTF-16 surrogates in keys or strings)
    webhook_url: str
    metadata: Dict[str, Any]  # your own data, returned with the call and its webhooks (at most 32 levels deep; no NUL characters or lone UTF-16 surrogates in keys or strings)


class _AgentCreateParamsRequired(TypedDict):
    name: str
    type: Literal["outbound", "inbound"]


class AgentCreateParams(_AgentCreateParamsRequired, total=False):
    """The JSON body of POST /v1/agents."""
    persona: Optional[str]
    instructions: Optional[str]
    voice: Optional[str]
    language: str
    returns: Optional[Dict[str, Any]]
    tools: List[Dict[str, Any]]
    voicemail_action: Literal["hangup", "leave_message", "continue"]
    voicemail_message: Optional[str]
    initial_greeting: Optional[str]
    webhook_url: Optional[str]
    number_ids: List[str]
    primary_number_id: Optional[str]
    max_duration_seconds: int
    ring_timeout_seconds: int
    llm: Dict[str, Any]
    conversation: Dict[str, Any]  # who answers the caller: the model (`hosted`) or your endpoint (`webhook`)


class AgentUpdateParams(TypedDict, total=False):
    """The JSON body of PATCH /v1/agents/{id}."""
    name: str
    persona: Optional[str]
    instructions: Optional[str]
    voice: Optional[str]
    language: str
    returns: Optional[Dict[str, Any]]
    tools: List[Dict[str, Any]]
    voicemail_action: Literal["hangup", "leave_message", "continue"]
    voicemail_message: Optional[str]
    initial_greeting: Optional[str]
    webhook_url: Optional[str]
    number_ids: List[str]
    primary_number_id: Optional[str]
    max_duration_seconds: int
    ring_timeout_seconds: int
    llm: Dict[str, Any]
    conversation: Dict[str, Any]


class _PhoneNumberCreateParamsRequired(TypedDict):
    number: str
    trunk_id: str


class PhoneNumberCreateParams(_PhoneNumberCreateParamsRequired, total=False):
    """The JSON body of POST /v1/numbers."""
    label: Optional[str]


class PhoneNumberUpdateParams(TypedDict, total=False):
    """The JSON body of PATCH /v1/numbers/{id}."""
    trunk_id: str
    label: Optional[str]


class _TrunkCreateParamsRequired(TypedDict):
    name: str
    host: str


class TrunkCreateParams(_TrunkCreateParamsRequired, total=False):
    """The JSON body of POST /v1/trunks."""
    port: int
    transport: Literal["udp", "tcp", "tls"]
    username: Optional[str]
    password: Optional[str]  # write-only; stored encrypted
    from_domain: Optional[str]
    codecs: List[Literal["g722", "ulaw", "alaw"]]
    max_concurrent_calls: int
    calls_per_second: float  # new calls started per second on this trunk, 0.01 to 1000
    register: bool  # send a SIP REGISTER to the carrier with username/password
    asterisks: List[str]  # names of the registered Asterisks that may carry the trunk's calls (see `pnpm parley asterisks list`; `default` is the one ARI_URL names); empty: every registered Asterisk


class TrunkUpdateParams(TypedDict, total=False):
    """The JSON body of PATCH /v1/trunks/{id}."""
    name: str
    host: str
    port: int
    transport: Literal["udp", "tcp", "tls"]
    username: Optional[str]
    password: Optional[str]
    from_domain: Optional[str]
    codecs: List[Literal["g722", "ulaw", "alaw"]]
    max_concurrent_calls: int
    calls_per_second: float  # new calls started per second on this trunk, 0.01 to 1000
    register: bool
    asterisks: List[str]  # names of the registered Asterisks that may carry the trunk's calls (see `pnpm parley asterisks list`; `default` is the one ARI_URL names); empty: every registered Asterisk


class _WebhookEndpointCreateParamsRequired(TypedDict):
    url: str
    events: List[Literal["call.initiated", "call.ringing", "call.answered", "call.ended", "call.completed", "call.transcript", "campaign.started", "campaign.paused", "campaign.completed"]]


class WebhookEndpointCreateParams(_WebhookEndpointCreateParamsRequired, total=False):
    """The JSON body of POST /v1/webhook_endpoints."""
    description: Optional[str]
    enabled: bool


class WebhookEndpointUpdateParams(TypedDict, total=False):
    """The JSON body of PATCH /v1/webhook_endpoints/{id}."""
    url: str
    events: List[Literal["call.initiated", "call.ringing", "call.answered", "call.ended", "call.completed", "call.transcript", "campaign.started", "campaign.paused", "campaign.completed"]]
    description: Optional[str]
    enabled: bool


class _CampaignCreateParamsRequired(TypedDict):
    name: str
    agent_id: str


class CampaignCreateParams(_CampaignCreateParamsRequired, total=False):
    """The JSON body of POST /v1/campaigns."""
    from_number: str  # one of the agent's numbers (default: its primary)
    schedule: Dict[str, Any]
    max_concurrent_calls: int
    retry: Dict[str, Any]
    webhook_url: str  # the calls' webhook URL (default: the agent's)
    metadata: Dict[str, Any]  # your own data (at most 32 levels deep; no NUL characters or lone UTF-16 surrogates in keys or strings)


class CampaignUpdateParams(TypedDict, total=False):
    """The JSON body of PATCH /v1/campaigns/{id}."""
    name: str
    agent_id: str
    from_number: str
    schedule: Dict[str, Any]
    max_concurrent_calls: int
    retry: Dict[str, Any]
    webhook_url: str
    metadata: Dict[str, Any]  # your own data (at most 32 levels deep; no NUL characters or lone UTF-16 surrogates in keys or strings)


class _DoNotCallAddParamsRequired(TypedDict):
    number: str


class DoNotCallAddParams(_DoNotCallAddParamsRequired, total=False):
    """The JSON body of POST /v1/do_not_call."""
    reason: Optional[str]  # why, for your records (e.g. "asked on call 5d1c...")
