import { Bus, createLogger, NatsCluster } from '@parley/service-kit';
import type { Platform } from '@parley/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, isSettled, isTerminal, launchExtra, launchExtraMedia, metric, sandboxAgent, startTestPlatform, type TestPlatform, until } from './platform-harness';

// Issue 23, the whole scale-out under kill -9: two dialers, three media processes, a 3-node NATS cluster (streams with
// three copies), one simulator, real Postgres. One process is killed at a time while six answered calls are live: a
// dialer (its calls adopted by the other), a media process (its calls end media_lost, the others go on), the NATS node
// leading the call events stream (nothing lost). After each kill: no call row lost, every call ends with exactly one
// `ended` event, its webhook delivered, nothing left in the simulator. Times from each kill are printed.

const CALLS_PER_ROUND = 6;
let cluster: NatsCluster;
let tp: TestPlatform;
const extra: Platform[] = [];
let account: Account;
let agent: any;
let hook: Awaited<ReturnType<TestPlatform['webhookReceiver']>>;
const everyCall: string[] = [];

const dialers = () => [tp.platform.get('dialer'), extra[0]!.get('dialer')];
const DIALER_IDS = ['dialer-1', 'dialer-2'];
const medias = () => [tp.platform.get('media'), extra[1]!.get('media'), extra[2]!.get('media')];
const MEDIA_IDS = ['media-1', 'media-2', 'media-3'];

beforeAll(async () => {
  cluster = await NatsCluster.start(3);
  const media = { MEDIA_MAX_SESSIONS: '4', SILENCE_REPROMPT_MS: '60000', SILENCE_HANGUP_MS: '120000' };
  tp = await startTestPlatform({ ...media, NATS_STREAM_REPLICAS: '3', DIALER_ID: 'dialer-1', MEDIA_ID: 'media-1' }, { natsUrl: cluster.url });
  extra.push(await launchExtra(tp, 'dialer', 'dialer-2', { DIALER_ID: 'dialer-2' }));
  extra.push(await launchExtraMedia(tp, 'media-2', { ...media, MEDIA_ID: 'media-2' }));
  extra.push(await launchExtraMedia(tp, 'media-3', { ...media, MEDIA_ID: 'media-3' }));
  account = await tp.createAccount('Scale out');
  ({ agent } = await sandboxAgent(tp, account, '+15550100023', { name: 'Quiet', type: 'outbound', instructions: 'Wait for the callee.' }));
  hook = await tp.webhookReceiver(account.webhook_secret);
}, 180_000);

afterAll(async () => {
  for (const p of extra) await p.stop();
  await tp?.stop();
  await cluster?.stop();
});

const ariList = async <T extends { id: string }>(what: 'channels' | 'bridges'): Promise<T[]> =>
  (await (await fetch(`${tp.platform.simUrl}/ari/${what}`, { headers: { authorization: `Basic ${Buffer.from('parley:parley').toString('base64')}` } })).json()) as T[];

let numbers = 0;
/** Calls to far ends that answer and stay on the line, silent; resolves once each is bridged to its media process. */
async function placeLive(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const to = `+1555023${String(numbers++).padStart(4, '0')}`;
    await tp.scenario(to, { outcome: 'answer', answer_after_ms: 100, send_silence: true });
    const res = await tp.api(account, 'POST', '/v1/calls', { agent_id: agent.id, to, webhook_url: hook.url });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ids.push(res.body.id);
  }
  everyCall.push(...ids);
  for (const id of ids) await tp.waitForCall(account, id, (c) => c.status === 'in_progress', 60_000);
  await until('every call bridged to its media process', async () => (await ariList<{ id: string; channels: string[] }>('bridges')).filter((b) => ids.includes(b.id.slice('bridge-'.length)) && b.channels.length === 2).length === ids.length);
  // The attach follows the bridge: a kill before it would be a failed set-up, not a lost call.
  await new Promise((r) => setTimeout(r, 1000));
  return ids;
}

const events = async (id: string) => (await tp.api(account, 'GET', `/v1/calls/${id}/events`)).body.data as Array<{ type: string; data: any }>;
const call = async (id: string) => (await tp.api(account, 'GET', `/v1/calls/${id}`)).body;

async function endAll(ids: string[]): Promise<void> {
  for (const id of ids) if (!isTerminal(await call(id))) expect((await tp.api(account, 'POST', `/v1/calls/${id}/end`)).status).toBeLessThan(300);
  for (const id of ids) await tp.waitForCall(account, id, isSettled, 60_000);
}

