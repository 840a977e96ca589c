import { type CallChannel, type CallDirection, renderPrompt } from '@parley/common';
import type { AgentEntity, CallEntity } from '@parley/db';

/** What a new call takes from its agent. */
export type AgentSnapshot = Pick<AgentEntity, 'id' | 'persona' | 'instructions' | 'returns' | 'language' | 'webhookUrl' | 'maxDurationSeconds' | 'ringTimeoutSeconds'>;

/** A new call row snapshotting the agent: persona, instructions (or the per-call override), prompt, returns. */
export function newCallRow(o: {
  id: string;
  accountId: string;
  agent: AgentSnapshot;
  trunkId: string;
  direction: CallDirection;
  /** Default phone. */
  channel?: CallChannel;
  toNumber: string;
  fromNumber: string;
  instructions?: string;
  context: Record<string, unknown>;
  webhookUrl?: string;
  metadata: Record<string, unknown>;
  reservedMilliCents: number;
  campaignId?: string;
}): CallEntity {
  const { agent } = o;
  const instructions = o.instructions ?? agent.instructions;
  const webhookUrl = o.webhookUrl ?? agent.webhookUrl;
  const now = new Date();
  return {
    id: o.id,
    accountId: o.accountId,
    agentId: agent.id,
    trunkId: o.trunkId,
    direction: o.direction,
    channel: o.channel ?? 'phone',
    status: 'queued',
    toNumber: o.toNumber,
    fromNumber: o.fromNumber,
    persona: agent.persona,
    instructions,
    prompt: renderPrompt({ persona: agent.persona, instructions, context: o.context }),
    context: o.context,
    returns: agent.returns,
    result: null,
    resultStatus: 'pending',
    resultError: null,
    language: agent.language,
    webhookUrl,
    webhookStatus: webhookUrl ? 'pending' : null,
    webhookError: null,
    createdAt: now,
    startedAt: null,
    answeredAt: null,
    endedAt: null,
    durationSeconds: null,
    billedDurationSeconds: null,
    billingAmountMilliCents: null,
    reservationStatus: 'reserved',
    reservedMilliCents: o.reservedMilliCents,
    errorCode: null,
    errorMessage: null,
    hangupCause: null,
    hangupCauseCode: null,
    answeredBy: null,
    latency: null,
    metadata: o.metadata,
    campaignId: o.campaignId ?? null,
    maxDurationSeconds: agent.maxDurationSeconds,
    ringTimeoutSeconds: agent.ringTimeoutSeconds,
    channelId: null,
    dialerId: null,
    asterisk: null,
    completedPublishedAt: null,
    updatedAt: now,
  };
}
