import type { Platform } from '@parley/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, isTerminal, launchExtraMedia, metric, sandboxAgent, startTestPlatform, type TestPlatform, until } from './platform-harness';
import { TestBrowser } from './test-browser';

// Issue 23, losing a media process mid-call: the api, one dialer and two media processes (media-a, media-b) of
// capacity 3, adverts at the default 1 s. media-b is killed with SIGKILL while it holds three answered calls: the
// dialer ends those (completed, media_lost) and leaves media-a's three alone. Three rounds, for the detection times;
// in the last, media-b is started again at once under the same MEDIA_ID (as a container restart would), so its adverts
// resume before the dialer forgets it: their new start is what tells the dialer its calls are gone.

const MEDIA = { MEDIA_MAX_SESSIONS: '3', SILENCE_REPROMPT_MS: '60000', SILENCE_HANGUP_MS: '120000' };
const ROUNDS = 3;
let tp: TestPlatform;
let mediaB: Platform;
let account: Account;
let agent: any;

beforeAll(async () => {
  tp = await startTestPlatform({ ...MEDIA, MEDIA_ID: 'media-a' });
  mediaB = await launchExtraMedia(tp, 'media-b', { ...MEDIA, MEDIA_ID: 'media-b' });
  account = await tp.createAccount('Media lost');
  ({ agent } = await sandboxAgent(tp, account, '+15550100024', { name: 'Quiet', type: 'outbound', instructions: 'Wait for the callee.' }));
});
afterAll(async () => {
  await mediaB?.stop();
  await tp?.stop();
});

const ariList = async <T extends { id: string }>(what: 'channels' | 'bridges'): Promise<T[]> =>
  (await (await fetch(`${tp.platform.simUrl}/ari/${what}`, { headers: { authorization: `Basic ${Buffer.from('parley:parley').toString('base64')}` } })).json()) as T[];
const ari = async (what: 'channels' | 'bridges'): Promise<string[]> => (await ariList(what)).map((o) => o.id);
const bridges = () => ariList<{ id: string; channels: string[] }>('bridges');
const simObjectsOf = async (ids: string[]) => [...(await ari('channels')), ...(await ari('bridges'))].filter((o) => ids.some((id) => o.includes(id)));

