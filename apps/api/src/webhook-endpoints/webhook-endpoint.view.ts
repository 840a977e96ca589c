import type { WebhookDelivery, WebhookEndpoint } from '@parley/common';
import type { WebhookDeliveryAttemptEntity, WebhookDeliveryEntity, WebhookEndpointEntity } from '@parley/db';

/** The secret (stored sealed) is shown only when it was just created or rotated: the caller passes it in plaintext then. */
export function webhookEndpointView(e: WebhookEndpointEntity, opts: { secret?: string } = {}): WebhookEndpoint {
  return {
    id: e.id,
    object: 'webhook_endpoint',
    url: e.url,
    events: e.events,
    description: e.description,
    enabled: e.enabled,
    disabled_reason: e.disabledReason,
    ...(opts.secret !== undefined ? { secret: opts.secret } : {}),
    previous_secret_expires_at: e.previousSecret && e.previousSecretExpiresAt && e.previousSecretExpiresAt > new Date() ? e.previousSecretExpiresAt.toISOString() : null,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  };
}

export function webhookDeliveryView(d: WebhookDeliveryEntity, attempts: WebhookDeliveryAttemptEntity[]): WebhookDelivery {
  return {
    id: d.id,
    object: 'webhook_delivery',
    endpoint_id: d.endpointId,
    call_id: d.callId,
    event_type: d.eventType,
    url: d.url,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.status === 'pending' && d.nextAttemptAt ? d.nextAttemptAt.toISOString() : null,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    last_latency_ms: d.lastLatencyMs,
    created_at: d.createdAt.toISOString(),
    delivered_at: d.deliveredAt ? d.deliveredAt.toISOString() : null,
    attempt_log: attempts
      .sort((a, b) => a.attempt - b.attempt)
      .map((a) => ({ attempt: a.attempt, started_at: a.startedAt.toISOString(), status_code: a.statusCode, latency_ms: a.latencyMs, error: a.error })),
  };
}
