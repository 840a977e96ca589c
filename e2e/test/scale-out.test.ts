import { Bus, createLogger } from '@parley/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminal, metric, until } from './platform-harness';
import { type ScaleRig, startScaleRig } from './scale-rig';

// Issue 23, the whole scale-out under kill -9: two dialers, three media processes, a 3-node NATS cluster (streams with
// three copies), two simulators registered as two Asterisks carrying one customer trunk, real Postgres. One process is
// killed at a time while six answered calls are live: a dialer (its calls adopted by the other; then the media process
// holding adopted calls), a media process (its calls end media_lost, the others go on), the NATS node leading the call
// events stream (nothing lost), a simulator (its calls end asterisk_lost, new ones go to the other). After each kill: no call row lost, every call ends with exactly one
// `ended` event, its webhook delivered, nothing left in the simulator. Times from each kill are printed.

const CALLS_PER_ROUND = 6;
let rig: ScaleRig;

let bus: Bus;

beforeAll(async () => {
  rig = await startScaleRig({ dialers: 2, media: 3, natsCluster: true, asterisks: 2, mediaEnv: { MEDIA_MAX_SESSIONS: '4' } });
  bus = new Bus({ url: rig.cluster!.url, namespace: rig.tp.platform.env.NATS_NAMESPACE!, name: 'scale-out-test', logger: createLogger('scale-out-test', 'silent') });
  await bus.connect();
}, 180_000);
afterAll(async () => {
  await bus?.close();
  await rig?.stop();
});

/** The media process holding a call, as it answers for it. */
async function holderOf(callId: string): Promise<string> {
  const reply = await bus.connection.request(bus.subjects.mediaSession(callId, 'status'), JSON.stringify({ call_id: callId }), { timeout: 2000 });
  return (reply.json() as { media_id: string }).media_id;
}

const call = (id: string) => rig.call(id);
const events = (id: string) => rig.events(id);

