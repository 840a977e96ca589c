export const CALL_STATUSES = ['queued', 'initiated', 'ringing', 'in_progress', 'completed', 'no_answer', 'busy', 'canceled', 'failed'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export const TERMINAL_CALL_STATUSES = ['completed', 'no_answer', 'busy', 'canceled', 'failed'] as const satisfies readonly CallStatus[];
export type TerminalCallStatus = (typeof TERMINAL_CALL_STATUSES)[number];

/** Order in which a call moves; a status can only be replaced by one of higher rank (all terminal ones share the top rank). */
export const CALL_STATUS_RANK: Record<CallStatus, number> = {
  queued: 0,
  initiated: 1,
  ringing: 2,
  in_progress: 3,
  completed: 4,
  no_answer: 4,
  busy: 4,
  canceled: 4,
  failed: 4,
};

export function isTerminalStatus(status: CallStatus): status is TerminalCallStatus {
  return CALL_STATUS_RANK[status] === 4;
}

export const CALL_DIRECTIONS = ['outbound', 'inbound'] as const;
/** How the caller is connected: a phone leg through Asterisk, or a browser over WebRTC (POST /v1/calls/web). */
export const CALL_CHANNELS = ['phone', 'web'] as const;
export type CallChannel = (typeof CALL_CHANNELS)[number];
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

export const AGENT_TYPES = ['outbound', 'inbound'] as const;
export type AgentType = (typeof AGENT_TYPES)[number];

export const RESULT_STATUSES = ['pending', 'completed', 'failed'] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

export const WEBHOOK_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** A webhook delivery's state (one event to one target); the call's own `webhook_status` takes the same values. */
export const WEBHOOK_DELIVERY_STATUSES = WEBHOOK_STATUSES;
export type WebhookDeliveryStatus = WebhookStatus;

export const RESERVATION_STATUSES = ['reserved', 'settled', 'released'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

/** Movements of an account's credit balance (credit_ledger.type). */
export const LEDGER_ENTRY_TYPES = ['set', 'add', 'reserve', 'release', 'charge'] as const;
export type LedgerEntryType = (typeof LEDGER_ENTRY_TYPES)[number];

export const ANSWERED_BY = ['human', 'machine', 'unknown'] as const;
export type AnsweredBy = (typeof ANSWERED_BY)[number];

/** Who ended a call (the `ended` event's `hangup_by`). */
export const HANGUP_BY = ['agent', 'caller', 'api', 'system'] as const;
export type HangupBy = (typeof HANGUP_BY)[number];

/** Who may ask the dialer to hang up or cancel a call: anyone but the caller, who hangs up on the phone. */
export const HANGUP_REQUESTERS = ['api', 'agent', 'system'] as const satisfies readonly HangupBy[];
export type HangupRequester = (typeof HANGUP_REQUESTERS)[number];

export const VOICEMAIL_ACTIONS = ['hangup', 'leave_message', 'continue'] as const;
export type VoicemailAction = (typeof VOICEMAIL_ACTIONS)[number];

export const TRUNK_TRANSPORTS = ['udp', 'tcp', 'tls'] as const;
export type TrunkTransport = (typeof TRUNK_TRANSPORTS)[number];

export const AUDIO_CODECS = ['g722', 'ulaw', 'alaw'] as const;
export type AudioCodecName = (typeof AUDIO_CODECS)[number];

/** Where recordings are kept: media's local directory (one machine) or an S3-compatible bucket. */
export const RECORDING_STORES = ['local', 's3'] as const;
export type RecordingStoreKind = (typeof RECORDING_STORES)[number];
/** spooled: finished on media's disk and being uploaded (not readable through the api yet); stored: in its store. */
export const RECORDING_STATES = ['spooled', 'stored'] as const;

export const TRANSCRIPT_ROLES = ['agent', 'user'] as const;
export type TranscriptRole = (typeof TRANSCRIPT_ROLES)[number];