/** What must hold after every kill, for every call placed so far. */
async function expectNothingLost(): Promise<void> {
  const listed = new Set<string>();
  let after = '';
  for (;;) {
    const page = (await tp.api(account, 'GET', `/v1/calls?limit=100${after}`)).body;
    for (const c of page.data) listed.add(c.id);
    if (!page.has_more) break;
    after = `&starting_after=${page.data.at(-1).id}`;
  }
  expect([...everyCall].filter((id) => !listed.has(id))).toEqual([]);
  for (const id of everyCall) {
    expect(isTerminal(await call(id)), id).toBe(true);
    expect((await events(id)).filter((e) => e.type === 'ended'), id).toHaveLength(1);
  }
  // Each call's webhook delivered (at least once; the same webhook-id if more than once).
  await until('every call.completed webhook delivered', async () => everyCall.every((id) => hook.deliveries.some((d) => d.verified && d.payload?.type === 'call.completed' && d.payload.data?.id === id)), 60_000);
  for (const id of everyCall) expect(new Set(hook.deliveries.filter((d) => d.payload?.data?.id === id).map((d) => d.headers['webhook-id'])).size, id).toBe(1);
  await expect.poll(async () => [...(await ariList('channels')), ...(await ariList('bridges'))].map((o) => o.id), { timeout: 15_000, interval: 200 }).toEqual([]);
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

describe('scale-out: two dialers, three media processes, a 3-node NATS cluster, one kill -9 at a time', () => {
  it('a dialer: the other adopts its live calls within seconds and ends them when asked', async () => {
    await until('both dialers and every media process heard', async () => (await metric(dialers()[1]!.url, 'parley_media_placement_processes')) === 3);
    const ids = await placeLive(CALLS_PER_ROUND);
    const owner = new Map<string, string>();
    for (const id of ids) owner.set(id, (await events(id)).find((e) => e.type === 'initiated')!.data.dialer_id);
    // The victim: the dialer holding more of the calls.
    const held = (d: string) => ids.filter((id) => owner.get(id) === d);
    const victim = held('dialer-1').length >= held('dialer-2').length ? 0 : 1;
    const survivor = dialers()[1 - victim]!;
    const orphans = held(DIALER_IDS[victim]!);
    expect(orphans.length).toBeGreaterThan(0);
    const adoptedBefore = await metric(survivor.url, 'parley_dialer_adoptions_total', { result: 'adopted' });
    const killedAt = Date.now();
    await dialers()[victim]!.kill('SIGKILL');
    await until(`${DIALER_IDS[1 - victim]} adopts ${orphans.length} calls`, async () => (await metric(survivor.url, 'parley_dialer_adoptions_total', { result: 'adopted' })) - adoptedBefore >= orphans.length);
    const adoptedIn = Date.now() - killedAt;
    console.log(`dialer SIGKILL -> its ${orphans.length} live calls adopted by the other: ${adoptedIn} ms (poll 100 ms)`);
    // None lost, none ended by the kill: all still live, and the survivor ends them when the API asks.
    for (const id of ids) expect((await call(id)).status, id).toBe('in_progress');
    await endAll(ids);
    for (const id of ids) expect(await call(id), id).toMatchObject({ status: 'completed', error_code: null });
    await dialers()[victim]!.restart();
    await expectNothingLost();
  });

  it('a media process: its calls end media_lost within seconds, the others go on', async () => {
    await until('every media process heard again', async () => (await metric(tp.platform.get('dialer').url, 'parley_media_placement_processes')) === 3 && (await metric(extra[0]!.get('dialer').url, 'parley_media_placement_processes')) === 3);
    const ids = await placeLive(CALLS_PER_ROUND);
    const sessions = await Promise.all(medias().map((m) => metric(m.url, 'parley_media_sessions_active')));
    console.log(`placement of ${ids.length} calls over media-1..3: ${sessions.join(', ')}`);
    expect(sessions.reduce((a, b) => a + b, 0)).toBe(ids.length);
    const victim = sessions.indexOf(Math.max(...sessions));
    const killedAt = Date.now();
    await medias()[victim]!.kill('SIGKILL');
    await until(`the ${sessions[victim]} calls of ${MEDIA_IDS[victim]} end`, async () => (await Promise.all(ids.map(call))).filter(isTerminal).length >= sessions[victim]!);
    const all = await Promise.all(ids.map(call));
    const lost = all.filter(isTerminal);
    expect(lost).toHaveLength(sessions[victim]!);
    for (const c of lost) expect(c, JSON.stringify(c)).toMatchObject({ status: 'completed', error_code: 'media_lost' });
    const toEnded = lost.map((c) => Date.parse(c.ended_at) - killedAt);
    console.log(`media SIGKILL -> its ${lost.length} calls ended: p50 ${percentile(toEnded, 50)} ms, max ${Math.max(...toEnded)} ms`);
    await new Promise((r) => setTimeout(r, 1500));
    for (const c of all.filter((c) => !isTerminal(c))) expect((await call(c.id)).status, c.id).toBe('in_progress');
    await endAll(ids);
    await medias()[victim]!.restart();
    await expectNothingLost();
  });

  it('a NATS node, the one leading the call events stream: no event, call or webhook lost', async () => {
    const ids = await placeLive(CALLS_PER_ROUND);
    const bus = new Bus({ url: cluster.url, namespace: tp.platform.env.NATS_NAMESPACE!, name: 'scale-out-test', logger: createLogger('scale-out-test', 'silent') });
    await bus.connect();
    const info = await bus.manager.streams.info(bus.subjects.callEventsStream);
    await bus.close();
    expect(info.config.num_replicas).toBe(3);
    const leader = info.cluster!.leader!;
    const killedAt = Date.now();
    cluster.kill(leader);
    // The calls are ended through the cluster that lost a node: their ended events, results and webhooks go through it.
    await endAll(ids);
    console.log(`NATS leader ${leader} SIGKILL -> ${ids.length} calls ended and settled through the rest: ${Date.now() - killedAt} ms`);
    for (const id of ids) expect(await call(id), id).toMatchObject({ status: 'completed', error_code: null });
    await expectNothingLost();
  });
});
