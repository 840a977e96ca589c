import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { encodeWav } from '@parley/audio';
import { APPOINTMENT_REMINDER_AGENT, APPOINTMENT_REMINDER_CALLEE_LINES } from '@parley/sandbox-llm';
import { speech } from './speech';
import { type Account, isSettled, startTestPlatform, type TestPlatform } from './platform-harness';

// Issue 19: a web call from headless Chromium (Debian's), its microphone a WAV of the caller's lines, through the
// example page and its backend (packages/web-sdk/example) and the @parley/web SDK.
const run = promisify(execFile);
const REPO = join(__dirname, '..', '..');
let tp: TestPlatform;
let account: Account;
let browser: Browser;
let example: ChildProcess;
let exampleUrl: string;
let agentId: string;

const silence = (seconds: number) => new Int16Array(16000 * seconds);
const concat = (parts: Int16Array[]) => {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
};

/** The caller's microphone: quiet while the agent greets, then each line with time for the agent's answer. */
async function microphoneWav(): Promise<string> {
  const [first, second] = await Promise.all(APPOINTMENT_REMINDER_CALLEE_LINES.map(speech));
  const file = join(mkdtempSync(join(tmpdir(), 'parley-mic-')), 'caller.wav');
  writeFileSync(file, encodeWav({ sampleRate: 16000, channels: 1, samples: concat([silence(7), first!, silence(11), second!, silence(60)]) }));
  return file;
}

