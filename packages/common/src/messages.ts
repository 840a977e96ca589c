import { z } from 'zod';
import { Call, CallLatency, TranscriptSegment } from './api/calls';
import { ANSWERED_BY, AUDIO_CODECS, CALL_DIRECTIONS, CALL_STATUSES, HANGUP_BY, HANGUP_REQUESTERS, RECORDING_STATES, RECORDING_STORES, RESULT_STATUSES, TERMINAL_CALL_STATUSES, VOICEMAIL_ACTIONS, WEBHOOK_STATUSES } from './enums';
import { CALL_EVENT_TYPES, type CallEventType } from './subjects';

/**
 * What the media service needs of a call to hold its conversation, taken from the call row and its agent when the call
 * is created and sent along (dispatch, inbound reply, allocate), so that media reads no database. Tools are as stored:
 * HTTP tool header values stay sealed, and media opens them with its PARLEY_SECRET_KEY.
 */
export const ConversationSnapshot = z.object({
  account_id: z.string(),
  agent_id: z.string().uuid(),
  direction: z.enum(CALL_DIRECTIONS),
  /** The system prompt as the api rendered it. */
  prompt: z.string(),
  context: z.record(z.string(), z.unknown()),
  language: z.string(),
  voice: z.string().nullable(),
  initial_greeting: z.string().nullable(),
  voicemail_action: z.enum(VOICEMAIL_ACTIONS),
  voicemail_message: z.string().nullable(),
  /** The agent's tools as stored; media validates each and skips an invalid one. */
  tools: z.array(z.unknown()),
  llm: z.record(z.string(), z.unknown()),
  max_duration_seconds: z.number().int().positive(),
  /** Webhook mode: the agent's endpoint, and the account's webhook secret (sealed) that signs the requests. Absent: hosted. */
  conversation: z.object({ mode: z.literal('webhook'), url: z.string(), timeout_ms: z.number().int().positive(), secret: z.string() }).optional(),
  /** What a conversation webhook is told of the call (absent in snapshots made before them). */
  from_number: z.string().optional(),
  to_number: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type ConversationSnapshot = z.infer<typeof ConversationSnapshot>;

/** JetStream `calls.dispatch`: one per call to originate. Message id = call id (JetStream dedupes republished outbox rows). */
export const DispatchMessage = z.object({
  call_id: z.string().uuid(),
  account_id: z.string(),
  trunk_id: z.string(),
  to: z.string(),
  from: z.string(),
  ring_timeout_seconds: z.number().int().positive(),
  max_duration_seconds: z.number().int().positive(),
  created_at: z.string(),
  /** Optional only for messages queued by an api older than the field: the dialer then asks the api for it (conversationSnapshot). */
  conversation: ConversationSnapshot.optional(),
});
export type DispatchMessage = z.infer<typeof DispatchMessage>;

/** Turns whose stages a conversation_ended event lists, at most (the summary counts them all). */
export const MAX_TURN_LATENCIES = 500;

/**
 * One caller -> agent turn's latency, ms: from the end of the caller's speech to the agent's first packet out
 * (`first_audio_out_ms`), made of the endpointing silence, recognition after it, the model to its first sentence,
 * TTS to its first audio, and what the platform added (VAD lag, chunking, pacing).
 */
export const TurnLatencyRecord = z.object({
  endpointing_ms: z.number().int(),
  stt_ms: z.number().int(),
  llm_first_token_ms: z.number().int(),
  llm_first_sentence_ms: z.number().int(),
  tts_first_audio_ms: z.number().int(),
  added_ms: z.number().int(),
  first_audio_out_ms: z.number().int(),
});
export type TurnLatencyRecord = z.infer<typeof TurnLatencyRecord>;

const eventBase = {
  /** Unique event id: the JetStream message id, and the dedupe key of every consumer. */
  id: z.string().min(1),
  call_id: z.string().uuid(),
  account_id: z.string(),
  /** Per-call, per-producer sequence (monotonic within one producer). */
  seq: z.number().int().min(0),
  /** When it happened (ISO 8601). */
  at: z.string(),
};

export const CallEventData = {
  queued: z.object({}),
  /** `asterisk`: the name of the Asterisk carrying the call (absent from dialers older than the Asterisk registry). */
  initiated: z.object({ channel_id: z.string(), dialer_id: z.string(), asterisk: z.string().optional() }),
  ringing: z.object({}),
  answered: z.object({}),
  ended: z.object({
    status: z.enum(TERMINAL_CALL_STATUSES),
    answered: z.boolean(),
    /** When the call was answered, if it was (lets the projector bill correctly even if `answered` was lost). */
    answered_at: z.string().nullable().optional(),
    hangup_cause: z.string().nullable(),
    hangup_cause_code: z.number().int().nullable(),
    hangup_by: z.enum(HANGUP_BY).nullable(),
    error_code: z.string().nullable(),
    error_message: z.string().nullable(),
  }),
  transcript: z.object({ segment: TranscriptSegment }),
  conversation_ended: z.object({
    segments: z.array(TranscriptSegment),
    answered_by: z.enum(ANSWERED_BY),
    latency: CallLatency.nullable(),
    /** Each turn's stages, in order (at most MAX_TURN_LATENCIES): what the call's latency summary is made of. */
    turns: z.array(TurnLatencyRecord).max(MAX_TURN_LATENCIES).optional(),
    reason: z.string(),
  }),
  recording: z.object({
    /** The file under RECORDINGS_DIR (store local), or the object key (store s3). */
    path: z.string(),
    duration_ms: z.number().int().min(0),
    bytes: z.number().int().min(0),
    format: z.literal('wav'),
    store: z.enum(RECORDING_STORES).default('local'),
    bucket: z.string().nullable().default(null),
    /** Published `spooled` when the call's WAV is finished and, once the upload is confirmed, again `stored`. */
    state: z.enum(RECORDING_STATES).default('stored'),
  }),
  result: z.object({ result_status: z.enum(RESULT_STATUSES), result: z.record(z.string(), z.unknown()).nullable(), result_error: z.string().nullable() }),
  /** Published by the api once a call is terminal and its result settled: carries the final call object. */
  completed: z.object({ call: Call }),
  webhook: z.object({ webhook_status: z.enum(WEBHOOK_STATUSES), webhook_error: z.string().nullable() }),
  /** What answers the caller failed in a turn (the agent spoke its fallback and the call went on): recorded for the operator. */
  agent_error: z.object({ source: z.enum(['conversation_webhook']), turn_id: z.string().nullable(), message: z.string() }),
  /** A tool the agent's model called during the call: its arguments as the model wrote them, and what came of it. */
  tool_call: z.object({
    name: z.string(),
    arguments: z.string().describe('as the model wrote them (JSON text, at most 2,000 characters)'),
    outcome: z.enum(['result', 'end_call', 'transfer']),
    /** The result given back to the model (at most 2,000 characters), or the transfer's destination. */
    result: z.string().nullable(),
    failed: z.boolean(),
    duration_ms: z.number().int().min(0),
  }),
} satisfies Record<(typeof CALL_EVENT_TYPES)[number], z.ZodType>;



function eventSchema<T extends CallEventType>(type: T) {
  return z.object({ ...eventBase, type: z.literal(type), data: CallEventData[type] });
}

export const CallEvent = z.discriminatedUnion('type', [
  eventSchema('queued'),
  eventSchema('initiated'),
  eventSchema('ringing'),
  eventSchema('answered'),
  eventSchema('ended'),
  eventSchema('transcript'),
  eventSchema('conversation_ended'),
  eventSchema('recording'),
  eventSchema('result'),
  eventSchema('completed'),
  eventSchema('tool_call'),
  eventSchema('webhook'),
  eventSchema('agent_error'),
]);
export type CallEvent = z.infer<typeof CallEvent>;
export type CallEventOf<T extends CallEventType> = Extract<CallEvent, { type: T }>;

/** A media process's name on NATS (MEDIA_ID): one subject token, so no dots, spaces or wildcards. */
export const MediaId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (1-64): it is a NATS subject token');

/**
 * Core publish on `media.load`, every MEDIA_LOAD_INTERVAL_MS and soon after each change of its session count: what a
 * media process holds and can hold, for whoever places calls on it. Forgotten after three intervals of silence.
 */
export const MediaLoad = z.object({
  media_id: MediaId,
  /** Sessions held, and being opened, now. */
  sessions: z.number().int().min(0),
  /** MEDIA_MAX_SESSIONS: allocations beyond it are refused. */
  capacity: z.number().int().positive(),
  /** CPU the whole process (every thread) used over the last interval, in cores (0..n). */
  cpu: z.number().min(0),
  /** Outgoing RTP frames sent more than 5 ms late over the last interval (the engine keeps no per-interval lateness figure). */
  rtp_late_frames: z.number().int().min(0),
  /** False once it is shutting down: it takes no new call. */
  accepting: z.boolean(),
  /** How often it advertises (ms); silence for three of these means it is gone. */
  interval_ms: z.number().int().positive(),
  at: z.string().datetime(),
  /** When the process started: another value under the same media_id is a restart, whose sessions are gone. */
  started_at: z.string().datetime().optional(),
});
export type MediaLoad = z.infer<typeof MediaLoad>;
/** Published to `media.<media id>.cancel`: its allocate or offer for this call timed out, the call went elsewhere; let go of it if it was taken. */
export const MediaCancel = z.object({ call_id: z.string().uuid() });
export type MediaCancel = z.infer<typeof MediaCancel>;

/** Request/reply to media: a new RTP endpoint for a call. */
export const MediaAllocateRequest = z.object({ call_id: z.string().uuid(), codec: z.enum(AUDIO_CODECS), conversation: ConversationSnapshot });
export type MediaAllocateRequest = z.infer<typeof MediaAllocateRequest>;
/** `media_id`: the process that holds the session (absent from media processes older than placement by load). */
export const MediaAllocateReply = z
  .object({ ok: z.literal(true), host: z.string(), port: z.number().int(), session_id: z.string(), media_id: MediaId.optional() })
  .or(z.object({ ok: z.literal(false), error: z.string() }));
export type MediaAllocateReply = z.infer<typeof MediaAllocateReply>;
/** A web call's browser offer: media answers with its SDP, then runs the conversation on the WebRTC leg. */
export const MediaWebRtcOffer = z.object({ call_id: z.string().uuid(), sdp: z.string().min(1).max(64 * 1024), conversation: ConversationSnapshot, max_duration_seconds: z.number().int().positive() });
export type MediaWebRtcOffer = z.infer<typeof MediaWebRtcOffer>;
export const MediaWebRtcAnswer = z.object({ ok: z.literal(true), sdp: z.string(), media_id: MediaId.optional() }).or(z.object({ ok: z.literal(false), error: z.string() }));
export type MediaWebRtcAnswer = z.infer<typeof MediaWebRtcAnswer>;
/** Sent once the ExternalMedia channel is bridged: media may speak. */
export const MediaAttachRequest = z.object({
  call_id: z.string().uuid(),
  external_channel_id: z.string(),
  answered_at: z.string(),
  /**
   * Where Asterisk receives this leg's RTP (the ExternalMedia response's UNICASTRTP_LOCAL_ADDRESS/PORT). A two-party
   * bridge relays nothing until the far end sends, so without it the agent could not speak first. Optional: without
   * it, media learns the address from Asterisk's first packet.
   */
  rtp_remote: z.object({ address: z.string().min(1), port: z.number().int().min(1).max(65535) }).optional(),
  /** The process the allocate reply named: another one that also holds the call (an allocate that timed out there) stays out. */
  media_id: MediaId.optional(),
});
export type MediaAttachRequest = z.infer<typeof MediaAttachRequest>;
export const MediaReleaseRequest = z.object({ call_id: z.string().uuid(), reason: z.string() });
/** Is this call's session still held? Only the media process holding it answers (`{ok: true}`); none answering: it is gone. */
export const MediaStatusRequest = z.object({ call_id: z.string().uuid() }).strict();
export const MediaAck = z.object({ ok: z.boolean(), error: z.string().optional() });
/** The answer to `media.session.<call id>.status` (only the process holding the session answers): which process it is, and its start. */
export const MediaStatusReply = MediaAck.extend({ media_id: MediaId.optional(), started_at: z.string().optional() });
export type MediaStatusReply = z.infer<typeof MediaStatusReply>;

/** Request/reply to the dialer owning a call. */
export const DialerCommand = z.discriminatedUnion('command', [
  z.object({ command: z.literal('hangup'), call_id: z.string().uuid(), reason: z.enum(HANGUP_REQUESTERS).default('api') }),
  z.object({ command: z.literal('transfer'), call_id: z.string().uuid(), destination: z.string().min(1) }),
  z.object({ command: z.literal('dtmf'), call_id: z.string().uuid(), digits: z.string().regex(/^[0-9*#A-Da-dwW]+$/) }),
]);
export type DialerCommand = z.infer<typeof DialerCommand>;
export const DialerCommandReply = z.object({ ok: z.boolean(), error: z.string().optional(), status: z.enum(CALL_STATUSES).optional() });
export type DialerCommandReply = z.infer<typeof DialerCommandReply>;

/** Dialer -> api: an inbound call arrived on a number; the api creates its row (it is the single writer of calls). */
/** `trunk_id`: the trunk the call came in on; the number is looked up on it alone (a number is unique per trunk only). */
export const InboundCallCreateRequest = z.object({ to: z.string(), from: z.string(), trunk_id: z.string(), channel_id: z.string() });
export const InboundCallCreateReply = z
  .object({ ok: z.literal(true), call_id: z.string().uuid(), account_id: z.string(), agent_id: z.string().uuid(), max_duration_seconds: z.number().int(), conversation: ConversationSnapshot })
  .or(z.object({ ok: z.literal(false), error: z.string() }));

/** Dialer -> api: the conversation snapshot of a live call the dialer holds without one (adopted after a restart, or dispatched by an older api). */
export const ConversationSnapshotRequest = z.object({ call_id: z.string().uuid(), account_id: z.string() });
export const ConversationSnapshotReply = z.object({ ok: z.literal(true), conversation: ConversationSnapshot }).or(z.object({ ok: z.literal(false), error: z.string() }));

export const TrunksChangedMessage = z.object({ account_id: z.string(), trunk_id: z.string().nullable() });
