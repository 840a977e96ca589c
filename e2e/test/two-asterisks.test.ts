import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Platform, REPO_ROOT } from '@parley/launcher';
import { DataSource } from '@parley/db';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Account, isTerminal, launchExtra, metric, startTestPlatform, type TestPlatform, until } from './platform-harness';

// Issue 23, "Asterisks as data": two simulators registered as two Asterisks (`pnpm parley asterisks add`) carry one
// customer trunk. Calls spread over both, least loaded first; one simulator killed with SIGKILL: its live calls end
// asterisk_lost (answered: completed, billed to then) once its ARI has been down ASTERISK_LOST_AFTER_MS, and new calls
// go to the other. Times are printed.

const run = promisify(execFile);
const LOST_AFTER_MS = 1500;
let tp: TestPlatform;
let account: Account;
let db: DataSource;
const sims = new Map<string, Platform>();
let agentId: string;
let numbers = 0;

beforeAll(async () => {
  tp = await startTestPlatform({ ASTERISK_REGISTRY_RELOAD_MS: '300', ASTERISK_LOST_AFTER_MS: String(LOST_AFTER_MS), TRUNK_STATE_INTERVAL_MS: '500', SILENCE_REPROMPT_MS: '600000', SILENCE_HANGUP_MS: '1200000' });
  db = new DataSource({ type: 'postgres', url: tp.databaseUrl });
  await db.initialize();
  for (const name of ['sim-a', 'sim-b']) {
    const sim = await launchExtra(tp, 'asterisk-sim', name, {});
    sims.set(name, sim);
    // Registered while the dialer runs: it connects within a registry reload, no restart.
    await cli('asterisks', 'add', '--name', name, '--url', `${sim.simUrl}/ari`, '--username', 'parley', '--password', 'parley', '--capacity', '10', '--site', 'loopback');
  }
  account = await tp.createAccount('Two Asterisks');
  const trunk = await tp.api(account, 'POST', '/v1/trunks', { name: 'Carrier', host: 'sip.carrier.example', asterisks: ['sim-a', 'sim-b'], calls_per_second: 20 });
  expect(trunk.status, JSON.stringify(trunk.body)).toBe(201);
  const number = await tp.api(account, 'POST', '/v1/numbers', { number: '+15550109000', trunk_id: trunk.body.id });
  const agent = await tp.api(account, 'POST', '/v1/agents', { name: 'Quiet', type: 'outbound', instructions: 'Wait for the callee.', number_ids: [number.body.id] });
  expect(agent.status, JSON.stringify(agent.body)).toBe(201);
  agentId = agent.body.id;
  // Pushed to both simulators, as the trunk's status says per Asterisk.
  await until('the trunk pushed to both Asterisks', async () => {
    const status = (await tp.api(account, 'GET', `/v1/trunks/${trunk.body.id}`)).body.status;
    return status.asterisks.filter((a: any) => a.provisioning === 'pushed' && a.asterisk_connected).length === 2;
  }, 30_000);
}, 120_000);

afterAll(async () => {
  await db?.destroy();
  for (const sim of sims.values()) await sim.stop().catch(() => undefined);
  await tp?.stop();
});

async function cli(...args: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, [join(REPO_ROOT, 'apps/api/dist/cli/main.js'), ...args], { env: tp.platform.env });
  return JSON.parse(stdout);
}

