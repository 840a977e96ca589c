import type { Campaign } from '@parley/common';
import type { CampaignEntity, CampaignsRepository } from '@parley/db';
import { afterOpenTime } from './calling-window';

type Progress = Awaited<ReturnType<CampaignsRepository['progress']>>;

/** The pace's window: recipients finished in the last this many minutes (or since the start, if more recent). */
export const PACE_MINUTES = 15;

/** The campaign object: its row, its recipients counted by state (done ones by outcome), its pace and ETA. */
export function campaignView(c: CampaignEntity, { byState, attempts, recentlyFinished }: Progress, now = new Date()): Campaign {
  const count = (state: string) => byState.filter((s) => s.state === state).reduce((n, s) => n + s.n, 0);
  const done: Record<string, number> = {};
  for (const s of byState) if (s.state === 'done') done[s.outcome ?? 'completed'] = (done[s.outcome ?? 'completed'] ?? 0) + s.n;
  // Recipients per open-window ms, over the pace's window or the time since the start, whichever is shorter.
  const since = c.startedAt ? Math.min(PACE_MINUTES * 60_000, now.getTime() - c.startedAt.getTime()) : 0;
  const perMs = recentlyFinished > 0 && since > 0 ? recentlyFinished / since : null;
  const left = count('pending') + count('in_progress');
  const running = c.status === 'running' || c.status === 'scheduled';
  const eta = perMs && running ? (left === 0 ? now : afterOpenTime(now, left / perMs, c.schedule.window, c.schedule.timezone ?? 'UTC')) : null;
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
    progress: { total: byState.reduce((n, s) => n + s.n, 0), pending: count('pending'), in_progress: count('in_progress'), done, exhausted: count('exhausted'), skipped: count('skipped'),
      calls_placed: attempts,
      finished_per_hour: perMs ? Math.round(perMs * 3_600_000 * 10) / 10 : null,
      eta: eta?.toISOString() ?? null,
    },
    created_at: c.createdAt.toISOString(),
    started_at: c.startedAt?.toISOString() ?? null,
    completed_at: c.completedAt?.toISOString() ?? null,
    updated_at: c.updatedAt.toISOString(),
  };
}
