import type { Call } from '@parley/common';
import type { CallEntity } from '@parley/db';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The public call object: every key present, null where unknown. */
export function callView(c: CallEntity, opts: { hasRecording?: boolean } = {}): Call {
  return {
    id: c.id,
    object: 'call',
    agent_id: c.agentId,
    to_number: c.toNumber,
    from_number: c.fromNumber,
    status: c.status as Call['status'],
    direction: c.direction,
    persona: c.persona,
    instructions: c.instructions,
    prompt: c.prompt,
    context: c.context,
    returns: c.returns,
    result: c.result,
    result_status: c.resultStatus as Call['result_status'],
    result_error: c.resultError,
    language: c.language,
    webhook_url: c.webhookUrl,
    webhook_status: c.webhookStatus as Call['webhook_status'],
    webhook_error: c.webhookError,
    created_at: c.createdAt.toISOString(),
    started_at: iso(c.startedAt),
    answered_at: iso(c.answeredAt),
    ended_at: iso(c.endedAt),
    duration_seconds: c.durationSeconds,
    billed_duration_seconds: c.billedDurationSeconds,
    billing_amount_milli_cents: c.billingAmountMilliCents,
    reservation_status: c.reservationStatus as Call['reservation_status'],
    error_code: c.errorCode,
    error_message: c.errorMessage,
    hangup_cause: c.hangupCause,
    answered_by: c.answeredBy as Call['answered_by'],
    latency: c.latency as Call['latency'],
    recording_url: opts.hasRecording ? `/v1/calls/${c.id}/recording` : null,
    metadata: c.metadata,
    updated_at: c.updatedAt.toISOString(),
  };
}