/** `n` calls placed one after the other (their far ends answer and stay on the line); resolves once each is in progress. */
async function placeLive(n: number, on: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const to = `+1555019${String(numbers++).padStart(4, '0')}`;
    for (const name of on) await fetch(`${sims.get(name)!.simUrl}/sim/scenarios/${encodeURIComponent(to)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'answer', answer_after_ms: 100, send_silence: true }) });
    const res = await tp.api(account, 'POST', '/v1/calls', { agent_id: agentId, to });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ids.push(res.body.id);
  }
  for (const id of ids) await tp.waitForCall(account, id, (c) => c.status === 'in_progress', 60_000);
  return ids;
}

async function asteriskOf(ids: string[]): Promise<Map<string, string>> {
  const rows: Array<{ id: string; asterisk: string }> = await db.query(`SELECT id, asterisk FROM calls WHERE id = ANY($1::uuid[])`, [ids]);
  return new Map(rows.map((r) => [r.id, r.asterisk]));
}

const dialerUrl = () => tp.platform.get('dialer').url;

it('spreads calls over both Asterisks; one killed: its calls end asterisk_lost, new calls go to the other', async () => {
  const first = await placeLive(6, ['sim-a', 'sim-b']);
  const placed = await asteriskOf(first);
  const onA = first.filter((id) => placed.get(id) === 'sim-a');
  const onB = first.filter((id) => placed.get(id) === 'sim-b');
  console.log(`6 calls placed one after the other: ${onA.length} on sim-a, ${onB.length} on sim-b`);
  expect(onA).toHaveLength(3);
  expect(onB).toHaveLength(3);
  // Each simulator has exactly the calls the rows say.
  for (const [name, ids] of [['sim-a', onA], ['sim-b', onB]] as const) {
    const simCalls = (await (await fetch(`${sims.get(name)!.simUrl}/sim/calls`)).json()) as any;
    const listed = (Array.isArray(simCalls) ? simCalls : (simCalls.calls ?? simCalls.data)).map((c: any) => c.id ?? c.channel_id);
    for (const id of ids) expect(listed, name).toContain(id);
  }
  expect(await metric(dialerUrl(), 'parley_dialer_asterisk_connected', { asterisk: 'sim-a' })).toBe(1);
  expect(await metric(dialerUrl(), 'parley_dialer_asterisk_live_calls', { asterisk: 'sim-a' })).toBe(3);
  expect(await metric(dialerUrl(), 'parley_dialer_asterisk_capacity', { asterisk: 'sim-b' })).toBe(10);

  const killedAt = Date.now();
  await sims.get('sim-a')!.get('asterisk-sim').kill('SIGKILL');
  await until('the dialer sees sim-a down', async () => (await metric(dialerUrl(), 'parley_dialer_asterisk_connected', { asterisk: 'sim-a' })) === 0, 10_000);
  const downIn = Date.now() - killedAt;
  // New calls go to sim-b at once, while sim-a's calls are still being given up.
  const after = await placeLive(2, ['sim-b']);
  expect([...(await asteriskOf(after)).values()]).toEqual(['sim-b', 'sim-b']);
  for (const id of onA) await tp.waitForCall(account, id, isTerminal, 30_000);
  const lostIn = Date.now() - killedAt;
  for (const id of onA) {
    const c = (await tp.api(account, 'GET', `/v1/calls/${id}`)).body;
    expect(c, id).toMatchObject({ status: 'completed', error_code: 'asterisk_lost', error_message: expect.stringContaining('sim-a') });
    expect(c.billed_duration_seconds, id).toBeGreaterThan(0);
  }
  console.log(`sim-a SIGKILL -> seen down ${downIn} ms; its ${onA.length} calls ended asterisk_lost ${lostIn} ms after the kill (ASTERISK_LOST_AFTER_MS ${LOST_AFTER_MS})`);
  // sim-b's calls went on.
  for (const id of onB) expect((await tp.api(account, 'GET', `/v1/calls/${id}`)).body.status, id).toBe('in_progress');

  const live = [...onB, ...after];
  for (const id of live) await tp.api(account, 'POST', `/v1/calls/${id}/end`);
  for (const id of live) expect(await tp.waitForCall(account, id, isTerminal, 30_000), id).toMatchObject({ status: 'completed', error_code: null });
  const ari = async (what: string) => (await (await fetch(`${sims.get('sim-b')!.simUrl}/ari/${what}`, { headers: { authorization: `Basic ${Buffer.from('parley:parley').toString('base64')}` } })).json()) as unknown[];
  await expect.poll(async () => [...(await ari('channels')), ...(await ari('bridges'))], { timeout: 15_000, interval: 200 }).toEqual([]);
  // The trunk says where it can be carried now.
  const trunkId = (await db.query(`SELECT trunk_id FROM calls WHERE id = $1`, [live[0]]))[0].trunk_id;
  await until('the trunk shown reachable through sim-b only', async () => {
    const status = (await tp.api(account, 'GET', `/v1/trunks/${trunkId}`)).body.status;
    const byName = new Map(status.asterisks.map((a: any) => [a.asterisk, a]));
    return (byName.get('sim-a') as any)?.asterisk_connected === false && (byName.get('sim-b') as any)?.asterisk_connected === true && status.reachability === 'reachable';
  }, 15_000);
});
