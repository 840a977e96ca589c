import { z } from 'zod';
import { WEBHOOK_DELIVERY_STATUSES } from '../enums';
import { HttpUrl, Pagination, Text, Timestamp } from './primitives';

/** Event types a webhook endpoint can subscribe to. The per-call `webhook_url` receives `call.completed` only. */
export const WEBHOOK_EVENT_TYPES = ['call.initiated', 'call.ringing', 'call.answered', 'call.ended', 'call.completed', 'call.transcript', 'campaign.started', 'campaign.paused', 'campaign.completed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** Sent only by `POST /v1/webhook_endpoints/:id/test`. */
export const WEBHOOK_TEST_EVENT_TYPE = 'webhook.test';

/** The body of every webhook: `data` is the call object for `call.completed`, the event's data plus `call_id` otherwise. */
export const WebhookPayload = z.object({
  type: z.string(),
  timestamp: Timestamp,
  data: z.record(z.string(), z.unknown()),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

const events = z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length).transform((e) => [...new Set(e)]);

export const WebhookEndpointCreate = z.strictObject({
  url: HttpUrl,
  events,
  description: Text.max(500).nullable().default(null),
  enabled: z.boolean().default(true),
});
export type WebhookEndpointCreate = z.infer<typeof WebhookEndpointCreate>;

export const WebhookEndpointUpdate = z
  .strictObject({ url: HttpUrl, events, description: Text.max(500).nullable(), enabled: z.boolean() })
  .partial();
export type WebhookEndpointUpdate = z.infer<typeof WebhookEndpointUpdate>;

/** Body of POST /v1/webhook_endpoints/:id/rotate_secret (optional). */
export const WebhookSecretRotate = z
  .strictObject({
    /** How long the old secret keeps signing beside the new one (every delivery carries both signatures); 0 ends it at once. */
    expire_previous_in_seconds: z.number().int().min(0).max(7 * 86_400).default(86_400),
  })
  .prefault({});
export type WebhookSecretRotate = z.infer<typeof WebhookSecretRotate>;

export const WebhookEndpoint = z.object({
  id: z.string(),
  object: z.literal('webhook_endpoint'),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  description: z.string().nullable(),
  enabled: z.boolean(),
  /** Why Parley disabled it (e.g. the endpoint answered 410 Gone). */
  disabled_reason: z.string().nullable(),
  /** Only in the answers to create and rotate_secret. */
  secret: z.string().optional(),
  /** Until when the secret before the last rotation still signs deliveries (beside the current one); null when it does not. */
  previous_secret_expires_at: Timestamp.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;
/** What create and rotate_secret answer: the endpoint with its signing secret. */
export const WebhookEndpointWithSecret = WebhookEndpoint.extend({ secret: z.string().describe('whsec_...: shown in this answer only') });

export const WebhookDeliveryAttempt = z.object({
  attempt: z.number().int(),
  started_at: Timestamp,
  status_code: z.number().int().nullable(),
  latency_ms: z.number().int(),
  error: z.string().nullable(),
});

export const WebhookDelivery = z.object({
  id: z.string().describe('the webhook-id header, identical on every retry'),
  object: z.literal('webhook_delivery'),
  endpoint_id: z.string().nullable(),
  call_id: z.string().nullable(),
  event_type: z.string(),
  url: z.string(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES),
  attempts: z.number().int(),
  next_attempt_at: Timestamp.nullable(),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  last_latency_ms: z.number().int().nullable(),
  created_at: Timestamp,
  delivered_at: Timestamp.nullable(),
  attempt_log: z.array(WebhookDeliveryAttempt),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const WebhookDeliveryListQuery = Pagination.extend({ status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional() });
export type WebhookDeliveryListQuery = z.infer<typeof WebhookDeliveryListQuery>;
