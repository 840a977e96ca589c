import { afterEach, beforeEach, expect, it } from 'vitest';
import { startHarness, type SimHarness } from './testing/harness';

let h: SimHarness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

it.each([
  { scenario: { outcome: 'reject' }, cause: 21, text: 'Call Rejected', tech: 603, dial: 'NOANSWER' },
  { scenario: { outcome: 'unallocated' }, cause: 1, text: 'Unallocated (unassigned) number', tech: 404, dial: 'NOANSWER' },
  { scenario: { outcome: 'congestion' }, cause: 34, text: 'Circuit/channel congestion', tech: 503, dial: 'CONGESTION' },
  { scenario: { outcome: 'failure', cause: 38 }, cause: 38, text: 'Network out of order', tech: 500, dial: 'NOANSWER' },
  { scenario: { outcome: 'failure', cause: 41, sip_code: 503 }, cause: 41, text: 'Temporary failure', tech: 503, dial: 'NOANSWER' },
  { scenario: { outcome: 'failure', cause: 42 }, cause: 42, text: 'Switching equipment congestion', tech: undefined, dial: 'NOANSWER' },
  { scenario: { outcome: 'failure', cause: 127 }, cause: 127, text: 'Interworking, unspecified', tech: undefined, dial: 'NOANSWER' },
])('a far end failing with cause $cause ends like the busy trace: HangupRequest -> Dial $dial -> Destroyed', async ({ scenario, cause, text, tech, dial }) => {
  const number = `+1555777${String(cause).padStart(4, '0')}`;
  await h.scenario(number, { ...scenario, answer_after_ms: 30 });
  const channel = await h.ari.channels.originate({ endpoint: `PJSIP/${number}@sandbox`, app: 'dialer', callerId: '+15550000000' });
  const destroyed = await h.until('ChannelDestroyed', (e) => e.channel.id === channel.id);
  expect({ cause: destroyed.cause, text: destroyed.cause_txt, tech: destroyed.tech_cause }).toEqual({ cause, text, tech });
  const ours = h.events.filter((e) => ('channel' in e && e.channel?.id === channel.id) || (e.type === 'Dial' && e.peer.id === channel.id));
  const tail = ours.slice(-3).map((e) => (e.type === 'Dial' ? `Dial ${e.dialstatus}` : e.type === 'ChannelHangupRequest' ? `HangupRequest ${e.cause}` : e.type));
  expect(tail).toEqual([`HangupRequest ${cause}`, `Dial ${dial}`, 'ChannelDestroyed']);
  expect(ours.some((e) => e.type === 'StasisStart')).toBe(false);
});
