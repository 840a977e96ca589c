import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase } from '@parley/db';
import { launchPlatform, type Platform, type ProcessName, REPO_ROOT } from '@parley/launcher';
import { deleteNamespaceStreams, describeNamespaceConsumers, testNamespace } from '@parley/service-kit';
import { Webhook } from 'standardwebhooks';

const run = promisify(execFile);

export interface Account {
  account_id: string;
  api_key: string;
  sandbox_trunk_id: string;
  webhook_secret: string;
}

export interface Delivery {
  verified: boolean;
  payload: any;
  headers: Record<string, string | string[] | undefined>;
}

/** The whole product on random ports with its own database and NATS namespace, and helpers to drive it. */
export interface TestPlatform {
  platform: Platform;
  databaseUrl: string;
  recordingsDir: string;
  logs: string[];
  createAccount(name?: string): Promise<Account>;
  api<T = any>(account: Account, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  scenario(number: string, scenario: Record<string, unknown>): Promise<void>;
  simCalls(): Promise<any[]>;
  waitForCall(account: Account, id: string, until: (call: any) => boolean, timeoutMs?: number): Promise<any>;
  webhookReceiver(secret: string): Promise<{ url: string; deliveries: Delivery[]; server: Server }>;
  stop(): Promise<void>;
}

/** `llmBaseUrl`: the model server every service uses; without it, the scripted sandbox model is started. `natsUrl`: another NATS (a cluster's URLs). */
export async function startTestPlatform(env: Record<string, string> = {}, options: { llmBaseUrl?: string; natsUrl?: string } = {}): Promise<TestPlatform> {
  const db = await createTestDatabase('parley_e2e');
  const namespace = testNamespace();
  const natsUrl = options.natsUrl ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const recordingsDir = mkdtempSync(join(tmpdir(), 'parley-e2e-rec-'));
  const rtpBase = 43000 + Math.floor(Math.random() * 400) * 20;
  const webrtcBase = 52000 + Math.floor(Math.random() * 400) * 20;
  const logs: string[] = [];
  const platform = await launchPlatform({
    databaseUrl: db.url,
    natsUrl,
    namespace,
    ports: 'free',
    ...(options.llmBaseUrl ? { llmBaseUrl: options.llmBaseUrl } : {}),
    env: {
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
      RECORDINGS_DIR: recordingsDir,
      MEDIA_RTP_PORTS: `${rtpBase}-${rtpBase + 19}`,
      MEDIA_WEBRTC_PORTS: `${webrtcBase}-${webrtcBase + 19}`,
      WEBHOOK_RETRY_SCHEDULE_MS: '500,1000,2000,4000',
      DIALER_WATCHDOG_INTERVAL_MS: '1000',
      DIALER_DEAD_AFTER_MS: '4000',
      DIALER_HEARTBEAT_MS: '500',
      EXTRACTOR_TRANSCRIPT_WAIT_MS: '5000',
      SHUTDOWN_TIMEOUT_MS: '5000',
      // Webhook receivers and tool servers of the tests run on this machine; loopback is refused unless allowed.
      OUTBOUND_ALLOW: '127.0.0.1',
      ...env,
    },
    onLog: (name, line) => {
      logs.push(`${name}: ${line}`);
      if (logs.length > 20_000) logs.splice(0, 5_000);
    },
  });
  const receivers: Server[] = [];
  const tp: TestPlatform = {
    platform,
    databaseUrl: db.url,
    recordingsDir,
    logs,
    async createAccount(name = 'E2E') {
      const { stdout } = await run(process.execPath, [join(REPO_ROOT, 'apps/api/dist/cli/main.js'), 'accounts', 'create', '--name', name], { env: platform.env });
      return JSON.parse(stdout);
    },
    async api(account, method, path, body) {
      const res = await fetch(platform.apiUrl + path, {
        method,
        headers: { authorization: `Bearer ${account.api_key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: any = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // binary
      }
      return { status: res.status, body: parsed };
    },
    async scenario(number, scenario) {
      const res = await fetch(`${platform.simUrl}/sim/scenarios/${encodeURIComponent(number)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(scenario) });
      if (!res.ok) throw new Error(`scenario ${number}: ${res.status} ${await res.text()}`);
    },
    async simCalls() {
      const res = await fetch(`${platform.simUrl}/sim/calls`);
      const body = (await res.json()) as any;
      return Array.isArray(body) ? body : (body.calls ?? body.data ?? []);
    },
    async waitForCall(account, id, until, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      let last: any = null;
      while (Date.now() < deadline) {
        last = (await tp.api(account, 'GET', `/v1/calls/${id}`)).body;
        if (until(last)) return last;
        await new Promise((r) => setTimeout(r, 250));
      }
      // The services' logs go to a file, and the lines about this call into the message, so a failure on CI can be read.
      const logFile = join(tmpdir(), `parley-e2e-${id}.log`);
      writeFileSync(logFile, logs.join('\n'));
      const about = logs.filter((l) => l.includes(id)).slice(-40).join('\n');
      const consumers = (await describeNamespaceConsumers(natsUrl, namespace).catch((err: Error) => [`consumers unknown: ${err.message}`])).join('\n');
      throw new Error(`call ${id} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}\nlogs: ${logFile}; the last lines naming the call:\n${about}\nJetStream consumers:\n${consumers}`);
    },
    async webhookReceiver(secret) {
      const verifier = new Webhook(secret);
      const deliveries: Delivery[] = [];
      const server = createServer((req, res) => {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          let verified = false;
          let payload: any;
          try {
            payload = verifier.verify(body, req.headers as Record<string, string>);
            verified = true;
          } catch {
            payload = JSON.parse(body || 'null');
          }
          deliveries.push({ verified, payload, headers: req.headers });
          res.writeHead(200).end('ok');
        });
      });
      const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)));
      receivers.push(server);
      return { url: `http://127.0.0.1:${port}/hook`, deliveries, server };
    },
    async stop() {
      for (const r of receivers) r.close();
      await platform.stop();
      await deleteNamespaceStreams(natsUrl, namespace).catch(() => undefined);
      await db.drop();
    },
  };
  return tp;
}