/** What must hold after every kill, for every call placed so far. */
async function expectNothingLost(): Promise<void> {
  const listed = new Set<string>();
  let after = '';
  for (;;) {
    const page = (await rig.tp.api(rig.account, 'GET', `/v1/calls?limit=100${after}`)).body;
    for (const c of page.data) listed.add(c.id);
    if (!page.has_more) break;
    after = `&starting_after=${page.data.at(-1).id}`;
  }
  expect([...rig.placed].filter((id) => !listed.has(id))).toEqual([]);
  for (const id of rig.placed) {
    expect(isTerminal(await call(id)), id).toBe(true);
    expect((await events(id)).filter((e) => e.type === 'ended'), id).toHaveLength(1);
  }
  // Each call's webhook delivered (at least once; the same webhook-id if more than once).
  await until('every call.completed webhook delivered', async () => rig.placed.every((id) => rig.hook.deliveries.some((d) => d.verified && d.payload?.type === 'call.completed' && d.payload.data?.id === id)), 60_000);
  for (const id of rig.placed) expect(new Set(rig.hook.deliveries.filter((d) => d.payload?.data?.id === id).map((d) => d.headers['webhook-id'])).size, id).toBe(1);
  await expect.poll(() => rig.simObjects(), { timeout: 15_000, interval: 200 }).toEqual([]);
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

describe('scale-out: two dialers, three media processes, a 3-node NATS cluster, one kill -9 at a time', () => {
  it('a dialer: the other adopts its live calls within seconds, watches their media and ends them when asked', async () => {
    await rig.untilPlacementSeesAll();
    const ids = await rig.placeLive(CALLS_PER_ROUND);
    const owner = new Map<string, string>();
    for (const id of ids) owner.set(id, (await events(id)).find((e) => e.type === 'initiated')!.data.dialer_id);
    // The victim: the dialer holding more of the calls.
    const held = (d: string) => ids.filter((id) => owner.get(id) === d);
    const victim = held('dialer-1').length >= held('dialer-2').length ? 0 : 1;
    const survivor = rig.dialers()[1 - victim]!;
    const orphans = held(rig.dialerIds[victim]!);
    expect(orphans.length).toBeGreaterThan(0);
    const adoptedBefore = await metric(survivor.url, 'parley_dialer_adoptions_total', { result: 'adopted' });
    const killedAt = Date.now();
    await rig.dialers()[victim]!.kill('SIGKILL');
    await until(`${rig.dialerIds[1 - victim]} adopts ${orphans.length} calls`, async () => (await metric(survivor.url, 'parley_dialer_adoptions_total', { result: 'adopted' })) - adoptedBefore >= orphans.length);
    const adoptedIn = Date.now() - killedAt;
    console.log(`dialer SIGKILL -> its ${orphans.length} live calls adopted by the other: ${adoptedIn} ms (poll 100 ms)`);
    // None lost, none ended by the kill: all still live.
    for (const id of ids) expect((await call(id)).status, id).toBe('in_progress');
    // The survivor learns which media process holds each adopted call: a media process killed now ends the adopted
    // calls it held (media_lost), as for calls the survivor placed itself.
    const holders = new Map<string, string>();
    for (const id of ids) holders.set(id, await holderOf(id));
    const heldBy = (m: string, among: string[]) => among.filter((id) => holders.get(id) === m);
    // The victim: the media process holding the most adopted calls (ties: the most calls).
    const mediaVictim = [...rig.mediaIds].sort((a, b) => heldBy(b, orphans).length - heldBy(a, orphans).length || heldBy(b, ids).length - heldBy(a, ids).length)[0]!;
    expect(heldBy(mediaVictim, orphans).length).toBeGreaterThan(0);
    // A moment for the survivor's check (every second) to learn the adopted calls' holders.
    await new Promise((r) => setTimeout(r, 2000));
    const mediaKilledAt = Date.now();
    await rig.medias()[rig.mediaIds.indexOf(mediaVictim)]!.kill('SIGKILL');
    await until(`the calls ${mediaVictim} held end`, async () => (await Promise.all(ids.map(call))).filter(isTerminal).length >= heldBy(mediaVictim, ids).length);
    const afterMediaKill = await Promise.all(ids.map(call));
    const lost = afterMediaKill.filter(isTerminal);
    expect(lost.map((c) => c.id).sort()).toEqual(heldBy(mediaVictim, ids).sort());
    for (const c of lost) expect(c, JSON.stringify(c)).toMatchObject({ status: 'completed', error_code: 'media_lost' });
    const adoptedLost = lost.filter((c) => orphans.includes(c.id));
    console.log(`then ${mediaVictim} SIGKILL -> its ${lost.length} calls (${adoptedLost.length} of them adopted) ended: max ${Math.max(...lost.map((c) => Date.parse(c.ended_at) - mediaKilledAt))} ms`);
    // The rest: the survivor ends them when the API asks, the adopted ones too.
    await rig.endAll(ids);
    for (const c of afterMediaKill.filter((c) => !isTerminal(c))) expect(await call(c.id), c.id).toMatchObject({ status: 'completed', error_code: null });
    await rig.dialers()[victim]!.restart();
    await rig.medias()[rig.mediaIds.indexOf(mediaVictim)]!.restart();
    await expectNothingLost();
  });

  it('a media process: its calls end media_lost within seconds, the others go on', async () => {
    await rig.untilPlacementSeesAll();
    const ids = await rig.placeLive(CALLS_PER_ROUND);
    const sessions = await Promise.all(rig.medias().map((m) => metric(m.url, 'parley_media_sessions_active')));
    console.log(`placement of ${ids.length} calls over media-1..3: ${sessions.join(', ')}`);
    expect(sessions.reduce((a, b) => a + b, 0)).toBe(ids.length);
    const victim = sessions.indexOf(Math.max(...sessions));
    const killedAt = Date.now();
    await rig.medias()[victim]!.kill('SIGKILL');
    await until(`the ${sessions[victim]} calls of ${rig.mediaIds[victim]} end`, async () => (await Promise.all(ids.map(call))).filter(isTerminal).length >= sessions[victim]!);
    const all = await Promise.all(ids.map(call));
    const lost = all.filter(isTerminal);
    expect(lost).toHaveLength(sessions[victim]!);
    for (const c of lost) expect(c, JSON.stringify(c)).toMatchObject({ status: 'completed', error_code: 'media_lost' });
    const toEnded = lost.map((c) => Date.parse(c.ended_at) - killedAt);
    console.log(`media SIGKILL -> its ${lost.length} calls ended: p50 ${percentile(toEnded, 50)} ms, max ${Math.max(...toEnded)} ms`);
    await new Promise((r) => setTimeout(r, 1500));
    for (const c of all.filter((c) => !isTerminal(c))) expect((await call(c.id)).status, c.id).toBe('in_progress');
    await rig.endAll(ids);
    await rig.medias()[victim]!.restart();
    await expectNothingLost();
  });

  it('a NATS node, the one leading the call events stream: no event, call or webhook lost', async () => {
    const ids = await rig.placeLive(CALLS_PER_ROUND);
    const info = await bus.manager.streams.info(bus.subjects.callEventsStream);
    expect(info.config.num_replicas).toBe(3);
    const leader = info.cluster!.leader!;
    const killedAt = Date.now();
    rig.cluster!.kill(leader);
    // The calls are ended through the cluster that lost a node: their ended events, results and webhooks go through it.
    await rig.endAll(ids);
    console.log(`NATS leader ${leader} SIGKILL -> ${ids.length} calls ended and settled through the rest: ${Date.now() - killedAt} ms`);
    for (const id of ids) expect(await call(id), id).toMatchObject({ status: 'completed', error_code: null });
    await expectNothingLost();
  });

  it('a simulator (an Asterisk): its calls end asterisk_lost, the other one\'s go on and new calls go there', async () => {
    const ids = await rig.placeLive(CALLS_PER_ROUND);
    const on = await rig.asteriskOf(ids);
    const count = (name: string) => ids.filter((id) => on.get(id) === name).length;
    console.log(`${ids.length} calls over ${rig.asteriskNames.join(', ')}: ${rig.asteriskNames.map(count).join(', ')}`);
    const victim = [...rig.asteriskNames].sort((a, b) => count(b) - count(a))[0]!;
    const lostIds = ids.filter((id) => on.get(id) === victim);
    expect(lostIds.length).toBeGreaterThan(0);
    const killedAt = Date.now();
    await rig.sim(victim).kill('SIGKILL');
    await until(`the calls on ${victim} end`, async () => (await Promise.all(lostIds.map(call))).every(isTerminal));
    const lost = await Promise.all(lostIds.map(call));
    for (const c of lost) expect(c, JSON.stringify(c)).toMatchObject({ status: 'completed', error_code: 'asterisk_lost' });
    console.log(`${victim} SIGKILL -> its ${lost.length} calls ended: max ${Math.max(...lost.map((c) => Date.parse(c.ended_at) - killedAt))} ms`);
    const kept = ids.filter((id) => !lostIds.includes(id));
    for (const id of kept) expect((await call(id)).status, id).toBe('in_progress');
    // New calls go to the one left.
    const fresh = await rig.placeLive(2);
    const freshOn = await rig.asteriskOf(fresh);
    for (const id of fresh) expect(freshOn.get(id), id).not.toBe(victim);
    await rig.endAll([...ids, ...fresh]);
    for (const id of [...kept, ...fresh]) expect(await call(id), id).toMatchObject({ status: 'completed', error_code: null });
    await expectNothingLost();
  });
});