let numbers = 0;
/** A call to a far end that answers and stays on the line, silent, until the call is ended. */
async function place(): Promise<string> {
  const to = `+1555024${String(numbers++).padStart(4, '0')}`;
  await tp.scenario(to, { outcome: 'answer', answer_after_ms: 100, send_silence: true });
  const res = await tp.api(account, 'POST', '/v1/calls', { agent_id: agent.id, to });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

describe('a media process killed mid-call (SIGKILL)', () => {
  it('ends the calls it held completed with media_lost within seconds; the other media process goes on', async () => {
    const dialerUrl = tp.platform.get('dialer').url;
    const mediaA = tp.platform.get('media').url;
    const toEnded: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await until('the dialer hears both media processes', async () => (await metric(dialerUrl, 'parley_media_placement_processes')) === 2);
      const ids = await Promise.all([1, 2, 3, 4, 5, 6].map(() => place()));
      for (const id of ids) await tp.waitForCall(account, id, (c) => c.status === 'in_progress', 60_000);
      expect(await metric(mediaA, 'parley_media_sessions_active')).toBe(3);
      // in_progress comes with the answer, before the media path is up: a kill then is a failed set-up
      // (media_unavailable), not a lost call. Each call bridged to its ExternalMedia channel, and the attach sent.
      await until('every call bridged to media', async () => (await bridges()).filter((b) => ids.includes(b.id.slice('bridge-'.length)) && b.channels.length === 2).length === ids.length);
      await new Promise((r) => setTimeout(r, 1000));

      const killedAt = Date.now();
      await mediaB.get('media').kill('SIGKILL');
      const restartAtOnce = round === ROUNDS - 1;
      if (restartAtOnce) {
        await mediaB.get('media').restart();
        console.log(`media-b advertising again ${Date.now() - killedAt} ms after the kill`);
      }
      // Polled, not timed: the figures are printed below.
      const byId = new Map<string, any>();
      await until('media-b\'s three calls end', async () => {
        for (const id of ids) byId.set(id, (await tp.api(account, 'GET', `/v1/calls/${id}`)).body);
        return [...byId.values()].filter(isTerminal).length >= 3;
      });
      const lost = ids.filter((id) => isTerminal(byId.get(id)));
      const kept = ids.filter((id) => !isTerminal(byId.get(id)));
      expect(lost).toHaveLength(3);
      for (const id of lost) {
        const call = byId.get(id);
        expect(call, JSON.stringify(call)).toMatchObject({ status: 'completed', error_code: 'media_lost' });
        expect(call.error_message).toMatch(/media process holding the call \(media-b\) stopped/);
        // Billed to the end, like any answered call.
        expect(call.billed_duration_seconds).toBeGreaterThanOrEqual(Math.floor((Date.parse(call.ended_at) - Date.parse(call.answered_at)) / 1000));
        toEnded.push(Date.parse(call.ended_at) - killedAt);
      }
      // Nothing of them stays in Asterisk (phone channel, ExternalMedia channel, bridge).
      await expect.poll(() => simObjectsOf(lost), { timeout: 10_000, interval: 200 }).toEqual([]);
      // media-a's calls go on.
      await new Promise((r) => setTimeout(r, 1500));
      for (const id of kept) expect((await tp.api(account, 'GET', `/v1/calls/${id}`)).body.status).toBe('in_progress');
      expect(await metric(mediaA, 'parley_media_sessions_active')).toBe(3);
      expect(await metric(dialerUrl, 'parley_dialer_media_lost_calls_total')).toBe(3 * (round + 1));

      for (const id of kept) await tp.api(account, 'POST', `/v1/calls/${id}/end`);
      for (const id of kept) expect(await tp.waitForCall(account, id, isTerminal, 30_000)).toMatchObject({ status: 'completed', error_code: null });
      for (const id of ids) {
        const events = (await tp.api(account, 'GET', `/v1/calls/${id}/events`)).body.data.filter((e: { type: string }) => e.type === 'ended');
        expect(events, id).toHaveLength(1);
        if (lost.includes(id)) expect(events[0], JSON.stringify(events[0])).toMatchObject({ data: { hangup_by: 'system', error_code: 'media_lost' } });
      }
      await expect.poll(async () => [...(await ari('channels')), ...(await ari('bridges'))], { timeout: 10_000, interval: 200 }).toEqual([]);
      if (!restartAtOnce) await mediaB.get('media').restart();
    }
    console.log(`media process SIGKILL -> call ended (${toEnded.length} calls, ${ROUNDS} kills): p50 ${percentile(toEnded, 50)} ms, p95 ${percentile(toEnded, 95)} ms, max ${Math.max(...toEnded)} ms; all: ${toEnded.join(', ')}`);
  });

  it('ends a connected web call it held completed with media_lost within seconds (the api sees it: a web call has no dialer)', async () => {
    const apiUrl = tp.platform.get('api').url;
    await until('the api hears both media processes', async () => (await metric(apiUrl, 'parley_media_placement_processes')) === 2);
    // Two web calls: the placer puts the second on the other process (the first counts on its pick at once).
    const browsers = [new TestBrowser(tp.platform.apiUrl), new TestBrowser(tp.platform.apiUrl)];
    const ids: string[] = [];
    for (const browser of browsers) {
      const created = await tp.api(account, 'POST', '/v1/calls/web', { agent_id: agent.id });
      expect(created.status).toBe(201);
      expect((await browser.connect(created.body.access_token)).status).toBe(201);
      ids.push(created.body.id);
    }
    for (const id of ids) await tp.waitForCall(account, id, (c) => c.status === 'in_progress', 30_000);
    expect(await metric(tp.platform.get('media').url, 'parley_media_sessions_active')).toBe(1);
    try {
      const killedAt = Date.now();
      await mediaB.get('media').kill('SIGKILL');
      const byId = new Map<string, any>();
      await until("media-b's web call ends", async () => {
        for (const id of ids) byId.set(id, (await tp.api(account, 'GET', `/v1/calls/${id}`)).body);
        return [...byId.values()].some(isTerminal);
      });
      const lost = [...byId.values()].filter(isTerminal);
      expect(lost).toHaveLength(1);
      expect(lost[0]).toMatchObject({ status: 'completed', error_code: 'media_lost' });
      expect(lost[0].hangup_cause).toMatch(/media-b/);
      console.log(`web call: media process SIGKILL -> call ended ${Date.parse(lost[0].ended_at) - killedAt} ms`);
      const kept = ids.find((id) => !isTerminal(byId.get(id)))!;
      await new Promise((r) => setTimeout(r, 1500));
      expect((await tp.api(account, 'GET', `/v1/calls/${kept}`)).body.status).toBe('in_progress');
      expect(await metric(apiUrl, 'parley_api_web_calls_media_lost_total')).toBe(1);
      await tp.api(account, 'POST', `/v1/calls/${kept}/end`);
      expect(await tp.waitForCall(account, kept, isTerminal, 30_000)).toMatchObject({ status: 'completed', error_code: null });
    } finally {
      for (const browser of browsers) await browser.pc.close();
      await mediaB.get('media').restart();
    }
  });
});