/** A number on the account's sandbox trunk and an agent using it. */
export async function sandboxAgent(tp: TestPlatform, account: Account, number: string, agent: Record<string, unknown>) {
  const n = await tp.api(account, 'POST', '/v1/numbers', { number, trunk_id: account.sandbox_trunk_id });
  if (n.status !== 201) throw new Error(`number: ${JSON.stringify(n.body)}`);
  const a = await tp.api(account, 'POST', '/v1/agents', { number_ids: agent.type === 'inbound' ? [n.body.id] : [n.body.id], ...agent });
  if (a.status !== 201) throw new Error(`agent: ${JSON.stringify(a.body)}`);
  return { number: n.body, agent: a.body };
}

export const isTerminal = (c: any) => ['completed', 'no_answer', 'busy', 'canceled', 'failed'].includes(c?.status);
export const isSettled = (c: any) => isTerminal(c) && c.result_status !== 'pending';

/**
 * Another media process on the platform's database, NATS namespace and sandbox model (as a second machine would run
 * one), with its own RTP and WebRTC port ranges (20 each, unless `env` gives them); `env` adds to the settings it shares
 * with the platform's.
 */
export async function launchExtraMedia(tp: TestPlatform, name: string, env: Record<string, string>): Promise<Platform> {
  const rtp = 47000 + Math.floor(Math.random() * 200) * 20;
  return launchExtra(tp, 'media', name, { MEDIA_RTP_PORTS: `${rtp}-${rtp + 19}`, MEDIA_WEBRTC_PORTS: `${rtp + 2000}-${rtp + 2019}`, ...env });
}

/**
 * Another process of the platform (a second dialer, a third media process...) on its database, NATS, simulator and
 * model, with every setting the platform's own processes have but its own HTTP port; `env` adds to them (DIALER_ID,
 * MEDIA_ID, port ranges).
 */
export async function launchExtra(tp: TestPlatform, process: ProcessName, name: string, env: Record<string, string>): Promise<Platform> {
  const shared = Object.fromEntries(Object.entries(tp.platform.env).filter(([k]) => !k.endsWith('_PORT') && !['DATABASE_URL', 'NATS_URL', 'NATS_NAMESPACE'].includes(k)));
  return launchPlatform({
    databaseUrl: tp.databaseUrl,
    natsUrl: tp.platform.env.NATS_URL!,
    namespace: tp.platform.env.NATS_NAMESPACE,
    ports: 'free',
    llmBaseUrl: tp.platform.llmBaseUrl,
    only: [process],
    env: { ...shared, ...env },
    onLog: (_, line) => tp.logs.push(`${name}: ${line}`),
  });
}

/** One series of a process's /metrics: the first with all the labels given; 0 when absent. */
export async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && want.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Polls `probe` every 100 ms until it holds. */
export async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