beforeAll(async () => {
  tp = await startTestPlatform();
  account = await tp.createAccount('Browser caller');
  await run(process.execPath, [join(REPO, 'apps/api/dist/cli/main.js'), 'accounts', 'set-web-rate', '--account', account.account_id, '--rate', '400'], { env: tp.platform.env });
  const agent = await tp.api(account, 'POST', '/v1/agents', {
    name: 'Web reminders',
    type: 'inbound',
    persona: APPOINTMENT_REMINDER_AGENT.persona,
    instructions: APPOINTMENT_REMINDER_AGENT.instructions.replace('{{patient_name}}', 'Maria Lopez').replace('{{appointment_time}}', 'tomorrow at 2pm'),
    returns: APPOINTMENT_REMINDER_AGENT.returns,
    initial_greeting: "Hello, this is Doctor Chen's office about your appointment tomorrow.",
    tools: [{ type: 'end_call' }],
    max_duration_seconds: 120,
  });
  if (agent.status !== 201) throw new Error(JSON.stringify(agent.body));
  agentId = agent.body.id;

  // The example's own backend, holding the API key.
  example = spawn(process.execPath, [join(REPO, 'packages/web-sdk/example/server.mjs')], {
    env: { ...process.env, PARLEY_API_KEY: account.api_key, PARLEY_AGENT_ID: agentId, PARLEY_BASE_URL: tp.platform.apiUrl, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  exampleUrl = await new Promise<string>((resolve, reject) => {
    example.stdout!.on('data', (d: Buffer) => {
      const m = /on (http:\/\/\S+)/.exec(String(d));
      if (m) resolve(m[1]!);
    });
    example.on('exit', (code) => reject(new Error(`the example server exited (${code})`)));
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${await microphoneWav()}`, '--autoplay-policy=no-user-gesture-required', '--no-sandbox'],
  });
});

afterAll(async () => {
  await browser?.close();
  example?.kill();
  await tp?.stop();
});

/** Collects the agent's audio as the page plays it, 16 kHz mono. */
async function recordAgent(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { parleyCall: { remoteStream: MediaStream }; agentPcm: number[] };
    w.agentPcm = [];
    const ctx = new AudioContext({ sampleRate: 16000 });
    const source = ctx.createMediaStreamSource(w.parleyCall.remoteStream);
    const tap = ctx.createScriptProcessor(4096, 1, 1);
    tap.onaudioprocess = (e) => {
      for (const v of e.inputBuffer.getChannelData(0)) w.agentPcm.push(Math.max(-32768, Math.min(32767, Math.round(v * 32767))));
    };
    source.connect(tap);
    tap.connect(ctx.destination);
  });
}

describe('a web call from headless Chromium', () => {
  it('holds a spoken conversation through the example page: live transcript on the page, the agent heard, the call in the API like a phone call', async () => {
    const page = await browser.newPage();
    await page.goto(exampleUrl);
    await page.click('#start');
    await page.waitForFunction(() => (window as unknown as { parleyCall?: { state: string } }).parleyCall?.state === 'connected', null, { timeout: 20_000 });
    await recordAgent(page);
    const callId = await page.evaluate(() => (window as unknown as { parleyCall: { callId: string } }).parleyCall.callId);
    expect(callId).toMatch(/^[0-9a-f-]{36}$/);

    // The agent ends the call after taking the new time (end_call): the page shows why.
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Ended'), null, { timeout: 90_000 });
    expect(await page.textContent('#status')).toContain('Ended (agent)');
    // For a person to look at: the page as the caller left it.
    await page.screenshot({ path: join(tmpdir(), 'parley-web-call-ended.png'), fullPage: true });
    const pageTranscript = await page.$$eval('#transcript p', (ps) => ps.map((p) => [p.className, p.textContent]));
    expect(pageTranscript[0]).toEqual(['agent', "Hello, this is Doctor Chen's office about your appointment tomorrow."]);
    expect(pageTranscript.filter(([role]) => role === 'user').map(([, text]) => text).join(' ')).toMatch(/friday/i);

    // What the page played is the agent's voice: recognized, the greeting's words are in it.
    const pcm = Int16Array.from(await page.evaluate(() => (window as unknown as { agentPcm: number[] }).agentPcm));
    expect(pcm.length).toBeGreaterThan(16000 * 5);
    const wav = join(mkdtempSync(join(tmpdir(), 'parley-heard-')), 'agent.wav');
    writeFileSync(wav, encodeWav({ sampleRate: 16000, channels: 1, samples: pcm }));
    const { stdout } = await run('pocketsphinx_continuous', ['-infile', wav, '-logfn', '/dev/null']);
    expect(stdout).toMatch(/appointment/);

    const call = await tp.waitForCall(account, callId, (c) => isSettled(c), 60_000);
    expect(call).toMatchObject({ channel: 'web', status: 'completed', result_status: 'completed', metadata: { source: 'web-sdk example' } });
    expect(String(call.result.reschedule_to)).toMatch(/friday/i);
    expect(call.billing_amount_milli_cents).toBe(Math.floor((call.billed_duration_seconds * 400 + 59) / 60));
    const recording = await fetch(`${tp.platform.apiUrl}/v1/calls/${callId}/recording`, { headers: { authorization: `Bearer ${account.api_key}` } });
    expect(recording.status).toBe(200);
    await page.close();
  });

  it('hangs up from the page, and refuses a used or expired token with its code', async () => {
    const page = await browser.newPage();
    await page.goto(exampleUrl);
    await page.click('#start');
    await page.waitForFunction(() => (window as unknown as { parleyCall?: { state: string } }).parleyCall?.state === 'connected', null, { timeout: 20_000 });
    const callId = await page.evaluate(() => (window as unknown as { parleyCall: { callId: string } }).parleyCall.callId);
    await page.click('#end');
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Ended (caller_hangup)'), null, { timeout: 10_000 });
    await tp.waitForCall(account, callId, (c) => c.status === 'completed', 20_000);
    const ended = (await tp.api(account, 'GET', `/v1/calls/${callId}/events`)).body.data.find((e: any) => e.type === 'ended');
    expect(ended.data).toMatchObject({ hangup_by: 'caller', answered: true });

    // A token the page already used, and one past its 30 s: the SDK says which.
    const used = (await tp.api(account, 'POST', '/v1/calls/web', { agent_id: agentId })).body;
    const stale = (await tp.api(account, 'POST', '/v1/calls/web', { agent_id: agentId })).body;
    // A string, not a function: the test runner would rewrite a function's import().
    const start = (token: string): Promise<string> =>
      page.evaluate(`(async () => {
        const { ParleyWebCall } = await import('/parley-web.min.js');
        const call = new ParleyWebCall({ baseUrl: ${JSON.stringify(tp.platform.apiUrl)} });
        try {
          await call.start({ accessToken: ${JSON.stringify(token)} });
          await call.end();
          return 'connected';
        } catch (err) {
          return err.code + ' ' + err.status;
        }
      })()`);
    expect(await start(used.access_token)).toBe('connected');
    expect(await start(used.access_token)).toBe('access_token_used 401');
    expect(await start('wct_forged')).toBe('access_token_invalid 401');
    await run('psql', [tp.databaseUrl, '-c', `UPDATE web_call_tokens SET expires_at = now() - interval '1 second' WHERE call_id = '${stale.id}'`]);
    expect(await start(stale.access_token)).toBe('access_token_expired 401');
    await page.close();
  });

  it('says microphone_denied when the page may not use the microphone', async () => {
    // Without the fake permission prompt, headless Chromium refuses the microphone.
    const strict = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--use-fake-device-for-media-stream', '--no-sandbox'] });
    try {
      const page = await strict.newPage();
      await page.goto(exampleUrl);
      await page.click('#start');
      await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Could not connect'), null, { timeout: 20_000 });
      expect(await page.textContent('#status')).toContain('microphone_denied');
    } finally {
      await strict.close();
    }
  });
});
