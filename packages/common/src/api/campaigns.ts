import { z } from 'zod';
import { E164, HttpUrl, JsonObject, Pagination, storedJsonObject, Text, Timestamp } from './primitives';

export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'running', 'paused', 'completed', 'canceled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];
/** pending: waits for its (next) attempt; in_progress: a call is live; done: a final outcome; exhausted: retries used up; skipped: never called (do-not-call). */
export const RECIPIENT_STATES = ['pending', 'in_progress', 'done', 'exhausted', 'skipped'] as const;
export type RecipientState = (typeof RECIPIENT_STATES)[number];
/**
 * What an attempt came to: a call's terminal status, with `voicemail` for a completed call a machine answered; a
 * skipped recipient's `do_not_call`, or `no_calling_hours` when the window is never open in every zone its number may
 * be in (see the campaign's `schedule.timezone`).
 */
export const ATTEMPT_OUTCOMES = ['completed', 'voicemail', 'busy', 'no_answer', 'failed', 'canceled', 'do_not_call', 'no_calling_hours'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];
export const RETRYABLE_OUTCOMES = ['busy', 'no_answer', 'failed', 'voicemail'] as const;
export type RetryableOutcome = (typeof RETRYABLE_OUTCOMES)[number];
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day such as "09:00"');
export const TimeZone = Text.refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as "America/New_York"');

export const CallingWindow = z
  .strictObject({
    days: z.array(z.enum(WEEKDAYS)).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri']),
    start: Clock.default('09:00'),
    end: Clock.default('20:00'),
  })
  .refine((w) => w.start < w.end, { message: 'start must be before end (a window does not cross midnight)', path: ['end'] });
export type CallingWindow = z.infer<typeof CallingWindow>;

export const CampaignSchedule = z.strictObject({
  start_at: z.iso.datetime({ offset: true }).nullable().default(null).describe('no call before (default: when started)'),
  end_at: z.iso.datetime({ offset: true }).nullable().default(null).describe('no call after; the campaign completes then'),
  window: CallingWindow.default({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '20:00' }).describe("calling hours, in each recipient's local time"),
  timezone: TimeZone.nullable()
    .default(null)
    .describe(
      "recipients' time zone when a recipient has none of its own; null: each number's, from its country (a country with several zones: only when the window is open in all of them)",
    ),
});
export type CampaignSchedule = z.infer<typeof CampaignSchedule>;

export const CampaignRetry = z.strictObject({
  on: z.array(z.enum(RETRYABLE_OUTCOMES)).default(['busy', 'no_answer']),
  max_attempts: z.number().int().min(1).max(10).default(1).describe('attempts per recipient, the first included'),
  backoff_minutes: z.number().int().min(0).max(10_080).default(60),
});
export type CampaignRetry = z.infer<typeof CampaignRetry>;

export const CampaignCreate = z.strictObject({
  name: Text.trim().min(1).max(200),
  agent_id: z.string().uuid('must be an agent id (uuid)'),
  from_number: E164.optional().describe("one of the agent's numbers (default: its primary)"),
  schedule: CampaignSchedule.default({ start_at: null, end_at: null, window: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '20:00' }, timezone: null }),
  max_concurrent_calls: z.number().int().min(1).max(500).default(1),
  retry: CampaignRetry.default({ on: ['busy', 'no_answer'], max_attempts: 1, backoff_minutes: 60 }),
  webhook_url: HttpUrl.optional().describe("the calls' webhook URL (default: the agent's)"),
  metadata: storedJsonObject('your own data').default({}),
});
export type CampaignCreate = z.infer<typeof CampaignCreate>;

/** While a campaign is a draft: any field; afterwards, only name and metadata. No defaults: what is not sent stays. */
export const CampaignUpdate = z
  .strictObject({
    name: CampaignCreate.shape.name,
    agent_id: CampaignCreate.shape.agent_id,
    from_number: E164,
    schedule: CampaignSchedule,
    max_concurrent_calls: CampaignCreate.shape.max_concurrent_calls.unwrap(),
    retry: CampaignRetry,
    webhook_url: HttpUrl,
    metadata: storedJsonObject('your own data'),
  })
  .partial();
export type CampaignUpdate = z.infer<typeof CampaignUpdate>;

export const CampaignProgress = z.object({
  total: z.number().int(),
  pending: z.number().int(),
  in_progress: z.number().int(),
  done: z.record(z.string(), z.number().int()).describe('recipients done, by outcome'),
  exhausted: z.number().int(),
  skipped: z.number().int(),
  calls_placed: z.number().int(),
  finished_per_hour: z.number().nullable().describe('recipients reaching a final state per hour, over the last 15 minutes of calling'),
  eta: Timestamp.nullable().describe(
    'when the recipients left should be done at that pace, counting only the hours the calling window is open (in the campaign time zone, else UTC); null until a recipient is done, or when not running',
  ),
});

export const Campaign = z.object({
  id: z.string().uuid(),
  object: z.literal('campaign'),
  name: z.string(),
  agent_id: z.string().uuid(),
  from_number: z.string().nullable(),
  status: z.enum(CAMPAIGN_STATUSES),
  paused_reason: z.string().nullable().describe('why a paused campaign stopped: `api`, `insufficient_credit`, or what made the calls fail'),
  schedule: CampaignSchedule,
  max_concurrent_calls: z.number().int(),
  retry: CampaignRetry,
  webhook_url: z.string().nullable(),
  metadata: JsonObject,
  progress: CampaignProgress,
  created_at: Timestamp,
  started_at: Timestamp.nullable(),
  completed_at: Timestamp.nullable(),
  updated_at: Timestamp,
});
export type Campaign = z.infer<typeof Campaign>;

export const RecipientInput = z.strictObject({
  to: E164,
  context: storedJsonObject('merged into the call context').default({}),
  metadata: storedJsonObject('your own data').default({}),
  timezone: TimeZone.nullable().default(null),
});
export type RecipientInput = z.infer<typeof RecipientInput>;

/** JSON: an array of recipients (or `{recipients: [...]}`); CSV and NDJSON (streamed, any length): see README, "Campaigns". */
export const RecipientsUpload = z.union([z.array(z.unknown()).max(10_000), z.strictObject({ recipients: z.array(z.unknown()).max(10_000) })]);

export const RecipientsAdded = z.object({
  object: z.literal('recipients_upload'),
  accepted: z.number().int(),
  rejected_count: z.number().int().describe('rows refused in all'),
  rejected: z
    .array(z.object({ line: z.number().int().describe('CSV or NDJSON line, or 1-based index in the JSON array'), value: z.string(), reason: z.string() }))
    .describe('the first 1,000 rows refused, in line order'),
});
export type RecipientsAdded = z.infer<typeof RecipientsAdded>;

export const CampaignRecipient = z.object({
  id: z.string().uuid(),
  object: z.literal('campaign_recipient'),
  to: z.string(),
  context: JsonObject,
  metadata: JsonObject,
  timezone: z.string().nullable(),
  state: z.enum(RECIPIENT_STATES),
  outcome: z.enum(ATTEMPT_OUTCOMES).nullable(),
  attempts: z.number().int(),
  call_ids: z.array(z.string().uuid()),
  next_attempt_at: Timestamp.nullable(),
  updated_at: Timestamp,
});
export type CampaignRecipient = z.infer<typeof CampaignRecipient>;

export const RecipientListQuery = Pagination.extend({ state: z.enum(RECIPIENT_STATES).optional(), outcome: z.enum(ATTEMPT_OUTCOMES).optional() });
export type RecipientListQuery = z.infer<typeof RecipientListQuery>;
