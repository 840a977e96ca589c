import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessName } from '@parley/launcher';
import { type Account, isSettled, sandboxAgent, startTestPlatform, type TestPlatform } from './platform-harness';

let tp: TestPlatform;
let account: Account;
let agent: any;
let hook: Awaited<ReturnType<TestPlatform['webhookReceiver']>>;

beforeAll(async () => {
  tp = await startTestPlatform();
  account = await tp.createAccount('Crashes');
  hook = await tp.webhookReceiver(account.webhook_secret);
  ({ agent } = await sandboxAgent(tp, account, '+15550100003', {
    name: 'Survivor',
    type: 'outbound',
    instructions: 'Confirm the appointment of {{patient_name}}.',
    // The sandbox model's extraction answers this shape (packages/sandbox-llm's appointment reminder).
    returns: { confirmed: 'boolean', reschedule_to: 'string' },
    webhook_url: hook.url,
  }));
});
afterAll(async () => tp?.stop());

const SERVICES: ProcessName[] = ['api', 'dialer', 'media', 'extractor', 'webhooks'];

describe('kill -9 of each service during a call, then restart', () => {
  it('every call still reaches a terminal state with its result, and every webhook arrives', async () => {
    const ids: string[] = [];
    const results = new Map<ProcessName, any>();
    for (const [i, service] of SERVICES.entries()) {
      const to = `+1555010400${i}`;
      // The far end talks, then hangs up by itself after 14 s, whatever happens to the platform.
      await tp.scenario(to, { outcome: 'answer', answer_after_ms: 500, lines: ['Hello?', 'Yes, that is fine.'], speak_first: true, hangup_after_ms: 14_000, send_silence: true });
      const res = await tp.api(account, 'POST', '/v1/calls', { agent_id: agent.id, to, context: { patient_name: 'Maria Lopez' } });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
      await tp.waitForCall(account, res.body.id, (c) => c.status === 'in_progress', 30_000);
      await new Promise((r) => setTimeout(r, 1500));
      const proc = tp.platform.get(service);
      await proc.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 1000));
      await proc.restart();
      const call = await tp.waitForCall(account, res.body.id, (c) => isSettled(c) && c.webhook_status === 'delivered', 120_000);
      expect(call.status, `${service}: ${JSON.stringify(call)}`).toBe('completed');
      expect(call.reservation_status).toBe('settled');
      results.set(service, call);
    }
    // The callee spoke: calls whose conversation the crash left whole are extracted by the model, not failed for want
    // of one (media's death cuts its call's conversation short, so that one may go either way).
    for (const service of ['api', 'dialer', 'extractor', 'webhooks'] as const) {
      const call = results.get(service);
      expect(call.result_status, `${service}: ${JSON.stringify(call)}`).toBe('completed');
      expect(call.result, `${service}: ${JSON.stringify(call)}`).toMatchObject({ confirmed: true });
    }
    // At least once, and an idempotent receiver (keyed on webhook-id) sees each call's completion exactly once.
    for (const id of ids) {
      const mine = hook.deliveries.filter((d) => d.payload?.type === 'call.completed' && d.payload.data?.id === id);
      expect(mine.length, id).toBeGreaterThanOrEqual(1);
      expect(new Set(mine.map((d) => d.headers['webhook-id'])).size, id).toBe(1);
      expect(mine.every((d) => d.verified)).toBe(true);
    }
    // Nothing is left live, and nothing of the calls stays in Asterisk (a dialer's death leaves bridges and
    // ExternalMedia channels there until recovery removes them).
    const live = (await tp.api(account, 'GET', '/v1/calls?status=in_progress')).body.data;
    expect(live).toEqual([]);
    const ari = async (what: string): Promise<{ id: string }[]> => (await (await fetch(`${tp.platform.simUrl}/ari/${what}`, { headers: { authorization: `Basic ${Buffer.from('parley:parley').toString('base64')}` } })).json()) as { id: string }[];
    await expect.poll(async () => [...(await ari('bridges')), ...(await ari('channels'))].map((o: { id: string }) => o.id), { timeout: 15_000, interval: 250 }).toEqual([]);
  });
});
