import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { REPO_ROOT } from '@parley/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPOINTMENT_REMINDER_CALLEE_LINES } from '@parley/sandbox-llm';
import { ConflictError, NotFoundError, Parley, type TranscriptSegment } from '@parley/sdk';
import { type Account, startTestPlatform, type TestPlatform } from './platform-harness';

// Issue 22: the TypeScript SDK against the running product, every public method.
let tp: TestPlatform;
let account: Account;
let client: Parley;
beforeAll(async () => {
  tp = await startTestPlatform({ CAMPAIGN_TICK_MS: '500' });
  account = await tp.createAccount('SDK user');
  // As a user's process has them.
  process.env.PARLEY_API_KEY = account.api_key;
  process.env.PARLEY_BASE_URL = tp.platform.apiUrl;
  client = new Parley();
});
afterAll(async () => {
  delete process.env.PARLEY_API_KEY;
  delete process.env.PARLEY_BASE_URL;
  await tp?.stop();
});

const settled = async (callId: string) => {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const call = await client.calls.retrieve(callId);
    if (['completed', 'no_answer', 'busy', 'canceled', 'failed'].includes(call.status) && call.result_status !== 'pending') return call;
    if (Date.now() > deadline) throw new Error(`call ${callId} not settled: ${call.status}`);
    await new Promise((r) => setTimeout(r, 300));
  }
};

