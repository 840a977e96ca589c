import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWav } from '@parley/audio';
import { S3RecordingStore } from '@parley/recording-store';
import { startTestS3Server, type TestS3Server } from '@parley/recording-store/dist/testing';
import { type Account, isSettled, sandboxAgent, startTestPlatform, type TestPlatform } from './platform-harness';

// Calls recorded to object storage (RECORDINGS_STORE=s3 in every service, a real S3 API: s3rver): media uploads the
// recording when the call ends and the api streams it from the bucket, whole and by range. The calls are short (the
// agent greets, the far end hangs up after 4 s): the conversation itself is the demo call's test.
let s3: TestS3Server;
let tp: TestPlatform;
let account: Account;
beforeAll(async () => {
  s3 = await startTestS3Server();
  tp = await startTestPlatform({ ...s3.env, RECORDINGS_UPLOAD_RETRY_MS: '200' });
  account = await tp.createAccount('Recordings in S3');
});
afterAll(async () => {
  await tp?.stop();
  await s3?.close();
});

/** A far end that answers, stays silent and hangs up after 4 s: a recording of the agent's greeting and the silence. */
const SHORT_CALL = { outcome: 'answer', answer_after_ms: 200, lines: [], send_silence: true, hangup_after_ms: 4000 };

async function shortCallAgent(number: string): Promise<{ id: string }> {
  return (await sandboxAgent(tp, account, number, { name: `Greeter ${number}`, type: 'outbound', instructions: 'Greet the callee.', initial_greeting: 'Hello, this is the clinic calling about your appointment.' })).agent;
}

describe('a call recorded to S3, end to end', () => {
  it('uploads the recording from the spool and streams it from the bucket, whole and by range', async () => {
    const agent = await shortCallAgent('+15550100301');
    const maria = '+15550142021';
    await tp.scenario(maria, SHORT_CALL);
    const created = await tp.api(account, 'POST', '/v1/calls', { agent_id: agent.id, to: maria });
    expect(created.status).toBe(201);
    const call = await tp.waitForCall(account, created.body.id, (c) => isSettled(c) && c.recording_url !== null, 60_000);

    // Until the upload is confirmed the route says so (404 recording_not_ready); then the bucket's copy is served.
    const get = (headers: Record<string, string> = {}) => fetch(`${tp.platform.apiUrl}/v1/calls/${call.id}/recording`, { headers: { authorization: `Bearer ${account.api_key}`, ...headers } });
    await expect
      .poll(async () => {
        const res = await get();
        return res.status === 200 ? 200 : (await res.json()).error.code;
      }, { timeout: 30_000, interval: 200 })
      .toBe(200);
    const whole = Buffer.from(await (await get()).arrayBuffer());
    const wav = parseWav(whole);
    expect(wav).toMatchObject({ channels: 2, sampleRate: 16000 });
    const t = (k: string) => new Date(call[k]).getTime();
    expect(Math.abs(wav.samples.length / 2 / 16000 - (t('ended_at') - t('answered_at')) / 1000)).toBeLessThan(2.5);

    const part = await get({ range: 'bytes=44-1043' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 44-1043/${whole.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(whole.subarray(44, 1044))).toBe(true);

    // The bucket holds it under the account's prefix; media's spool kept nothing of it.
    const store = new S3RecordingStore(s3.settings);
    try {
      expect(await store.size(store.locationOf({ callId: call.id, accountId: account.account_id }))).toBe(whole.length);
    } finally {
      store.close();
    }
    expect(readdirSync(tp.recordingsDir).filter((f) => f.startsWith(call.id))).toEqual([]);
  });

  it('loses no recording when the media process is killed (SIGKILL) while its upload waits for S3: restarted, it uploads it', async () => {
    const agent = await shortCallAgent('+15550100302');
    const callee = '+15550142022';
    await tp.scenario(callee, SHORT_CALL);
    await s3.stop();
    const created = await tp.api(account, 'POST', '/v1/calls', { agent_id: agent.id, to: callee });
    const call = await tp.waitForCall(account, created.body.id, (c) => isSettled(c) && c.recording_url !== null, 60_000);
    const get = () => fetch(`${tp.platform.apiUrl}/v1/calls/${call.id}/recording`, { headers: { authorization: `Bearer ${account.api_key}` } });
    const pending = await get();
    expect(pending.status).toBe(404);
    expect(((await pending.json()) as any).error.code).toBe('recording_not_ready');
    expect(readdirSync(tp.recordingsDir).filter((f) => f.startsWith(call.id)).sort()).toEqual([`${call.id}.json`, `${call.id}.wav`]);

    const media = tp.platform.get('media');
    await media.kill('SIGKILL');
    await s3.start();
    await media.restart();
    await expect.poll(async () => (await get()).status, { timeout: 30_000, interval: 200 }).toBe(200);
    const wav = parseWav(Buffer.from(await (await get()).arrayBuffer()));
    expect(wav).toMatchObject({ channels: 2, sampleRate: 16000 });
    expect(wav.samples.length).toBeGreaterThan(16000 * 2);
    expect(readdirSync(tp.recordingsDir).filter((f) => f.startsWith(call.id))).toEqual([]);
  });
});
