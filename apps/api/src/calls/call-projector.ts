import { Inject, Injectable } from '@nestjs/common';
import { CALL_STATUS_RANK, type CallEvent, type CallEventOf, type CallStatus, isTerminalStatus, Subjects, type TranscriptSegment } from '@parley/common';
import { AccountsRepository, type CallEntity, CallsRepository, type DataSource, type EntityManager, type OutboxEntry, type SegmentRow, type WrittenOutboxEntry } from '@parley/db';
import { Bus, DATA_SOURCE, LOGGER, type Logger, Metrics } from '@parley/service-kit';
import { billedSeconds, wholeSecondsBetween } from '../billing/billing-math';
import { settleCall } from '../billing/credits';
import { newId } from '../http/ids';
import { Outbox } from '../outbox/outbox';
import { callView } from './call.view';

/**
 * Projects call events into call rows. The api is the only writer of calls: every producer (dialer, media, extractor,
 * webhooks, the api itself) publishes events and this applies them. Status only moves forward, each event id is
 * applied once, and per-call work is serialised by a row lock.
 */
@Injectable()
export class CallProjector {
  private readonly applied;
  private readonly subjects: Subjects;
  private readonly attemptEndedListeners = new Set<(campaignId: string) => void>();

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly calls: CallsRepository,
    private readonly accounts: AccountsRepository,
    private readonly outbox: Outbox,
    bus: Bus,
    metrics: Metrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.subjects = bus.subjects;
    this.applied = metrics.counter('parley_call_events_applied_total', 'Call events projected into call rows', ['type', 'outcome']);
  }

  /** Applies one event in its own transaction, then publishes whatever it announced. */
  async handle(event: CallEvent): Promise<void> {
    let endedFor: string | null = null;
    const written = await this.ds.transaction(async (m) => this.applyIn(m, event, (campaignId) => (endedFor = campaignId)));
    await this.outbox.publish(written);
    if (endedFor) for (const listener of this.attemptEndedListeners) listener(endedFor);
  }

  /**
   * Calls `listener` with the campaign, once committed, when one of its calls ended (or, answered, its conversation
   * did, which tells a voicemail from a person): its scheduler then fills the freed line at once.
   */
  onCampaignCallEnded(listener: (campaignId: string) => void): void {
    this.attemptEndedListeners.add(listener);
  }

  /** Applies an event inside the caller's transaction; returns outbox rows to publish after commit. */
  async applyIn(m: EntityManager, event: CallEvent, campaignCallEnded?: (campaignId: string) => void): Promise<WrittenOutboxEntry[]> {
    const calls = this.calls.with(m);
    const fresh = await calls.recordEvent({ id: event.id, callId: event.call_id, accountId: event.account_id, type: event.type, seq: event.seq, at: event.at, data: event.data });
    if (!fresh) {
      this.applied.inc({ type: event.type, outcome: 'duplicate' });
      return [];
    }
    const call = await calls.getForUpdate(event.account_id, event.call_id);
    if (!call) {
      this.logger.warn({ event: event.id, type: event.type, call: event.call_id }, 'event for an unknown call ignored');
      this.applied.inc({ type: event.type, outcome: 'unknown_call' });
      return [];
    }
    const patch = await this.patchFor(m, call, event);
    this.applied.inc({ type: event.type, outcome: patch ? 'applied' : 'ignored' });
    if (!patch || Object.keys(patch).length === 0) return [];
    Object.assign(call, patch);
    if (call.campaignId && (event.type === 'ended' || event.type === 'conversation_ended')) campaignCallEnded?.(call.campaignId);
    const announce = this.completedIfSettled(call);
    if (announce.length) patch.completedPublishedAt = call.completedPublishedAt;
    patch.updatedAt = new Date();
    call.updatedAt = patch.updatedAt;
    await calls.update(call.accountId, call.id, patch);
    return this.outbox.write(m, announce);
  }

  private async patchFor(m: EntityManager, call: CallEntity, event: CallEvent): Promise<Partial<CallEntity> | null> {
    const at = new Date(event.at);
    switch (event.type) {
      case 'queued':
      case 'completed':
        return null;
      case 'initiated':
        return { ...this.advance(call, 'initiated'), channelId: event.data.channel_id, dialerId: event.data.dialer_id, ...(event.data.asterisk ? { asterisk: event.data.asterisk } : {}) };
      case 'ringing':
        return { ...this.advance(call, 'ringing'), startedAt: earliest(call.startedAt, at) };
      case 'answered':
        if (isTerminalStatus(call.status)) return null;
        return { ...this.advance(call, 'in_progress'), startedAt: earliest(call.startedAt, at), answeredAt: earliest(call.answeredAt, at) };
      case 'ended':
        return this.end(m, call, event);
      case 'transcript':
        await this.calls.with(m).saveSegments(call, [segmentRow(event.data.segment)]);
        return {};
      case 'conversation_ended': {
        await this.calls.with(m).saveSegments(call, event.data.segments.map(segmentRow));
        return { answeredBy: event.data.answered_by, latency: event.data.latency };
      }
      case 'recording': {
        const r = event.data;
        await this.calls.with(m).saveRecording(call, { path: r.path, durationMs: r.duration_ms, bytes: r.bytes, format: r.format, store: r.store, bucket: r.bucket, state: r.state });
        return {};
      }
      case 'result':
        // A settled result is never overwritten by a late or repeated extraction.
        if (call.resultStatus !== 'pending') return null;
        return { resultStatus: event.data.result_status, result: event.data.result, resultError: event.data.result_error };
      case 'agent_error':
      case 'tool_call':
        // Recorded in the call's events (GET /v1/calls/:id/events) and nothing else.
        return null;
      case 'webhook':
        if (call.webhookStatus === 'delivered') return null;
        return { webhookStatus: event.data.webhook_status, webhookError: event.data.webhook_error };
    }
  }

  private advance(call: CallEntity, to: CallStatus): Partial<CallEntity> {
    return CALL_STATUS_RANK[to] > CALL_STATUS_RANK[call.status] ? { status: to } : {};
  }

  private async end(m: EntityManager, call: CallEntity, event: CallEventOf<'ended'>): Promise<Partial<CallEntity> | null> {
    if (isTerminalStatus(call.status)) return null;
    const d = event.data;
    const endedAt = new Date(event.at);
    const answeredAt = d.answered ? (call.answeredAt ?? (d.answered_at ? new Date(d.answered_at) : null)) : null;
    const account = await this.accounts.with(m).get(call.accountId);
    if (!account) throw new Error(`account ${call.accountId} of call ${call.id} not found`);
    const billed = answeredAt ? billedSeconds(endedAt.getTime() - answeredAt.getTime(), account.billingIncrementSeconds, account.billingMinimumSeconds) : 0;
    const settlement = await settleCall(m, call, account, billed);
    return {
      status: d.status,
      answeredAt,
      startedAt: call.startedAt ?? answeredAt,
      endedAt,
      durationSeconds: wholeSecondsBetween(call.startedAt ?? answeredAt, endedAt) ?? 0,
      billedDurationSeconds: billed,
      billingAmountMilliCents: settlement.amount,
      reservationStatus: settlement.status,
      errorCode: d.error_code,
      errorMessage: d.error_message,
      hangupCause: d.hangup_cause,
      hangupCauseCode: d.hangup_cause_code,
    };
  }

  /** Once a call is terminal and its result settled, announce the final call object (once). */
  private completedIfSettled(call: CallEntity): OutboxEntry[] {
    if (!isTerminalStatus(call.status) || call.resultStatus === 'pending' || call.completedPublishedAt) return [];
    call.completedPublishedAt = new Date();
    call.updatedAt = call.completedPublishedAt;
    const event = {
      id: newId.event(),
      call_id: call.id,
      account_id: call.accountId,
      seq: 0,
      at: call.completedPublishedAt.toISOString(),
      type: 'completed' as const,
      data: { call: callView(call) },
    };
    return [{ subject: this.subjects.callEvent(call.id, 'completed'), msgId: event.id, payload: event }];
  }
}

function segmentRow(s: TranscriptSegment): SegmentRow {
  return { index: s.index, role: s.role, text: s.text, startMs: s.start_ms, endMs: s.end_ms, interrupted: s.interrupted, model: s.model ?? null };
}

function earliest(current: Date | null, at: Date): Date {
  return current && current.getTime() <= at.getTime() ? current : at;
}