describe('@parley/sdk', () => {
  it('runs the CallingBox example with only the import and the client changed, then reads the call', async () => {
    const maria = '+15550142090';
    await tp.scenario(maria, { outcome: 'answer', answer_after_ms: 500, lines: APPOINTMENT_REMINDER_CALLEE_LINES });
    const number = await client.numbers.create({ number: '+15550100090', trunk_id: account.sandbox_trunk_id, label: 'main' });

    // -- the example, as CallingBox's docs show it (TypeScript twin) --
    const agent = await client.agents.create({
      name: 'Appointment reminders',
      type: 'outbound',
      instructions: "Call Maria Lopez to confirm the appointment with Dr. Chen tomorrow at 2pm. If they want to move it, ask for a preferred day and time, repeat it back, say the office will confirm, and end the call.",
      returns: { confirmed: 'boolean', reschedule_to: 'string' },
      number_ids: [number.id],
      primary_number_id: number.id,
      tools: [{ type: 'end_call' }],
    });
    const call = await client.calls.create({ agent_id: agent.id, to: maria });
    console.log(call.id, call.status);
    // -- end of the example --

    expect(call.status).toBe('queued');
    // The live transcript as it is said, until the call ends.
    const live: TranscriptSegment[] = [];
    for await (const segment of client.calls.streamTranscript(call.id)) live.push(segment);
    expect(live.some((s) => s.role === 'user')).toBe(true);
    const done = await settled(call.id);
    expect(done).toMatchObject({ status: 'completed', result_status: 'completed' });
    expect(String(done.result?.reschedule_to)).toMatch(/friday/i);
    expect((await client.calls.transcript(call.id)).segments.length).toBe(live.length);
    expect((await client.calls.events(call.id)).data.map((e) => e.type)).toContain('ended');
    const wav = new Uint8Array(await client.calls.recording(call.id));
    expect(new TextDecoder().decode(wav.subarray(0, 4))).toBe('RIFF');
    const listed: string[] = [];
    for await (const c of await client.calls.list({ agent_id: agent.id, limit: 1 })) listed.push(c.id);
    expect(listed).toEqual([call.id]);
    const fromNumber: string[] = [];
    for await (const c of await client.numbers.calls(number.id)) fromNumber.push(c.id);
    expect(fromNumber).toContain(call.id);
    await expect(client.calls.end(call.id)).rejects.toBeInstanceOf(ConflictError);
    expect((await client.balance.retrieve()).object).toBe('balance');
    const ledger = [];
    for await (const e of await client.creditLedger.list()) ledger.push(e);
    expect(Array.isArray(ledger)).toBe(true);
    expect((await client.account.retrieve()).id).toBe(account.account_id);
  });

  it('manages agents, numbers and trunks, and raises typed errors with the API code', async () => {
    const trunk = await client.trunks.create({ name: 'carrier', host: 'sip.example.com' });
    expect((await client.trunks.retrieve(trunk.id)).name).toBe('carrier');
    expect((await client.trunks.update(trunk.id, { max_concurrent_calls: 3 })).max_concurrent_calls).toBe(3);
    const trunks = [];
    for await (const t of await client.trunks.list()) trunks.push(t.id);
    expect(trunks).toContain(trunk.id);
    const number = await client.numbers.create({ number: '+15550100091', trunk_id: trunk.id });
    expect((await client.numbers.update(number.id, { label: 'support' })).label).toBe('support');
    expect((await client.numbers.retrieve(number.id)).number).toBe('+15550100091');
    const numbers = [];
    for await (const n of await client.numbers.list()) numbers.push(n.id);
    expect(numbers).toContain(number.id);
    const agent = await client.agents.create({ name: 'Front desk', type: 'inbound', number_ids: [number.id] });
    expect((await client.agents.update(agent.id, { instructions: 'Be brief.' })).instructions).toBe('Be brief.');
    expect((await client.agents.retrieve(agent.id)).name).toBe('Front desk');
    const agents = [];
    for await (const a of await client.agents.list()) agents.push(a.id);
    expect(agents).toContain(agent.id);
    const web = await client.calls.createWeb({ agent_id: agent.id });
    expect(web).toMatchObject({ channel: 'web', status: 'queued' });
    expect(web.access_token).toMatch(/^wct_/);
    expect((await client.calls.end(web.id)).status).toBe('canceled');
    await client.agents.delete(agent.id);
    await client.numbers.delete(number.id);
    await client.trunks.delete(trunk.id);
    const missing = await client.agents.retrieve(agent.id).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ status: 404, code: 'resource_not_found', param: 'id' });
  });

  it('runs a campaign and keeps a do-not-call list', async () => {
    const number = await client.numbers.create({ number: '+15550100092', trunk_id: account.sandbox_trunk_id });
    const agent = await client.agents.create({ name: 'Survey', type: 'outbound', instructions: 'Ask one question.', number_ids: [number.id] });
    const [a, b, c, listed] = ['+15550143001', '+15550143002', '+15550143003', '+15550143004'];
    for (const n of [a, b, c]) await tp.scenario(n, { outcome: 'busy', answer_after_ms: 50 });
    expect(await client.doNotCall.add({ number: listed, reason: 'asked' })).toMatchObject({ number: listed });
    expect(await client.doNotCall.importCsv('number\n+15550143005\n')).toMatchObject({ added: 1 });
    expect((await client.doNotCall.retrieve(listed)).reason).toBe('asked');
    const entries: string[] = [];
    for await (const e of await client.doNotCall.list({ limit: 1 })) entries.push(e.number);
    expect(entries.sort()).toEqual([listed, '+15550143005']);
    await client.doNotCall.remove('+15550143005');

    const every = { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as Array<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun'>, start: '00:00', end: '23:59' };
    const campaign = await client.campaigns.create({ name: 'Survey', agent_id: agent.id, max_concurrent_calls: 2, schedule: { window: every, timezone: 'UTC' } });
    expect((await client.campaigns.update(campaign.id, { name: 'Survey Q4' })).name).toBe('Survey Q4');
    expect(await client.campaigns.addRecipients(campaign.id, [{ to: a }])).toMatchObject({ accepted: 1 });
    expect(await client.campaigns.addRecipients(campaign.id, { csv: `to,name\n${b},Bo\n${listed},X\n` })).toMatchObject({ accepted: 1, rejected_count: 1 });
    expect(await client.campaigns.addRecipients(campaign.id, { ndjson: JSON.stringify({ to: c }) })).toMatchObject({ accepted: 1 });
    expect((await client.campaigns.start(campaign.id)).status).toBe('scheduled');
    expect((await client.campaigns.pause(campaign.id)).status).toBe('paused');
    expect((await client.campaigns.resume(campaign.id)).status).toBe('scheduled');
    const deadline = Date.now() + 60_000;
    while ((await client.campaigns.retrieve(campaign.id)).status !== 'completed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 300));
    expect((await client.campaigns.retrieve(campaign.id)).progress).toMatchObject({ total: 3, exhausted: 3 });
    const recipients = [];
    for await (const r of await client.campaigns.recipients(campaign.id, { limit: 2 })) recipients.push(r.to);
    expect(recipients.sort()).toEqual([a, b, c]);
    expect((await client.campaigns.exportCsv(campaign.id)).split('\n')[0]).toContain('to');
    const campaigns = [];
    for await (const x of await client.campaigns.list()) campaigns.push(x.id);
    expect(campaigns).toContain(campaign.id);
    const other = await client.campaigns.create({ name: 'Never', agent_id: agent.id });
    expect((await client.campaigns.cancel(other.id)).status).toBe('canceled');
  });

  it('manages webhook endpoints and verifies what they receive', async () => {
    const received: Array<{ body: string; headers: Record<string, string | string[] | undefined> }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ body, headers: req.headers });
        res.writeHead(200).end();
      });
    });
    const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)));
    try {
      const endpoint = await client.webhookEndpoints.create({ url: `http://127.0.0.1:${port}/hooks`, events: ['call.completed'] });
      const secret = endpoint.secret;
      expect(secret).toMatch(/^whsec_/);
      expect((await client.webhookEndpoints.update(endpoint.id, { description: 'ops' })).id).toBe(endpoint.id);
      expect((await client.webhookEndpoints.retrieve(endpoint.id)).id).toBe(endpoint.id);
      const endpoints = [];
      for await (const e of await client.webhookEndpoints.list()) endpoints.push(e.id);
      expect(endpoints).toContain(endpoint.id);
      const delivery = await client.webhookEndpoints.test(endpoint.id);
      await expect.poll(() => received.length, { timeout: 20_000 }).toBe(1);
      const event = await client.webhooks.unwrap<{ type: string }>(received[0]!.body, received[0]!.headers, secret);
      expect(event.type).toBe('webhook.test');
      await expect(client.webhooks.unwrap(received[0]!.body.replace('test', 'tost'), received[0]!.headers, secret)).rejects.toThrow(/signature/);
      await expect.poll(async () => (await client.webhookDeliveries.retrieve(delivery.id)).status, { timeout: 20_000 }).toBe('delivered');
      expect((await client.webhookDeliveries.retry(delivery.id)).id).toBe(delivery.id);
      const deliveries = [];
      for await (const d of await client.webhookEndpoints.deliveries(endpoint.id)) deliveries.push(d.id);
      expect(deliveries).toContain(delivery.id);
      const rotated = await client.webhookEndpoints.rotateSecret(endpoint.id);
      expect(rotated.secret).not.toBe(secret);
      await client.webhookEndpoints.delete(endpoint.id);
    } finally {
      server.close();
    }
  });

  it('runs the README quick start as written', async () => {
    const readme = readFileSync(join(REPO_ROOT, 'packages', 'sdk', 'README.md'), 'utf8');
    const source = /## Quick start\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    // TypeScript as a user's build makes it JavaScript; the package resolves to the built dist its exports name.
    const js = ts
      .transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } })
      .outputText.replace(`from '@parley/sdk'`, `from '${pathToFileURL(join(REPO_ROOT, 'packages', 'sdk', 'dist', 'esm', 'index.js')).href}'`);
    const number = await client.numbers.create({ number: '+15550100093', trunk_id: account.sandbox_trunk_id });
    await tp.scenario('+15551234567', { outcome: 'answer', answer_after_ms: 200, lines: ['Hello?'], hangup_after_ms: 6000 });
    const dir = mkdtempSync(join(tmpdir(), 'parley-sdk-readme-'));
    try {
      writeFileSync(join(dir, 'quick-start.mjs'), js);
      const { stdout } = await promisify(execFile)(process.execPath, ['quick-start.mjs'], { cwd: dir, env: { ...process.env, PARLEY_NUMBER_ID: number.id }, timeout: 180_000 });
      const lines = stdout.trim().split('\n');
      const [callId, status] = lines[0]!.split(' ');
      expect(status).toBe('queued');
      expect(lines.some((l) => /^(agent|user) /.test(l))).toBe(true);
      expect(lines.at(-1)).toMatch(new RegExp(`^${callId} (completed|no_answer|busy|canceled|failed)$`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

