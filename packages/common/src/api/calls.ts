import { z } from 'zod';
import { ANSWERED_BY, CALL_CHANNELS, CALL_DIRECTIONS, CALL_STATUSES, RESERVATION_STATUSES, RESULT_STATUSES, TRANSCRIPT_ROLES, WEBHOOK_STATUSES } from '../enums';
import { CALL_EVENT_TYPES } from '../subjects';
import { E164, HttpUrl, JsonObject, Pagination, storedJsonObject, Text, Timestamp } from './primitives';

/** Agent fields that a single call may not override: they shape the agent, not the call. */
export const CALL_REFUSED_FIELDS = ['persona', 'voice', 'language', 'returns', 'tools', 'voicemail_action'] as const;

export const CallCreate = z.strictObject({
  agent_id: z.string().uuid('must be an agent id (uuid)'),
  to: E164,
  from_number: E164.optional(),
  instructions: Text.min(1).max(50_000).optional().describe('replaces the agent instructions for this call (never merged)'),
  context: storedJsonObject('data given to the agent alongside its instructions').default({}),
  webhook_url: HttpUrl.optional(),
  metadata: storedJsonObject('your own data, returned with the call and its webhooks').default({}),
});
export type CallCreate = z.infer<typeof CallCreate>;

/** A web call: the same fields as a phone call but the numbers; any agent (inbound or outbound) may take one. */
export const WebCallCreate = CallCreate.omit({ to: true, from_number: true });
export type WebCallCreate = z.infer<typeof WebCallCreate>;

export const CallListQuery = Pagination.extend({
  status: z.enum(CALL_STATUSES).optional(),
  agent_id: z.string().uuid().optional(),
  direction: z.enum(CALL_DIRECTIONS).optional(),
  to_number: E164.optional(),
  from_number: E164.optional(),
  created_after: z.iso.datetime({ offset: true }).optional(),
  created_before: z.iso.datetime({ offset: true }).optional(),
  campaign_id: z.string().uuid().optional(),
});
export type CallListQuery = z.infer<typeof CallListQuery>;

export const LatencyStageSummary = z.object({ p50_ms: z.number().nullable(), p95_ms: z.number().nullable(), count: z.number().int() });
export const CallLatency = z.object({
  turns: z.number().int(),
  stt_ms: LatencyStageSummary,
  llm_first_token_ms: LatencyStageSummary,
  tts_first_audio_ms: LatencyStageSummary,
  first_audio_out_ms: LatencyStageSummary,
});
export type CallLatency = z.infer<typeof CallLatency>;

export const Call = z.object({
  id: z.string().uuid(),
  object: z.literal('call'),
  agent_id: z.string().uuid(),
  to_number: z.string().nullable().describe('null for a web call'),
  from_number: z.string().nullable().describe('null for a web call'),
  status: z.enum(CALL_STATUSES),
  direction: z.enum(CALL_DIRECTIONS).describe('a web call is inbound: the person in the browser comes to the agent'),
  channel: z.enum(CALL_CHANNELS).default('phone').describe('phone: through a SIP trunk; web: a browser over WebRTC'),
  persona: z.string().nullable(),
  instructions: z.string().nullable(),
  prompt: z.string(),
  context: JsonObject,
  returns: JsonObject.nullable(),
  result: JsonObject.nullable(),
  result_status: z.enum(RESULT_STATUSES),
  result_error: z.string().nullable(),
  language: z.string(),
  webhook_url: z.string().nullable(),
  webhook_status: z.enum(WEBHOOK_STATUSES).nullable(),
  webhook_error: z.string().nullable(),
  created_at: Timestamp,
  started_at: Timestamp.nullable(),
  answered_at: Timestamp.nullable(),
  ended_at: Timestamp.nullable(),
  duration_seconds: z.number().int().nullable(),
  billed_duration_seconds: z.number().int().nullable(),
  billing_amount_milli_cents: z.number().int().nullable(),
  reservation_status: z.enum(RESERVATION_STATUSES).nullable(),
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  hangup_cause: z.string().nullable(),
  answered_by: z.enum(ANSWERED_BY).nullable(),
  latency: CallLatency.nullable(),
  recording_url: z.string().nullable(),
  metadata: JsonObject,
  campaign_id: z.string().uuid().nullable().default(null).describe('the campaign that placed the call'),
  updated_at: Timestamp,
});
export type Call = z.infer<typeof Call>;

/**
 * The hang-up cause of a web call ended before its browser's media connected, by who ended it: the api writes it for a
 * call no media process holds yet, the media process for one it does.
 */
export const WEB_CALL_CANCEL_CAUSES = { api: 'Canceled before the browser connected', caller_hangup: 'The page hung up before connecting' } as const;

/** How long a web call's access token may be used after the call is created. */
export const WEB_CALL_TOKEN_TTL_SECONDS = 30;

export const IceServers = z.array(
  z.strictObject({ urls: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]), username: z.string().optional(), credential: z.string().optional() }),
);
export type IceServers = z.infer<typeof IceServers>;

export const WebCallCreated = Call.extend({
  ice_servers: IceServers.describe('STUN/TURN servers for the browser (the install\'s WEB_CALL_ICE_SERVERS): pass them to the SDK'),
  access_token: z.string().describe("single use: the browser posts its SDP offer with it to POST /v1/calls/web/connect; never send your API key to a page"),
  access_token_expires_at: Timestamp,
});
export type WebCallCreated = z.infer<typeof WebCallCreated>;

export const TranscriptSegment = z.object({
  index: z.number().int().min(0),
  role: z.enum(TRANSCRIPT_ROLES),
  text: z.string(),
  start_ms: z.number().int().min(0),
  end_ms: z.number().int().min(0),
  interrupted: z.boolean().default(false),
  model: z.string().optional().describe("the agent's segments: the model that wrote the words, as its server named it (absent for fixed phrases: a greeting, a fallback when the model failed)"),
});
export type TranscriptSegment = z.infer<typeof TranscriptSegment>;

export const Transcript = z.object({ object: z.literal('transcript'), call_id: z.string().uuid(), segments: z.array(TranscriptSegment) });

/** Event types the timeline leaves out: the transcript and the final call object have routes of their own. */
export const TIMELINE_OMITTED_EVENTS = ['transcript', 'completed'] as const;

/**
 * One recorded event of a call's life (dialing, ringing, answer, end with its cause, result, webhook delivery, a turn
 * the agent's model or conversation webhook failed), `data` as the service that saw it reported it.
 */
export const CallTimelineEvent = z.object({
  id: z.string(),
  type: z.enum(CALL_EVENT_TYPES),
  at: Timestamp,
  data: JsonObject,
});
export const CallTimeline = z.object({ object: z.literal('list'), call_id: z.string().uuid(), data: z.array(CallTimelineEvent) });
