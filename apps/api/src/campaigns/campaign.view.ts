import type { Campaign } from '@parley/common';
import type { CampaignEntity, CampaignsRepository } from '@parley/db';

type Progress = Awaited<ReturnType<CampaignsRepository['progress']>>;

/** The campaign object: its row, and its recipients counted by state (done ones by outcome). */
export function campaignView(c: CampaignEntity, { byState, attempts }: Progress): Campaign {
  const count = (state: string) => byState.filter((s) => s.state === state).reduce((n, s) => n + s.n, 0);
  const done: Record<string, number> = {};
  for (const s of byState) if (s.state === 'done') done[s.outcome ?? 'completed'] = (done[s.outcome ?? 'completed'] ?? 0) + s.n;
  return {
    id: c.id,
    object: 'campaign',
    name: c.name,
    agent_id: c.agentId,
    from_number: c.fromNumber,
    status: c.status,
    paused_reason: c.pausedReason,
    schedule: c.schedule,
    max_concurrent_calls: c.maxConcurrentCalls,
    retry: c.retry,
    webhook_url: c.webhookUrl,
    metadata: c.metadata,
    progress: { total: byState.reduce((n, s) => n + s.n, 0), pending: count('pending'), in_progress: count('in_progress'), done, exhausted: count('exhausted'), skipped: count('skipped'), calls_placed: attempts },
    created_at: c.createdAt.toISOString(),
    started_at: c.startedAt?.toISOString() ?? null,
    completed_at: c.completedAt?.toISOString() ?? null,
    updated_at: c.updatedAt.toISOString(),
  };
}
