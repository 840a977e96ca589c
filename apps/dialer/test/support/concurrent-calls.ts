import type { CallEvent } from '@parley/common';
import type { DialerWorld } from './dialer-world';

export interface ConcurrentRun {
  ended: Extract<CallEvent, { type: 'ended' }>[];
  /** The most calls the simulator held answered at the same moment. */
  peakAnswered: number;
  /** Calls that did not end completed, with their error, for the assertion message. */
  failures: string[];
}

/**
 * Places `count` calls at once to one scripted far end that answers and hangs up after `holdMs`, and waits for all
 * of them to end. The far ends say nothing: this is about call control and bridging, not audio.
 */
export async function placeConcurrentCalls(world: DialerWorld, opts: { count: number; number: string; answerAfterMs: number; holdMs: number; timeoutMs: number }): Promise<ConcurrentRun> {
  await world.scenario(opts.number, { outcome: 'answer', ring_after_ms: 5, answer_after_ms: opts.answerAfterMs, hangup_after_ms: opts.holdMs, lines: [], send_silence: false });
  const callIds = await Promise.all(Array.from({ length: opts.count }, () => world.dispatch({ to: opts.number })));
  const ended = await Promise.all(callIds.map((id) => world.waitForEvent(id, 'ended', opts.timeoutMs)));
  const sims = (await world.simCalls()).filter((c) => callIds.includes(c.channel_id as string));
  const marks = sims.flatMap((c) => (c.answered_at ? [{ t: Date.parse(c.answered_at as string), d: 1 }, { t: Date.parse(c.ended_at as string), d: -1 }] : []));
  marks.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let peakAnswered = 0;
  for (const m of marks) peakAnswered = Math.max(peakAnswered, (now += m.d));
  const failures = ended.filter((e) => e.data.status !== 'completed').map((e) => `${e.call_id}: ${e.data.status} ${e.data.error_code ?? ''} ${e.data.error_message ?? ''}`);
  return { ended, peakAnswered, failures };
}
