import type { CallEvent } from '@parley/common';
import type { DialerWorld } from './dialer-world';

export interface ConcurrentRun {
  ended: Extract<CallEvent, { type: 'ended' }>[];
  /** Calls the simulator held answered at once, when the last one had its media attached. */
  answeredTogether: number;
  /** Calls that did not end completed, with their error, for the assertion message. */
  failures: string[];
}

/**
 * Places `count` calls at once to a scripted far end that answers and stays on the line; once every call is either
 * bridged to media (attached) or over, the far ends hang up, and the run waits for every `ended`. Holding the calls
 * until then makes them all concurrent however slowly a loaded machine places them. The far ends say nothing: this
 * is about call control and bridging, not audio.
 */
export async function placeConcurrentCalls(world: DialerWorld, opts: { count: number; number: string; answerAfterMs: number; timeoutMs: number }): Promise<ConcurrentRun> {
  await world.scenario(opts.number, { outcome: 'answer', ring_after_ms: 5, answer_after_ms: opts.answerAfterMs, lines: [], send_silence: false });
  const callIds = await Promise.all(Array.from({ length: opts.count }, () => world.dispatch({ to: opts.number })));
  const settled = (id: string) => world.media.attached.some((a) => a.call_id === id) || world.events.some((e) => e.call_id === id && e.type === 'ended');
  await world.until(() => callIds.every(settled), `${opts.count} calls bridged to media or ended`, opts.timeoutMs);
  const answeredTogether = (await world.simCalls()).filter((c) => callIds.includes(c.channel_id as string) && c.state === 'answered').length;
  await Promise.all(callIds.map((id) => fetch(`${world.sim.url}/sim/calls/${encodeURIComponent(id)}/hangup`, { method: 'POST' })));
  const ended = await Promise.all(callIds.map((id) => world.waitForEvent(id, 'ended', opts.timeoutMs)));
  const failures = ended.filter((e) => e.data.status !== 'completed').map((e) => `${e.call_id}: ${e.data.status} ${e.data.error_code ?? ''} ${e.data.error_message ?? ''}`);
  return { ended, answeredTogether, failures };
}
