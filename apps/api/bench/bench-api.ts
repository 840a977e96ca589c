import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createTestDatabase, type DataSource, secretBoxFromEnv } from '@parley/db';
import { deleteNamespaceStreams, testNamespace } from '@parley/service-kit';
import { Accounts } from '../accounts/accounts';

export interface BenchApi {
  url: string;
  child: ChildProcess;
  ds: DataSource;
  /** Headers of an account with a sandbox number and an outbound agent. */
  auth: Record<string, string>;
  agentId: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/**
 * The built api in its own process, with its own database and NATS namespace, an account, a sandbox number and an
 * outbound agent. `env` adds to its environment; BENCH_API_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
 * profiles it.
 */
export async function startBenchApi(env: Record<string, string> = {}): Promise<BenchApi> {
  const db = await createTestDatabase('parley_bench');
  const namespace = testNamespace();
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, resolve(__dirname, '../main.js')], {
    env: { ...process.env, DATABASE_URL: db.url, NATS_NAMESPACE: namespace, API_PORT: String(port), LOG_LEVEL: 'warn', API_RATE_LIMIT_PER_SECOND: '0', API_DB_POOL_SIZE: '20', ...env },
    stdio: ['ignore', process.env.BENCH_API_LOGS ? 'inherit' : 'ignore', 'inherit'],
  });
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await deleteNamespaceStreams(natsUrl, namespace).catch(() => undefined);
    await db.drop();
  };
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`${url}/readyz`).then((r) => r.ok).catch(() => false);
      if (ok) break;
      if (i > 200) throw new Error('api did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    const acct = await new Accounts(db.dataSource, { rateMilliCentsPerMinute: 1000, billingIncrementSeconds: 1, billingMinimumSeconds: 0, sandboxHost: '127.0.0.1' }, secretBoxFromEnv()).create('bench');
    const auth = { authorization: `Bearer ${acct.apiKey.key}`, 'content-type': 'application/json' };
    const number = (await (await fetch(`${url}/v1/numbers`, { method: 'POST', headers: auth, body: JSON.stringify({ number: '+15550001000', trunk_id: acct.sandboxTrunkId }) })).json()) as { id: string };
    const agent = (await (
      await fetch(`${url}/v1/agents`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name: 'Bench', type: 'outbound', persona: 'You are Ava.', instructions: 'Confirm {{name}}.', returns: { confirmed: 'boolean' }, number_ids: [number.id] }),
      })
    ).json()) as { id: string };
    return { url, child, ds: db.dataSource, auth, agentId: agent.id, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
