import type { Call } from '@parley/common';
import type { CallEntity } from '@parley/db';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The public call object: every key present, null where unknown. */
export function callView(c: CallEntity, opts: { hasRecording?: boolean } = {}): Call {
  return {
    id: c.id,
    object: 'call',
    agent_id: c.agentId,
    // A web call has no numbers (stored as empty strings).
    to_number: c.toNumber || null,
    from_number: c.fromNumber || null,
    status: c.status,
    direction: c.direction,
    channel: c.channel,
    persona: c.persona,
    instructions: c.instructions,
    prompt: c.prompt,
    context: c.context,
    returns: c.returns,
    result: c.result,
    result_status: c.resultStatus,
    result_error: c.resultError,
    language: c.language,
    webhook_url: c.webhookUrl,
    webhook_status: c.webhookStatus,
    webhook_error: c.webhookError,
    created_at: c.createdAt.toISOString(),
    started_at: iso(c.startedAt),
    answered_at: iso(c.answeredAt),
    ended_at: iso(c.endedAt),
    duration_seconds: c.durationSeconds,
    billed_duration_seconds: c.billedDurationSeconds,
    billing_amount_milli_cents: c.billingAmountMilliCents,
    reservation_status: c.reservationStatus,
    error_code: c.errorCode,
    error_message: c.errorMessage,
    hangup_cause: c.hangupCause,
    answered_by: c.answeredBy,
    latency: c.latency,
    recording_url: opts.hasRecording ? `/v1/calls/${c.id}/recording` : null,
    metadata: c.metadata,
    campaign_id: c.campaignId,
    updated_at: c.updatedAt.toISOString(),
  };
}
