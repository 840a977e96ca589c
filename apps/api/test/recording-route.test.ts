import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingStore, type RecordingStore } from '@parley/recording-store';
import { startTestS3Server, type TestS3Server } from '@parley/recording-store/dist/testing';
import { type ApiHarness, outboundSetup, randomE164, startApi, type TestAccount } from './api-harness';

/**
 * GET /v1/calls/:id/recording streams from the store the recording's row names (local disk, or a real S3 API: s3rver),
 * whole or one byte range, and tells a recording still in media's spool from one that does not exist.
 */
describe.each(['local', 's3'] as const)('recording route, %s store', (kind) => {
  let s3: TestS3Server | undefined;
  let api: ApiHarness;
  let acct: TestAccount;
  let agent: any;
  let store: RecordingStore;
  let spool: string;
  // 4,000 bytes whose every byte tells its offset apart from its neighbours.
  const wav = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7) % 251));

  beforeAll(async () => {
    s3 = kind === 's3' ? await startTestS3Server() : undefined;
    api = await startApi(s3?.env ?? {});
    acct = await api.createAccount();
    ({ agent } = await outboundSetup(api, acct));
    store = createRecordingStore(api.config);
    spool = await mkdtemp(join(tmpdir(), 'parley-spool-'));
  });
  afterAll(async () => {
    store?.close();
    await api?.close();
    await s3?.close();
    await rm(spool, { recursive: true, force: true });
  });

  const get = (callId: string, headers: Record<string, string> = {}) => fetch(`${api.url}/v1/calls/${callId}/recording`, { headers: { authorization: `Bearer ${acct.apiKey}`, ...headers } });

  it('answers recording_not_ready while spooled, then streams it whole and by range once stored', async () => {
    const call = (await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164() } })).body;
    const base = { call_id: call.id, account_id: acct.accountId };
    const location = store.locationOf({ callId: call.id, accountId: acct.accountId });
    const event = { path: location.path, duration_ms: 62, bytes: wav.length, format: 'wav' as const, store: location.store, bucket: location.bucket };

    expect((await get(call.id)).status).toBe(404);
    await api.bus.publishCallEvent('recording', { ...base, id: `${call.id}:recording:spooled` }, { ...event, state: 'spooled' });
    await expect.poll(async () => (await api.call('GET', `/v1/calls/${call.id}`, { key: acct.apiKey })).body.recording_url).toBe(`/v1/calls/${call.id}/recording`);
    const notReady = await get(call.id);
    expect(notReady.status).toBe(404);
    expect(notReady.headers.get('retry-after')).toBe('5');
    expect(await notReady.json()).toEqual({ error: { type: 'not_found_error', code: 'recording_not_ready', message: expect.any(String), param: 'id' } });

    const file = join(spool, `${call.id}.wav`);
    await writeFile(file, wav);
    await store.put(file, location);
    await api.bus.publishCallEvent('recording', { ...base, id: `${call.id}:recording:stored` }, { ...event, state: 'stored' });
    await expect.poll(async () => (await get(call.id)).status).toBe(200);
    // A `spooled` that comes late does not take it back.
    await api.bus.publishCallEvent('recording', { ...base, id: `${call.id}:recording:late` }, { ...event, state: 'spooled' });

    const whole = await get(call.id);
    expect(whole.headers.get('content-type')).toBe('audio/wav');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.headers.get('content-length')).toBe(String(wav.length));
    expect(Buffer.from(await whole.arrayBuffer()).equals(wav)).toBe(true);

    const part = await get(call.id, { range: 'bytes=1000-1999' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${wav.length}`);
    expect(part.headers.get('content-length')).toBe('1000');
    expect(Buffer.from(await part.arrayBuffer()).equals(wav.subarray(1000, 2000))).toBe(true);

    const tail = await get(call.id, { range: 'bytes=-44' });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(wav.subarray(wav.length - 44))).toBe(true);

    const past = await get(call.id, { range: `bytes=${wav.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${wav.length}`);
    expect(((await past.json()) as any).error.code).toBe('range_not_satisfiable');

    // Gone from the store: 404, not a broken stream.
    await store.delete(location);
    expect(((await (await get(call.id)).json()) as any).error.code).toBe('resource_not_found');
  });

  it.runIf(kind === 's3')('answers 503 while the store is unreachable, and streams again once it is back', async () => {
    const call = (await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164() } })).body;
    const location = store.locationOf({ callId: call.id, accountId: acct.accountId });
    const file = join(spool, `${call.id}.wav`);
    await writeFile(file, wav);
    await store.put(file, location);
    await api.bus.publishCallEvent('recording', { call_id: call.id, account_id: acct.accountId }, { path: location.path, duration_ms: 62, bytes: wav.length, format: 'wav', store: 's3', bucket: location.bucket });
    await expect.poll(async () => (await get(call.id)).status).toBe(200);
    await s3!.stop();
    const down = await get(call.id);
    expect(down.status).toBe(503);
    expect(((await down.json()) as any).error.code).toBe('service_unavailable');
    await s3!.start();
    const back = await get(call.id);
    expect(back.status).toBe(200);
    expect(Buffer.from(await back.arrayBuffer()).equals(wav)).toBe(true);
  });
});
