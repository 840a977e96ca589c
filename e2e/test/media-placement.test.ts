import type { Platform } from '@parley/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, isTerminal, launchExtraMedia, metric, sandboxAgent, startTestPlatform, type TestPlatform, until } from './platform-harness';

// Issue 23, media placement by load, through the whole product: the api, one dialer, and two media processes
// (media-a, media-b) of capacity 2 each on one NATS namespace. The placer's refusal paths against a stale view are in
// apps/media/test/media-placement.test.ts; here, the dialer's wiring: spread, media_unavailable, a silent process skipped.

const MEDIA = { MEDIA_MAX_SESSIONS: '2', MEDIA_LOAD_INTERVAL_MS: '250', SILENCE_REPROMPT_MS: '60000', SILENCE_HANGUP_MS: '120000' };
let tp: TestPlatform;
let mediaB: Platform;
let account: Account;
let agent: any;

beforeAll(async () => {
  tp = await startTestPlatform({ ...MEDIA, MEDIA_ID: 'media-a' });
  mediaB = await launchExtraMedia(tp, 'media-b', { ...MEDIA, MEDIA_ID: 'media-b' });
  account = await tp.createAccount('Placement');
  ({ agent } = await sandboxAgent(tp, account, '+15550100023', { name: 'Quiet', type: 'outbound', instructions: 'Wait for the callee.' }));
});
afterAll(async () => {
  await mediaB?.stop();
  await tp?.stop();
});

const dialerUrl = () => tp.platform.get('dialer').url;
const mediaUrls = () => ({ 'media-a': tp.platform.get('media').url, 'media-b': mediaB.get('media').url });
const sessions = async () => ({ 'media-a': await metric(mediaUrls()['media-a'], 'parley_media_sessions_active'), 'media-b': await metric(mediaUrls()['media-b'], 'parley_media_sessions_active') });

let numbers = 0;
/** A call to a far end that answers and stays on the line, silent, until the call is ended. */
async function place(): Promise<string> {
  const to = `+1555023${String(numbers++).padStart(4, '0')}`;
  await tp.scenario(to, { outcome: 'answer', answer_after_ms: 100, send_silence: true });
  const res = await tp.api(account, 'POST', '/v1/calls', { agent_id: agent.id, to });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function endAll(ids: string[]): Promise<void> {
  for (const id of ids) await tp.api(account, 'POST', `/v1/calls/${id}/end`);
  for (const id of ids) await tp.waitForCall(account, id, isTerminal, 60_000);
  await until('both media processes idle', async () => Object.values(await sessions()).every((n) => n === 0));
}

describe('media placement by load (dialer, two media processes of capacity 2)', () => {
  it('spreads 4 calls 2 and 2; a 5th, with both full, fails with media_unavailable', async () => {
    await until('the dialer hears both media processes', async () => (await metric(dialerUrl(), 'parley_media_placement_processes')) === 2);
    const ids = await Promise.all([1, 2, 3, 4].map(() => place()));
    for (const id of ids) await tp.waitForCall(account, id, (c) => c.status === 'in_progress', 60_000);
    expect(await sessions()).toEqual({ 'media-a': 2, 'media-b': 2 });
    for (const id of ['media-a', 'media-b']) expect(await metric(dialerUrl(), 'parley_media_placement_allocations_total', { media_id: id })).toBe(2);

    const fifth = await place();
    const failed = await tp.waitForCall(account, fifth, isTerminal, 60_000);
    expect(failed).toMatchObject({ status: 'failed', error_code: 'media_unavailable' });
    expect(failed.error_message).toMatch(/every media process refused the call/);
    expect(await sessions()).toEqual({ 'media-a': 2, 'media-b': 2 });
    for (const id of ['media-a', 'media-b']) expect(await metric(dialerUrl(), 'parley_media_placement_refusals_total', { media_id: id, reason: 'refused' })).toBeGreaterThanOrEqual(1);
    expect(await metric(dialerUrl(), 'parley_media_placement_fallbacks_total')).toBe(0);
    await endAll(ids);
  });

  it('skips a media process that stops advertising (SIGSTOP: hung), without waiting on it', async () => {
    const b = mediaB.get('media').child;
    const timeoutsBefore = await metric(dialerUrl(), 'parley_media_placement_refusals_total', { media_id: 'media-b', reason: 'timeout' });
    b.kill('SIGSTOP');
    try {
      await until('the dialer forgets media-b', async () => (await metric(dialerUrl(), 'parley_media_placement_processes')) === 1);
      const ids = [await place(), await place()];
      for (const id of ids) await tp.waitForCall(account, id, (c) => c.status === 'in_progress', 60_000);
      expect(await metric(mediaUrls()['media-a'], 'parley_media_sessions_active')).toBe(2);
      // Never asked: no request to it timed out.
      expect(await metric(dialerUrl(), 'parley_media_placement_refusals_total', { media_id: 'media-b', reason: 'timeout' })).toBe(timeoutsBefore);
      b.kill('SIGCONT');
      await until('the dialer hears media-b again', async () => (await metric(dialerUrl(), 'parley_media_placement_processes')) === 2);
      await endAll(ids);
    } finally {
      b.kill('SIGCONT');
    }
  });
});
