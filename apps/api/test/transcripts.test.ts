import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TranscriptRole } from '@parley/common';
import { type ApiHarness, outboundSetup, randomE164, startApi, type TestAccount } from './api-harness';

let api: ApiHarness;
let acct: TestAccount;
let agent: any;
beforeAll(async () => {
  api = await startApi();
  acct = await api.createAccount();
  ({ agent } = await outboundSetup(api, acct));
});
afterAll(async () => api?.close());

const seg = (index: number, role: TranscriptRole, text: string) => ({ segment: { index, role, text, start_ms: index * 1000, end_ms: index * 1000 + 800, interrupted: false } });

/** Reads an SSE response until it closes, returning the events. */
async function readSse(res: Response): Promise<Array<{ event: string; data: any }>> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((b) => b.startsWith('event:'))
    .map((b) => {
      const [e, d] = b.split('\n');
      return { event: e!.slice(7), data: JSON.parse(d!.slice(6)) };
    });
}

describe('transcript, live stream and recording', () => {
  it('streams existing and live segments over SSE and closes when the call ends', async () => {
    const call = (await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164() } })).body;
    const b = { call_id: call.id, account_id: acct.accountId };
    await api.bus.publishCallEvent('answered', b, {});
    await api.bus.publishCallEvent('transcript', b, seg(0, 'agent', 'Hello, this is Ava.'));
    await expect.poll(async () => (await api.call('GET', `/v1/calls/${call.id}/transcript`, { key: acct.apiKey })).body.segments.length).toBe(1);
    const res = await fetch(`${api.url}/v1/calls/${call.id}/transcript/stream`, { headers: { authorization: `Bearer ${acct.apiKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = readSse(res);
    await new Promise((r) => setTimeout(r, 200));
    await api.bus.publishCallEvent('transcript', b, seg(1, 'user', 'Yes, this is Maria.'));
    await api.bus.publishCallEvent('transcript', b, { segment: { ...seg(2, 'agent', 'Great.').segment, model: 'llama3.1:8b' } });
    await api.bus.publishCallEvent('ended', b, { status: 'completed', answered: true, hangup_cause: 'Normal Clearing', hangup_cause_code: 16, hangup_by: 'caller', error_code: null, error_message: null });
    await api.bus.publishCallEvent('conversation_ended', b, { segments: [seg(0, 'agent', 'Hello, this is Ava.').segment, seg(1, 'user', 'Yes, this is Maria.').segment, { ...seg(2, 'agent', 'Great.').segment, model: 'llama3.1:8b' }, seg(3, 'user', 'Bye.').segment], answered_by: 'human', latency: null, reason: 'caller hung up' });
    const got = await events;
    expect(got.filter((e) => e.event === 'segment').map((e) => [e.data.index, e.data.role, e.data.text])).toEqual([
      [0, 'agent', 'Hello, this is Ava.'],
      [1, 'user', 'Yes, this is Maria.'],
      [2, 'agent', 'Great.'],
      [3, 'user', 'Bye.'],
    ]);
    expect(got.at(-1)).toEqual({ event: 'end', data: { call_id: call.id, status: 'completed' } });
    await expect
      .poll(async () => (await api.call('GET', `/v1/calls/${call.id}/transcript`, { key: acct.apiKey })).body.segments.map((s: any) => [s.role, s.model]))
      .toEqual([['agent', undefined], ['user', undefined], ['agent', 'llama3.1:8b'], ['user', undefined]]);
    await expect.poll(async () => (await api.call('GET', `/v1/calls/${call.id}`, { key: acct.apiKey })).body.status).toBe('completed');
    // A finished call's stream replays everything and closes at once.
    const replay = await readSse(await fetch(`${api.url}/v1/calls/${call.id}/transcript/stream`, { headers: { authorization: `Bearer ${acct.apiKey}` } }));
    expect(replay.filter((e) => e.event === 'segment')).toHaveLength(4);
    expect(replay.at(-1)!.event).toBe('end');
  });

  it('serves the recording as audio/wav once media announced it, 404 before', async () => {
    const call = (await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164() } })).body;
    const before = await api.call('GET', `/v1/calls/${call.id}/recording`, { key: acct.apiKey });
    expect(before.status).toBe(404);
    expect(before.body.error.type).toBe('not_found_error');
    const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(40), Buffer.from([1, 2, 3, 4])]);
    mkdirSync(api.config.RECORDINGS_DIR, { recursive: true });
    writeFileSync(join(api.config.RECORDINGS_DIR, `${call.id}.wav`), wav);
    await api.bus.publishCallEvent('recording', { call_id: call.id, account_id: acct.accountId }, { path: `${call.id}.wav`, duration_ms: 1000, bytes: wav.length, format: 'wav' });
    await expect.poll(async () => (await fetch(`${api.url}/v1/calls/${call.id}/recording`, { headers: { authorization: `Bearer ${acct.apiKey}` } })).status).toBe(200);
    const res = await fetch(`${api.url}/v1/calls/${call.id}/recording`, { headers: { authorization: `Bearer ${acct.apiKey}` } });
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await res.arrayBuffer()).equals(wav)).toBe(true);
    expect((await api.call('GET', `/v1/calls/${call.id}`, { key: acct.apiKey })).body.recording_url).toBe(`/v1/calls/${call.id}/recording`);
  });
});
